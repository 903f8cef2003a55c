"""The fork-server: one interpreter that has already imported the runtime and forks a child per
execution environment, so a new environment costs a fork, not an interpreter start.

It also reaps its children, reports each exit status to the host (the host is not their parent
and cannot wait for them), and enforces each environment's memory size: a child whose peak
resident memory passes the limit is killed, as Lambda's sandbox kills it. Each child's temporary
folder is limited to the function's ephemeral storage (``ephemeral.py``) where the machine allows.
"""

import atexit
import contextlib
import gc
import json
import os
import resource
import select
import selectors
import signal
import site
import socket
import sys
import time
import traceback

from . import LOAD, bootstrap, ephemeral, isolation, protocol

FILE_DESCRIPTORS = 1024  # an environment's limit, as Lambda's quota
MEMORY_CHECK_INTERVAL = 0.01  # seconds between peak-memory checks of the children
_MAX_MESSAGE = 1 << 18


def main(control_fd: int, restored=None) -> None:
    """Serve spawn requests until the host closes ``control_fd``. ``restored``: this process is a
    SnapStart snapshot, and its children are environments restored from it, calling that handler."""
    _raise_descriptor_limit()  # it holds a folder's namespaces for each environment
    _adopt_orphans()
    folders = ephemeral.Folders()  # before any signal handling: it forks and waits for a child
    control = socket.socket(fileno=control_fd)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the host decides when environments stop
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    selector.register(folders.inbox, selectors.EVENT_READ)
    server_fds = (control_fd, wake_read, wake_write, selector.fileno())
    environments = _Environments(control, selector, folders)
    gc.freeze()  # keep the collector from touching (and so copying) pages the children share
    try:
        while True:
            for key, _ in selector.select(MEMORY_CHECK_INTERVAL if environments.limits else None):
                if key.fileobj is folders.inbox:
                    folders.receive()
                    continue
                if key.data is not None:
                    environments.settle_ready([key.fd])  # (unless what an earlier event did settled it)
                    continue
                if key.fd == wake_read:
                    _drain(wake_read)
                    if not environments.reap():
                        return
                    continue
                try:
                    data, fds, _, _ = socket.recv_fds(control, _MAX_MESSAGE, 2)
                except ConnectionError:
                    data = b""
                if not data:
                    return
                kind, meta, body = protocol.decode(data)
                folders.receive()  # what a process sent before the host could ask about its folder
                if kind == protocol.RELEASE:
                    _end_left_behind(folders.mount_namespace(meta["tmpDir"]))
                    folders.release(meta["tmpDir"])
                    continue
                spec = json.loads(body)
                pid, told = _fork(spec, fds, (*server_fds, *environments.told), folders, restored)
                environments.forked(pid, told, meta["spawnId"], spec["memoryLimitKb"])
            environments.check_memory()
    finally:  # the host gone, or this process failing: nothing it started outlives it
        _stop_all(environments.limits)


class _Environments:
    """The fork-server's children as the host knows them: which process each environment is,
    its memory size, and how it ended.

    Which process an environment is, its child tells through a pipe: the runtime it forked into a
    process namespace of its own, and that namespace's init (then the child leaves, and this
    process adopts both as their subreaper); or nothing, closing the pipe, when it is the
    environment itself (on a machine that allows no namespaces). The host hears of the
    environment (SPAWNED) once it is told, so never of a process that is not the environment."""

    def __init__(self, control: socket.socket, selector: selectors.BaseSelector, folders: ephemeral.Folders) -> None:
        self._control = control
        self._selector = selector
        self._folders = folders
        self.limits: "dict[int, int]" = {}  # environment pid -> memory size in kB
        self._out_of_memory: "set[int]" = set()
        self._told: "dict[int, tuple[int, str, int]]" = {}  # pipe -> (child, spawn id, memory size)
        self._inits: "dict[int, int]" = {}  # runtime pid -> the init of its process namespace

    @property
    def told(self) -> "tuple[int, ...]":
        """The pipes still open here, which a new child closes."""
        return tuple(self._told)

    def forked(self, pid: int, told: int, spawn_id: str, memory_kb: int) -> None:
        self._told[told] = (pid, spawn_id, memory_kb)
        self._selector.register(told, selectors.EVENT_READ, "told")

    def settle(self, told: int) -> None:
        """The child has told, or closed the pipe (readable either way)."""
        pid, spawn_id, memory_kb = self._told.pop(told)
        self._selector.unregister(told)
        said = os.read(told, 64).split()  # (one write: whole)
        os.close(told)
        if said:
            runtime, init = map(int, said)
            self._inits[runtime] = init
            pid = runtime
        self.limits[pid] = memory_kb
        folders = self._folders
        spawned = {
            "pid": str(pid),
            "spawnId": spawn_id,
            "tmpUnlimited": folders.unlimited,
            "shared": folders.unisolated,
        }
        self._control.send(protocol.encode(protocol.SPAWNED, spawned))

    def settle_ready(self, fds: "list[int]") -> None:
        """Settle those of ``fds`` that are still waited on and have something to read."""
        waited = [fd for fd in fds if fd in self._told]
        for told in select.select(waited, [], [], 0)[0] if waited else []:
            self.settle(told)

    def reap(self) -> bool:
        """Report the environments that exited; False once the host is gone. A runtime's process
        namespace ends with it: its init is killed, and every process left in it with that."""
        # A runtime is this process's child only once the child that forked it has left, having
        # told: so what it told is read before the runtime can be reaped.
        self.settle_ready(list(self._told))
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == 0:
                return True
            child_told = next((told for told, (child, _, _) in self._told.items() if child == pid), None)
            if child_told is not None:  # it exited before this process heard what it had to tell
                self.settle(child_told)
            if pid not in self.limits:
                continue  # a child that forked a runtime and left, an init, an orphan adopted
            del self.limits[pid]
            with contextlib.suppress(KeyError, OSError):
                os.kill(self._inits.pop(pid), signal.SIGKILL)
            exited = {
                "pid": str(pid),
                "exitCode": str(os.waitstatus_to_exitcode(status)),
                "outOfMemory": "1" if pid in self._out_of_memory else "",
                "maxRssKb": str(usage.ru_maxrss),  # its peak, for the REPORT of a crash (Linux: KB)
            }
            self._out_of_memory.discard(pid)
            try:
                self._control.send(protocol.encode(protocol.EXITED, exited))
            except OSError:
                return False

    def check_memory(self) -> None:
        for pid, limit in self.limits.items():
            if pid not in self._out_of_memory and _peak_rss_kb(pid) > limit:
                self._out_of_memory.add(pid)
                _kill_group(pid)


def _fork(spec: dict, fds: "list[int]", server_fds: tuple, folders: ephemeral.Folders, restored) -> "tuple[int, int]":
    """A Python or Node.js environment gets (channel, log) descriptors; a custom runtime only its log. A
    snapshot's channel is its control socket once it has initialized. Returns the child's pid and
    where it tells which process the environment is (``_Environments``)."""
    needs = folders.needs(spec)
    told, tell = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(told)
            _become_environment(spec, fds[-1], server_fds, restored is not None)
            if folders.in_child(spec, needs, restored is not None):
                isolation.split(tell)  # from here on, the environment's runtime, process 2 of its own
            else:
                os.close(tell)
            os.chdir(spec["taskRoot"])  # after the namespaces: joining one leaves the old directory behind
            if restored is not None:
                code = _run(lambda: bootstrap.restore(socket.socket(fileno=fds[0]), restored))
            elif "exec" in spec:  # (before "wrapper": it may be one of its own)
                code = _exec(spec, fds[0] if len(fds) > 1 else None)
            elif "wrapper" in spec:
                code = _exec_wrapper(spec, fds[0])
            elif _STARTUP_VARIABLES & spec["environment"].keys():
                code = _exec_fresh(spec, fds[0])
            elif spec.get("snapshot"):
                code = _run_snapshot(spec, fds[0])
            else:
                code = _run_python(spec, fds[0])
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(tell)
    for fd in fds:
        os.close(fd)
    return pid, told


def _become_environment(spec: dict, log_fd: int, server_fds: tuple, restored: bool) -> None:
    """``restored``: forked from a SnapStart snapshot, whose variables (with what an exec wrapper
    set) it keeps, as a restored memory does."""
    os.setsid()  # its own process group, so a kill takes the handler's subprocesses too
    _run_as_batch_work()
    signal.set_wakeup_fd(-1)
    for fd in server_fds:
        os.close(fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard >= FILE_DESCRIPTORS:
        resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_DESCRIPTORS, FILE_DESCRIPTORS))  # Lambda's quota
    if not restored:
        os.environ.clear()
        os.environ.update(spec["environment"])
        time.tzset()


def _run_as_batch_work() -> None:
    """Let the CPU's running task finish its turn when this environment wakes (Linux's
    SCHED_BATCH), rather than preempt it. Under load the task an environment would preempt is
    most often the host's serving thread, in the middle of the request that will feed the next
    environment: preempted, it holds up every environment at once. An environment still takes a
    free CPU at once, and its share of a busy one is unchanged. (Measured on two CPUs: 7% more
    requests/s at 8 connections and 10% at 32, the same at one; see docs/performance.md.)"""
    if hasattr(os, "SCHED_BATCH"):  # Linux only
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def _raise_descriptor_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _exec(spec: dict, channel_fd: "int | None") -> int:
    """A runtime that is a program of its own replaces this process: a custom runtime's bootstrap,
    which talks to the Runtime API, or lambdahost's Node.js runtime, which is handed the channel
    (its descriptor in _LAMBDAHOST_CHANNEL_FD). An AWS_LAMBDA_EXEC_WRAPPER replaces it instead,
    handed the runtime's command."""
    if channel_fd is not None:
        os.set_inheritable(channel_fd, True)
        spec["environment"]["_LAMBDAHOST_CHANNEL_FD"] = str(channel_fd)
    command = [spec["exec"], *spec.get("args", ())]
    return _exec_wrapped(spec, command) if "wrapper" in spec else _exec_command(command, spec["environment"])


def _exec_wrapper(spec: dict, channel_fd: int) -> int:
    """AWS_LAMBDA_EXEC_WRAPPER for Python: the wrapper script replaces this process, handed a
    command that starts the runtime in a fresh interpreter (as Lambda hands it the interpreter and
    bootstrap.py); what the script sets (variables, PYTHONPATH, an instrumenting launcher) reaches
    the handler."""
    return _exec_wrapped(spec, _fresh_command(spec, channel_fd))


def _exec_wrapped(spec: dict, command: "list[str]") -> int:
    """The wrapper, handed ``command``; the exit status and message of Lambda's bootstrap scripts
    when it cannot run."""
    wrapper = spec["wrapper"]
    if not os.path.exists(wrapper):
        print(f"{wrapper}: does not exist", file=sys.stderr, flush=True)
        return 127
    if not os.path.isfile(wrapper) or not os.access(wrapper, os.X_OK):
        print(f"{wrapper}: is not an executable", file=sys.stderr, flush=True)
        return 126
    return _exec_command([wrapper, *command], spec["environment"])


def _exec_command(command: "list[str]", environment: dict) -> int:
    """Run ``command`` in this process's stead; if it cannot, the shell's status: 127 for a
    program not found, 126 for one that cannot run."""
    try:
        os.execve(command[0], command, environment)
    except OSError as exc:
        print(f"{command[0]}: {exc.strerror}", file=sys.stderr, flush=True)
        return 127 if isinstance(exc, FileNotFoundError) else 126


# Variables an interpreter reads only as it starts (a fork of the server's interpreter has read
# them already): a function that sets one runs in an interpreter of its own, as on Lambda.
_STARTUP_VARIABLES = frozenset(
    ["PYTHONHASHSEED", "PYTHONOPTIMIZE", "PYTHONDEVMODE", "PYTHONMALLOC", "PYTHONFAULTHANDLER", "PYTHONTRACEMALLOC"]
)


def _exec_fresh(spec: dict, channel_fd: int) -> int:
    command = _fresh_command(spec, channel_fd)
    os.execve(command[0], command, spec["environment"])
    return 127  # (execve returns only by raising)


def _fresh_command(spec: dict, channel_fd: int) -> "list[str]":
    """The command that runs the runtime in a fresh interpreter, which reads the variables."""
    os.set_inheritable(channel_fd, True)
    runtime_dir = os.path.dirname(os.path.abspath(__file__))
    return [sys.executable, "-X", "utf8", "-c", LOAD + _RUN_WRAPPED, runtime_dir, str(channel_fd), json.dumps(spec)]


_RUN_WRAPPED = "sys.exit(forkserver.run_wrapped(int(sys.argv[2]), sys.argv[3]))\n"


def run_wrapped(channel_fd: int, spec_json: str) -> int:
    """The runtime, in the interpreter a wrapper script started, with the variables it left
    (a PYTHONPATH it set keeps the layer folders off sys.path, as on Lambda)."""
    spec = {**json.loads(spec_json), "environment": dict(os.environ)}
    return _run_snapshot(spec, channel_fd) if spec.get("snapshot") else _run_python(spec, channel_fd)


def _run_python(spec: dict, channel_fd: int) -> int:
    _load_paths(spec)
    return _run(lambda: bootstrap.run(socket.socket(fileno=channel_fd), spec["handler"], spec.get("debug")))


def _run_snapshot(spec: dict, channel_fd: int) -> int:
    """SnapStart: initialize, then fork the version's environments from this process, as Lambda
    restores them from a snapshot of it (memory as init left it, the module imported once)."""
    _load_paths(spec)

    def snapshot() -> None:
        channel = socket.socket(fileno=channel_fd)
        handler = bootstrap.snapshot(channel, spec["handler"])
        main(channel.detach(), handler)  # the channel is the snapshot's control socket from now on

    return _run(snapshot)


def _load_paths(spec: dict) -> None:
    sys.argv = [bootstrap.__file__]
    environment = spec["environment"]
    sys.path[:] = _sys_path(spec["taskRoot"], spec.get("dependencies"), spec["layers"], environment.get("PYTHONPATH"))
    _apply_variables(environment)
    if spec.get("included"):
        sys.path.append(spec["included"])  # boto3 and its kin, as Lambda's runtime includes them
    for directory in [spec["taskRoot"], *_layer_dirs(spec["layers"])]:
        site.addsitedir(directory)


def _apply_variables(environment: dict) -> None:
    """What the interpreter would have taken from the function's variables at its start (the
    server's runs with -E, so that the host's own never reach a function)."""
    if environment.get("PYTHONDONTWRITEBYTECODE"):
        sys.dont_write_bytecode = True
    if environment.get("PYTHONWARNINGS"):
        import warnings

        with contextlib.suppress(Exception):  # as the interpreter does, a malformed entry is ignored
            warnings._processoptions([w.strip() for w in environment["PYTHONWARNINGS"].split(",")])


def _run(runtime) -> int:
    """Run the runtime to its end: the process's exit code."""
    try:
        runtime()
        return 0
    except SystemExit as exc:
        return _exit_code(exc.code)
    except KeyboardInterrupt:  # as the interpreter ends on one: the traceback, then by SIGINT itself
        traceback.print_exc()
        _finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        _finish()


def _finish() -> None:
    """End as an interpreter ends (the process leaves by os._exit): the atexit functions the
    function registered, then the streams flushed."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _sys_path(task_root: str, dependencies: "str | None", layers: "list[str]", pythonpath: "str | None") -> "list[str]":
    """The task root first (with the function's installed requirements, which ``sam build`` puts
    in it), then the layers as /opt/python would hold them, then the interpreter's standard
    library: never its site-packages, which hold what this machine installed, not Lambda."""
    head = [task_root] + ([dependencies] if dependencies else [])
    if pythonpath:  # a user PYTHONPATH replaces the layer dirs; relative entries are the task root's
        head += [os.path.join(task_root, p) for p in pythonpath.split(os.pathsep) if p]
    else:
        head += _layer_dirs(layers)
    standard = [p for p in sys.path if p and p not in head and not _is_site_packages(p)]
    return head + standard


def _is_site_packages(path: str) -> bool:
    return os.path.basename(path.rstrip(os.sep)) in ("site-packages", "dist-packages")


def _layer_dirs(layers: "list[str]") -> "list[str]":
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    dirs = []
    # Later layers win, as files extracted later into /opt overwrite earlier ones.
    for layer in reversed(layers):
        dirs += [f"{layer}/python/lib/{version}/site-packages", f"{layer}/python"]
    return dirs


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _peak_rss_kb(pid: int) -> int:
    try:
        fd = os.open(f"/proc/{pid}/status", os.O_RDONLY)
    except OSError:
        return 0
    try:
        status = os.read(fd, 4096)
    finally:
        os.close(fd)
    start = status.find(b"VmHWM:")
    if start < 0:
        return 0
    return int(status[start + 6 : status.index(b"kB", start)])


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _stop_all(limits: dict) -> None:
    """End every environment, and every process they started, in a session of its own or not:
    on Lambda nothing outlives its environment. Orphans come back here (``_adopt_orphans``) as
    their parents die, so this goes on until none is left."""
    for pid in list(limits):
        _kill_group(pid)
    while children := _children():
        for pid in children:
            _kill_group(pid)
        try:
            # Whichever ends first: a namespace's init ends only once its runtime, this process's
            # child, has been reaped here, so waiting for the init first would wait for ever.
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


_PR_SET_CHILD_SUBREAPER = 36


def _adopt_orphans() -> None:
    """Be the subreaper of the environments' processes (Linux): one a handler started in a
    session of its own, orphaned when its parent ends, becomes this process's child rather than
    init's, so that ``_stop_all`` finds it."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _end_left_behind(namespace: "int | None") -> None:
    """An environment closed for good: the processes it started that left its process group end
    with it, as on Lambda. Its mount namespace names them."""
    if namespace is None:
        return
    for entry in os.listdir("/proc"):  # (not only this process's children: its parent may be dying yet)
        if entry.isdigit():
            try:
                mine = os.stat(f"/proc/{entry}/ns/mnt").st_ino == namespace
            except OSError:
                continue
            if mine:
                _kill_group(int(entry))


def _children() -> "list[int]":
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    if int(stat.read().rsplit(b")", 1)[1].split()[1]) == me:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found
