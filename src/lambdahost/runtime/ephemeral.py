"""Ephemeral storage as Lambda sizes it: the environment's temporary folder (its TMPDIR, where
Lambda has /tmp) becomes a tmpfs of the function's ``EphemeralStorage`` size, mounted in a user
and mount namespace of the environment's own. A write past the size fails with ENOSPC ("No space
left on device"), as on Lambda, and the folder's contents go with the environment.

Linux only, and no privileges needed: an unprivileged process may mount a tmpfs inside a user
namespace it owns. Where that is not allowed (macOS, or a kernel that restricts unprivileged user
namespaces) the folder stays unlimited and the host says so once. The tmpfs holds its files in
memory, not on disk: what a function writes there uses the machine's RAM, up to the size.
"""

import ctypes
import os
import socket
import sys

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def limit(folder: str, size_mb: int) -> "list[str]":
    """Put a ``size_mb`` tmpfs over ``folder`` for this process and its children, for good; returns
    the namespaces made for it ("user" and "mnt", or "mnt" alone). Raises OSError when this
    machine does not allow it."""
    if _libc is None:
        raise OSError("ephemeral storage needs Linux mount namespaces")
    made = ["mnt"]
    # Root can mount in a mount namespace alone, which costs half as much (~0.45 against ~0.9 ms).
    if os.geteuid() != 0 or _libc.unshare(_CLONE_NEWNS) != 0:
        made.insert(0, "user")
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare a user and mount namespace")
        # The same ids inside as outside: the process stays who it was, and files it writes stay its own.
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as mapping:
                mapping.write(text)
    # Mounts made from here on stay in this namespace, never reaching the host's.
    _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make the mounts private")
    options = f"size={size_mb}m,mode=0700".encode()
    _check(_libc.mount(b"tmpfs", os.fsencode(folder), b"tmpfs", _MS_NOSUID | _MS_NODEV, options), "mount a tmpfs")
    return made


def probe() -> str:
    """Why ``limit`` cannot work here, or "" when it can: tried in a throwaway child, since it
    changes the calling process for good."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        reason = b""
        try:
            limit(os.path.dirname(os.path.abspath(__file__)), 1)  # any folder: the mount dies with the child
        except OSError as exc:
            reason = str(exc).encode()
        os.write(write, reason)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        reason = answer.read().decode()
    os.waitpid(pid, 0)
    return reason


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"cannot {what}: {os.strerror(errno)}")


class Folders:
    """The fork-server's side: each limited folder's namespaces stay open here from the first
    process of its environment until the host releases it, so a process started after a reset
    (a timeout, a crash) joins them and finds ``/tmp`` as it was, as on Lambda. A new process
    sends its namespaces through ``inbox`` once it has mounted its folder; the fork-server reads
    them when it has a moment, so a spawn never waits for a mount."""

    def __init__(self) -> None:
        self.unlimited = probe()  # why folders cannot be limited here; "" when they can
        self._held: "dict[str, list[int]]" = {}  # folder -> namespace fds (the user one first, if any)
        self.inbox, self._outbox = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.inbox.setblocking(False)

    def in_child(self, spec: dict) -> None:
        """Enter the folder's namespaces, or make them; the child keeps no other folder's open."""
        self.inbox.close()
        folder = None if self.unlimited else spec["environment"]["TMPDIR"]
        held = self._held.pop(folder, None) if folder else None
        for fds in self._held.values():
            for fd in fds:
                os.close(fd)
        with self._outbox:
            if held:
                for fd in held:
                    _check(_libc.setns(fd, 0), "join the environment's namespaces")
                    os.close(fd)
            elif folder:
                made = limit(folder, spec["ephemeralStorageMb"])
                fds = [os.open(f"/proc/self/ns/{name}", os.O_RDONLY) for name in made]
                socket.send_fds(self._outbox, [os.fsencode(folder)], fds)
                for fd in fds:
                    os.close(fd)

    def receive(self) -> None:
        """Keep the namespaces that new processes have sent; called before anything that needs them."""
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.inbox, 4096, 2)
            except BlockingIOError:
                return
            self.release(os.fsdecode(message))  # (a folder mounted anew replaces what was held)
            self._held[os.fsdecode(message)] = fds

    def release(self, folder: str) -> None:
        """The environment is gone for good: its tmpfs goes with the last process in it."""
        for fd in self._held.pop(folder, []):
            os.close(fd)
