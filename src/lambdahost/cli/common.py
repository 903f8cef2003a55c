"""What the commands share: the template options, loading a project, a one-command host, output."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
from pathlib import Path

import click

from ..errors import LambdaError
from ..statefolder import running_endpoint, state_folder
from ..template import index
from ..template.errors import TemplateError
from ..template.finding import find_template
from ..template.index import IndexedFunction, ProjectIndex
from ..template.inputs import parse_parameter_overrides, read_env_vars


class Failure(click.ClickException):
    """A one-line error and exit status 1."""


class TemplateFailure(Failure):
    """A template that cannot be served: one line (file, line, resource, property, what is
    wrong) and exit status 2, whatever the command."""

    exit_code = 2


strict_option = click.option(
    "--strict", is_flag=True, help="Refuse a template that holds what lambdahost does not emulate, rather than warn."
)


def say_unemulated(project, strict: bool) -> None:
    """One line for what the template holds and lambdahost does not emulate: nothing is silent."""
    if not project.unemulated:
        return
    what = "; ".join(project.unemulated)
    if strict:
        raise TemplateFailure(f"{project.template_path}: not emulated here (--strict): {what}")
    click.echo(f"lambdahost: not emulated here, so ignored: {what}", err=True)


_TEMPLATE_OPTIONS = (
    click.option(
        "-t",
        "--template",
        "template",
        type=click.Path(path_type=Path),
        help="Template file (default: template.yaml|yml|json here).",
    ),
    click.option(
        "--parameter-overrides",
        multiple=True,
        help="Key=Value pairs (or ParameterKey=K,ParameterValue=V) for template Parameters.",
    ),
    click.option(
        "-n",
        "--env-vars",
        type=click.Path(path_type=Path),
        help="JSON file of environment variable values, in SAM's format.",
    ),
    click.option(
        "--state-dir",
        type=click.Path(path_type=Path),
        help="Where logs and state live (default: .lambdahost beside the template).",
    ),
)


def template_options(command):
    """The options every command that reads a template takes, named as ``sam local`` names them."""
    for option in reversed(_TEMPLATE_OPTIONS):  # listed in --help in this order
        command = option(command)
    return command


def template_path_of(template: Path | None) -> Path:
    """``-t``'s template, else the one found here."""
    template_path = (template or find_template(Path.cwd())).resolve()
    if not template_path.is_file():
        raise TemplateError("no such template file", path=str(template_path))
    return template_path


def project_source(template, parameter_overrides, env_vars, profile: str | None = None):
    """The template and what the command line adds; layers deployed in AWS are downloaded with
    ``profile``'s credentials (botocore's usual chain without one), as ``sam local`` does."""
    from ..template.outside_layers import LayerDownloads
    from ..template.project import ProjectSource

    return ProjectSource(
        template_path_of(template),
        parse_parameter_overrides(list(parameter_overrides)),
        read_env_vars(env_vars),
        LayerDownloads(profile=profile),
    )


def _index_inputs(overrides: dict, env_vars: dict, region: str) -> dict:
    """What a project's names depend on besides its files (``template/index.py``)."""
    return {"overrides": overrides, "env_vars": env_vars, "region": region}


@functools.cache
def load(template, parameter_overrides, env_vars, state_dir, region: str = "us-east-1", profile: str | None = None):
    """The template's source and project, or a :class:`TemplateFailure` that says what is wrong
    (read once per command, which may ask for its names first)."""
    try:
        source = project_source(template, parameter_overrides, env_vars, profile)
        state = state_folder(source.template_path, state_dir)
        project = source.load(region=region, inline_code_dir=state / "inline")
    except (TemplateError, LambdaError) as exc:
        raise TemplateFailure(str(exc)) from None
    index.keep(state, project, _index_inputs(dict(source.parameter_overrides), dict(source.env_vars), region))
    return source, project


def names(template, parameter_overrides, env_vars, state_dir) -> tuple[ProjectIndex, Path]:
    """The template's functions by name, and its state folder: from the index kept there when it
    is current (no template read), else read now."""
    try:
        template_path = template_path_of(template)
        inputs = _index_inputs(
            parse_parameter_overrides(list(parameter_overrides)), read_env_vars(env_vars), "us-east-1"
        )
    except TemplateError as exc:
        raise TemplateFailure(str(exc)) from None
    state = state_folder(template_path, state_dir)
    found = index.read(state, template_path, inputs)
    if found is None:
        _, project = load(template, parameter_overrides, env_vars, state_dir)
        found = ProjectIndex.of(project)
    return found, state


def pick(functions: ProjectIndex, name: str | None) -> IndexedFunction:
    """The function ``name`` names, or the template's only function when no name is given."""
    if name is None:
        if len(functions.functions) == 1:
            return next(iter(functions.functions.values()))
        raise Failure(
            f"the template has {len(functions.functions)} functions; name one of: {', '.join(functions.functions)}"
        )
    found = functions.find(name)
    if found is None:
        raise Failure(
            f"no function '{name}' in {functions.template_path.name}; it has: {', '.join(functions.functions)}"
        )
    return found


def prestart(runtime: str, state_dir: Path):
    """Start the function's fork-server now, so that its interpreter boots while the host's
    modules (asyncio above all) are imported: a one-shot command is that much faster."""
    from ..model import limits
    from ..sandbox.interpreter import HOST, InterpreterResolver
    from ..sandbox.launch import launch

    if runtime not in limits.PYTHON_RUNTIMES:  # Node.js and custom runtimes are forked from lambdahost's own
        return HOST, launch(HOST.executable)
    try:
        interpreter = InterpreterResolver(cache_file=Path(state_dir) / "interpreters.json").resolve(runtime)
    except LambdaError:
        return None  # the host reports it, in its own words
    return interpreter, launch(interpreter.executable)


class workspace:
    """A host running the template's functions, for the length of one command."""

    def __init__(self, source, state_dir: Path, prestarted=None, **settings) -> None:
        self.source = source
        self.state_dir = state_dir
        self.prestarted = prestarted
        self.settings = settings

    def __enter__(self):
        from ..host import Host
        from ..workspace import Workspace

        self.host = Host(state_dir=self.state_dir, **self.settings)
        try:
            if self.prestarted:
                self.host.call(lambda host: host.invoker.adopt(*self.prestarted))
            self.host.call(Workspace, self.source)
        except (TemplateError, LambdaError) as exc:
            self.host.close()
            raise TemplateFailure(str(exc)) from None
        return self.host

    def __exit__(self, *exc) -> None:
        self.host.close()


def invoke_once(
    source,
    project,
    state_dir: Path,
    function: IndexedFunction,
    payload: bytes,
    qualifier=None,
    debug_port: int | None = None,
) -> None:
    """Invoke a function in a host of its own: the logs on stderr, the response on stdout, and
    exit status 1 when the function failed."""
    from ..settings import LOCAL_CREDENTIALS

    if debug_port is not None:
        say_debugging(function.name, debug_port)
    prestarted = prestart(function.runtime, state_dir)
    with local_aws(state_dir, project.resources) as endpoint:
        credentials = dict(LOCAL_CREDENTIALS) if endpoint is not None else None
        with workspace(
            source,
            state_dir,
            prestarted,
            debug_port=debug_port,
            debug_function=function.name,
            function_endpoint_url=endpoint,
            function_credentials=credentials,
        ) as host:
            try:
                result = host.invoke(function.name, payload, qualifier=qualifier)
            except LambdaError as exc:
                raise Failure(f"{exc.code}: {exc.message}") from None
    _answer(result.log, result.payload, result.function_error)


def invoke_through_serve(endpoint: str, name: str, payload: bytes, qualifier=None) -> bool:
    """Invoke through the ``serve`` at ``endpoint``, in its warm environments: the log's end (the
    Lambda API's 4 KB tail) on stderr, the response on stdout, exit status 1 when the function
    failed. False when it refuses the call (a serve that wants signed requests) or has stopped
    meanwhile: then the caller runs the function itself."""
    import base64
    import http.client
    from urllib.parse import quote, urlsplit

    address = urlsplit(endpoint)
    path = f"/2015-03-31/functions/{quote(name, safe='')}/invocations"
    if qualifier:
        path += f"?Qualifier={quote(qualifier, safe='')}"
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=900)
    try:
        connection.request("POST", path, payload, {"X-Amz-Log-Type": "Tail", "Content-Type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    if response.status in (401, 403):
        return False
    if response.status >= 300:
        body = read_json(answer.decode(errors="replace") or "{}", f"the answer of the serve on {endpoint}")
        raise Failure(f"{response.getheader('x-amzn-ErrorType') or response.status}: {body.get('message')}")
    click.echo(f"lambdahost: invoked through the serve on {endpoint} (its warm environments)", err=True)
    log = base64.b64decode(response.getheader("X-Amz-Log-Result", "")).decode(errors="replace")
    _answer(log, answer, response.getheader("X-Amz-Function-Error"))
    return True


def _answer(log: str, payload: bytes, function_error: str | None) -> None:
    """An invocation's log on stderr, its response on stdout; exit status 1 when it failed."""
    for line in log.splitlines():
        click.echo(colour(line), err=True)  # click drops the colour when stderr is not a terminal
    sys.stdout.buffer.write(payload + b"\n")
    sys.stdout.flush()
    if function_error:
        sys.exit(1)


@contextlib.contextmanager
def local_aws(state_dir: Path, resources):
    """The AWS endpoint a one-shot command's functions call: that of the ``serve`` running on this
    state folder, whose triggers then fire too; else a local AWS of the command's own, holding the
    same data, when the template declares resources; else none."""
    from ..localaws import LocalAws
    from ..localaws.resources import provision
    from ..settings import HostSettings

    endpoint = running_endpoint(state_dir)
    if endpoint is not None or not resources:
        yield endpoint
        return
    try:
        aws = LocalAws(state_dir)
    except RuntimeError:  # a serve starting or stopping on this folder: run without one
        yield None
        return
    try:
        aws.start()
        provision(resources, HostSettings(aws_endpoint_url=aws.url))
        yield aws.url
    finally:
        aws.stop()


debug_port_option = click.option(
    "--debug-port",
    type=click.IntRange(1, 65535),
    help="Environments wait for a debugger (debugpy) on this port of 127.0.0.1; no timeouts while debugged.",
)


def say_debugging(what: str, port: int) -> None:
    click.echo(
        f"lambdahost: {what} will wait for a debugger on 127.0.0.1:{port} (attach with debugpy, e.g. VS Code's "
        '"Python: Remote Attach"); its timeouts are off while it is debugged',
        err=True,
    )


def read_json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Failure(f"{where} is not valid JSON: {exc}") from None


_STYLES = (
    (re.compile(r"^(START|END|INIT_START) "), {"fg": "cyan"}),
    (re.compile(r"^(REPORT|INIT_REPORT) "), {"fg": "cyan", "bold": True}),
    (re.compile(r"^\[ERROR\]|^Runtime\.|^RequestId: .* Error: |Task timed out"), {"fg": "red"}),
    (re.compile(r"^\[WARNING\]"), {"fg": "yellow"}),
)


def colour(line: str) -> str:
    """A log line styled as the console shows it: platform lines cyan, errors red."""
    for pattern, style in _STYLES:
        if pattern.search(line):
            return click.style(line, **style)
    return line
