"""The Runtime API (``/2018-06-01/runtime/...``) of one execution environment, for custom runtimes.

A runtime's ``bootstrap`` polls ``GET invocation/next``, handles the event, and posts the result
to ``invocation/{id}/response`` or ``/error`` — AWS's own runtime interface client, or a shell
script with curl. Each environment gets its own server on a loopback port, named to the
runtime in ``AWS_LAMBDA_RUNTIME_API``. What the runtime says becomes the frames the Python
runtime sends over its socket, so both kinds of environment share one lifecycle.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections import deque
from collections.abc import Callable

import h11

from ..model import limits
from ..runtime import protocol
from .exposure import HostCheck

PREFIX = "/2018-06-01/runtime/"
_LOOPBACK = HostCheck("127.0.0.1")
_HEADERS = (
    ("requestId", "Lambda-Runtime-Aws-Request-Id"),
    ("deadlineMs", "Lambda-Runtime-Deadline-Ms"),
    ("invokedFunctionArn", "Lambda-Runtime-Invoked-Function-Arn"),
    ("traceId", "Lambda-Runtime-Trace-Id"),
    ("clientContext", "Lambda-Runtime-Client-Context"),
    ("cognitoIdentity", "Lambda-Runtime-Cognito-Identity"),
    ("tenantId", "Lambda-Runtime-Aws-Tenant-Id"),
)


# A request's line and headers: the X-Ray error cause header alone may be 1 MiB, as Lambda's
# Runtime API takes it (a deep RecursionError's stack), where h11 stops at 16 KiB by default.
MAX_HEAD = 1024 * 1024 + 64 * 1024


class RuntimeApiServer:
    def __init__(self, push: Callable[[tuple | None], None], peak_memory_kb: Callable[[], int]) -> None:
        self._push = push
        self._peak_memory_kb = peak_memory_kb
        self._queue: deque[tuple[dict[str, str], bytes]] = deque()
        self._arrived: asyncio.Event = asyncio.Event()
        self._current: str | None = None
        self._streamed = 0  # the size of the streamed response being read
        self._initialised = False
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    def deliver(self, meta: dict, payload: bytes) -> None:
        self._queue.append((meta, payload))
        self._arrived.set()

    @property
    def waiting(self) -> bool:
        """Whether an invocation delivered has not been taken yet (``invocation/next``)."""
        return bool(self._queue)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._connections:
            task.cancel()  # a runtime waiting in invocation/next is let go

    # -- HTTP ---------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        task = asyncio.current_task()
        self._connections.add(task)
        try:
            while True:
                request, body, trailers = await _read_request(connection, reader, self._stream_of)
                if request is None:
                    return
                status, headers, payload = await self._handle(request, body, trailers)
                headers = [*headers, ("Content-Length", str(len(payload)))]
                writer.write(connection.send(h11.Response(status_code=status, headers=headers)))
                writer.write(connection.send(h11.Data(data=payload)) + connection.send(h11.EndOfMessage()))
                await writer.drain()
                if connection.our_state is h11.MUST_CLOSE:
                    return
                connection.start_next_cycle()
        except (ConnectionError, h11.RemoteProtocolError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self._connections.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, request: h11.Request, body: bytes, trailers: dict) -> tuple[int, list, bytes]:
        method = request.method.decode()
        path = request.target.decode().split("?")[0]
        if not path.startswith(PREFIX):
            return _error(404, "NotFound", f"No Runtime API route for {method} {path}")
        route = path[len(PREFIX) :].split("/")
        headers = {k.decode().lower(): v.decode() for k, v in request.headers}
        refusal = _LOOPBACK.refusal(headers.get("host"))
        if refusal is not None:  # a web page, through DNS rebinding, taking the function's events
            return _error(refusal.status, refusal.code, refusal.message)
        if method == "GET" and route == ["invocation", "next"]:
            return await self._next()
        if method == "POST" and route == ["init", "error"]:
            return self._init_error(headers, body)
        if method == "POST" and len(route) == 3 and route[0] == "invocation" and route[2] in ("response", "error"):
            if route[1] != self._current:
                return _error(400, "InvalidRequestID", "Invalid request ID")
            if route[2] == "error":
                return self._function_error(body, headers)
            return self._response(body, headers, trailers)
        return _error(404, "NotFound", f"No Runtime API route for {method} {path}")

    async def _next(self) -> tuple[int, list, bytes]:
        if self._current is not None:
            return _error(
                403,
                "InvalidStateTransition",
                f"State transition from Running to Ready failed: the invocation {self._current} has no response yet",
            )
        if not self._initialised:
            self._initialised = True
            self._push((protocol.INIT_DONE, {}, b""))
        while not self._queue:
            self._arrived.clear()
            await self._arrived.wait()
        meta, payload = self._queue.popleft()
        self._current = meta["requestId"]
        headers = [(name, meta[key]) for key, name in _HEADERS if key in meta]
        return 200, [("Content-Type", "application/json"), *headers], payload

    def _stream_of(self, request: h11.Request) -> Callable[[bytes], None] | None:
        """Where a streamed response's parts go as they arrive: the environment, as CHUNK frames
        (``Environment._run`` hands them on); None for any other request, read whole."""
        streaming = any(
            name.lower() == b"lambda-runtime-function-response-mode" and value == b"streaming"
            for name, value in request.headers
        )
        target = request.target.decode().split("?")[0]
        if not streaming or self._current is None or target != f"{PREFIX}invocation/{self._current}/response":
            return None
        content_type = next(
            (value.decode() for name, value in request.headers if name.lower() == b"content-type"),
            "application/octet-stream",
        )
        self._streamed = 0

        def chunk(data: bytes) -> None:
            self._streamed += len(data)
            if self._streamed <= limits.STREAMED_RESPONSE_BYTES:  # beyond it, the response ends in an error
                self._push((protocol.CHUNK, {"contentType": content_type}, data))

        return chunk

    def _response(self, body: bytes, headers: dict, trailers: dict) -> tuple[int, list, bytes]:
        """The invocation's response; a streamed one (``Lambda-Runtime-Function-Response-Mode:
        streaming``, chunked) may end in trailers that make it an error, the way a runtime fails
        a stream it has begun."""
        mode = headers.get("lambda-runtime-function-response-mode")
        if mode is not None and mode != "streaming":
            return _error(400, "InvalidFunctionResponseMode", f"Invalid response mode: {mode}")
        self._current = None
        error_type = trailers.get("lambda-runtime-function-error-type")
        if mode == "streaming" and error_type:
            try:
                error = base64.b64decode(trailers.get("lambda-runtime-function-error-body", ""), validate=True)
            except ValueError:
                error = b""
            self._push_outcome(protocol.ERROR, {"errorType": error_type}, error or b"{}")
            return 202, [("Content-Type", "application/json")], b'{"status":"OK"}'
        limit = limits.STREAMED_RESPONSE_BYTES if mode == "streaming" else limits.SYNC_RESPONSE_BYTES
        if (self._streamed if mode == "streaming" else len(body)) > limit:
            message = f"Exceeded maximum allowed payload size ({limit} bytes)."
            error = {
                "errorMessage": f"Response payload size exceeded maximum allowed payload size ({limit} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
            self._push_outcome(protocol.ERROR, {"errorType": error["errorType"]}, json.dumps(error).encode())
            return _error(413, "RequestEntityTooLarge", message)
        content_type = headers.get("content-type") or "application/json"
        self._push_outcome(protocol.RESULT, {"contentType": content_type}, body)
        return 202, [("Content-Type", "application/json")], b'{"status":"OK"}'

    def _function_error(self, body: bytes, headers: dict) -> tuple[int, list, bytes]:
        self._current = None
        self._push_outcome(protocol.ERROR, {"errorType": _error_type(body, headers)}, body)
        return 202, [("Content-Type", "application/json")], b'{"status":"OK"}'

    def _push_outcome(self, kind: int, meta: dict[str, str], body: bytes) -> None:
        """An invocation's outcome as the Python runtime's frame carries it, with the peak memory."""
        self._push((kind, {**meta, "maxRssKb": str(self._peak_memory_kb())}, body))

    def _init_error(self, headers: dict, body: bytes) -> tuple[int, list, bytes]:
        if self._initialised:
            return _error(403, "InvalidStateTransition", "State transition from Ready to InitError failed")
        self._initialised = True
        self._push((protocol.INIT_ERROR, {"errorType": _error_type(body, headers)}, body))
        return 202, [("Content-Type", "application/json")], b'{"status":"OK"}'


def _error_type(body: bytes, headers: dict) -> str:
    header = headers.get("lambda-runtime-function-error-type")
    if header:
        return header
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(body).get("errorType") or "Runtime.Unknown"
    return "Runtime.Unknown"


def _error(status: int, error_type: str, message: str) -> tuple[int, list, bytes]:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return status, [("Content-Type", "application/json")], body


async def _read_request(
    connection: h11.Connection,
    reader: asyncio.StreamReader,
    stream_of: Callable[[h11.Request], Callable[[bytes], None] | None],
):
    """One request, its body and its trailers (lower-cased names); (None, b"", {}) when the client
    closed the connection. A request ``stream_of`` gives a sink for has its body handed there as
    it arrives instead."""
    request, chunks, sink = None, [], None
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            connection.receive_data(data)
            if not data and request is None:
                return None, b"", {}
            continue
        if isinstance(event, h11.Request):
            request, sink = event, stream_of(event)
        elif isinstance(event, h11.Data) and sink is not None:
            sink(event.data)
        elif isinstance(event, h11.Data):
            chunks.append(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return request, b"".join(chunks), {k.decode().lower(): v.decode() for k, v in event.headers}
        elif isinstance(event, h11.ConnectionClosed):
            return None, b"", {}
