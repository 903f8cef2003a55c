"""The ``lambdahost`` command line; names and flags follow ``sam local`` where SAM has one."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import click

from .errors import LambdaError
from .template import ProjectSource, TemplateError, find_template, parse_parameter_overrides, read_env_vars
from .template.loader import TEMPLATE_NAMES

DEFAULT_EVENT = {"key1": "value1", "key2": "value2", "key3": "value3"}
CONSOLE_CODE = """import json

def lambda_handler(event, context):
    # TODO implement
    return {
        'statusCode': 200,
        'body': json.dumps('Hello from Lambda!')
    }
"""


class Failure(click.ClickException):
    """A one-line error and exit status 1."""


def _template_options(command):
    command = click.option(
        "-t",
        "--template",
        "template",
        type=click.Path(path_type=Path),
        help="Template file (default: template.yaml|yml|json here).",
    )(command)
    command = click.option(
        "--parameter-overrides",
        multiple=True,
        help="Key=Value pairs (or ParameterKey=K,ParameterValue=V) for template Parameters.",
    )(command)
    command = click.option(
        "-n",
        "--env-vars",
        type=click.Path(path_type=Path),
        help="JSON file of environment variable values, in SAM's format.",
    )(command)
    command = click.option(
        "--state-dir",
        type=click.Path(path_type=Path),
        help="Where logs and state live (default: .lambdahost beside the template).",
    )(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lambdahost")
def main() -> None:
    """Run AWS Lambda functions locally, with the real runtime's semantics and no Docker."""


@main.command()
@click.argument("name", default="lambda-function")
def init(name: str) -> None:
    """Create a function as the Lambda console does: code, template and a test event."""
    folder = Path(name)
    if folder.exists() and any(folder.iterdir()):
        raise Failure(f"'{folder}' already exists and is not empty")
    from .model.function import default_runtime

    logical_id = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", folder.name)) or "Function"
    (folder / "events").mkdir(parents=True, exist_ok=True)
    (folder / "lambda_function.py").write_text(CONSOLE_CODE)
    (folder / "events" / "event.json").write_text(json.dumps(DEFAULT_EVENT, indent=2) + "\n")
    (folder / "template.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Transform: AWS::Serverless-2016-10-31\n"
        f"Description: {folder.name}\n\n"
        "Resources:\n"
        f"  {logical_id}:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        f"      FunctionName: {folder.name}\n"
        "      CodeUri: .\n"
        "      Handler: lambda_function.lambda_handler\n"
        f"      Runtime: {default_runtime()}\n"
        "      Timeout: 3\n"
        "      MemorySize: 128\n"
    )
    click.echo(f"Created {folder}/ with lambda_function.py, template.yaml and events/event.json")
    click.echo(f"Try it:  cd {folder} && lambdahost invoke -e events/event.json")


@main.command()
@click.argument("function", required=False)
@click.option("-e", "--event", "event_file", help="Event file, or - for standard input.")
@click.option("--payload", help="The event as JSON text.")
@click.option("--qualifier", help="Version or alias to invoke.")
@_template_options
def invoke(function, event_file, payload, qualifier, template, parameter_overrides, env_vars, state_dir) -> None:
    """Invoke a function once: the response on stdout, the logs on stderr."""
    if event_file is not None and payload is not None:
        raise Failure("give the event with --event or --payload, not both")
    event = _read_event(event_file, payload)
    source, project = _load(template, parameter_overrides, env_vars, state_dir)
    definition = _pick(project, function)
    state = _state_dir(source, state_dir)
    with _workspace(source, state, _prestart(definition.config.runtime, state)) as host:
        try:
            result = host.invoke(definition.config.name, event, qualifier=qualifier)
        except LambdaError as exc:
            raise Failure(f"{exc.code}: {exc.message}") from None
    _print_log(result.log)
    sys.stdout.buffer.write(result.payload + b"\n")
    sys.stdout.flush()
    if result.function_error:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=3001, show_default=True, help="Port of the Lambda API.")
@click.option(
    "--api-port", default=3000, show_default=True, help="Port of API Gateway routes and function URLs (0: not served)."
)
@click.option(
    "--credentials",
    multiple=True,
    metavar="KEY:SECRET",
    help="Serve only requests signed (SigV4) with this key; required off loopback.",
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
@click.option("--aws-endpoint-url", help="Read DynamoDB and Kinesis streams from this endpoint (default: AWS).")
@_template_options
def serve(
    host,
    port,
    api_port,
    credentials,
    async_delay_scale,
    idle_timeout,
    no_watch,
    aws_endpoint_url,
    template,
    parameter_overrides,
    env_vars,
    state_dir,
) -> None:
    """Serve the Lambda API (boto3, the AWS CLI) with the template's functions, until Ctrl-C."""
    from .api.server import ServeOptions, state_dir_for
    from .api.server import serve as run_server
    from .settings import HostSettings

    source = None
    if template is not None or any((Path.cwd() / name).is_file() for name in TEMPLATE_NAMES):
        try:
            source = _source(template, parameter_overrides, env_vars)
        except (TemplateError, LambdaError) as exc:
            raise Failure(str(exc)) from None
    keys = {}
    for item in credentials:
        key, _, secret = item.partition(":")
        if not key or not secret:
            raise Failure(f"--credentials takes KEY:SECRET, got '{item}'")
        keys[key] = secret
    settings = HostSettings(
        state_dir=state_dir_for(source, state_dir),
        async_delay_scale=async_delay_scale,
        idle_timeout=idle_timeout,
        aws_endpoint_url=aws_endpoint_url,
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
            )
        )
    except (TemplateError, LambdaError) as exc:
        raise Failure(str(exc)) from None


@main.group(name="events")
def events_group() -> None:
    """EventBridge: put events for the template's rules to deliver."""


@events_group.command(name="put")
@click.option("--source", required=True, help="The event's source, e.g. com.example.orders.")
@click.option("--detail-type", required=True, help="The event's detail-type.")
@click.option("--detail", default="{}", show_default=True, help="The event's detail, as JSON.")
@click.option("--bus", default="default", show_default=True, help="The event bus.")
@click.option("--resource", "resources", multiple=True, help="An ARN for the event's resources (repeatable).")
@_template_options
def events_put(source, detail_type, detail, bus, resources, template, parameter_overrides, env_vars, state_dir):
    """Queue an event: each rule whose pattern matches invokes its function asynchronously."""
    try:
        detail = json.loads(detail)
    except json.JSONDecodeError as exc:
        raise Failure(f"--detail is not valid JSON: {exc}") from None
    project_source, project = _load(template, parameter_overrides, env_vars, state_dir)
    sources = _sources(project)
    deliveries = sources.put_event(sources.envelope(source, detail_type, detail, list(resources)), bus)
    _enqueue(_state_dir(project_source, state_dir), deliveries, "no rule matches this event")


@main.group(name="sns")
def sns_group() -> None:
    """SNS: publish to the template's topics."""


@sns_group.command(name="publish")
@click.argument("topic")
@click.argument("message")
@click.option("--subject", help="The message's subject.")
@click.option(
    "--attribute",
    "attributes",
    multiple=True,
    metavar="NAME=TYPE:VALUE",
    help="A message attribute, e.g. color=String:red or size=Number:3 (repeatable).",
)
@_template_options
def sns_publish(topic, message, subject, attributes, template, parameter_overrides, env_vars, state_dir):
    """Queue a message: each subscribed function whose filter policy passes is invoked asynchronously."""
    parsed = _attributes(attributes)
    project_source, project = _load(template, parameter_overrides, env_vars, state_dir)
    deliveries = _sources(project).publish(topic, message, subject, parsed)
    _enqueue(
        _state_dir(project_source, state_dir),
        deliveries,
        f"no function subscribes to {topic} with a filter policy that passes",
    )


@main.group(name="sqs")
def sqs_group() -> None:
    """SQS: send to local queues."""


@sqs_group.command(name="send")
@click.argument("queue")
@click.argument("body")
@click.option(
    "--attribute",
    "attributes",
    multiple=True,
    metavar="NAME=TYPE:VALUE",
    help="A message attribute, e.g. color=String:red (repeatable).",
)
@_template_options
def sqs_send(queue, body, attributes, template, parameter_overrides, env_vars, state_dir) -> None:
    """Send a message to a queue; lambdahost serve's event source mappings deliver it."""
    from .store.queues import QueueStore

    parsed = _attributes(attributes)
    try:
        source = _source(template, parameter_overrides, env_vars)
    except (TemplateError, LambdaError):
        source = None
    state = _state_dir(source, state_dir) if source else Path(state_dir or ".lambdahost")
    state.mkdir(parents=True, exist_ok=True)
    store = QueueStore(state / "state.db")
    try:
        click.echo(store.send(queue.rsplit(":", 1)[-1], body, parsed))
    finally:
        store.close()


def _attributes(items: tuple[str, ...]) -> dict[str, dict]:
    parsed = {}
    for item in items:
        name, _, typed = item.partition("=")
        kind, separator, value = typed.partition(":")
        if not name or kind not in ("String", "Number", "String.Array", "Binary") or not separator:
            raise Failure(f"--attribute takes NAME=TYPE:VALUE (TYPE String, Number or String.Array), got '{item}'")
        parsed[name] = {"Type": kind, "Value": value}
    return parsed


@main.group(name="schedule")
def schedule_group() -> None:
    """Schedules: fire one now."""


@schedule_group.command(name="run")
@click.argument("function")
@click.argument("event", required=False)
@_template_options
def schedule_run(function, event, template, parameter_overrides, env_vars, state_dir) -> None:
    """Fire a function's schedule now: invoke it with what the schedule delivers, and print the result."""
    import datetime as dt

    project_source, project = _load(template, parameter_overrides, env_vars, state_dir)
    definition = _pick(project, function)
    sources = _sources(project)
    triggers = [
        t for t in sources.schedules() if t.function_name == definition.config.name and event in (None, t.event_name)
    ]
    if not triggers:
        raise Failure(f"{definition.logical_id} has no schedule" + (f" named {event}" if event else ""))
    payload = sources.scheduled_event(triggers[0], dt.datetime.now(dt.timezone.utc))
    state = _state_dir(project_source, state_dir)
    with _workspace(project_source, state, _prestart(definition.config.runtime, state)) as host:
        result = host.invoke(definition.config.name, payload)
    _print_log(result.log)
    sys.stdout.buffer.write(result.payload + b"\n")
    if result.function_error:
        sys.exit(1)


def _sources(project):
    from .events.sources import Sources
    from .settings import HostSettings

    settings = HostSettings()
    return Sources(project, settings.region, settings.account_id)


def _enqueue(state: Path, deliveries, nothing: str) -> None:
    """Queue asynchronous invocations in the state folder, where ``lambdahost serve`` runs them."""
    from .invoker.invoker import new_request_id
    from .store.events import AsyncEvent, EventStore

    if not deliveries:
        raise Failure(nothing)
    state.mkdir(parents=True, exist_ok=True)
    store = EventStore(state / "state.db")
    try:
        for delivery in deliveries:
            request_id = new_request_id()
            store.add(AsyncEvent(request_id, delivery.function_name, None, delivery.payload, time.time()))
            click.echo(f"queued for {delivery.function_name}: {request_id}")
    finally:
        store.close()
    click.echo("lambdahost serve delivers it (now if it is running, else when it starts)", err=True)


def _generate_event() -> click.Group:
    """``generate-event SERVICE EVENT --option value``: a command per sample in the catalogue."""
    from .events import CATALOGUE, generate

    group = click.Group(
        "generate-event", help="Print a sample event of an AWS service, with options for the values people change."
    )
    for service, samples in CATALOGUE.items():
        service_group = click.Group(service, help=f"Sample {service} events.")
        for name, sample in samples.items():

            def print_event(service=service, name=name, **options) -> None:
                click.echo(json.dumps(generate(service, name, **options), indent=2))

            options = [
                click.Option([f"--{option}"], default=default, show_default=True)
                for option, default in sample.options.items()
            ]
            service_group.add_command(click.Command(name, params=options, callback=print_event, help=sample.help))
        group.add_command(service_group)
    return group


main.add_command(_generate_event())


@main.command(name="list")
@_template_options
def list_functions(template, parameter_overrides, env_vars, state_dir) -> None:
    """List the template's functions."""
    _, project = _load(template, parameter_overrides, env_vars, state_dir)
    rows = [("RESOURCE", "FUNCTION NAME", "HANDLER", "RUNTIME", "MEMORY", "TIMEOUT")]
    for logical_id, definition in project.functions.items():
        config = definition.config
        rows.append(
            (logical_id, config.name, config.handler, config.runtime, f"{config.memory_size} MB", f"{config.timeout} s")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@main.command()
@click.argument("function")
@click.option("-f", "--tail", is_flag=True, help="Keep printing new log lines as they arrive.")
@click.option("--since", help="Only lines newer than this: 30s, 10m, 2h, 1d.")
@click.option("--filter", "text", help="Only lines containing this text.")
@_template_options
def logs(function, tail, since, text, template, parameter_overrides, env_vars, state_dir) -> None:
    """Print a function's stored logs."""
    from .store import LogStore

    name, state = function, state_dir or Path(".lambdahost")
    try:
        source = _source(template, parameter_overrides, env_vars)
        state = _state_dir(source, state_dir)
        definition = source.load(inline_code_dir=state / "inline").find(function)
        name = definition.config.name if definition else function
    except (TemplateError, LambdaError):
        pass  # no template (or a broken one): the logs are still there to read by function name
    database = Path(state) / "logs.db"
    if not database.is_file():
        raise Failure(f"no logs yet: {database} does not exist")
    store = LogStore(database)
    try:
        start_ms = int((time.time() - _duration(since)) * 1000) if since else None
        last_id = 0
        while True:
            for event in store.query(name, start_ms=start_ms, contains=text, after_id=last_id):
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event.timestamp_ms / 1000))
                click.echo(f"{stamp}.{event.timestamp_ms % 1000:03d}Z {_colour(event.message)}", color=None)
                last_id = event.id
            if not tail:
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


# -- helpers ------------------------------------------------------------------------------------


def _read_event(event_file: str | None, payload: str | None) -> bytes:
    if payload is not None:
        text, source = payload, "--payload"
    elif event_file == "-":
        text, source = sys.stdin.read(), "standard input"
    elif event_file is not None:
        try:
            text, source = Path(event_file).read_text(), event_file
        except OSError as exc:
            raise Failure(f"cannot read the event file {event_file}: {exc.strerror}") from None
    else:
        return b"{}"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise Failure(f"the event in {source} is not valid JSON: {exc}") from None
    return text.encode()


def _source(template, parameter_overrides, env_vars) -> ProjectSource:
    template_path = (template or find_template(Path.cwd())).resolve()
    if not template_path.is_file():
        raise TemplateError("no such template file", path=str(template_path))
    return ProjectSource(template_path, parse_parameter_overrides(list(parameter_overrides)), read_env_vars(env_vars))


def _state_dir(source: ProjectSource, state_dir: Path | None) -> Path:
    return Path(state_dir) if state_dir else source.template_path.parent / ".lambdahost"


def _load(template, parameter_overrides, env_vars, state_dir):
    try:
        source = _source(template, parameter_overrides, env_vars)
        return source, source.load(inline_code_dir=_state_dir(source, state_dir) / "inline")
    except (TemplateError, LambdaError) as exc:
        raise Failure(str(exc)) from None


def _prestart(runtime: str, state_dir: Path):
    """Start the function's fork-server now, so that its interpreter boots while the host's
    modules (asyncio above all) are imported: a one-shot command is that much faster."""
    from .sandbox.interpreter import InterpreterResolver
    from .sandbox.launch import launch

    try:
        interpreter = InterpreterResolver(cache_file=Path(state_dir) / "interpreters.json").resolve(runtime)
    except LambdaError:
        return None  # the host reports it, in its own words
    return interpreter, launch(interpreter.executable)


class _workspace:
    """A host running the template's functions, for the length of one command."""

    def __init__(self, source: ProjectSource, state_dir: Path, prestarted=None) -> None:
        self.source = source
        self.state_dir = state_dir
        self.prestarted = prestarted

    def __enter__(self):
        from .host import Host
        from .workspace import Workspace

        self.host = Host(state_dir=self.state_dir)
        try:
            if self.prestarted:
                self.host.call(lambda host: host.invoker.adopt(*self.prestarted))
            self.host.call(Workspace, self.source)
        except (TemplateError, LambdaError) as exc:
            self.host.close()
            raise Failure(str(exc)) from None
        return self.host

    def __exit__(self, *exc) -> None:
        self.host.close()


def _pick(project, name: str | None):
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


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+)\s*([smhd])", text.strip())
    if not match:
        raise Failure(f"--since takes a number and a unit (30s, 10m, 2h, 1d), got '{text}'")
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


_STYLES = (
    (re.compile(r"^(START|END|INIT_START) "), {"fg": "cyan"}),
    (re.compile(r"^(REPORT|INIT_REPORT) "), {"fg": "cyan", "bold": True}),
    (re.compile(r"^\[ERROR\]|^Runtime\.|^RequestId: .* Error: |Task timed out"), {"fg": "red"}),
    (re.compile(r"^\[WARNING\]"), {"fg": "yellow"}),
)


def _colour(line: str) -> str:
    for pattern, style in _STYLES:
        if pattern.search(line):
            return click.style(line, **style)
    return line


def _print_log(log: str) -> None:
    for line in log.splitlines():
        click.echo(_colour(line), err=True)  # click drops the colour when stderr is not a terminal
