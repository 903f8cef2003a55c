"""lambdahost's own HTTP calls, beside the Lambda API: publish to a local SNS topic, put events
on the local EventBridge, send to a local queue. They answer 409 when no template is served."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..events.sqs import content_based
from ..store.queues import QueueError


def local_routes(workspace: Callable[[], object | None]) -> list[Route]:
    async def publish(request: Request) -> JSONResponse:
        current = workspace()
        if current is None:
            return JSONResponse({"message": "no template is served"}, status_code=409)
        body = await request.json()
        ids = await current.publish(
            body.get("TopicArn") or body["Topic"], body["Message"], body.get("Subject"), body.get("MessageAttributes")
        )
        return JSONResponse({"RequestIds": ids})

    async def put_events(request: Request) -> JSONResponse:
        current = workspace()
        if current is None:
            return JSONResponse({"message": "no template is served"}, status_code=409)
        entries = (await request.json()).get("Entries") or []
        ids = []
        for entry in entries:
            detail = entry.get("Detail", "{}")
            ids += await current.put_event(
                entry["Source"],
                entry["DetailType"],
                json.loads(detail) if isinstance(detail, str) else detail,
                entry.get("EventBusName", "default"),
                entry.get("Resources"),
            )
        return JSONResponse({"RequestIds": ids})

    async def send_message(request: Request) -> JSONResponse:
        current = workspace()
        if current is None:
            return JSONResponse({"message": "no template is served"}, status_code=409)
        body = await request.json()
        queue = request.path_params["queue"]
        try:
            message_id = current.host.queues.send(
                queue,
                body["MessageBody"],
                body.get("MessageAttributes"),
                group_id=body.get("MessageGroupId"),
                dedup_id=body.get("MessageDeduplicationId"),
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
