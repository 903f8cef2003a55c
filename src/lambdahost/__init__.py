"""lambdahost: run AWS Lambda functions on your own machine, with the real platform's semantics.

The names below load on first use, so a command that never starts a host (``lambdahost list``)
does not pay for importing asyncio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import lazy

_EXPORTS = {
    "AsyncHost": "host",
    "Host": "host",
    "HostSettings": "settings",
    "FunctionConfig": "model.function",
    "LoggingConfig": "model.function",
    "InvocationResult": "model.invocation",
    "LogEvent": "model.invocation",
    "LambdaError": "errors",
    "InvalidParameterValueException": "errors",
    "InvalidRequestContentException": "errors",
    "RequestEntityTooLargeException": "errors",
    "ResourceNotFoundException": "errors",
    "TooManyRequestsException": "errors",
    "ValidationException": "errors",
}
__all__ = [
    "AsyncHost",
    "FunctionConfig",
    "Host",
    "HostSettings",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "InvocationResult",
    "LambdaError",
    "LogEvent",
    "LoggingConfig",
    "RequestEntityTooLargeException",
    "ResourceNotFoundException",
    "TooManyRequestsException",
    "ValidationException",
]


__getattr__ = lazy.exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .errors import (
        InvalidParameterValueException,
        InvalidRequestContentException,
        LambdaError,
        RequestEntityTooLargeException,
        ResourceNotFoundException,
        TooManyRequestsException,
        ValidationException,
    )
    from .host import AsyncHost, Host
    from .model.function import FunctionConfig, LoggingConfig
    from .model.invocation import InvocationResult, LogEvent
    from .settings import HostSettings
