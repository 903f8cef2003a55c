"""The AWS services a handler calls, locally: moto in a process of its own (``emulator.py``),
holding the template's tables, buckets, queues, topics, parameters and secrets
(``resources.py``), and kept across restarts in the state folder. It starts when something
first needs it: a template that declares such resources, or a call.

Functions reach it through lambdahost's own endpoint (``api/aws_proxy.py``), which forwards
each call and acts on what a trigger listens to: an object put into a bucket with a
notification, a message published to a topic, an event put on a bus, a message sent to a
queue of the template (which lives in lambdahost's durable queue store).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import socket
import subprocess
import sys
from pathlib import Path

from ..statefolder import ENDPOINT_FILE, LOCK_FILE

log = logging.getLogger("lambdahost")

STATE_FILE = "aws.state"


class LocalAws:
    """The emulator process. Its listening socket is bound here, before the process starts, so
    its address is known at once and early callers wait in the backlog rather than fail. One host
    at a time runs the local AWS of a state folder: it holds the folder's lock."""

    def __init__(self, state_dir: Path) -> None:
        self._state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(state_dir / LOCK_FILE, "w")  # noqa: SIM115 - held for the host's life
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise RuntimeError(f"another lambdahost runs the local AWS of {state_dir}") from None
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._process: subprocess.Popen | None = None

    def announce(self, endpoint: str) -> None:
        """Tell the one-shot commands run beside this host (``lambdahost invoke``) where its
        functions' endpoint is, so theirs call the same AWS."""
        (self._state_dir / ENDPOINT_FILE).write_text(endpoint)

    def start(self) -> None:
        """Start the emulator, unless it runs: on the first call that needs it, so a host whose
        functions call no AWS never pays for it."""
        if self._process is not None or self._listener.fileno() < 0:
            return
        fd = self._listener.fileno()
        with open(self._state_dir / "aws.log", "ab") as output:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "lambdahost.localaws.emulator", str(fd), str(self._state_dir / STATE_FILE)],
                pass_fds=[fd],
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=output,
                start_new_session=True,  # Ctrl-C is the host's: it stops the emulator once its own work is done
            )

    def stop(self, timeout: float = 30.0) -> None:
        """Let the emulator save its state and end (closing its standard input tells it to)."""
        process, self._process = self._process, None
        self._listener.close()
        with contextlib.suppress(FileNotFoundError):
            (self._state_dir / ENDPOINT_FILE).unlink()
        self._lock.close()
        if process is None:
            return
        process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the local AWS did not save its state within %s s; stopping it", timeout)
            process.kill()
            process.wait()
        if process.returncode:
            log.warning("the local AWS ended with status %s; see %s", process.returncode, self._state_dir / "aws.log")

    async def close(self) -> None:
        await asyncio.to_thread(self.stop)
