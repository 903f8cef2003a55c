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
import logging
import socket
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("lambdahost")

STATE_FILE = "aws.state"


class LocalAws:
    """The emulator process. Its listening socket is bound here, before the process starts, so
    its address is known at once and early callers wait in the backlog rather than fail."""

    def __init__(self, state_dir: Path) -> None:
        self._state_dir = state_dir
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the emulator, unless it runs: on the first call that needs it, so a host whose
        functions call no AWS never pays for it."""
        if self._process is not None:
            return
        self._state_dir.mkdir(parents=True, exist_ok=True)
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

    async def close(self, timeout: float = 30.0) -> None:
        """Let the emulator save its state and end (closing its standard input tells it to)."""
        process, self._process = self._process, None
        self._listener.close()
        if process is None:
            return
        process.stdin.close()
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), timeout)
        except asyncio.TimeoutError:
            log.warning("the local AWS did not save its state within %s s; stopping it", timeout)
            process.kill()
        if process.returncode:
            log.warning("the local AWS ended with status %s; see %s", process.returncode, self._state_dir / "aws.log")
