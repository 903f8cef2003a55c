"""One environment process as the host sees it: a channel of frames and a pipe of log output."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections import deque
from collections.abc import Callable

from ..runtime import protocol
from .forkserver import ExitStatus, ForkServer

Frame = tuple[int, dict, bytes]


class TimedOut(Exception):
    pass


class EnvironmentProcess:
    def __init__(self, forkserver: ForkServer, on_output: Callable[[bytes], None]) -> None:
        self._forkserver = forkserver
        self._on_output = on_output
        self._loop = asyncio.get_running_loop()
        self._frames: deque[Frame | None] = deque()
        self._reader = protocol.FrameReader()
        self._waiter: asyncio.Future | None = None
        self._receive_buffer = bytearray(1 << 16)
        self.pid = 0
        self.exit_status: asyncio.Future | None = None

    async def start(self, spec: dict) -> None:
        self._channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._log_read, log_write = os.pipe()
        try:
            self.pid, self.exit_status = await self._forkserver.spawn(spec, theirs.fileno(), log_write)
        finally:
            theirs.close()
            os.close(log_write)
        self._channel.setblocking(False)
        os.set_blocking(self._log_read, False)
        self._loop.add_reader(self._channel, self._on_channel)
        self._loop.add_reader(self._log_read, self.drain_output)

    async def send(self, data: bytes) -> None:
        try:
            sent = self._channel.send(data)
        except BlockingIOError:
            sent = 0
        if sent < len(data):
            await self._loop.sock_sendall(self._channel, memoryview(data)[sent:])

    async def receive(self, deadline: float | None) -> Frame | None:
        """The next frame from the environment, None if it went away; TimedOut at the deadline."""
        if not self._frames:
            self._waiter = self._loop.create_future()
            timer = self._loop.call_at(deadline, self._time_out) if deadline is not None else None
            try:
                await self._waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        return self._frames.popleft()

    def _time_out(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(TimedOut())

    def _on_channel(self) -> None:
        try:
            # Into a buffer kept for the purpose: a fresh large bytes object per read costs an
            # mmap and page faults, tens of microseconds.
            received = self._channel.recv_into(self._receive_buffer)
        except BlockingIOError:
            return
        except OSError:
            received = 0
        if received:
            self._frames.extend(self._reader.feed(self._receive_buffer[:received]))
        else:
            self._loop.remove_reader(self._channel)
            self._frames.append(None)
        if self._frames and self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def drain_output(self) -> None:
        """Read whatever the process has written so far; called before an invocation is closed
        so that every line it printed lands before its END."""
        while True:
            try:
                data = os.read(self._log_read, 1 << 14)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._loop.remove_reader(self._log_read)
                return
            self._on_output(data)

    async def wait_exit(self, timeout: float = 2.0) -> ExitStatus:
        try:
            return await asyncio.wait_for(asyncio.shield(self.exit_status), timeout)
        except asyncio.TimeoutError:
            return ExitStatus(None)

    def kill(self) -> None:
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
                return
            except OSError:
                continue

    def close(self) -> None:
        """Stop the process if it still runs and let go of its channel and pipe."""
        if self.exit_status is not None and not self.exit_status.done():
            self.kill()
        self.drain_output()
        for fd in (self._channel.fileno(), self._log_read):
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(fd)
        self._channel.close()
        os.close(self._log_read)
