"""Function configuration and the AWS limits it is checked against: pure data, no I/O."""

from .function import FunctionConfig, LoggingConfig

__all__ = ["FunctionConfig", "LoggingConfig"]
