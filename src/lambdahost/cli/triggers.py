"""Commands that stand in for the services which trigger functions: EventBridge, SNS, SQS, schedules.

EventBridge and SNS deliveries are asynchronous invocations, queued in the state folder for
``lambdahost serve`` to run, as the real services hand them to Lambda's own queue.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import click

from ..errors import LambdaError
from ..statefolder import state_folder
from ..template.errors import TemplateError
from ..template.index import ProjectIndex
from .common import Failure, invoke_once, load, pick, project_source, read_json, template_options

_ATTRIBUTE_TYPES = ("String", "Number", "String.Array", "Binary")


def _attribute_option(example: str):
    return click.option(
        "--attribute",
        "attributes",
        multiple=True,
        metavar="NAME=TYPE:VALUE",
        help=f"A message attribute, e.g. {example} (repeatable).",
    )


@click.group(name="events")
def events_group() -> None:
    """EventBridge: put events for the template's rules to deliver."""


@events_group.command(name="put")
@click.option("--source", required=True, help="The event's source, e.g. com.example.orders.")
@click.option("--detail-type", required=True, help="The event's detail-type.")
@click.option("--detail", default="{}", show_default=True, help="The event's detail, as JSON.")
@click.option("--bus", default="default", show_default=True, help="The event bus.")
@click.option("--resource", "resources", multiple=True, help="An ARN for the event's resources (repeatable).")
@template_options
def events_put(source, detail_type, detail, bus, resources, template, parameter_overrides, env_vars, state_dir):
    """Queue an event: each rule whose pattern matches invokes its function asynchronously."""
    detail = read_json(detail, "--detail")
    template_source, project = load(template, parameter_overrides, env_vars, state_dir)
    sources = _sources(project)
    deliveries = sources.put_event(sources.envelope(source, detail_type, detail, list(resources)), bus)
    _enqueue(state_folder(template_source.template_path, state_dir), deliveries, "no rule matches this event")


@click.group(name="sns")
def sns_group() -> None:
    """SNS: publish to the template's topics."""


@sns_group.command(name="publish")
@click.argument("topic")
@click.argument("message")
@click.option("--subject", help="The message's subject.")
@_attribute_option("color=String:red or size=Number:3")
@template_options
def sns_publish(topic, message, subject, attributes, template, parameter_overrides, env_vars, state_dir):
    """Queue a message: each subscribed function whose filter policy passes is invoked asynchronously."""
    parsed = _attributes(attributes)
    source, project = load(template, parameter_overrides, env_vars, state_dir)
    deliveries = _sources(project).publish(topic, message, subject, parsed)
    _enqueue(
        state_folder(source.template_path, state_dir),
        deliveries,
        f"no function subscribes to {topic} with a filter policy that passes",
    )


@click.group(name="sqs")
def sqs_group() -> None:
    """SQS: send to local queues."""


@sqs_group.command(name="send")
@click.argument("queue")
@click.argument("body")
@_attribute_option("color=String:red")
@click.option("--group-id", help="The MessageGroupId: a FIFO queue's order, a standard queue's fair share.")
@click.option("--deduplication-id", help="A FIFO queue's MessageDeduplicationId (unless it deduplicates by content).")
@template_options
def sqs_send(
    queue, body, attributes, group_id, deduplication_id, template, parameter_overrides, env_vars, state_dir
) -> None:
    """Send a message to a queue; lambdahost serve's event source mappings deliver it."""
    from ..store.queues import QueueError, QueueStore
    from ..triggers.sqs import content_based

    parsed = _attributes(attributes)
    source = project = None  # a queue needs no template: send to the state folder here
    with contextlib.suppress(TemplateError, LambdaError):
        source = project_source(template, parameter_overrides, env_vars)
        project = source.load(inline_code_dir=state_folder(source.template_path, state_dir) / "inline")
    state = state_folder(source.template_path if source else None, state_dir)
    state.mkdir(parents=True, exist_ok=True)
    store = QueueStore(state / "state.db")
    name = queue.rsplit(":", 1)[-1]
    try:
        message_id = store.send(
            name,
            body,
            parsed,
            group_id=group_id,
            dedup_id=deduplication_id,
            content_based=content_based(project, name),
        )
    except QueueError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(message_id)


@click.group(name="schedule")
def schedule_group() -> None:
    """Schedules: fire one now."""


@schedule_group.command(name="run")
@click.argument("function")
@click.argument("event", required=False)
@template_options
def schedule_run(function, event, template, parameter_overrides, env_vars, state_dir) -> None:
    """Fire a function's schedule now: invoke it with what the schedule delivers, and print the result."""
    import datetime as dt

    source, project = load(template, parameter_overrides, env_vars, state_dir)
    chosen = pick(ProjectIndex.of(project), function)
    sources = _sources(project)
    triggers = [t for t in sources.schedules() if t.function_name == chosen.name and event in (None, t.event_name)]
    if not triggers:
        raise Failure(f"{chosen.logical_id} has no schedule" + (f" named {event}" if event else ""))
    payload = sources.scheduled_event(triggers[0], dt.datetime.now(dt.timezone.utc))
    invoke_once(source, project, state_folder(source.template_path, state_dir), chosen, payload)


def _attributes(items: tuple[str, ...]) -> dict[str, dict]:
    parsed = {}
    for item in items:
        name, _, typed = item.partition("=")
        kind, separator, value = typed.partition(":")
        if not name or kind not in _ATTRIBUTE_TYPES or not separator:
            types = ", ".join(_ATTRIBUTE_TYPES)
            raise Failure(f"--attribute takes NAME=TYPE:VALUE (TYPE one of {types}), got '{item}'")
        parsed[name] = {"Type": kind, "Value": value}
    return parsed


def _sources(project):
    from ..settings import HostSettings
    from ..triggers.sources import Sources

    settings = HostSettings()
    return Sources(project, settings.region, settings.account_id)


def _enqueue(state: Path, deliveries, nothing: str) -> None:
    """Queue asynchronous invocations in the state folder, where ``lambdahost serve`` runs them."""
    from ..invoker.invoker import new_request_id
    from ..store.async_queue import AsyncEvent, EventStore

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
