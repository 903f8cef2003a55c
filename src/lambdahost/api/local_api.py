"""lambdahost's own HTTP calls, beside the Lambda API: publish to a local SNS topic, put events
on the local EventBridge, send to a local queue. They answer 409 when no template is served, and
400 with what is wrong for a body they cannot take."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..errors import LambdaError
from ..store.queues import QueueError
from ..triggers.sqs import content_based
from .model import json_object


class _BadInput(Exception):
    pass


_KINDS = {str: "a string", dict: "an object", list: "a list"}


async def _object(request: Request) -> dict[str, Any]:
    try:
        return json_object(await request.body())
    except LambdaError as exc:
        raise _BadInput(exc.message) from None


def _field(body: dict, name: str, kind: type, default: Any = ...) -> Any:
    """``body[name]``, which must be of ``kind``; ``default`` when it may be left out."""
    value = body.get(name)
    if value is None:
        if default is ...:
            raise _BadInput(f"{name} is required")
        return default
    if not isinstance(value, kind):
        raise _BadInput(f"{name} must be {_KINDS[kind]}")
    return value


def local_routes(workspace: Callable[[], object | None]) -> list[Route]:
    def served(handler: Callable[[Any, Request], Awaitable[JSONResponse]]):
        """The route: 409 without a template, 400 for a body it cannot take."""

        async def endpoint(request: Request) -> JSONResponse:
            current = workspace()
            if current is None:
                return JSONResponse({"message": "no template is served"}, status_code=409)
            try:
                return await handler(current, request)
            except _BadInput as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)

        return endpoint

    @served
    async def publish(current, request: Request) -> JSONResponse:
        body = await _object(request)
        topic = body.get("TopicArn") or body.get("Topic")
        if not isinstance(topic, str):
            raise _BadInput("TopicArn (or Topic) is required, as a string")
        ids = await current.publish(
            topic,
            _field(body, "Message", str),
            _field(body, "Subject", str, None),
            _field(body, "MessageAttributes", dict, None),
        )
        return JSONResponse({"RequestIds": ids})

    @served
    async def put_events(current, request: Request) -> JSONResponse:
        ids = []
        for index, entry in enumerate(_field(await _object(request), "Entries", list, [])):
            if not isinstance(entry, dict):
                raise _BadInput(f"Entries[{index}] must be an object")
            detail = entry.get("Detail", "{}")
            try:
                detail = json.loads(detail) if isinstance(detail, str) else detail
            except (ValueError, RecursionError):
                raise _BadInput(f"Entries[{index}].Detail is not JSON") from None
            ids += await current.put_event(
                _field(entry, "Source", str),
                _field(entry, "DetailType", str),
                detail,
                _field(entry, "EventBusName", str, "default"),
                _field(entry, "Resources", list, None),
            )
        return JSONResponse({"RequestIds": ids})

    @served
    async def send_message(current, request: Request) -> JSONResponse:
        body = await _object(request)
        queue = request.path_params["queue"]
        try:
            message_id = current.host.queues.send(
                queue,
                _field(body, "MessageBody", str),
                _field(body, "MessageAttributes", dict, None),
                group_id=_field(body, "MessageGroupId", str, None),
                dedup_id=_field(body, "MessageDeduplicationId", str, None),
                content_based=content_based(current.project, queue),
            )
        except QueueError as exc:
            return JSONResponse({"message": str(exc)}, status_code=400)
        return JSONResponse({"MessageId": message_id})

    return [
        Route("/_lambdahost/sns/publish", publish, methods=["POST"]),
        Route("/_lambdahost/events/put", put_events, methods=["POST"]),
        Route("/_lambdahost/sqs/{queue}/messages", send_message, methods=["POST"]),
    ]
