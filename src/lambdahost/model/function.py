"""A function's configuration, validated with AWS's rules and messages when it is built."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterValueException, ValidationException
from . import limits


def default_runtime() -> str:
    """The runtime matching the interpreter lambdahost runs on, so no interpreter hunt is needed."""
    name = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return name if name in limits.PYTHON_RUNTIMES else limits.PYTHON_RUNTIMES[-1]


@dataclass(frozen=True)
class LoggingConfig:
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group: str | None = None

    def violations(self) -> list[str]:
        found = []
        if self.log_format not in limits.LOG_FORMATS:
            found.append(_enum(self.log_format, "loggingConfig.logFormat", limits.LOG_FORMATS))
        if self.application_log_level is not None and self.application_log_level not in limits.APPLICATION_LOG_LEVELS:
            found.append(
                _enum(self.application_log_level, "loggingConfig.applicationLogLevel", limits.APPLICATION_LOG_LEVELS)
            )
        if self.system_log_level is not None and self.system_log_level not in limits.SYSTEM_LOG_LEVELS:
            found.append(_enum(self.system_log_level, "loggingConfig.systemLogLevel", limits.SYSTEM_LOG_LEVELS))
        return found

    @property
    def json(self) -> bool:
        return self.log_format == "JSON"


ARCHITECTURES = ("x86_64", "arm64")
TRACING_MODES = ("Active", "PassThrough")


@dataclass(frozen=True)
class FunctionConfig:
    """What CreateFunction takes, for a function whose code is a local folder."""

    name: str
    handler: str
    code_dir: str | Path
    runtime: str = field(default_factory=default_runtime)
    timeout: int = limits.DEFAULT_TIMEOUT
    memory_size: int = limits.DEFAULT_MEMORY
    ephemeral_storage: int = limits.DEFAULT_EPHEMERAL_STORAGE
    environment: Mapping[str, str] = field(default_factory=dict)
    layers: Sequence[str | Path] = ()
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    reserved_concurrency: int | None = None
    description: str = ""
    tenant_isolation: bool = False  # TenancyConfig PER_TENANT: a tenant's environments serve only it
    snap_start: bool = False  # SnapStart ApplyOn PublishedVersions: versions restore from a snapshot
    layer_packages: Sequence[str] = ()  # requirements that stand in for public layers (Powertools')
    # FileSystemConfigs: (the local folder that stands for the access point, LocalMountPath)
    file_systems: Sequence[tuple[str, str]] = ()
    # What GetFunction says; an environment runs on this machine's architecture either way.
    architectures: Sequence[str] = ("x86_64",)
    tracing: str = "PassThrough"  # TracingConfig.Mode: Active sends traces to X-Ray, which is not here
    # SAM's Metadata BuildProperties of a function it builds with esbuild (BuildMethod: esbuild)
    esbuild: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code_dir", Path(self.code_dir).resolve())
        object.__setattr__(self, "layers", tuple(Path(p).resolve() for p in self.layers))
        object.__setattr__(self, "environment", dict(self.environment))
        object.__setattr__(self, "architectures", tuple(self.architectures))
        self._validate()

    @property
    def log_group(self) -> str:
        return self.logging.log_group or f"/aws/lambda/{self.name}"

    @property
    def is_python(self) -> bool:
        return self.runtime in limits.PYTHON_RUNTIMES

    @property
    def is_node(self) -> bool:
        return self.runtime in limits.NODE_RUNTIMES

    @property
    def runs_here(self) -> bool:
        """Whether lambdahost runs its runtime (a function may name any Lambda runtime)."""
        return self.runtime in limits.RUNTIMES

    def _validate(self) -> None:
        found = []
        if not limits.FUNCTION_NAME.fullmatch(self.name or ""):
            if not 1 <= len(self.name or "") <= 64:
                found.append(
                    f"Value '{self.name}' at 'functionName' failed to satisfy constraint: "
                    "Member must have length less than or equal to 64"
                    if self.name
                    else "Value '' at 'functionName' failed to satisfy constraint: "
                    "Member must have length greater than or equal to 1"
                )
            else:
                found.append(_pattern(self.name, "functionName", "[a-zA-Z0-9-_]+"))
        if not limits.HANDLER.fullmatch(self.handler or ""):
            found.append(
                _pattern(self.handler, "handler", r"[^\s]+")
                if len(self.handler or "") <= 128
                else f"Value '{self.handler}' at 'handler' failed to satisfy constraint: "
                "Member must have length less than or equal to 128"
            )
        if self.runtime not in limits.RUNTIMES and self.runtime not in limits.lambda_runtimes():
            found.append(_enum(self.runtime, "runtime", limits.lambda_runtimes()))
        found += _range(self.timeout, "timeout", limits.TIMEOUT_RANGE)
        found += _range(self.memory_size, "memorySize", limits.MEMORY_RANGE)
        found += _range(self.ephemeral_storage, "ephemeralStorage.size", limits.EPHEMERAL_STORAGE_RANGE)
        if self.reserved_concurrency is not None and self.reserved_concurrency < 0:
            found.append(
                f"Value '{self.reserved_concurrency}' at 'reservedConcurrentExecutions' failed to satisfy "
                "constraint: Member must have value greater than or equal to 0"
            )
        if len(self.description) > limits.DESCRIPTION_LENGTH:
            found.append(
                "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256"
            )
        if len(self.layers) > limits.MAX_LAYERS:
            found.append(
                "Value at 'layers' failed to satisfy constraint: Member must have length less than or equal to 5"
            )
        for key, value in self.environment.items():
            if not isinstance(key, str) or not limits.ENV_KEY.fullmatch(key):
                found.append(
                    f"Value '{key}' at 'environment.variables' failed to satisfy constraint: Map keys must "
                    r"satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
                )
            if not isinstance(value, str):
                found.append(
                    f"Value '{value!r}' at 'environment.variables.{key}' failed to satisfy constraint: "
                    "Member must be a string"
                )
        if len(self.architectures) != 1 or self.architectures[0] not in ARCHITECTURES:
            found.append(
                f"Value '{list(self.architectures)}' at 'architectures' failed to satisfy constraint: Member must "
                f"have length less than or equal to 1, and every member must be one of [{', '.join(ARCHITECTURES)}]"
            )
        if self.tracing not in TRACING_MODES:
            found.append(_enum(self.tracing, "tracingConfig.mode", TRACING_MODES))
        found += self.logging.violations()
        if found:
            raise ValidationException(found)
        self._check_semantics()

    def _check_semantics(self) -> None:
        reserved = sorted(k for k in self.environment if k in limits.RESERVED_ENV_KEYS)
        if reserved:
            raise InvalidParameterValueException(
                "Lambda was unable to configure your environment variables because the environment variables you "
                "have provided contains reserved keys that are currently not supported for modification. "
                f"Reserved keys used in this request: {', '.join(reserved)}"
            )
        size = sum(len(k.encode()) + len(v.encode()) for k, v in self.environment.items())
        if size > limits.ENVIRONMENT_BYTES:
            measured = json.dumps(self.environment, separators=(",", ":"))  # compact, as AWS quotes it
            raise InvalidParameterValueException(
                "Lambda was unable to configure your environment variables because the environment variables you "
                f"have provided exceeded the 4KB limit. String measured: {measured}"
            )
        if self.logging.log_format == "Text" and (self.logging.application_log_level or self.logging.system_log_level):
            raise InvalidParameterValueException(
                'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request '
                'or change the LogFormat to "JSON" and try again.'
            )
        if self.snap_start:
            self._check_snap_start()
        if not self.code_dir.is_dir():
            raise InvalidParameterValueException(
                f"Code folder '{self.code_dir}' of function '{self.name}' does not exist or is not a folder"
            )
        for layer in self.layers:
            if not layer.is_dir():
                raise InvalidParameterValueException(
                    f"Layer folder '{layer}' of function '{self.name}' does not exist or is not a folder"
                )

    def _check_snap_start(self) -> None:
        """What SnapStart cannot go with, as AWS lists it (the messages are UNCONFIRMED)."""
        if self.runtime not in limits.SNAP_START_RUNTIMES:
            raise InvalidParameterValueException(
                f"SnapStart is not supported for runtime {self.runtime}: use one of "
                f"{', '.join(limits.SNAP_START_RUNTIMES)}"
            )
        if self.ephemeral_storage > limits.DEFAULT_EPHEMERAL_STORAGE:
            raise InvalidParameterValueException(
                "SnapStart is not supported for functions with more than 512 MB of ephemeral storage"
            )


def _pattern(value: object, member: str, pattern: str) -> str:
    return (
        f"Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern}"
    )


def _enum(value: object, member: str, allowed: Sequence[str]) -> str:
    return (
        f"Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _range(value: object, member: str, bounds: tuple[int, int]) -> list[str]:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool):
        return [f"Value '{value}' at '{member}' failed to satisfy constraint: Member must be an integer"]
    if value < low:
        return [
            f"Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low}"
        ]
    if value > high:
        return [
            f"Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high}"
        ]
    return []
