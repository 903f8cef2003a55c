"""An environment's own processes, as on Lambda: a process namespace of its own, so that ``/proc``
shows its processes and no other (not another environment's ``/proc/<pid>/root``, not the host's
command line), and everything it started ends with it; and none of the capabilities that would let
a function undo the view of the file system it was given (``ephemeral.py``).

The environment process itself cannot enter a process namespace it makes (Linux moves only the
children), so it forks twice: an *init*, process 1 of the namespace, which only reaps orphans,
and the *runtime*, process 2, which goes on to run the function. It tells the fork-server both
pids (as the host sees them) and leaves; the fork-server, their subreaper, adopts them, waits for
the runtime as before, and ends the namespace when the runtime ends by killing its init, which
takes every process left in it. The runtime is not process 1 because process 1 ignores the
signals it has no handler for, ``os.kill(os.getpid(), signal.SIGKILL)`` among them.

Linux only, where the machine allows namespaces (``ephemeral.probe``); elsewhere an environment
shares the host's processes, and the host says so once.
"""

import ctypes
import os
import signal

from . import ephemeral
from .ephemeral import _check, _libc

_PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
# What the runtime keeps of root's capabilities when the host runs as root (Docker's default set,
# less what reaches past the environment: mknod, chroot, raw sockets, which Lambda allows none of).
# Gone with the rest: CAP_SYS_ADMIN (mount, umount: undo the view), CAP_DAC_READ_SEARCH
# (open_by_handle_at: a file by its handle, past any mount), CAP_SYS_PTRACE.
_KEPT = frozenset(
    [
        0,  # chown
        1,  # dac_override
        3,  # fowner
        4,  # fsetid
        5,  # kill
        6,  # setgid
        7,  # setuid
        8,  # setpcap
        10,  # net_bind_service
        31,  # setfcap
    ]
)


def split(told: int) -> None:
    """In the environment process, once it has unshared its process namespace: fork its init and
    its runtime, tell the fork-server their pids through ``told`` and leave. Returns in the
    runtime, alone in a session of its own (so that a kill of its process group takes what it
    started), with the namespace's own ``/proc`` mounted and its capabilities dropped."""
    init = os.fork()
    if init == 0:
        _be_init()
    runtime = os.fork()
    if runtime == 0:
        os.close(told)
        os.setsid()
        ephemeral.mount_proc()
        drop_capabilities()
        return
    os.write(told, f"{runtime} {init}".encode())
    os._exit(0)


def _be_init() -> None:
    """Process 1: reap what the runtime's processes leave orphaned, until the fork-server kills it."""
    try:
        os.closerange(0, 65536)  # (not the log pipe: the host reads it to its end)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        while True:
            signal.sigwait({signal.SIGCHLD})
            try:
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
            except ChildProcessError:
                pass
    finally:
        os._exit(0)


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


# Made and looked up once, here in the fork-server, rather than by each new environment.
_Capabilities = _Data * 2  # capabilities 0-31, then 32-63
_KEPT_MASKS = [sum(1 << (cap - 32 * word) for cap in _KEPT if cap // 32 == word) for word in (0, 1)]
_capget, _capset, _prctl = (_libc.capget, _libc.capset, _libc.prctl) if _libc else (None, None, None)


def drop_capabilities() -> None:
    """Keep only ``_KEPT``, for good: with no new privileges allowed, no program the function runs
    (root's, setuid, or with file capabilities) gets more than the runtime has. (Dropping each
    capability from the bounding set would do it too, at 0.25 ms a cold start.)"""
    header, data = _Header(_LINUX_CAPABILITY_VERSION_3, 0), _Capabilities()
    _check(_capget(ctypes.byref(header), data), "read the capabilities")
    for word, mask in zip(data, _KEPT_MASKS):  # noqa: B905 - two of each (strict: python3.10+)
        word.effective &= mask
        word.permitted &= mask
        word.inheritable &= mask
    _check(_prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "forbid new privileges")
    _check(_capset(ctypes.byref(header), data), "drop the capabilities")
