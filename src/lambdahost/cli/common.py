"""What the commands share: the template options, loading a project, a one-command host, output."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from pathlib import Path

import click

from ..errors import LambdaError
from ..settings import LOCAL_CREDENTIALS, HostSettings
from ..template import ProjectSource, TemplateError, find_template, parse_parameter_overrides, read_env_vars
from ..template.loader import BUILD_FOLDER, CDK_OUT
from ..template.outside_layers import LayerDownloads


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


def project_source(template, parameter_overrides, env_vars, profile: str | None = None) -> ProjectSource:
    """The template and what the command line adds; layers deployed in AWS are downloaded with
    ``profile``'s credentials (botocore's usual chain without one), as ``sam local`` does."""
    template_path = (template or find_template(Path.cwd())).resolve()
    if not template_path.is_file():
        raise TemplateError("no such template file", path=str(template_path))
    return ProjectSource(
        template_path,
        parse_parameter_overrides(list(parameter_overrides)),
        read_env_vars(env_vars),
        LayerDownloads(profile=profile),
    )


def state_dir_of(source: ProjectSource | None, state_dir: Path | None) -> Path:
    """``--state-dir``, else ``.lambdahost`` beside the template (or here, without one)."""
    if state_dir is not None:
        return Path(state_dir)
    folder = source.template_path.parent if source else Path.cwd()
    if folder.parts[-2:] == BUILD_FOLDER.parts:  # sam build's template: the state stays with the project
        folder = folder.parent.parent
    elif folder.name == CDK_OUT:  # a CDK stack's: likewise (cdk synth rewrites the assembly)
        folder = folder.parent
    return folder / ".lambdahost"


def load(template, parameter_overrides, env_vars, state_dir, region: str = "us-east-1", profile: str | None = None):
    """The template's source and project, or a :class:`TemplateFailure` that says what is wrong."""
    try:
        source = project_source(template, parameter_overrides, env_vars, profile)
        return source, source.load(region=region, inline_code_dir=state_dir_of(source, state_dir) / "inline")
    except (TemplateError, LambdaError) as exc:
        raise TemplateFailure(str(exc)) from None


def pick(project, name: str | None):
    """The function ``name`` names, or the template's only function when no name is given."""
    if name is None:
        if len(project.functions) == 1:
            return next(iter(project.functions.values()))
        raise Failure(
            f"the template has {len(project.functions)} functions; name one of: {', '.join(project.functions)}"
        )
    definition = project.find(name)
    if definition is None:
        raise Failure(f"no function '{name}' in {project.template_path.name}; it has: {', '.join(project.functions)}")
    return definition


def prestart(runtime: str, state_dir: Path):
    """Start the function's fork-server now, so that its interpreter boots while the host's
    modules (asyncio above all) are imported: a one-shot command is that much faster."""
    from ..sandbox.interpreter import InterpreterResolver
    from ..sandbox.launch import launch

    try:
        interpreter = InterpreterResolver(cache_file=Path(state_dir) / "interpreters.json").resolve(runtime)
    except LambdaError:
        return None  # the host reports it, in its own words
    return interpreter, launch(interpreter.executable)


class workspace:
    """A host running the template's functions, for the length of one command."""

    def __init__(self, source: ProjectSource, state_dir: Path, prestarted=None, **settings) -> None:
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
    source: ProjectSource,
    project,
    state_dir: Path,
    definition,
    payload: bytes,
    qualifier=None,
    debug_port: int | None = None,
) -> None:
    """Invoke a function in a host of its own: the logs on stderr, the response on stdout, and
    exit status 1 when the function failed."""
    name = definition.config.name
    if debug_port is not None:
        say_debugging(name, debug_port)
    prestarted = prestart(definition.config.runtime, state_dir)
    with local_aws(state_dir, project.resources) as endpoint:
        credentials = dict(LOCAL_CREDENTIALS) if endpoint is not None else None
        with workspace(
            source,
            state_dir,
            prestarted,
            debug_port=debug_port,
            debug_function=name,
            function_endpoint_url=endpoint,
            function_credentials=credentials,
        ) as host:
            try:
                result = host.invoke(name, payload, qualifier=qualifier)
            except LambdaError as exc:
                raise Failure(f"{exc.code}: {exc.message}") from None
    for line in result.log.splitlines():
        click.echo(colour(line), err=True)  # click drops the colour when stderr is not a terminal
    sys.stdout.buffer.write(result.payload + b"\n")
    sys.stdout.flush()
    if result.function_error:
        sys.exit(1)


def invoke_through_serve(state_dir: Path, name: str, payload: bytes, qualifier=None) -> bool:
    """Invoke through the ``serve`` running on this state folder, if one does, in its warm
    environments: the log's end (the Lambda API's 4 KB tail) on stderr, the response on stdout,
    exit status 1 when the function failed. False when there is none, or it refuses the call
    (a serve that wants signed requests): then the caller runs the function itself."""
    import base64
    import urllib.error
    import urllib.parse
    import urllib.request

    from ..localaws import running_endpoint

    endpoint = running_endpoint(state_dir)
    if endpoint is None:
        return False
    query = f"?Qualifier={urllib.parse.quote(qualifier)}" if qualifier else ""
    request = urllib.request.Request(
        f"{endpoint}/2015-03-31/functions/{urllib.parse.quote(name)}/invocations{query}",
        data=payload,
        headers={"X-Amz-Log-Type": "Tail", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=900) as response:
            answer, headers = response.read(), response.headers
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            return False
        body = read_json(error.read().decode(errors="replace") or "{}", f"the answer of the serve on {endpoint}")
        raise Failure(f"{error.headers.get('x-amzn-ErrorType') or error.code}: {body.get('message')}") from None
    except OSError:  # (it stopped in the meantime)
        return False
    click.echo(f"lambdahost: invoked through the serve on {endpoint} (its warm environments)", err=True)
    for line in base64.b64decode(headers.get("X-Amz-Log-Result", "")).decode(errors="replace").splitlines():
        click.echo(colour(line), err=True)
    sys.stdout.buffer.write(answer + b"\n")
    sys.stdout.flush()
    if headers.get("X-Amz-Function-Error"):
        sys.exit(1)
    return True


@contextlib.contextmanager
def local_aws(state_dir: Path, resources):
    """The AWS endpoint a one-shot command's functions call: that of the ``serve`` running on this
    state folder, whose triggers then fire too; else a local AWS of the command's own, holding the
    same data, when the template declares resources; else none."""
    from ..localaws import LocalAws, running_endpoint
    from ..localaws.resources import provision

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
