"""Logging inside an environment: the runtime's root handler in text or JSON format.

Like AWS's runtime, everything goes to standard output, unbuffered, which the host captures as
the environment's log stream. The root logger's level is left alone unless
``AWS_LAMBDA_LOG_LEVEL`` is set, so ``logger.info`` is dropped by default, as on AWS.
"""

import json
import logging
import os
import sys
import time
import traceback
from datetime import datetime, timezone

request_id = ""  # the invocation in flight; never cleared, as on AWS
tenant_id = None

_RESERVED = {
    "name",
    "msg",
    "args",
    "levelname",
    "levelno",
    "pathname",
    "filename",
    "module",
    "exc_info",
    "exc_text",
    "stack_info",
    "lineno",
    "funcName",
    "created",
    "msecs",
    "relativeCreated",
    "thread",
    "threadName",
    "processName",
    "process",
    "taskName",
    "aws_request_id",
    "tenant_id",
}
_encode_json = json.JSONEncoder(ensure_ascii=False, default=str).encode


class Unbuffered:
    """Flushes after every write, so each print reaches the log as soon as it is made."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, text):
        written = self.stream.write(text)
        self.stream.flush()
        return written

    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = request_id
        record.tenant_id = tenant_id
        return True


class _StdoutHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = min(50, max(0, record.levelno)) // 10 * 10
        exc = record.exc_info
        stamp = datetime.fromtimestamp(record.created, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        result = {
            "timestamp": stamp,
            "level": logging.getLevelName(level),
            "message": record.msg if isinstance(record.msg, dict) and not record.args else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc[2]) if exc else None,
            "errorType": exc[0].__name__ if exc else None,
            "errorMessage": str(exc[1]) if exc else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if exc else None,
        }
        if getattr(record, "tenant_id", None) is not None:
            result["tenantId"] = record.tenant_id
        result.update((k, v) for k, v in record.__dict__.items() if k not in _RESERVED and k not in result)
        return _encode_json({k: v for k, v in result.items() if v is not None}) + "\n"


def json_format() -> bool:
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def setup() -> None:
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    if json_format():
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = "DEBUG" if level == "TRACE" else level
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
