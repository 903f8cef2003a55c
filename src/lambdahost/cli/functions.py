"""Commands about functions: create one, invoke it, list them, read their logs, serve them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import time
from pathlib import Path

import click

from ..errors import LambdaError
from ..quickstarts import NODE_QUICKSTARTS, QUICKSTARTS
from ..quickstarts import files as quickstart_files
from ..statefolder import running_endpoint, state_folder
from ..template.errors import TemplateError
from ..template.finding import find_template
from .common import (
    Failure,
    TemplateFailure,
    colour,
    debug_port_option,
    invoke_once,
    invoke_through_serve,
    load,
    names,
    pick,
    read_json,
    say_debugging,
    say_unemulated,
    strict_option,
    template_options,
)

# What every project gets besides its quick start's files.
_PROJECT_FILES = {"pytest.ini": "[pytest]\ntestpaths = tests\n", ".gitignore": ".lambdahost/\n__pycache__/\n"}


@click.command()
@click.argument("name", default="lambda-function")
@click.option(
    "--template", "quickstart", help="The quick start: " + ", ".join(QUICKSTARTS) + " (default: asked, or hello)."
)
@click.option("--runtime", help="The functions' runtime (default: the Python lambdahost runs on).")
@click.option("--no-interactive", is_flag=True, help="Ask nothing: take the defaults.")
def init(name: str, quickstart: str | None, runtime: str | None, no_interactive: bool) -> None:
    """Create a project from a quick start, as sam init does: a SAM template, its code, sample
    events, a README and tests that run it with lambdahost. Run again, it leaves the project it
    made as it is."""
    from ..model.function import default_runtime
    from ..model.limits import NODE_RUNTIMES, PYTHON_RUNTIMES

    if quickstart is None:
        asked = not no_interactive and sys.stdin.isatty()
        quickstart = _choose_quickstart() if asked else "hello"
    if quickstart not in QUICKSTARTS:
        raise Failure(f"no quick start '{quickstart}': there are {', '.join(QUICKSTARTS)}")
    runtime = runtime or default_runtime()
    if runtime not in PYTHON_RUNTIMES + NODE_RUNTIMES:
        runtimes = ", ".join(PYTHON_RUNTIMES + NODE_RUNTIMES)
        raise Failure(f"--runtime {runtime}: the quick starts are Python and Node.js projects ({runtimes})")
    if runtime in NODE_RUNTIMES and quickstart not in NODE_QUICKSTARTS:
        choices = ", ".join(NODE_QUICKSTARTS)
        raise Failure(f"the {quickstart} quick start is a Python project; for {runtime} there are {choices}")
    folder = Path(name)
    logical_id = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", folder.name)) or "Function"
    placeholders = {"__NAME__": folder.name, "__ID__": logical_id, "__RUNTIME__": runtime}
    wanted = {}
    for path, text in {**quickstart_files(quickstart, runtime), **_PROJECT_FILES}.items():
        for placeholder, value in placeholders.items():
            text = text.replace(placeholder, value)
        wanted[folder / path] = text
    if folder.exists() and any(folder.iterdir()):
        if all(path.is_file() and path.read_text() == text for path, text in wanted.items()):
            click.echo(f"{folder}/ is there already, as this quick start makes it")
            _next_steps(folder, quickstart)
            return
        raise Failure(f"'{folder}' already exists and is not empty")
    for path, text in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    click.echo(f"Created {folder}/ from the {quickstart} quick start ({QUICKSTARTS[quickstart]}), {runtime}")
    _next_steps(folder, quickstart)


def _choose_quickstart() -> str:
    names = list(QUICKSTARTS)
    for number, (key, what) in enumerate(QUICKSTARTS.items(), 1):
        click.echo(f"  {number} - {what} ({key})")
    chosen = click.prompt("Which quick start", type=click.IntRange(1, len(names)), default=1)
    return names[chosen - 1]


def _next_steps(folder: Path, quickstart: str) -> None:
    """The commands to try, as they work in this shell: ``lambdahost`` when it is on PATH, else
    the path of the script that runs now (a virtual environment not activated)."""
    script = Path(sys.argv[0]).resolve()
    found = shutil.which("lambdahost")
    command = "lambdahost" if found and Path(found).resolve() == script else shlex.quote(str(script))
    if script.suffix == ".py" or not os.access(script, os.X_OK):  # (python -m lambdahost)
        command = f"{shlex.quote(sys.executable)} -m lambdahost"
    event = next(iter(sorted((folder / "events").iterdir()))).name
    click.echo(f"Try it:  cd {shlex.quote(str(folder))} && {command} invoke -e events/{event}")
    click.echo(f"Test it: cd {shlex.quote(str(folder))} && {shlex.quote(sys.executable)} -m pytest")
    if quickstart != "hello":
        click.echo(f"Serve it: {command} serve  (README.md says what to try then)")


@click.command()
@click.argument("function", required=False)
@click.option("-e", "--event", "event_file", help="Event file, or - for standard input.")
@click.option("--payload", help="The event as JSON text.")
@click.option("--qualifier", help="Version or alias to invoke.")
@debug_port_option
@strict_option
@template_options
def invoke(
    function, event_file, payload, qualifier, debug_port, strict, template, parameter_overrides, env_vars, state_dir
) -> None:
    """Invoke a function once: the response on stdout, the logs on stderr."""
    if event_file is not None and payload is not None:
        raise Failure("give the event with --event or --payload, not both")
    event = _read_event(event_file, payload)
    functions, state = names(template, parameter_overrides, env_vars, state_dir)
    say_unemulated(functions, strict)
    function = pick(functions, function)
    endpoint = None if debug_port is not None else running_endpoint(state)
    if endpoint is not None and invoke_through_serve(endpoint, function.name, event, qualifier):
        return
    source, project = load(template, parameter_overrides, env_vars, state_dir)
    invoke_once(source, project, state, function, event, qualifier, debug_port)


def _read_event(event_file: str | None, payload: str | None) -> bytes:
    if payload is not None:
        text, where = payload, "--payload"
    elif event_file == "-":
        text, where = sys.stdin.read(), "standard input"
    elif event_file is not None:
        try:
            text, where = Path(event_file).read_text(), event_file
        except OSError as exc:
            raise Failure(f"cannot read the event file {event_file}: {exc.strerror}") from None
    else:
        return b"{}"
    read_json(text, f"the event in {where}")
    return text.encode()


@click.command()
@template_options
def build(template, parameter_overrides, env_vars, state_dir) -> None:
    """Install each function's requirements.txt for its runtime now, rather than at its first start.

    As sam build packages them, but into a cache every project shares (~/.cache/lambdahost),
    so there is no build folder to keep up to date and a later start needs no network."""
    from ..sandbox import packages
    from ..sandbox.interpreter import InterpreterResolver

    source, project = load(template, parameter_overrides, env_vars, state_dir)
    resolver = InterpreterResolver(cache_file=state_folder(source.template_path, state_dir) / "interpreters.json")
    for definition in project.functions.values():
        config = definition.config
        requirements = packages.requirements_of(config)
        if requirements is None:
            continue
        try:
            interpreter = resolver.resolve(config.runtime)
            kept = packages.installed(interpreter, requirements.text) is not None
            folder = packages.install(interpreter, requirements.text, requirements.what)
        except (LambdaError, packages.InstallFailed) as exc:
            raise Failure(str(exc)) from None
        done = "kept" if kept else "installed"
        click.echo(f"{definition.logical_id}: {requirements.what} for {interpreter.runtime}: {done} in {folder}")


@click.command(name="list")
@strict_option
@template_options
def list_functions(strict, template, parameter_overrides, env_vars, state_dir) -> None:
    """List the template's functions."""
    functions, _ = names(template, parameter_overrides, env_vars, state_dir)
    say_unemulated(functions, strict)
    rows = [("RESOURCE", "FUNCTION NAME", "HANDLER", "RUNTIME", "MEMORY", "TIMEOUT")]
    for function in functions.functions.values():
        rows.append(
            (
                function.logical_id,
                function.name,
                function.handler,
                function.runtime,
                f"{function.memory_size} MB",
                f"{function.timeout} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@click.command()
@click.argument("function")
@click.option("-f", "--tail", is_flag=True, help="Keep printing new log lines as they arrive.")
@click.option("--since", help="Only lines newer than this: 30s, 10m, 2h, 1d.")
@click.option("--filter", "text", help="Only lines containing this text.")
@template_options
def logs(function, tail, since, text, template, parameter_overrides, env_vars, state_dir) -> None:
    """Print a function's stored logs."""
    from ..store import LogStore

    name, state = function, state_folder(None, state_dir)
    try:
        functions, state = names(template, parameter_overrides, env_vars, state_dir)
        found = functions.find(function)
        name = found.name if found else function
    except TemplateFailure:
        pass  # no template (or a broken one): the logs are still there to read by function name
    database = state / "logs.db"
    if not database.is_file():
        raise Failure(f"no logs yet: {database} does not exist")
    store = LogStore(database)
    try:
        start_ms = int((time.time() - _duration(since)) * 1000) if since else None
        last_id = 0
        while True:
            for event in store.query(name, start_ms=start_ms, contains=text, after_id=last_id):
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event.timestamp_ms / 1000))
                click.echo(f"{stamp}.{event.timestamp_ms % 1000:03d}Z {colour(event.message)}", color=None)
                last_id = event.id
            if not tail:
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+)\s*([smhd])", text.strip())
    if not match:
        raise Failure(f"--since takes a number and a unit (30s, 10m, 2h, 1d), got '{text}'")
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=3001, show_default=True, help="Port of the Lambda API.")
@click.option(
    "--api-port", default=3000, show_default=True, help="Port of API Gateway routes and function URLs (0: not served)."
)
@click.option(
    "--credentials",
    multiple=True,
    metavar="KEY:SECRET",
    envvar="LAMBDAHOST_CREDENTIALS",
    help="Serve only requests signed (SigV4) with this key; required off loopback. "
    "LAMBDAHOST_CREDENTIALS (space-separated) keeps the secret off the command line, which ps shows.",
)
@click.option(
    "--settle-time",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds a function created or updated through the API stays Pending / InProgress "
    "(AWS takes seconds; 0: settled by the next call).",
)
@click.option(
    "--async-delay-scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply asynchronous retry delays (0.01 turns 1 minute into 0.6 s).",
)
@click.option(
    "--idle-timeout", type=float, default=600.0, show_default=True, help="Seconds an unused environment is kept warm."
)
@click.option("--no-watch", is_flag=True, help="Do not reload code and template when they change.")
@click.option(
    "--grace-period",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds a stop (Ctrl-C, SIGTERM) lets invocations in flight finish before it kills their environments.",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests addressed to this host name (repeatable); by default only loopback names and "
    "addresses, and --host, are answered, which keeps web pages out through DNS rebinding.",
)
@click.option(
    "--aws-endpoint-url",
    help="The AWS the functions call, instead of the local one: an emulator's URL (LocalStack, a moto server), "
    "or 'aws' for AWS itself with your credentials. Queues, streams and Cognito's signing keys are read there too.",
)
@click.option("--no-local-aws", is_flag=True, help="Run no local AWS: functions get no AWS_ENDPOINT_URL.")
@click.option("--profile", help="With --aws-endpoint-url aws: the AWS profile whose credentials functions get.")
@click.option("--region", help="The region functions run in (AWS_REGION): by default the --profile's, or us-east-1.")
@debug_port_option
@click.option("--debug-function", help="The function --debug-port debugs (default: every Python function).")
@click.option(
    "--ignore-jwt-signature",
    is_flag=True,
    help="Accept JWTs without checking their signatures (tokens made up for local tests).",
)
@strict_option
@template_options
def serve(
    strict,
    host,
    port,
    api_port,
    credentials,
    settle_time,
    async_delay_scale,
    idle_timeout,
    no_watch,
    grace_period,
    allowed_hosts,
    aws_endpoint_url,
    no_local_aws,
    profile,
    region,
    debug_port,
    debug_function,
    ignore_jwt_signature,
    template,
    parameter_overrides,
    env_vars,
    state_dir,
) -> None:
    """Serve the Lambda API (boto3, the AWS CLI) with the template's functions, until Ctrl-C."""
    from ..api.server import ServeOptions
    from ..api.server import serve as run_server
    from ..settings import HostSettings

    region = region or _profile_region(profile) or "us-east-1"
    source = None
    try:
        found = find_template(Path.cwd()) if template is None else template
    except TemplateError as exc:
        click.echo(f"lambdahost: {exc}; serving the Lambda API alone", err=True)
    else:
        source, project = load(found, parameter_overrides, env_vars, state_dir, region=region, profile=profile)
        say_unemulated(project, strict)
    keys = {}
    for item in credentials:
        key, _, secret = item.partition(":")
        if not key or not secret:
            raise Failure(f"--credentials takes KEY:SECRET, got '{item}'")
        keys[key] = secret
    if debug_port is not None:
        say_debugging(debug_function or "every Python function", debug_port)
    settings = HostSettings(
        state_dir=state_folder(source.template_path if source else None, state_dir),
        region=region,
        async_delay_scale=async_delay_scale,
        settle_time=settle_time,
        idle_timeout=idle_timeout,
        aws_endpoint_url=aws_endpoint_url,
        debug_port=debug_port,
        debug_function=debug_function,
    )
    try:
        run_server(
            ServeOptions(
                host=host,
                port=port,
                api_port=api_port or None,
                source=source,
                settings=settings,
                credentials=keys,
                watch=not no_watch,
                verify_jwt_signatures=not ignore_jwt_signature,
                grace_period=grace_period,
                local_aws=not no_local_aws,
                profile=profile,
                allowed_hosts=allowed_hosts,
            )
        )
    except (TemplateError, LambdaError) as exc:  # the template changed as serve started
        raise TemplateFailure(str(exc)) from None


def _profile_region(profile: str | None) -> str | None:
    """The region the profile names, if one was given and names one."""
    if profile is None:
        return None
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.session.Session(profile_name=profile).region_name
    except BotoCoreError as exc:  # an unknown profile
        raise Failure(f"--profile {profile}: {exc}") from None
