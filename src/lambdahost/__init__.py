"""lambdahost: run AWS Lambda functions on your own machine, with the real platform's semantics."""

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
from .model import FunctionConfig, LoggingConfig
from .model.invocation import InvocationResult, LogEvent
from .settings import HostSettings

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
