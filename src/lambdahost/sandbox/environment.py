"""An execution environment: a sandbox slot (log stream, temp folder) and the process in it.

It runs Lambda's lifecycle: an init phase bounded by the init timeout; "suppressed init" — a
second init inside the invoke phase, bounded by the function timeout — after an init failure;
then one invocation at a time. A timeout, a crash or running out of memory resets it: the
process is gone, and the next invocation starts a new one in the same slot, keeping /tmp.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shutil
import signal
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import SnapStartException
from ..model.function import FunctionConfig
from ..model.invocation import Invocation, InvocationResult, LogLine
from ..model.registry import LATEST
from ..runtime import protocol
from ..runtime.faults import AFTER_RESTORE_ERROR
from ..settings import HostSettings
from . import esbuild, packages
from .forkserver import ExitStatus, ForkServer
from .interpreter import Interpreter
from .launch import RUNTIME_DIR
from .node import BOOTSTRAP, Node, NodeFunction, node_command, node_path
from .platform_log import PlatformLog, Report, timestamp
from .process import HOT_WAIT, EnvironmentProcess, RuntimeApiProcess, TimedOut
from .snapshot import SnapshotFailed

# Lines are handed on in batches, one per invocation: (function name, log stream name, lines).
LogSink = Callable[[str, str, list[LogLine]], None]
_Outcome = tuple[bytes, str | None, str | None, str, str]  # payload, function error, error type, status, content type

_HOT_WAIT_US = str(round(HOT_WAIT * 1e6))
_CREDENTIAL_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
)


@dataclass
class _Init:
    ok: bool
    duration_ms: float
    status: str = "success"
    error_type: str | None = None
    error_body: bytes = b""
    platform_message: str = ""  # a platform error's: its body names the request it answers

    def answer(self, request_id: str) -> bytes:
        if self.platform_message:
            return _platform_error(request_id, self.error_type or "", self.platform_message)
        return self.error_body


class Environment:
    def __init__(
        self,
        function: FunctionConfig,
        version: str,
        forkserver: ForkServer,
        settings: HostSettings,
        tmp_root: Path,
        sink: LogSink,
        included: Path,
        hidden: Sequence[Path] = (),
        node: NodeFunction | None = None,
    ) -> None:
        """``included``: the folder of the libraries Lambda's Python runtime includes (``included.py``);
        ``hidden``: folders the function's processes must not see (``runtime/ephemeral.py``);
        ``node``: how a Node.js function runs (its Node, where its code and packages are)."""
        self.function = function
        self._node = node
        self._task_root = Path((node and node.task_root) or function.code_dir)
        self._ahead: EnvironmentProcess | None = None  # started ahead, its handler not loaded yet
        self._included = included
        self._hidden = hidden
        self.version = version
        self.id = uuid.uuid4().hex
        self.log_stream_name = time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{self.id}"
        self.tmp_dir = tmp_root / self.id
        self.last_used = time.monotonic()
        self._forkserver = forkserver
        self._settings = settings
        self._sink = sink
        self._process: EnvironmentProcess | None = None
        self._init_failed = False
        self._max_rss_kb = 0
        self._partial = b""
        self._request_id = ""
        self._lines: list[str] = []
        self._unsent: list[LogLine] = []
        debugged = settings.debug_function in (None, function.name) and function.is_python
        self._debug_port = settings.debug_port if debugged else None
        # SnapStart: this environment is the version's snapshot, or restored from it (its fork-server is the snapshot).
        self.snap_start = function.snap_start and version != LATEST
        runtime_version, program = _runtime_version(function, forkserver.interpreter, node and node.node)
        self._platform = PlatformLog(
            function.logging.json,
            function.name,
            version,
            runtime_version,
            f"arn:aws:lambda:{settings.region}::runtime:lambdahost-{program}",
            function.logging.system_log_level,
            "snap-start" if self.snap_start else "on-demand",
        )

    # -- the invoke phase ---------------------------------------------------------------------

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        self._lines = []
        self._request_id = ""
        init_ms = None
        failed = None  # a SnapStart environment's failed init or restore: no suppressed init follows
        if self._process is not None and self._process.ended:  # after its last answer
            self.reset()
        if self._process is None and not self._init_failed:
            init = await self._init("init", self._enforced(time.monotonic() + self._settings.init_timeout))
            init_ms = init.duration_ms
            if self.snap_start and not init.ok:
                failed = self._failed_restore(init, invocation.request_id)
            else:
                self._init_failed = not init.ok
        started = self._begin(invocation)
        if failed is not None:
            outcome = failed
        else:
            outcome = await self._run(invocation, started + self.function.timeout)
        # Every line the runtime printed before its answer has been read by now: the pipe was
        # readable before the channel, so the poll that saw the answer saw the pipe too, and its
        # reader ran before this resumed. (A process that timed out or exited was read to the
        # end when it was closed.)
        return self._end(invocation, outcome, started, init_ms)

    @property
    def warm(self) -> bool:
        """Whether ``invoke_warm`` can serve the next invocation."""
        return isinstance(self._process, EnvironmentProcess) and not self._init_failed and self._debug_port is None

    def _enforced(self, deadline: float) -> float | None:
        """The deadline to hold the environment to: none while a debugger may hold it at a
        breakpoint. (The handler still sees its configured deadline in its context.)"""
        return None if self._debug_port is not None else deadline

    def invoke_warm(self, invocation: Invocation) -> InvocationResult:
        """``invoke`` in a ``warm`` environment for a caller that runs no event loop (the sync
        ``Host``): one blocking exchange with the runtime instead of loop turns."""
        process = self._process
        self._lines = []
        started = self._begin(invocation)
        deadline = started + self.function.timeout
        streamed: list[bytes] = []
        try:
            frame = process.call(self._meta(invocation, deadline), invocation.payload, deadline)
            while _streaming(frame, invocation, streamed):
                frame = process.wait_frame(deadline)
        except TimedOut:
            outcome = self._timed_out(invocation)
        except BaseException:  # interrupted: its answer must never reach the next invocation
            self.reset()
            raise
        else:
            outcome = (
                self._answer(_whole(frame, streamed))
                if frame
                else self._exited(invocation.request_id, process.wait_exit_now())
            )
        return self._end(invocation, outcome, started, None)

    def _begin(self, invocation: Invocation) -> float:
        """Open the invocation's log with START; returns when it started (monotonic)."""
        self._request_id = invocation.request_id
        self._emit(self._platform.start(invocation.request_id))
        return time.monotonic()

    def _end(
        self, invocation: Invocation, outcome: _Outcome, started: float, init_ms: float | None
    ) -> InvocationResult:
        """Close the invocation's log with END and REPORT, and hand back its result."""
        duration_ms = (time.monotonic() - started) * 1000
        payload, function_error, error_type, status, content_type = outcome
        self._flush_partial()
        memory_used = (
            self.function.memory_size
            if error_type == "Runtime.OutOfMemory"
            else max(1, math.ceil(self._max_rss_kb / 1024))
        )
        report = Report(
            invocation.request_id,
            duration_ms,
            self.function.memory_size,
            memory_used,
            None if self.snap_start else init_ms,
            status,
            error_type if status == "error" else None,
            init_ms if self.snap_start else None,
        )
        self._emit(self._platform.end(invocation.request_id))
        self._emit(self._platform.report(report))
        self._send_logs()
        self._request_id = ""  # what it prints from now on belongs to no invocation
        lines, self._lines = self._lines, []  # (a new list: later prints are not this result's)
        self.last_used = time.monotonic()
        return InvocationResult(
            request_id=invocation.request_id,
            payload=payload,
            executed_version=self.version,
            function_error=function_error,
            error_type=error_type,
            content_type=content_type,
            log_lines=lines,
            duration_ms=duration_ms,
            billed_duration_ms=report.billed_duration_ms,
            init_duration_ms=report.init_duration_ms,
            memory_size_mb=self.function.memory_size,
            max_memory_used_mb=memory_used,
            log_stream_name=self.log_stream_name,
        )

    async def _run(self, invocation: Invocation, deadline: float) -> _Outcome:
        if self._init_failed:  # suppressed init: try again, inside this invocation's time
            init = await self._init("invoke", self._enforced(deadline))
            if init.status == "timeout":
                return self._timed_out(invocation)
            if not init.ok:
                return init.answer(invocation.request_id), "Unhandled", init.error_type, "error", "application/json"
            self._init_failed = False
        process = self._process
        streamed: list[bytes] = []
        try:
            await process.invoke(self._meta(invocation, deadline), invocation.payload)
            frame = await process.receive(self._enforced(deadline))
            while _streaming(frame, invocation, streamed):
                frame = await process.receive(self._enforced(deadline))
        except TimedOut:
            return self._timed_out(invocation)
        except OSError:
            frame = None
        except BaseException:  # cancelled: its answer must never reach the next invocation
            self.reset()
            raise
        if frame is None:
            status = await process.wait_exit()
            if process.ended_before_taking:  # never started: run it in a new runtime
                self.reset()
                self._init_failed = True
                return await self._run(invocation, deadline)
            return self._exited(invocation.request_id, status)
        return self._answer(_whole(frame, streamed))

    @staticmethod
    def _meta(invocation: Invocation, deadline: float) -> dict:
        """The invocation as the runtime receives it (the Runtime API's headers, as a dict)."""
        meta = {
            "requestId": invocation.request_id,
            "deadlineMs": str(int((time.time() + deadline - time.monotonic()) * 1000)),
            "invokedFunctionArn": invocation.invoked_function_arn,
            "traceId": invocation.trace_id,
        }
        # Like the Runtime API's headers, the optional ones travel only when they have a value.
        for key, value in (
            ("clientContext", invocation.client_context),
            ("cognitoIdentity", invocation.cognito_identity),
            ("tenantId", invocation.tenant_id),
        ):
            if value is not None:
                meta[key] = value
        if invocation.alone:
            meta["hotWaitUs"] = _HOT_WAIT_US
        return meta

    def _answer(self, frame: protocol.Frame) -> _Outcome:
        kind, result_meta, body = frame
        self._max_rss_kb = max(self._max_rss_kb, int(result_meta.get("maxRssKb", 0)))
        if "exiting" in result_meta:  # the runtime ends after this answer: the next invocation gets a new one
            self.reset()
        if kind == protocol.ERROR:
            return body, "Unhandled", result_meta["errorType"], "success", "application/json"
        return body, None, None, "success", result_meta["contentType"]

    def _timed_out(self, invocation: Invocation) -> _Outcome:
        if self._process is not None:  # its peak so far, for the REPORT: it is killed next
            self._max_rss_kb = max(self._max_rss_kb, self._process.peak_memory_kb())
        self.reset()
        seconds = f"{self.function.timeout:.2f}"
        if not self._platform.json:
            self._emit(f"{timestamp()} {invocation.request_id} Task timed out after {seconds} seconds")
        body = _platform_error(invocation.request_id, "Sandbox.Timedout", f"Task timed out after {seconds} seconds")
        return body, "Unhandled", "Sandbox.Timedout", "timeout", "application/json"

    def _exited(self, request_id: str, status: ExitStatus) -> _Outcome:
        self._max_rss_kb = max(self._max_rss_kb, status.max_rss_kb)
        self.reset()
        error_type = "Runtime.OutOfMemory" if status.out_of_memory else "Runtime.ExitError"
        message = _exit_message(status)
        if not self._platform.json:
            self._emit(f"RequestId: {request_id} Error: {message}")
            self._emit(error_type)
        return _platform_error(request_id, error_type, message), "Unhandled", error_type, "error", "application/json"

    # -- the init phase -----------------------------------------------------------------------

    async def _init(self, phase: str, deadline: float | None) -> _Init:
        restore = self._forkserver.restores
        if restore:
            try:
                await self._forkserver.ready()  # (Lambda takes the snapshot before the version's first invocation)
            except SnapshotFailed as failed:  # its own log stream has its lines
                return _Init(False, 0.0, "error", failed.error_type, failed.error_body)
        self._emit(self._platform.restore_start() if restore else self._platform.init_start(phase))
        started = time.monotonic()
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        unsupported = None
        if not self.function.runs_here:  # a Lambda runtime lambdahost has no runtime of its own for yet
            unsupported = (
                f"lambdahost does not run {self.function.runtime} functions yet: it runs Python, Node.js and provided "
                "runtimes"
            )
        elif self.function.is_node and self._node is None:
            unsupported = f"{self.function.runtime} functions run on Node.js, and none was found on this machine"
        if unsupported is not None:
            duration_ms = (time.monotonic() - started) * 1000
            error = _platform_error("", "Runtime.Unsupported", unsupported)
            self._emit(self._platform.init_report(phase, duration_ms, "error", "Runtime.Unsupported"))
            return _Init(False, duration_ms, "error", "Runtime.Unsupported", error)
        process, self._ahead = self._ahead, None
        if process is not None:  # started ahead (``start_ahead``): its init is the handler's import
            started = time.monotonic()
            try:
                process.load()
            except OSError:  # it ended meanwhile: a new one, then
                process.close()
                process = None
        if process is None:
            spec = self._spawn_spec()
            if spec is None:
                candidates = " ".join(str(p) for p in self._bootstrap_candidates())
                duration_ms = (time.monotonic() - started) * 1000
                error = _platform_error(
                    "", "Runtime.InvalidEntrypoint", f"Couldn't find valid bootstrap(s): [{candidates}]"
                )
                self._emit(self._platform.init_report(phase, duration_ms, "error", "Runtime.InvalidEntrypoint"))
                return _Init(False, duration_ms, "error", "Runtime.InvalidEntrypoint", error)
            python_or_node = self.function.is_python or self.function.is_node
            process = (EnvironmentProcess if python_or_node else RuntimeApiProcess)(self._forkserver, self._on_output)
            await process.start(spec)
        self._process = process
        try:
            frame = await process.receive(deadline)
        except TimedOut:
            frame = "timeout"
        duration_ms = (time.monotonic() - started) * 1000
        if frame is not None and frame != "timeout" and frame[0] == protocol.INIT_DONE:
            self._max_rss_kb = 0
            if restore:
                self._emit(self._platform.restore_report(duration_ms, "success", None))
            return _Init(True, duration_ms)
        process.drain_output()
        self._flush_partial()
        if frame == "timeout":
            init = _Init(False, duration_ms, "timeout", "Sandbox.Timedout", platform_message="Init timed out")
        elif frame is None:
            status = await process.wait_exit()
            init = _Init(False, duration_ms, "error", "Runtime.ExitError", platform_message=_exit_message(status))
        else:
            init = _Init(False, duration_ms, "error", frame[1]["errorType"], frame[2])
            if init.error_type == "Runtime.ImportModuleError":
                self._emit(self._missing_module_hint(init.error_body))
        self.reset()
        if restore:
            self._emit(self._platform.restore_report(duration_ms, init.status, init.error_type))
        else:
            self._emit(self._platform.init_report(phase, duration_ms, init.status, init.error_type))
        return init

    @property
    def starts_ahead(self) -> bool:
        """Whether a spare of this environment is worth starting ahead of need (``Pool``): a Node.js
        runtime, which cannot be forked warm from a server as Python can, takes tens of
        milliseconds to start before it loads a handler."""
        return self.function.is_node and self._debug_port is None

    async def start_ahead(self) -> None:
        """Start the runtime now, to wait until an invocation needs it before it loads the handler:
        that invocation's init is then only the handler's import."""
        spec = self._spawn_spec()
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        process = EnvironmentProcess(self._forkserver, self._on_output)
        await process.start({**spec, "environment": {**spec["environment"], "_LAMBDAHOST_AHEAD": "1"}})
        self._ahead = process

    def _missing_module_hint(self, error_body: bytes) -> str | None:
        """Where a module the handler could not import belongs: on Lambda a function has its code,
        its layers and boto3, and nothing of the machine it was written on."""
        try:
            message = json.loads(error_body)["errorMessage"]
        except (ValueError, KeyError, TypeError):
            return None
        missing = re.search(r"No module named '([^']+)'", message)
        if missing is None:
            return None
        return (
            f"lambdahost: {self.function.name} has no module '{missing[1]}': a function has only its code, its "
            f"layers and boto3. Add the package that provides it to {self.function.code_dir / 'requirements.txt'}"
        )

    def _failed_restore(self, init: _Init, request_id: str) -> _Outcome:
        """A SnapStart environment that could not start: the after-restore hooks failed (the caller
        gets SnapStartException, as from Lambda), or the snapshot could not be taken (its init
        error answers, and the next invocation tries again: UNCONFIRMED what Lambda answers for a
        version whose snapshot failed)."""
        if init.error_type == AFTER_RESTORE_ERROR:
            self._send_logs()
            raise SnapStartException(
                "The afterRestore() runtime hook encountered an error. For more information, check the Amazon "
                "CloudWatch logs."
            )
        return init.answer(request_id), "Unhandled", init.error_type, "error", "application/json"

    async def take_snapshot(self) -> socket.socket:
        """SnapStart: run this environment's init as the version's snapshot (init, then the
        before-snapshot hooks); returns its channel, on which it now forks restored environments.
        Raises SnapshotFailed."""
        init = await self._init_ahead()
        if not init.ok:
            raise SnapshotFailed(init.error_type, init.answer(""))  # before any request
        return self._process.detach_channel()

    async def provision(self) -> str | None:
        """Provisioned concurrency: the init phase now, ahead of any invocation; the init's error
        type if it failed."""
        self._platform.initialization_type = "provisioned-concurrency"
        init = await self._init_ahead()
        return None if init.ok else init.error_type or "Runtime.Unknown"

    async def _init_ahead(self) -> _Init:
        """The init phase outside any invocation; its lines are stored at once."""
        self._lines = []
        init = await self._init("init", self._enforced(time.monotonic() + self._settings.init_timeout))
        self._send_logs()
        return init

    def _spawn_spec(self) -> dict | None:
        """What the fork-server needs to start the process; None if a custom runtime has no bootstrap."""
        function = self.function
        spec = {
            "handler": function.handler,
            "taskRoot": str(self._task_root),
            "layers": [str(p) for p in function.layers],
            "environment": self._environment_variables(),
            "memoryLimitKb": function.memory_size * 1024,
            "ephemeralStorageMb": function.ephemeral_storage,
            "tmpFolder": str(self.tmp_dir),
            "included": str(self._included),
            "hidden": [str(folder) for folder in self._hidden],
        }
        if function.file_systems:
            for folder, _ in function.file_systems:
                Path(folder).mkdir(parents=True, exist_ok=True)
            spec["fileSystems"] = [list(pair) for pair in function.file_systems]
        requirements = packages.requirements_of(function)
        if requirements is not None:  # installed when the function was added (``Invoker.prepare``)
            dependencies = packages.installed(self._forkserver.interpreter, requirements.text)
            if dependencies is not None:
                spec["dependencies"] = str(dependencies)
        if self.snap_start and not self._forkserver.restores:
            spec["snapshot"] = True
        if self._debug_port is not None:
            debugpy = importlib.util.find_spec("debugpy")
            spec["debug"] = {
                "port": self._debug_port,
                "debugpy": str(Path(debugpy.origin).parent.parent) if debugpy and debugpy.origin else None,
            }
        wrapper = function.environment.get("AWS_LAMBDA_EXEC_WRAPPER")
        if wrapper and (function.is_python or function.is_node):
            spec["wrapper"] = str(self._local_path(wrapper))
        if function.is_node:
            modules = self._node.modules  # (installed when the function was added: ``Invoker.prepare``)
            if modules is not None:
                spec["nodeModules"] = str(modules)
                variables = spec["environment"]
                variables["NODE_PATH"] = os.pathsep.join(filter(None, [str(modules), variables.get("NODE_PATH")]))
            spec["runtimeDir"] = str(BOOTSTRAP.parent)
            program, *arguments = node_command(
                self._node.node, function.memory_size, spec["environment"].get("NODE_OPTIONS", "")
            )
            spec["exec"], spec["args"] = program, arguments
        elif not function.is_python:
            bootstrap = next((p for p in self._bootstrap_candidates() if p.is_file()), None)
            if bootstrap is None:
                return None
            spec["exec"] = str(bootstrap)
        return spec

    def _local_path(self, path: str) -> Path:
        """A path as the function sees it on Lambda, here: ``/opt/...`` in its layers (the last
        that has it), ``/var/task/...`` in its code folder; anything else as it is."""
        given = PurePosixPath(path)
        if given.is_relative_to("/var/task"):
            return self._task_root / given.relative_to("/var/task")
        if given.is_relative_to("/opt"):
            inside = given.relative_to("/opt")
            found = (layer / inside for layer in reversed(self.function.layers))
            return next((candidate for candidate in found if candidate.exists()), Path(path))
        return Path(path)

    def _bootstrap_candidates(self) -> list[Path]:
        """Where a custom runtime's bootstrap may be: the code, then the layers (as /opt/bootstrap)."""
        return [
            self.function.code_dir / "bootstrap",
            *(layer / "bootstrap" for layer in reversed(self.function.layers)),
        ]

    def _environment_variables(self) -> dict:
        function, settings = self.function, self._settings
        task, layers = str(self._task_root), [str(layer) for layer in reversed(function.layers)]
        libraries = [task, f"{task}/lib", *(f"{layer}/lib" for layer in layers)]  # /var/task, /var/task/lib, /opt/lib
        variables = {
            # Lambda's PATH ends with /opt/bin, its LD_LIBRARY_PATH with the code's and /opt/lib
            "PATH": os.pathsep.join(
                [os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")] + [f"{x}/bin" for x in layers]
            ),
            "LD_LIBRARY_PATH": os.pathsep.join([*filter(None, [os.environ.get("LD_LIBRARY_PATH")]), *libraries]),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PWD": task,
            "HOME": str(self.tmp_dir),  # never the user's home: no stray ~/.aws credentials
            "TMPDIR": str(self.tmp_dir),
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            # where the X-Ray SDK sends segments (UDP: nothing listens here, nothing waits)
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
            "_AWS_XRAY_DAEMON_PORT": "2000",
        }
        if settings.function_endpoint_url is not None:  # before the function's own: it may name another
            variables["AWS_ENDPOINT_URL"] = settings.function_endpoint_url
        variables.update(function.environment)
        if settings.function_credentials is not None and not settings.pass_aws_credentials:
            variables.update(settings.function_credentials)
        if settings.pass_aws_credentials:
            variables.update({k: os.environ[k] for k in _CREDENTIAL_KEYS if k in os.environ})
            home_aws = Path.home() / ".aws"
            variables.setdefault("AWS_SHARED_CREDENTIALS_FILE", str(home_aws / "credentials"))
            variables.setdefault("AWS_CONFIG_FILE", str(home_aws / "config"))
        variables.update(
            {
                "_HANDLER": function.handler,
                "AWS_REGION": settings.region,
                "AWS_DEFAULT_REGION": settings.region,
                "AWS_LAMBDA_FUNCTION_NAME": function.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": self.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": self._platform.initialization_type,
                "LAMBDA_TASK_ROOT": task,
                "LAMBDA_RUNTIME_DIR": RUNTIME_DIR,
            }
        )
        if not self.snap_start:  # a snapshot serves many environments, each with a stream of its own
            variables["AWS_LAMBDA_LOG_GROUP_NAME"] = function.log_group
            variables["AWS_LAMBDA_LOG_STREAM_NAME"] = self.log_stream_name
        if function.is_python or function.is_node:  # provided runtimes have no AWS_EXECUTION_ENV
            variables["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{function.runtime}"
        if function.is_node and not variables.get("NODE_PATH"):  # (the function's own, if it sets one)
            variables["NODE_PATH"] = node_path(function.runtime, task, layers)
        if function.esbuild is not None:
            variables["NODE_OPTIONS"] = esbuild.node_options(function, variables.get("NODE_OPTIONS", ""))
        if function.logging.json:
            variables["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            variables["AWS_LAMBDA_LOG_LEVEL"] = function.logging.application_log_level or "INFO"
        return variables

    # -- logs ---------------------------------------------------------------------------------

    def _on_output(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            self._emit(line.decode("utf-8", "replace"))

    def _flush_partial(self) -> None:
        if self._partial:
            line, self._partial = self._partial, b""
            self._emit(line.decode("utf-8", "replace"))

    def _emit(self, message: str | None) -> None:
        if message is None:
            return
        self._lines.append(message)
        self._unsent.append((int(time.time() * 1000), self._request_id, message))

    def flush_logs(self) -> None:
        """Store what an idle environment has written since its last invocation (a background
        thread's prints); an invocation's own lines are stored when it ends. Nothing holds on to
        them in memory: the next invocation's log starts afresh anyway."""
        if self._process is not None:
            self._process.drain_output()
            self._flush_partial()
        self._send_logs()
        self._lines = []

    def _send_logs(self) -> None:
        if self._unsent:
            batch, self._unsent = self._unsent, []
            self._sink(self.function.name, self.log_stream_name, batch)

    # -- teardown -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Stop the process (after a timeout or crash); the slot and its /tmp stay for reuse."""
        for process in (self._process, self._ahead):
            if process is not None:
                process.close()
        self._process = self._ahead = None

    def close(self) -> None:
        self.reset()
        self.flush_logs()
        self._forkserver.release(str(self.tmp_dir))
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


def _streaming(frame: protocol.Frame | None, invocation: Invocation, streamed: list[bytes]) -> bool:
    """Whether ``frame`` is a part of a streamed response (kept, and handed on as it comes): then
    more follow."""
    if frame is None or frame[0] != protocol.CHUNK:
        return False
    streamed.append(frame[2])
    if invocation.on_chunk is not None:
        invocation.on_chunk(frame[2], frame[1]["contentType"])
    return True


def _whole(frame: protocol.Frame, streamed: list[bytes]) -> protocol.Frame:
    """A streamed response's last frame, holding the whole response (an error's holds the error)."""
    return (frame[0], frame[1], b"".join(streamed)) if streamed and frame[0] == protocol.RESULT else frame


def _runtime_version(function: FunctionConfig, interpreter: Interpreter, node: Node | None) -> tuple[str, str]:
    """INIT_START's runtime version, as Lambda names its own (python:3.12.v40, nodejs:20.v25), with
    "local" for the release; and the program that runs it, for the version's ARN."""
    if node is not None:
        return f"nodejs:{node.version[0]}.local", f"node{'.'.join(map(str, node.version))}"
    if function.is_python:
        release = f"{interpreter.version[0]}.{interpreter.version[1]}"
        return f"python:{release}.local", f"python{'.'.join(map(str, interpreter.version))}"
    return f"{function.runtime.replace('.', ':', 1)}.local", function.runtime


def _platform_error(request_id: str, error_type: str, message: str) -> bytes:
    body = {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"}
    return json.dumps(body, separators=(",", ":")).encode()


def _exit_message(status: ExitStatus) -> str:
    if status.out_of_memory or status.code is None:
        return "Runtime exited with error: signal: killed"
    if status.code > 0:
        return f"Runtime exited with error: exit status {status.code}"
    if status.code < 0:
        return f"Runtime exited with error: signal: {_SIGNAL_NAMES.get(-status.code, str(-status.code))}"
    return "Runtime exited without providing a reason"


# How Go's os/exec (and so Lambda's platform) names the signals that end a process.
_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup",
    signal.SIGPIPE: "broken pipe",
    signal.SIGQUIT: "quit",
}
