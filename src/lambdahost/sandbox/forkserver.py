"""The host side of a fork-server (see ``runtime/forkserver.py``): start it, ask it for new
environment processes, and hear from it when they exit."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import socket
import subprocess
from dataclasses import dataclass

from ..runtime import protocol
from .interpreter import Interpreter
from .launch import Launched, launch

log = logging.getLogger("lambdahost")


@dataclass(frozen=True)
class ExitStatus:
    """How an environment process ended: an exit code (negative: the signal) or out of memory."""

    code: int | None
    out_of_memory: bool = False
    max_rss_kb: int = 0  # its peak resident memory


class ForkServerGone(Exception):
    pass


def kill(pid: int) -> None:
    """Kill an environment process and whatever it started (its process group)."""
    for signal_group in (os.killpg, os.kill):
        try:
            signal_group(pid, signal.SIGKILL)
            return
        except OSError:
            continue


class ForkServer:
    restores = False  # its children are new environments; a SnapStart ``Snapshot``'s are restored ones

    def __init__(self, interpreter: Interpreter, launched: Launched | None = None) -> None:
        self.interpreter = interpreter
        self._launched = launched
        self._ids = itertools.count()
        self._spawning: dict[str, asyncio.Future] = {}
        self._exits: dict[int, asyncio.Future] = {}
        self._socket: socket.socket | None = None
        self._waiting_for_room = asyncio.Lock()
        self._process: subprocess.Popen | None = None
        self._warned: set[str] = set()  # what this machine does not allow, said once

    @property
    def alive(self) -> bool:
        return self._socket is not None

    def start(self) -> None:
        launched = self._launched or launch(self.interpreter.executable)
        self._launched = None  # a later start (after this one died) launches anew
        self._process = launched.process
        self._socket = launched.channel
        self._socket.setblocking(False)
        asyncio.get_running_loop().add_reader(self._socket, self._on_readable)

    async def spawn(self, spec: dict, fds: list[int]) -> tuple[int, asyncio.Future]:
        """Fork a new environment process handed ``fds``; returns its pid and a future of its ExitStatus."""
        if not self.alive:
            self.start()
        spawn_id = str(next(self._ids))
        future = asyncio.get_running_loop().create_future()
        self._spawning[spawn_id] = future
        message = protocol.encode(protocol.SPAWN, {"spawnId": spawn_id}, json.dumps(spec).encode())
        await self._send(message, fds)
        return await future

    async def _send(self, message: bytes, fds: list[int]) -> None:
        """Send one message (a SEQPACKET: whole or not at all). The fork-server reads them one at
        a time between forks: when many environments start at once its queue fills, and the
        message waits until there is room."""
        while True:
            try:
                socket.send_fds(self._socket, [message], fds)
                return
            except BlockingIOError:
                async with self._waiting_for_room:  # a socket has one writer callback: one waiter
                    room = asyncio.get_running_loop().create_future()
                    asyncio.get_running_loop().add_writer(self._socket, room.set_result, None)
                    try:
                        await room
                    finally:
                        asyncio.get_running_loop().remove_writer(self._socket)

    def release(self, tmp_dir: str) -> None:
        """An environment is closed for good: the fork-server may let its temporary folder go
        (it keeps the folder through resets)."""
        if self.alive:
            with contextlib.suppress(OSError):
                self._socket.send(protocol.encode(protocol.RELEASE, {"tmpDir": tmp_dir}))

    def _on_readable(self) -> None:
        while self._socket is not None:
            try:
                data = self._socket.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._gone()
                return
            kind, meta, _ = protocol.decode(data)
            if kind == protocol.SPAWNED:
                spawning, pid = self._spawning.pop(meta["spawnId"]), int(meta["pid"])
                if spawning.cancelled():  # its caller is gone: nobody will ever talk to it
                    kill(pid)
                    continue
                # Handed over with the pid: a child that exits at once is reported in the same
                # read, before ``spawn`` resumes, and its entry here is gone by then.
                exited = self._exits[pid] = asyncio.get_running_loop().create_future()
                spawning.set_result((pid, exited))
                self._warn_once(meta)
            elif kind == protocol.EXITED:
                future = self._exits.pop(int(meta["pid"]), None)
                if future is not None and not future.done():
                    future.set_result(
                        ExitStatus(int(meta["exitCode"]), meta["outOfMemory"] == "1", int(meta.get("maxRssKb") or 0))
                    )

    def _warn_once(self, meta: dict) -> None:
        """Say once what this machine does not let an environment have."""
        if meta.get("tmpUnlimited") and "tmp" not in self._warned:
            self._warned.add("tmp")
            log.warning(
                "ephemeral storage is not enforced and /tmp is shared on this machine: %s", meta["tmpUnlimited"]
            )
        if meta.get("shared") and "shared" not in self._warned:
            self._warned.add("shared")
            log.warning(
                "environments share the host's processes on this machine (each sees the others' in /proc, "
                "and what one starts may outlive it): %s",
                meta["shared"],
            )

    def _gone(self) -> None:
        """The fork-server died: fail what waits on it; the next spawn starts a new one."""
        asyncio.get_running_loop().remove_reader(self._socket)
        self._socket.close()
        self._socket = None
        for future in self._spawning.values():
            if not future.done():
                future.set_exception(ForkServerGone(f"the {self.interpreter.runtime} fork-server stopped"))
        for future in self._exits.values():
            if not future.done():
                future.set_result(ExitStatus(None))
        self._spawning.clear()
        self._exits.clear()

    async def close(self) -> None:
        if self._socket is not None:
            self._gone()
        if self._process is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(self._process.wait), 5)
            except asyncio.TimeoutError:
                self._process.kill()
            self._process = None
