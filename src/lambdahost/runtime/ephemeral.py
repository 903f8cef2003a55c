"""Ephemeral storage as Lambda has it: ``/tmp`` is the environment's own tmpfs of the function's
``EphemeralStorage`` size, mounted in a user and mount namespace of the environment's own. So a
function that writes ``/tmp/model.bin``, as nearly every function does, writes into its own
environment's storage: a write past the size fails with ENOSPC ("No space left on device"), as on
Lambda; two environments never see each other's files; nothing reaches the machine's ``/tmp``;
and the files go with the environment. ``TMPDIR`` is ``/tmp`` then, as on Lambda.

What the environment needs from the machine's ``/tmp`` (a code folder, layers or the interpreter
kept there, as test suites and CI checkouts do) is bound into it, live, by its top-level folder:
``/tmp/pytest-of-me`` in the environment is the machine's. A function whose code folder is
``/tmp`` itself keeps the machine's ``/tmp``; its TMPDIR alone is the limited folder.

Linux only, and no privileges needed: an unprivileged process may mount inside a user namespace
it owns. Where that is not allowed (macOS, or a kernel that restricts unprivileged user
namespaces) the folder stays unlimited, ``/tmp`` is the machine's, and the host says so once. The
tmpfs holds its files in memory, not on disk: what a function writes there uses the machine's RAM,
up to the size.
"""

import ctypes
import os
import socket
import stat
import sys
from typing import NamedTuple

_CLONE_NEWNS = 0x00020000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_NOEXEC = 0x8
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
_MNT_DETACH = 0x2
TMP = "/tmp"
TASK = "/var/task"  # where Lambda's code is
RUNTIME = "/var/runtime"  # where Lambda's runtime is (lambdahost's Node.js runtime, here)
OPT = "/opt"  # where it extracts the layers

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
# Looked up once, here in the fork-server, rather than by each new environment (tens of µs each).
_unshare, _mount, _setns, _umount2 = (
    (_libc.unshare, _libc.mount, _libc.setns, _libc.umount2) if _libc else (None, None, None, None)
)


def limit(
    target: str,
    size_mb: int,
    kept: "frozenset[str]",
    seed: bool = False,
    file_systems: "list[list[str]]" = (),
    task_root: "str | None" = None,
    layers: "list[str]" = (),
    own_processes: bool = False,
    hidden: "list[str]" = (),
    needed: "list[str]" = (),
    node_modules: "str | None" = None,
    runtime_dir: "str | None" = None,
) -> "list[str]":
    """Put a ``size_mb`` tmpfs on ``target`` (/tmp, or a folder) for this process and its
    children, for good; over /tmp, with the machine's /tmp folders named in ``kept`` bound into
    it, and with ``seed`` a copy of the rest of what /tmp held (a SnapStart snapshot's files,
    which Lambda's snapshot keeps with its memory). ``file_systems``: (folder, /mnt/path) pairs,
    each folder mounted at its path (EFS, as the function's FileSystemConfigs name it);
    ``task_root``, the code folder, at /var/task, and its ``layers`` gathered at /opt (where the
    machine allows: see ``_cover``), with a Node.js function's installed packages
    (``node_modules``) at /var/node_modules, where both require and import find them, and its
    runtime (``runtime_dir``) at /var/runtime.
    ``own_processes``: a process namespace too, for the process's children (``isolation.py``).
    ``hidden``: folders the environment must not see (the host's state, other functions' code),
    each covered but for what it ``needed`` of them; and /dev holds only the usual devices.
    Returns the namespaces to keep for it ("user" and "mnt", or "mnt" alone). Raises OSError
    when this machine does not allow it."""
    if _libc is None:
        raise OSError("ephemeral storage needs Linux mount namespaces")
    made = ["mnt"]
    pids = _CLONE_NEWPID if own_processes else 0
    # Root can mount in a mount namespace alone, which costs half as much (~0.45 against ~0.9 ms).
    if os.geteuid() != 0 or _unshare(_CLONE_NEWNS | pids) != 0:
        made.insert(0, "user")
        uid, gid = os.getuid(), os.getgid()
        _check(_unshare(_CLONE_NEWUSER | _CLONE_NEWNS | pids), "unshare a user and mount namespace")
        # The same ids inside as outside: the process stays who it was, and files it writes stay its own.
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as mapping:
                mapping.write(text)
    # Mounts made from here on stay in this namespace, never reaching the host's.
    _check(_mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make the mounts private")
    _hide(hidden, needed)  # first: what is mounted from here on reaches what is left of them
    _cover_devices()
    if file_systems:  # before /tmp is covered: a folder may be in the machine's /tmp
        _mount_file_systems(file_systems)
    code = os.open(task_root, os.O_PATH | os.O_DIRECTORY) if task_root else None  # (it may be in /tmp)
    extracted = [os.open(layer, os.O_PATH | os.O_DIRECTORY) for layer in layers] if code is not None else []
    modules = os.open(node_modules, os.O_PATH | os.O_DIRECTORY) if node_modules and code is not None else None
    runtime = os.open(runtime_dir, os.O_PATH | os.O_DIRECTORY) if runtime_dir and code is not None else None
    machines = os.open(TMP, os.O_PATH | os.O_DIRECTORY)  # the machine's /tmp, once covered
    try:
        options = f"size={size_mb}m,mode={'1777' if target == TMP else '0700'}".encode()
        _check(_mount(b"tmpfs", os.fsencode(target), b"tmpfs", _MS_NOSUID | _MS_NODEV, options), "mount a tmpfs")
        if target == TMP:
            for name in sorted(kept):
                _bind(machines, name)
            if seed:
                _copy(f"/proc/self/fd/{machines}", TMP, kept)
        if code is not None:
            entries = {"task": code, "node_modules": modules, "runtime": runtime}
            _cover("/var", {name: [f"/proc/self/fd/{fd}"] for name, fd in entries.items() if fd is not None})
        if extracted:
            _cover(OPT, _gathered(extracted))
    finally:
        os.close(machines)
        for fd in [code, modules, runtime, *extracted]:
            if fd is not None:
                os.close(fd)
    return made


def _gathered(layers: "list[int]") -> "dict[str, list[str]]":
    """/opt's entries as Lambda extracts the layers (``layers``: their folders, open, in order):
    each name with the folders that hold it, the last one's winning."""
    entries: "dict[str, list[str]]" = {}
    for layer in layers:
        for name in os.listdir(f"/proc/self/fd/{layer}"):
            entries.setdefault(name, []).append(f"/proc/self/fd/{layer}/{name}")
    return entries


def _cover(folder: str, entries: "dict[str, list[str]]") -> None:
    """Cover the machine's ``folder`` (/var, /opt) with a small tmpfs that holds its own entries,
    bound back, and ``entries``: a name and the folders that make it, merged by overlayfs when
    there are several (later ones win, as files extracted later into /opt overwrite earlier
    ones), else the last. So the code is at /var/task and the layers at /opt, as on Lambda, and
    tracebacks, ``__file__`` and ``open("/opt/config.json")`` are as there. /var/task stays
    writable (Lambda's is read-only) so that Python's bytecode cache keeps cold starts fast.
    Best effort: where a mount is refused, the folder stays as it was."""
    try:
        machines = os.open(folder, os.O_PATH | os.O_DIRECTORY)
    except OSError:
        return  # (no such folder on this machine: no mount point)
    try:
        _check(_mount(b"tmpfs", os.fsencode(folder), b"tmpfs", _MS_NOSUID | _MS_NODEV, b"size=1m,mode=0755"), "cover")
        try:
            for name in sorted(os.listdir(f"/proc/self/fd/{machines}")):
                if name not in entries:
                    _bind(machines, name, folder)
            for name, sources in sorted(entries.items()):
                _place(os.path.join(folder, name), sources)
        except OSError:
            _umount2(os.fsencode(folder), _MNT_DETACH)  # the machine's folder again
    except OSError:
        pass
    finally:
        os.close(machines)


def _place(target: str, sources: "list[str]") -> None:
    """``target``: the last of ``sources`` bound there; folders that several hold, merged."""
    if not os.path.isdir(sources[-1]):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
    else:
        os.mkdir(target)
        folders = [source for source in sources if os.path.isdir(source)]
        if len(folders) > 1:
            lower = ":".join(reversed(folders)).encode()  # overlayfs: the first is on top
            if _mount(b"overlay", os.fsencode(target), b"overlay", _MS_RDONLY, b"lowerdir=" + lower) == 0:
                return
            # no overlayfs here: merged one level down, each entry the last folder's that has it
            entries = {name: f"{folder}/{name}" for folder in folders for name in os.listdir(folder)}
            for name, source in sorted(entries.items()):
                _place(os.path.join(target, name), [source])
            return
    _check(_mount(os.fsencode(sources[-1]), os.fsencode(target), None, _MS_BIND | _MS_REC, None), f"bind {target}")


def _hide(folders: "list[str]", needed: "list[str]") -> None:
    """Cover each of ``folders`` with an empty tmpfs, what the environment needs of it (its code,
    its layers, its temporary folder) bound back at the same path."""
    for folder in folders:
        inside = [path for path in needed if _within(path, folder)]
        if folder in inside or not os.path.isdir(folder):
            continue  # (the environment's own, whole: nothing to hide)
        bound = {path: os.open(path, os.O_PATH) for path in _outermost(inside) if os.path.lexists(path)}
        try:
            _check(
                _mount(b"tmpfs", os.fsencode(folder), b"tmpfs", _MS_NOSUID | _MS_NODEV, b"size=1m,mode=0755"), "hide"
            )
            for path, fd in bound.items():
                os.makedirs(os.path.dirname(path), exist_ok=True)
                _place(path, [f"/proc/self/fd/{fd}"])
        finally:
            for fd in bound.values():
                os.close(fd)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: "list[str]") -> "list[str]":
    """``paths`` without those inside another of them (bound with it)."""
    ordered = sorted(set(paths))
    return [path for i, path in enumerate(ordered) if not any(_within(path, other) for other in ordered[:i])]


# Lambda's /dev: the usual devices, no disks, no /dev/shm (so, as there, multiprocessing's Pool and
# Queue fail: they need it).
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_DEVICE_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
}


def _cover_devices() -> None:
    """Best effort, as ``_cover``: where a mount is refused, /dev stays the machine's."""
    devices = os.open("/dev", os.O_PATH | os.O_DIRECTORY)
    try:
        _check(_mount(b"tmpfs", b"/dev", b"tmpfs", _MS_NOSUID, b"size=64k,mode=0755"), "cover /dev")
        try:
            for name in _DEVICES:
                if os.path.exists(f"/proc/self/fd/{devices}/{name}"):
                    _place(f"/dev/{name}", [f"/proc/self/fd/{devices}/{name}"])
            for name, target in _DEVICE_LINKS.items():
                os.symlink(target, f"/dev/{name}")
        except OSError:
            _umount2(b"/dev", _MNT_DETACH)
    except OSError:
        pass
    finally:
        os.close(devices)


def _mount_file_systems(file_systems: "list[list[str]]") -> None:
    """Lambda's /mnt holds only the function's file systems: a fresh, empty /mnt, and each
    folder bound at its path in it."""
    sources = [os.open(folder, os.O_PATH | os.O_DIRECTORY) for folder, _ in file_systems]
    try:
        _check(_mount(b"tmpfs", b"/mnt", b"tmpfs", _MS_NOSUID | _MS_NODEV, b"size=1m,mode=0755"), "mount /mnt")
        for source, (_, path) in zip(sources, file_systems):  # noqa: B905 - one each (strict: python3.10+)
            os.makedirs(path, exist_ok=True)
            _check(_mount(f"/proc/self/fd/{source}".encode(), os.fsencode(path), None, _MS_BIND, None), f"mount {path}")
    finally:
        for source in sources:
            os.close(source)


def _bind(machines: int, name: str, folder: str = TMP) -> None:
    """Bind the machine's ``<folder>/<name>`` (``machines``: that folder, open) into the covered one."""
    target = os.path.join(folder, name)
    mode = os.stat(name, dir_fd=machines, follow_symlinks=False).st_mode
    if stat.S_ISLNK(mode):  # (/var/run -> /run): the same link
        os.symlink(os.readlink(name, dir_fd=machines), target)
        return
    if stat.S_ISDIR(mode):  # (cheaper than a path through /proc)
        os.mkdir(target)
    else:
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
    source = f"/proc/self/fd/{machines}/{name}".encode()
    _check(_mount(source, os.fsencode(target), None, _MS_BIND | _MS_REC, None), f"bind {target}")


def _copy(source: str, target: str, skipped: "frozenset[str]") -> None:
    import shutil  # only a SnapStart environment needs it

    for entry in os.scandir(source):
        if entry.name in skipped:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, os.path.join(target, entry.name), symlinks=True)
        else:
            shutil.copy2(entry.path, os.path.join(target, entry.name), follow_symlinks=False)


# A spawn request's other paths on the machine that an environment reads.
_MACHINE_PATHS = ("included", "wrapper", "exec", "dependencies", "nodeModules")


def _needed(spec: dict) -> "list[str]":
    """What an environment reads from the machine's files: its code, layers and runtime."""
    paths = [spec["taskRoot"], *spec["layers"], *[spec.get(k) for k in _MACHINE_PATHS]]
    paths += [
        (spec.get("debug") or {}).get("debugpy"),
        os.path.dirname(__file__),
        sys.executable,
        sys.prefix,
        *sys.path,
    ]
    if spec.get("included") and os.path.isdir(spec["included"]):  # links to the host's boto3 and its kin
        paths += [os.path.realpath(entry.path) for entry in os.scandir(spec["included"])]
    return [path for path in paths if path]


def _top_level(paths: "list[str]") -> "frozenset[str]":
    """The entries of /tmp that hold these paths ("" for /tmp itself)."""
    names = set()
    for path in paths:
        relative = os.path.relpath(os.path.abspath(path), TMP)
        if relative == ".":
            names.add("")
        elif not relative.startswith(".."):
            names.add(relative.split(os.sep, 1)[0])
    return frozenset(names)


def probe(own_processes: bool = False) -> str:
    """Why ``limit`` (with ``own_processes``, and a /proc of their own) cannot work here, or ""
    when it can: tried in a throwaway child, since it changes the calling process for good."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        reason = b""
        try:
            limit(TMP, 1, _top_level([__file__]), own_processes=own_processes)  # the mounts die with the child
            if own_processes:
                _check(_in_child(mount_proc), "mount a process namespace's /proc")
        except OSError as exc:
            reason = str(exc).encode()
        os.write(write, reason)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        reason = answer.read().decode()
    os.waitpid(pid, 0)
    return reason


def _in_child(work) -> int:
    """Run ``work`` in a child (the first of a new process namespace): 0, or the errno it failed with."""
    pid = os.fork()
    if pid == 0:
        try:
            work()
            os._exit(0)
        except OSError as exc:
            os._exit(exc.errno or 1)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    ctypes.set_errno(code)
    return code


def mount_proc() -> None:
    """The process namespace's own ``/proc``, over the host's or over the one of the namespace
    before a reset: the process that mounts proc must be in the namespace it is to show; and over,
    not instead, since in a user namespace the kernel lets proc be mounted only where one is."""
    _check(_mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None), "mount /proc")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"cannot {what}: {os.strerror(errno)}")


class Needs(NamedTuple):
    tmp_entries: "frozenset[str]"  # the top-level entries of the machine's /tmp ("": /tmp itself)
    paths: "list[str]"


class Folders:
    """The fork-server's side: each limited folder's namespaces stay open here from the first
    process of its environment until the host releases it, so a process started after a reset
    (a timeout, a crash) joins them and finds ``/tmp`` as it was, as on Lambda. A new process
    sends its namespaces through ``inbox`` once it has mounted its folder; the fork-server reads
    them when it has a moment, so a spawn never waits for a mount."""

    def __init__(self) -> None:
        self.unisolated = probe(own_processes=True)  # why environments cannot have processes of their own
        self.unlimited = probe() if self.unisolated else ""  # why folders cannot be limited here; "" when they can
        self._held: "dict[str, list[int]]" = {}  # folder -> namespace fds (the user one first, if any)
        self._needs: "dict[tuple, Needs]" = {}  # what kinds of environment need of the machine's files
        self.inbox, self._outbox = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.inbox.setblocking(False)

    def needs(self, spec: dict) -> "Needs":
        """What an environment needs of the machine's files. Worked out here, in the fork-server,
        once per kind of environment: in a new child the same work costs ten times as much (each
        object it touches is a page copied)."""
        debugpy = (spec.get("debug") or {}).get("debugpy")
        key = (
            spec["taskRoot"],
            *spec["layers"],
            *[spec.get(k) for k in _MACHINE_PATHS],
        )
        if (key, debugpy) not in self._needs:
            paths = _needed(spec)
            self._needs[key, debugpy] = Needs(_top_level(paths), paths)
        return self._needs[key, debugpy]

    def in_child(self, spec: dict, needs: "Needs", restored: bool = False) -> bool:
        """Enter the folder's namespaces, or make them; the child keeps no other folder's open.
        With /tmp covered, TMPDIR and HOME (unless the function set its own) are /tmp; a child
        ``restored`` from a SnapStart snapshot starts with a copy of the snapshot's /tmp. True if
        the child's children are in a process namespace of their own (``isolation.split``)."""
        self.inbox.close()
        folder = None if self.unlimited else spec["tmpFolder"]
        if folder is None and spec.get("fileSystems"):
            print(
                f"lambdahost: FileSystemConfigs cannot be mounted here: {self.unlimited}", file=sys.stderr, flush=True
            )
        own_processes = folder is not None and not self.unisolated
        covered = folder is not None and "" not in needs.tmp_entries
        held = self._held.pop(folder, None) if folder else None
        for fds in self._held.values():
            for fd in fds:
                os.close(fd)
        with self._outbox:
            if held:
                for fd in held:
                    _check(_setns(fd, 0), "join the environment's namespaces")
                    os.close(fd)
                if own_processes:  # (the one before the reset ended with it)
                    _check(_unshare(_CLONE_NEWPID), "unshare a process namespace")
            elif folder:
                target = TMP if covered else folder
                code = spec["taskRoot"] if covered and not spec.get("debug") else None  # a debugger's are real
                systems = spec.get("fileSystems") or []
                needed = [*needs.paths, folder, *(source for source, _ in systems)]
                made = limit(
                    target, spec["ephemeralStorageMb"], needs.tmp_entries, restored, systems, code, spec["layers"],
                    own_processes, spec.get("hidden") or [], needed, spec.get("nodeModules"), spec.get("runtimeDir"),
                )  # fmt: skip
                fds = [os.open(f"/proc/self/ns/{name}", os.O_RDONLY) for name in made]
                socket.send_fds(self._outbox, [os.fsencode(folder)], fds)
                for fd in fds:
                    os.close(fd)
        if covered:
            for key in ("TMPDIR", "HOME"):
                if spec["environment"].get(key) == folder:
                    os.environ[key] = spec["environment"][key] = TMP
            if os.path.ismount(TASK) and not spec.get("debug"):
                _at_var_task(spec)
        return own_processes

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

    def mount_namespace(self, folder: str) -> "int | None":
        """The environment's mount namespace (its inode), which every process it started is in."""
        held = self._held.get(folder)
        return os.fstat(held[-1]).st_ino if held else None


def _at_var_task(spec: dict) -> None:
    """The environment's code is at /var/task now, and a Node.js runtime at /var/runtime: its task
    root, its command, and the variables that name them."""
    moves = {spec["taskRoot"]: TASK, **({spec["runtimeDir"]: RUNTIME} if spec.get("runtimeDir") else {})}
    environment = spec["environment"]

    def moved(path: str) -> str:
        for real, there in moves.items():
            if path == real or path.startswith(real + "/"):
                return there + path[len(real) :]
        return path

    spec["taskRoot"] = TASK
    spec["args"] = [moved(argument) for argument in spec.get("args", ())]
    for key in ("LAMBDA_TASK_ROOT", "PWD", "LD_LIBRARY_PATH", "NODE_PATH"):
        if key in environment:
            os.environ[key] = environment[key] = os.pathsep.join(map(moved, environment[key].split(os.pathsep)))
