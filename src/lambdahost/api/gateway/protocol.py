"""HTTP/1.1 on the API port: httptools parses each request, the gateway answers it.

API Gateway takes a whole request and gives back a whole response, so its port needs none of
ASGI's streaming: no scope, no message dicts, no receive and send coroutines. Parsing straight
into an ``HttpRequest`` and writing the response with one ``write`` took the serving process's
CPU per request at 8 connections from 132 to 112 µs against uvicorn (docs/performance.md). The
Lambda API and the console stay on uvicorn.

What a client may rely on: keep-alive (closed after 5 s idle, as uvicorn does), ``Connection:
close`` and HTTP/1.0, pipelined requests answered in order, ``Expect: 100-continue``, HEAD, and
a 400 answer to a request that is not HTTP. A stop lets requests in flight finish.
"""

from __future__ import annotations

import asyncio
import collections
import http
import logging
import socket
import time
from email.utils import formatdate
from typing import TYPE_CHECKING

import httptools

from .payloads import HttpRequest, forwarded
from .responses import HTTP_FAILED, HttpResponse, HttpStream

if TYPE_CHECKING:
    from .app import GatewayApp

KEEP_ALIVE_SECONDS = 5.0
_PIPELINE_DEPTH = 16  # requests waiting on one connection before it stops reading more

log = logging.getLogger("lambdahost")

_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in http.HTTPStatus}
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 21\r\n"
    b"connection: close\r\n\r\nInvalid HTTP request."
)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit: a larger body is not read into memory
_TOO_LARGE = (
    b"HTTP/1.1 413 Request Entity Too Large\r\ncontent-type: application/json\r\ncontent-length: 39\r\n"
    b'connection: close\r\n\r\n{"message": "Request Entity Too Large"}'
)


class _Clock:
    """The Date header, formatted once a second rather than once a response."""

    def __init__(self) -> None:
        self._second, self._header = 0, b""

    def date_header(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second, self._header = now, f"date: {formatdate(now, usegmt=True)}\r\n".encode()
        return self._header


class GatewayServer:
    """The listening API port and its open connections, so that a stop can wait for them."""

    def __init__(self, gateway: GatewayApp, listener: socket.socket) -> None:
        self.gateway = gateway
        self.listener = listener
        self.connections: set[GatewayProtocol] = set()
        self.clock = _Clock()
        self.stopping = False
        self._server: asyncio.AbstractServer | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._stopped: asyncio.Future | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: GatewayProtocol(self), sock=self.listener)
        self._sweep()

    def _sweep(self) -> None:
        """Close the connections idle for longer than the keep-alive time. One timer a second for
        all of them costs less than one per connection set at each response."""
        loop = asyncio.get_running_loop()
        for connection in list(self.connections):
            if connection.idle_since is not None and loop.time() - connection.idle_since > KEEP_ALIVE_SECONDS:
                connection.close_if_idle()
        self._sweeper = loop.call_later(1.0, self._sweep)

    async def stop(self, timeout: float) -> None:
        """Take no more connections, close the idle ones, and give those answering a request up
        to ``timeout`` seconds to finish; each closes after its response. A second call waits for
        the stop under way."""
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(self._stop(timeout))
        await asyncio.shield(self._stopped)

    async def _stop(self, timeout: float) -> None:
        self.stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.close_if_idle()
        deadline = time.monotonic() + timeout
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.abort()


class GatewayProtocol(asyncio.Protocol):
    """One client connection. Requests are answered one at a time, in the order they came."""

    def __init__(self, server: GatewayServer) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._source_ip, self._port = "127.0.0.1", 0
        self._waiting: collections.deque[tuple[HttpRequest, bool]] = collections.deque()
        self._arrival: asyncio.Future | None = None  # what the answering task awaits when nothing waits
        self._answerer: asyncio.Task | None = None  # held here: the loop keeps only a weak reference
        self._answering = False
        self._paused = False
        self.idle_since: float | None = None  # the loop's time when the last response went out
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._body_size = 0

    # Connection events

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if peer:
            self._source_ip = peer[0]
        if local:
            self._port = local[1]
        self._server.connections.add(self)
        self._answerer = self._loop.create_task(self._answer())

    def connection_lost(self, exc: Exception | None) -> None:
        """A request being answered goes on to its end (cancelling it would reset its environment)."""
        self._server.connections.discard(self)
        self._waiting.clear()
        self._wake()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no protocol to switch to (API Gateway's WebSocket APIs are not served): answered as HTTP/1.1
        except httptools.HttpParserError:
            self._transport.write(_BAD_REQUEST)
            self._transport.close()

    # Parser callbacks

    def on_message_begin(self) -> None:
        self._url, self._headers, self._body, self._body_size = b"", [], [], 0
        self.idle_since = None

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        value = value.rstrip(b" \t")
        if len(name) == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
            self._transport.write(_CONTINUE)  # the client may wait for it before it sends the body
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > MAX_BODY:
            self._body = []
            if not self._transport.is_closing():
                self._transport.write(_TOO_LARGE)
                self._transport.close()
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._body_size > MAX_BODY:
            return  # answered already
        path, _, query = self._url.decode("latin-1").partition("?")
        request = HttpRequest(
            method=self._parser.get_method().decode("ascii"),
            raw_path=path.partition("#")[0],
            raw_query=query.partition("#")[0],
            headers=forwarded(self._headers, self._source_ip, self._port, "http"),
            body=b"".join(self._body),
            source_ip=self._source_ip,
            protocol=f"HTTP/{self._parser.get_http_version()}",
        )
        self._waiting.append((request, self._parser.should_keep_alive()))
        if len(self._waiting) >= _PIPELINE_DEPTH and not self._paused:
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def _wake(self) -> None:
        if self._arrival is not None and not self._arrival.done():
            self._arrival.set_result(None)

    # Answering

    async def _answer(self) -> None:
        """The connection's requests, in order, for as long as it is open. One task for the whole
        connection, waking on each request, costs less than a task per request."""
        while True:
            while not self._waiting:
                self._answering = False
                if self._transport.is_closing() or self._server.stopping:
                    self._transport.close()
                    return
                self.idle_since = self._loop.time()
                self._arrival = self._loop.create_future()
                await self._arrival
            self._answering = True
            request, keep_alive = self._waiting.popleft()
            try:
                response = await self._server.gateway.handle(request)
            except Exception:
                log.exception("lambdahost: the API port failed to answer %s %s", request.method, request.raw_path)
                response = HTTP_FAILED
            keep_alive = keep_alive and not self._server.stopping
            if isinstance(response, HttpStream):
                keep_alive = await self._stream(response, request.method == "HEAD", keep_alive)
            else:
                self._write(response, request.method == "HEAD", keep_alive)
            if not keep_alive:
                self._transport.close()
                return
            if self._paused:
                self._paused = False
                self._transport.resume_reading()

    def _write(self, response: HttpResponse, head: bool, keep_alive: bool) -> None:
        status = response.status
        parts = [_STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n".encode(), self._server.clock.date_header()]
        parts.append("".join([f"{name}: {value}\r\n" for name, value in response.headers]).encode("latin-1"))
        body = response.body
        if status in (204, 304):  # these carry no body, and so no length
            body = b""
        else:
            parts.append(b"content-length: %d\r\n" % len(body))
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if not head:
            parts.append(body)
        self._transport.write(b"".join(parts))

    async def _stream(self, response: HttpStream, head: bool, keep_alive: bool) -> bool:
        """A streamed response, chunked, each part written as it comes; whether the connection
        can serve another request (not if the stream failed midway: the client sees it cut)."""
        parts = [_STATUS_LINES.get(response.status) or f"HTTP/1.1 {response.status} \r\n".encode()]
        parts.append(self._server.clock.date_header())
        parts.append("".join([f"{name}: {value}\r\n" for name, value in response.headers]).encode("latin-1"))
        parts.append(b"transfer-encoding: chunked\r\n" + (b"" if keep_alive else b"connection: close\r\n") + b"\r\n")
        self._transport.write(b"".join(parts))
        try:
            async for part in response.parts:
                if part and not head and not self._transport.is_closing():
                    self._transport.write(b"%x\r\n%b\r\n" % (len(part), part))
        except Exception:
            log.exception("lambdahost: a streamed response failed midway")
            return False
        if not head:
            self._transport.write(b"0\r\n\r\n")
        return keep_alive

    def close_if_idle(self) -> None:
        if not self._answering and not self._waiting:
            self._transport.close()

    def abort(self) -> None:
        self._transport.abort()
