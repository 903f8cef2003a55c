"""One environment process as the host sees it: a way to hand it invocations, and a pipe of its
log output. A Python runtime speaks framed messages over a socket pair (``EnvironmentProcess``);
a custom runtime speaks the Runtime API over HTTP (``RuntimeApiProcess``). Both turn what the
runtime says into the same frames, so the environment's lifecycle is written once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import select
import socket
import time
from collections import deque
from collections.abc import Callable

from ..runtime import protocol
from .forkserver import ExitStatus, ForkServer, kill

# How long either side waits awake (polling, not sleeping) for the other when one invocation
# follows another: on a virtual machine, waking a sleeping process on another CPU costs tens of
# microseconds a hop, more than a trivial handler's whole run. When the host runs nothing else,
# nor has for a moment, and the machine has a CPU to spare (``Invocation.alone``), the runtime
# waits so for the next invocation and the host for the answer, unless the last answer took longer.
HOT_WAIT = 0.0005  # seconds

log = logging.getLogger("lambdahost")


class TimedOut(Exception):
    pass


class _Process:
    def __init__(self, forkserver: ForkServer, on_output: Callable[[bytes], None]) -> None:
        self._forkserver = forkserver
        self._on_output = on_output
        self._loop = asyncio.get_running_loop()
        self._frames: deque[protocol.Frame | None] = deque()
        self._waiter: asyncio.Future | None = None
        self._watchdog: asyncio.Handle | None = None  # the deadline of the wait in ``receive``
        self._log_read = -1
        self._poller = select.poll()  # for ``call``, which waits outside the event loop
        self._sent_at = 0.0  # when the last invocation went to the runtime (monotonic)
        self._answers_fast = True  # the last answer came within HOT_WAIT: wait awake for the next
        self.pid = 0
        self.exit_status: asyncio.Future | None = None

    async def _spawn(self, spec: dict, fds: list[int]) -> None:
        """Fork the process with ``fds`` and a log pipe (the last descriptor it receives)."""
        self._log_read, log_write = os.pipe()
        try:
            self.pid, self.exit_status = await self._forkserver.spawn(spec, [*fds, log_write])
        finally:
            os.close(log_write)
        os.set_blocking(self._log_read, False)
        self._loop.add_reader(self._log_read, self.drain_output)
        self._poller.register(self._log_read, select.POLLIN)

    def push(self, frame: protocol.Frame | None) -> None:
        """A frame from the runtime (None: it went away), for ``receive``."""
        self._frames.append(frame)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def receive(self, deadline: float | None) -> protocol.Frame | None:
        """The next frame from the environment, None if it went away; TimedOut at the deadline
        (monotonic seconds)."""
        if not self._frames:
            waiter = self._waiter = self._loop.create_future()
            if deadline is not None:
                self._watchdog = self._loop.call_later(deadline - time.monotonic(), self._expire, waiter, deadline)
            try:
                await waiter
            finally:
                self._waiter = None
                if self._watchdog is not None:
                    self._watchdog.cancel()
                    self._watchdog = None
        return self._frames.popleft()

    def _expire(self, waiter: asyncio.Future, deadline: float) -> None:
        """The deadline watchdog: one timer per wait, in the plain form a correctness mechanism
        wants. It reads the clock itself rather than trust the timer's precision (uvloop keeps
        time in whole milliseconds and may fire a little early: then it waits out the rest), and
        if anything goes wrong here it times the wait out now rather than let the environment
        run with no deadline."""
        try:
            remaining = deadline - time.monotonic()
            if remaining > 0 and not waiter.done():
                self._watchdog = self._loop.call_later(remaining, self._expire, waiter, deadline)
                return
        except Exception:
            log.exception("the deadline watchdog of environment process %s failed: timing it out now", self.pid)
        if not waiter.done():
            waiter.set_exception(TimedOut())

    def drain_output(self) -> None:
        """Read whatever the process has written so far: the loop's reader of the pipe, and the
        waits outside the loop, call it as soon as the pipe is readable, so the lines an
        invocation printed before its answer are read before its END; ``close`` reads the rest."""
        while True:
            try:
                data = os.read(self._log_read, 1 << 14)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._loop.remove_reader(self._log_read)
                with contextlib.suppress(KeyError):
                    self._poller.unregister(self._log_read)
                return
            self._on_output(data)

    @property
    def ended(self) -> bool:
        """Whether the process has ended (or closed its channel) since its last answer: a Node.js
        runtime exits after reporting an unhandled rejection."""
        return bool(self._frames and self._frames[0] is None) or (
            self.exit_status is not None and self.exit_status.done()
        )

    @property
    def ended_before_taking(self) -> bool:
        """Whether the runtime ended before it took the invocation delivered: only a Runtime API
        can tell (``RuntimeApiProcess``); over a channel the runtime says it will end instead."""
        return False

    async def wait_exit(self, timeout: float = 2.0) -> ExitStatus:
        try:
            return await asyncio.wait_for(asyncio.shield(self.exit_status), timeout)
        except asyncio.TimeoutError:
            return ExitStatus(None)

    def wait_exit_now(self) -> ExitStatus:
        """``wait_exit`` for a caller outside the event loop: the fork-server's word on the exit
        arrives through the loop, so this runs it until then."""
        return self._loop.run_until_complete(self.wait_exit())

    def peak_memory_kb(self) -> int:
        """The running process's peak resident memory (0 once it is gone)."""
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def close(self) -> None:
        """Stop the process if it still runs and let go of its pipe and its watchdog."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.exit_status is not None and not self.exit_status.done():
            kill(self.pid)
        if self._log_read >= 0:
            self.drain_output()
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self._log_read)
            os.close(self._log_read)
            self._log_read = -1


class EnvironmentProcess(_Process):
    """A Python runtime (``runtime/bootstrap.py``) over a socket pair of frames."""

    async def start(self, spec: dict) -> None:
        # A snapshot's channel becomes a fork-server's control socket, whose messages carry descriptors.
        kind = socket.SOCK_SEQPACKET if spec.get("snapshot") else socket.SOCK_STREAM
        self._channel, theirs = socket.socketpair(socket.AF_UNIX, kind)
        self._reader = protocol.FrameReader()
        self._receive_buffer = bytearray(1 << 16)
        try:
            await self._spawn(spec, [theirs.fileno()])
        finally:
            theirs.close()
        self._channel.setblocking(False)
        self._loop.add_reader(self._channel, self._on_channel)
        self._poller.register(self._channel, select.POLLIN)

    def load(self) -> None:
        """Tell a runtime started ahead (``spec["ahead"]``) to load its handler: its init begins."""
        self._channel.sendall(protocol.encode(protocol.LOAD))

    async def invoke(self, meta: dict, payload: bytes) -> None:
        """Hand the environment an invocation; its answer arrives through ``receive``. When it is
        the host's only invocation (``hotWaitUs``), a quick answer is waited for awake here: the
        loop has nothing else to do, and sleeping in it would cost a wake-up."""
        data = protocol.encode(protocol.INVOKE, meta, payload)
        try:
            sent = self._channel.send(data)
        except BlockingIOError:
            sent = 0
        if sent < len(data):
            await self._loop.sock_sendall(self._channel, memoryview(data)[sent:])
        self._sent_at = time.monotonic()
        if "hotWaitUs" in meta and self._answers_fast:
            self._await_frame(self._sent_at + HOT_WAIT, awake_until=math.inf)

    def call(self, meta: dict, payload: bytes, deadline: float) -> protocol.Frame | None:
        """``invoke`` and ``receive`` in one blocking exchange, for a caller that runs no event
        loop (the sync ``Host`` between its calls): no loop turns, futures or timers, about a
        quarter of a warm invocation's time. The log pipe is read as it waits, so all the runtime
        wrote before its answer has been read when this returns. None if the environment went away."""
        data = protocol.encode(protocol.INVOKE, meta, payload)
        try:
            try:
                sent = self._channel.send(data)
            except BlockingIOError:
                sent = 0
            if sent < len(data):  # a large payload: the runtime reads it while this waits
                self._channel.settimeout(max(deadline - time.monotonic(), 0.001))
                try:
                    self._channel.sendall(memoryview(data)[sent:])
                finally:
                    self._channel.setblocking(False)
            self._sent_at = time.monotonic()
            awake = "hotWaitUs" in meta and self._answers_fast
            if not self._await_frame(deadline, self._sent_at + HOT_WAIT if awake else 0.0):
                raise TimedOut()
        except TimeoutError:
            raise TimedOut() from None
        except OSError:
            return None
        return self._frames.popleft()

    def wait_frame(self, deadline: float) -> protocol.Frame | None:
        """The next frame, waited for outside the event loop: after ``call``, the rest of a
        streamed response. None if the environment went away."""
        if not self._await_frame(deadline, 0.0):
            raise TimedOut()
        return self._frames.popleft()

    def _await_frame(self, until: float, awake_until: float) -> bool:
        """Wait outside the event loop for a frame until ``until``, polling without sleeping
        before ``awake_until``; reads the log pipe as it goes. False if none came."""
        while not self._frames:
            now = time.monotonic()
            if now >= until:
                return False
            for fd, _ in self._poller.poll(0 if now < awake_until else (until - now) * 1000):
                if fd == self._log_read:
                    self.drain_output()  # a full pipe would stall a runtime that prints a lot
                else:
                    self._on_channel()
        return True

    def _on_channel(self) -> None:
        try:
            # Into a buffer kept for the purpose: a fresh large bytes object per read costs an
            # mmap and page faults, tens of microseconds.
            received = self._channel.recv_into(self._receive_buffer)
        except BlockingIOError:
            return
        except OSError:
            received = 0
        if not received:
            self._loop.remove_reader(self._channel)
            self.push(None)
            return
        # Wait awake for the next answer only if that would have caught this one: a handler that
        # takes longer gets no CPU burnt on it.
        self._answers_fast = time.monotonic() - self._sent_at < HOT_WAIT
        for frame in self._reader.feed(self._receive_buffer[:received]):
            self.push(frame)

    def detach_channel(self) -> socket.socket:
        """The channel, for a snapshot that now serves spawn requests on it (``sandbox/snapshot.py``)."""
        self._loop.remove_reader(self._channel)
        self._poller.unregister(self._channel)
        channel, self._channel = self._channel, None
        return channel

    def close(self) -> None:
        if self._channel is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self._channel)
            self._channel.close()
        super().close()


class RuntimeApiProcess(_Process):
    """A custom runtime: its ``bootstrap`` executable, served by a Runtime API of its own."""

    async def start(self, spec: dict) -> None:
        from ..api.runtime_api import RuntimeApiServer

        self.server = RuntimeApiServer(self.push, self.peak_memory_kb)
        address = await self.server.start()
        spec = {**spec, "environment": {**spec["environment"], "AWS_LAMBDA_RUNTIME_API": address}}
        await self._spawn(spec, [])
        self.exit_status.add_done_callback(lambda _: self.push(None))

    async def invoke(self, meta: dict, payload: bytes) -> None:
        self.server.deliver(meta, payload)

    @property
    def ended_before_taking(self) -> bool:
        """Whether the runtime ended before it took the invocation delivered: one that exits after
        its answer (Node.js, after an unhandled rejection) while the next is on its way."""
        return self.server.waiting and self.exit_status.done()

    def close(self) -> None:
        self.server.close()
        super().close()
