"""What goes into an environment and what comes out of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from . import limits


@dataclass(slots=True)
class Invocation:
    request_id: str
    payload: bytes
    invoked_function_arn: str
    trace_id: str
    client_context: str | None = None  # JSON text, as the Runtime API header carries it
    cognito_identity: str | None = None
    tenant_id: str | None = None
    # Nothing else runs in the host, nor has for a moment (``ConcurrencyLimits.alone``): the host
    # waits awake for the answer, and the runtime for the next invocation, likely to follow at
    # once (sandbox/process.py, ``HOT_WAIT``).
    alone: bool = False
    # A streamed response's parts, handed on as they arrive with the stream's content type
    # (InvokeWithResponseStream, a RESPONSE_STREAM function URL); they make the result's payload too.
    on_chunk: Callable[[bytes, str], None] | None = None


@dataclass(slots=True)
class InvocationResult:
    request_id: str
    payload: bytes
    executed_version: str
    function_error: str | None = None  # "Unhandled" when the function or the runtime failed
    error_type: str | None = None
    content_type: str = "application/json"
    log_lines: list[str] = field(default_factory=list)  # what it wrote to its stream, platform lines included
    duration_ms: float = 0.0
    billed_duration_ms: int = 0
    init_duration_ms: float | None = None
    memory_size_mb: int = 0
    max_memory_used_mb: int = 0
    log_stream_name: str = ""
    status_code: int = 200  # 204 for DryRun

    @property
    def log(self) -> str:
        """The invocation's log as text; joined only when asked for, which API Gateway never does."""
        return "".join(line + "\n" for line in self.log_lines)

    @property
    def log_tail(self) -> str:
        """The last 4 KB of the log, as ``LogType=Tail`` returns it."""
        raw = self.log.encode()
        return raw[-limits.LOG_TAIL_BYTES :].decode(errors="ignore")


LogLine = tuple[int, str, str]  # a line on its way to the store: (timestamp ms, request id, message)


class LogEvent(NamedTuple):
    """One line of a log stream as the store gives it back; ``request_id`` is empty for lines
    written outside an invocation."""

    function_name: str
    log_stream_name: str
    request_id: str
    timestamp_ms: int
    message: str
    id: int = 0  # its place in the log store, once stored
