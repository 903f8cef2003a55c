"""The server's transport sends what one loop turn wrote in one piece, and loses nothing on close.
Real sockets and the event loops serve runs on (uvloop) or falls back to (asyncio's)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
import uvloop

from lambdahost.api.coalescing import CoalescingTransport

Scenario = Callable[[CoalescingTransport, socket.socket], Awaitable[None]]


def _run(runner: Callable, scenario: Scenario) -> list[dict]:
    """Run ``scenario`` with a wrapped transport on one end of a socket pair and the bare other
    end; returns what reached the loop's exception handler."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: errors.append(context))
        ours, peer = socket.socketpair()
        peer.setblocking(False)
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        try:
            await scenario(CoalescingTransport(transport), peer)
        finally:
            transport.close()
            peer.close()

    errors: list[dict] = []
    runner(main())
    return errors


async def _receive(peer: socket.socket) -> bytes:
    """All the peer can read until the other end closes."""
    loop = asyncio.get_running_loop()
    chunks = []
    while chunk := await asyncio.wait_for(loop.sock_recv(peer, 65536), 5):
        chunks.append(chunk)
    return b"".join(chunks)


LOOPS = pytest.mark.parametrize("runner", [uvloop.run, asyncio.run], ids=["uvloop", "asyncio"])


@LOOPS
def test_what_one_turn_writes_leaves_together_at_the_next(runner) -> None:
    async def scenario(transport: CoalescingTransport, peer: socket.socket) -> None:
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
        transport.writelines([b"hel", b"lo"])
        with pytest.raises(BlockingIOError):  # nothing has been sent within the turn
            peer.recv(100)
        await asyncio.sleep(0.05)
        assert peer.recv(100) == b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"
        transport.write(b"next")  # a later turn's writes go out at the turn after it
        await asyncio.sleep(0.05)
        assert peer.recv(100) == b"next"

    assert _run(runner, scenario) == []


@LOOPS
def test_a_close_right_after_a_write_sends_it_first(runner) -> None:
    async def scenario(transport: CoalescingTransport, peer: socket.socket) -> None:
        transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        transport.close()
        assert await _receive(peer) == b"HTTP/1.1 400 Bad Request\r\n\r\n"
        assert transport.is_closing()  # the rest is the wrapped transport's own

    assert _run(runner, scenario) == []


@LOOPS
def test_an_abort_drops_what_was_pending_without_an_error(runner) -> None:
    async def scenario(transport: CoalescingTransport, peer: socket.socket) -> None:
        transport.write(b"half a response")
        transport.abort()
        await asyncio.sleep(0.05)  # the turn at which the write would have gone out
        assert await _receive(peer) == b""

    assert _run(runner, scenario) == []
