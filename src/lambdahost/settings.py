"""Host-wide settings: where state lives, the account the functions pretend to run in, limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .model import limits


@dataclass(frozen=True)
class HostSettings:
    state_dir: Path | str | None = None  # None: a temporary folder, removed when the host closes
    region: str = "us-east-1"
    account_id: str = "123456789012"
    concurrency_limit: int = limits.ACCOUNT_CONCURRENCY
    init_timeout: float = limits.INIT_TIMEOUT
    idle_timeout: float = 600.0  # seconds an unused environment is kept warm
    interpreters: Mapping[str, str] = field(default_factory=dict)  # runtime -> interpreter path
    strict_runtimes: bool = False  # refuse a runtime whose interpreter is missing
    pass_aws_credentials: bool = False  # hand the host's AWS credentials to functions
    aws_endpoint_url: str | None = None  # where stream sources are read with boto3 (None: AWS itself)
    debug_port: int | None = None  # environments wait for a debugger (debugpy) here, with no timeouts
    debug_function: str | None = None  # the function debugged (None: every Python function)
    async_delay_scale: float = 1.0  # multiplies asynchronous retry delays and event ages (0.01: 1 min -> 0.6 s)
