"""The host side of a fork-server (see ``runtime/forkserver.py``): start it, ask it for new
environment processes, and hear from it when they exit."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..runtime import protocol
from .interpreter import Interpreter

RUNTIME_DIR = str(Path(__file__).resolve().parent.parent / "runtime")

# Loads the runtime package under a name of its own, without importing the host package
# (which may not even be installed in that interpreter).
_BOOT = """
import importlib.util, sys
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("lambdahost_runtime", path + "/__init__.py",
                                              submodule_search_locations=[path])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
from lambdahost_runtime import forkserver
forkserver.main(int(sys.argv[2]))
"""


@dataclass(frozen=True)
class ExitStatus:
    """How an environment process ended: an exit code (negative: the signal) or out of memory."""

    code: int | None
    out_of_memory: bool = False


class ForkServerGone(Exception):
    pass


class ForkServer:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self._ids = itertools.count()
        self._spawning: dict[int, asyncio.Future] = {}
        self._exits: dict[int, asyncio.Future] = {}
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self._socket is not None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen(
            [self.interpreter.executable, "-E", "-X", "utf8", "-c", _BOOT, RUNTIME_DIR, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal reaches the host, which stops it in order
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        )
        theirs.close()
        ours.setblocking(False)
        self._socket = ours
        asyncio.get_running_loop().add_reader(ours, self._on_readable)

    async def spawn(self, spec: dict, channel_fd: int, log_fd: int) -> tuple[int, asyncio.Future]:
        """Fork a new environment process; returns its pid and a future of its ExitStatus."""
        if not self.alive:
            self.start()
        spawn_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._spawning[spawn_id] = future
        message = protocol.encode(protocol.SPAWN, {**spec, "spawnId": spawn_id})
        socket.send_fds(self._socket, [message], [channel_fd, log_fd])
        pid = await future
        return pid, self._exits[pid]

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
                pid = meta["pid"]
                self._exits[pid] = asyncio.get_running_loop().create_future()
                self._spawning.pop(meta["spawnId"]).set_result(pid)
            elif kind == protocol.EXITED:
                future = self._exits.pop(meta["pid"], None)
                if future is not None and not future.done():
                    future.set_result(ExitStatus(meta["exitCode"], meta["outOfMemory"]))

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
