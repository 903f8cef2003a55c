"""Starting a fork-server process; kept free of asyncio so a command can start one first thing
and let the interpreter boot while the rest of lambdahost is still being imported."""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..runtime import LOAD

RUNTIME_DIR = str(Path(__file__).resolve().parent.parent / "runtime")

_BOOT = LOAD + "forkserver.main(int(sys.argv[2]))\n"


@dataclass
class Launched:
    executable: str
    process: subprocess.Popen | None  # None: a snapshot, whose parent is a fork-server
    channel: socket.socket  # SOCK_SEQPACKET, ours; the fork-server holds the other end


def launch(executable: str) -> Launched:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = subprocess.Popen(
        [executable, "-E", "-X", "utf8", "-c", _BOOT, RUNTIME_DIR, str(theirs.fileno())],
        pass_fds=[theirs.fileno()],
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in a terminal reaches the host, which stops it in order
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
    )
    theirs.close()
    return Launched(executable, process, ours)
