"""The one endpoint for every AWS service: calls signed for another service than Lambda arrive on
the Lambda API's port and go on to the local AWS (or the emulator given with
``--aws-endpoint-url``), unchanged, so boto3, the AWS CLI and a handler's SDK need only
``AWS_ENDPOINT_URL``.

On the way back lambdahost acts on the calls its triggers listen to, as the real services
notify Lambda: an object created in or deleted from a bucket (S3 notifications), a message
published to a topic (SNS subscriptions), events put on a bus (EventBridge rules). A queue of
the template is lambdahost's own, durable across ``kill -9`` (``store/queues.py``): its sends,
receives and deletes are answered here, in SQS's JSON protocol; its other calls (attributes, the
URL) go on to the copy the local AWS holds.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import struct
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, quote, unquote
from xml.etree import ElementTree

import httpx
from starlette.responses import Response

from ..errors import LambdaError
from ..store.queues import Message, QueueError
from ..triggers.sqs import content_based
from .responses import error_response
from .sigv4 import SignatureVerifier

log = logging.getLogger("lambdahost")

_SCOPE = re.compile(rb"Credential=[^/,\s]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_QUERY_SCOPE = re.compile(rb"X-Amz-Credential=[^&]*%2F([a-z0-9-]+)%2Faws4_request", re.IGNORECASE)
_HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"host", b"expect"}
_SQS_JSON = "application/x-amz-json-1.0"
# A call of lambdahost's own to the emulator, which tells services apart by the signature's scope
# (and checks no signature).
_S3_SCOPE = {"authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/s3/aws4_request, Signature=0"}


def signed_for(headers: dict[bytes, bytes], query: bytes) -> str | None:
    """The service a request is signed for (SigV4's credential scope), None if it is not signed."""
    match = _SCOPE.search(headers.get(b"authorization", b""))
    if match is None and b"X-Amz-Credential" in query:
        match = _QUERY_SCOPE.search(query)
    return match[1].decode() if match else None


class AwsProxy:
    def __init__(
        self,
        upstream: str,
        ready: Callable[[], Awaitable[None]],
        workspace: Callable,
        verifier: SignatureVerifier | None = None,
    ) -> None:
        """``ready``: awaited before a call is passed on (the template's resources exist by
        then); ``workspace``: the served template's, or None; ``verifier``: calls must be signed
        with the host's credentials (served past loopback)."""
        self.ready = ready
        self._workspace = workspace
        self._verifier = verifier
        self._client = httpx.AsyncClient(base_url=upstream, timeout=300.0)

    async def close(self) -> None:
        await self._client.aclose()

    async def __call__(self, scope, receive, send, service: str) -> None:
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.lower(): v for k, v in scope["headers"]}
        if self._verifier is not None:
            try:
                self._verifier.verify(
                    scope["method"],
                    (scope["raw_path"] or scope["path"].encode()).decode("latin-1"),
                    scope["query_string"].decode("latin-1"),
                    {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()},
                    bytes(body),
                )
            except LambdaError as exc:
                return await error_response(exc)(scope, receive, send)
        request = _Request(
            scope["method"], scope["raw_path"] or scope["path"].encode(), scope["query_string"], headers, bytes(body)
        )
        if service == "sqs":
            answer = await self._template_queue(request)
            if answer is not None:
                return await answer(scope, receive, send)
        await self.ready()
        upstream, content = await self._forward(request)
        if 200 <= upstream.status_code < 300:
            try:
                await self._observe(service, request)
            except Exception:  # what a trigger makes of a call never fails the call itself
                log.exception(
                    "local AWS: the triggers of a %s %s %s call failed", service, request.method, request.path
                )
        # A HEAD answer's length is the object's, not its empty body's.
        kept = _HOP_BY_HOP - {b"content-length"} if request.method == "HEAD" else _HOP_BY_HOP
        response = Response(content, status_code=upstream.status_code)
        response.raw_headers = [(k, v) for k, v in upstream.headers.raw if k.lower() not in kept]
        if request.method != "HEAD":
            response.raw_headers.append((b"content-length", str(len(content)).encode()))
        await response(scope, receive, send)

    async def _forward(self, request: _Request) -> tuple[httpx.Response, bytes]:
        """The upstream's answer, and its body as sent: never decoded (an S3 object stored with
        ``Content-Encoding: gzip`` goes back gzipped, with its header, as S3 gives it)."""
        url = request.path.decode("latin-1") + (f"?{request.query.decode('latin-1')}" if request.query else "")
        headers = [(k, v) for k, v in request.headers.items() if k not in _HOP_BY_HOP]
        outgoing = self._client.build_request(request.method, url, headers=headers, content=request.body)
        answer = await self._client.send(outgoing, stream=True)
        try:
            return answer, b"".join([chunk async for chunk in answer.aiter_raw()])
        finally:
            await answer.aclose()

    # -- triggers -----------------------------------------------------------------------------

    async def _observe(self, service: str, request: _Request) -> None:
        workspace = self._workspace()
        if workspace is None:
            return
        trace = _trace_header(request)
        if service == "s3":
            for name, bucket, key in _s3_changes(request):
                size = etag = None
                if name.startswith("ObjectCreated"):
                    head = await self._client.head(f"/{bucket}/{quote(key, safe='/')}", headers=_S3_SCOPE)
                    size, etag = int(head.headers.get("content-length", 0)), head.headers.get("etag", "").strip('"')
                await workspace.notify_object(bucket, name, key, size, etag, trace_header=trace)
        elif service == "sns":
            params = _form(request.body)
            if params.get("Action") == "Publish":
                await workspace.publish(*_sns_message(params, ""), trace_header=trace)
            elif params.get("Action") == "PublishBatch":
                index = 1
                while f"PublishBatchRequestEntries.member.{index}.Message" in params:
                    entry = _sns_message(params, f"PublishBatchRequestEntries.member.{index}.")
                    await workspace.publish(*entry, trace_header=trace)
                    index += 1
        elif service == "events" and request.headers.get(b"x-amz-target") == b"AWSEvents.PutEvents":
            for entry in json.loads(request.body).get("Entries", []):
                await workspace.put_event(
                    entry.get("Source"),
                    entry.get("DetailType"),
                    json.loads(entry.get("Detail") or "{}"),
                    str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1],
                    entry.get("Resources"),
                )

    # -- the template's queues ----------------------------------------------------------------

    async def _template_queue(self, request: _Request) -> Response | None:
        """SQS's answer for a call on a queue of the template; None for any other call."""
        target = request.headers.get(b"x-amz-target", b"").decode()
        operation = target.removeprefix("AmazonSQS.")
        handler = getattr(self, f"_sqs_{operation}", None) if target.startswith("AmazonSQS.") else None
        workspace = self._workspace()
        if handler is None or workspace is None:
            return None
        params = json.loads(request.body or b"{}")
        queue = str(params.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
        if not any(q.name == queue and not q.external for q in workspace.project.queues.values()):
            return None
        try:
            answer = await handler(workspace, queue, params, _trace_header(request))
        except QueueError as exc:
            return _sqs_error("InvalidParameterValue", str(exc))
        except (KeyError, TypeError, ValueError) as exc:
            return _sqs_error("InvalidParameterValue", f"the request is not one SQS takes: {exc}")
        return Response(json.dumps(answer), media_type=_SQS_JSON)

    async def _sqs_SendMessage(self, workspace, queue: str, params: dict, trace: str | None) -> dict:
        return self._send(workspace, queue, params, trace)

    async def _sqs_SendMessageBatch(self, workspace, queue: str, params: dict, trace: str | None) -> dict:
        sent, failed = [], []
        for entry in params["Entries"]:
            try:
                sent.append({"Id": entry["Id"], **self._send(workspace, queue, entry, trace)})
            except QueueError as exc:
                failed.append(
                    {"Id": entry["Id"], "SenderFault": True, "Code": "InvalidParameterValue", "Message": str(exc)}
                )
        return {"Successful": sent, "Failed": failed}

    def _send(self, workspace, queue: str, params: dict, trace: str | None) -> dict:
        attributes = {
            name: {"Type": value["DataType"], "Value": value.get("StringValue", value.get("BinaryValue"))}
            for name, value in (params.get("MessageAttributes") or {}).items()
        }
        body = params["MessageBody"]
        message_id = workspace.host.queues.send(
            queue,
            body,
            attributes,
            group_id=params.get("MessageGroupId"),
            dedup_id=params.get("MessageDeduplicationId"),
            content_based=content_based(workspace.project, queue),
            trace_header=trace,
        )
        answer = {"MessageId": message_id, "MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}
        if attributes:
            answer["MD5OfMessageAttributes"] = md5_of_attributes(params["MessageAttributes"])
        return answer

    async def _sqs_ReceiveMessage(self, workspace, queue: str, params: dict, trace: str | None) -> dict:
        definition = next(q for q in workspace.project.queues.values() if q.name == queue)
        limit = int(params.get("MaxNumberOfMessages", 1))
        visibility = float(params.get("VisibilityTimeout", definition.visibility_timeout))
        wait_until = time.monotonic() + float(params.get("WaitTimeSeconds", 0))
        while not (messages := workspace.host.queues.receive(queue, limit, visibility)):
            if time.monotonic() >= wait_until:
                break
            await asyncio.sleep(0.1)
        return {"Messages": [_received(message) for message in messages]} if messages else {}

    async def _sqs_DeleteMessage(self, workspace, queue: str, params: dict, trace: str | None) -> dict:
        workspace.host.queues.delete([_message_id(params["ReceiptHandle"])])
        return {}

    async def _sqs_DeleteMessageBatch(self, workspace, queue: str, params: dict, trace: str | None) -> dict:
        workspace.host.queues.delete([_message_id(entry["ReceiptHandle"]) for entry in params["Entries"]])
        return {"Successful": [{"Id": entry["Id"]} for entry in params["Entries"]], "Failed": []}


class _Request:
    __slots__ = ("method", "path", "query", "headers", "body")

    def __init__(self, method: str, path: bytes, query: bytes, headers: dict[bytes, bytes], body: bytes) -> None:
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body


def _trace_header(request: _Request) -> str | None:
    """The X-Ray header of a call: a handler's SDK sends its invocation's, and with it the chain
    of events a recursive loop is found by (``invoker/recursion.py``)."""
    header = request.headers.get(b"x-amzn-trace-id")
    return header.decode("latin-1") if header else None


def _received(message: Message) -> dict:
    """A message as ReceiveMessage gives it; its receipt handle carries its id, as the store deletes by id."""
    shaped = {
        "MessageId": message.message_id,
        "ReceiptHandle": f"{message.message_id}#{message.receipt}",
        "MD5OfBody": message.md5_of_body,
        "Body": message.body,
    }
    if message.attributes:
        attributes = {
            name: {"DataType": a["Type"], "StringValue": a["Value"]} for name, a in message.attributes.items()
        }
        shaped["MessageAttributes"] = attributes
        shaped["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
    return shaped


def _message_id(receipt_handle: str) -> str:
    return receipt_handle.split("#", 1)[0]


def md5_of_attributes(attributes: dict) -> str:
    """SQS's digest of message attributes: for each, by name, the name, the data type, a transport
    byte and the value, each length-prefixed (the SDKs check it)."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        for text in (name, data_type):
            encoded = text.encode()
            digest.update(struct.pack(">I", len(encoded)) + encoded)
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            raw = base64.b64decode(raw) if isinstance(raw, str) else raw
            digest.update(b"\x02" + struct.pack(">I", len(raw)) + raw)
        else:
            raw = str(value["StringValue"]).encode()
            digest.update(b"\x01" + struct.pack(">I", len(raw)) + raw)
    return digest.hexdigest()


def _sqs_error(code: str, message: str) -> Response:
    body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message})
    return Response(body, status_code=400, media_type=_SQS_JSON, headers={"x-amzn-query-error": f"{code};Sender"})


def _s3_changes(request: _Request) -> list[tuple[str, str, str]]:
    """(event name, bucket, key) for each object a successful S3 call created or deleted."""
    path = unquote(request.path.decode("latin-1"))
    bucket, _, key = path.lstrip("/").partition("/")
    query = parse_qs(request.query.decode("latin-1"), keep_blank_values=True)
    query.pop("x-id", None)
    if request.method == "PUT" and key and not query:
        copied = b"x-amz-copy-source" in request.headers
        return [("ObjectCreated:Copy" if copied else "ObjectCreated:Put", bucket, key)]
    if request.method == "POST" and key and list(query) == ["uploadId"]:
        return [("ObjectCreated:CompleteMultipartUpload", bucket, key)]
    if request.method == "DELETE" and key and not query:
        return [("ObjectRemoved:Delete", bucket, key)]
    if request.method == "POST" and not key and "delete" in query:
        root = ElementTree.fromstring(request.body)
        keys = [element.text or "" for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Key"]
        return [("ObjectRemoved:Delete", bucket, k) for k in keys]
    return []


def _form(body: bytes) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


def _sns_message(params: dict[str, str], prefix: str) -> tuple[str, str, str | None, dict]:
    """(topic, message, subject, attributes) of a Publish, or of one entry of a PublishBatch."""
    topic = params.get("TopicArn") or params.get("TargetArn") or ""
    message = params[f"{prefix}Message"]
    if params.get(f"{prefix}MessageStructure") == "json":  # one message per protocol
        variants = json.loads(message)
        message = variants.get("lambda", variants.get("default", message))
    attributes = {}
    index = 1
    while f"{prefix}MessageAttributes.entry.{index}.Name" in params:
        entry = f"{prefix}MessageAttributes.entry.{index}."
        value = params.get(entry + "Value.StringValue", params.get(entry + "Value.BinaryValue", ""))
        attributes[params[entry + "Name"]] = {"Type": params[entry + "Value.DataType"], "Value": value}
        index += 1
    return topic, message, params.get(f"{prefix}Subject"), attributes
