"""Error bodies and error log lines, in the exact shapes of AWS's Python runtime."""

import sys
import traceback

MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"
BEFORE_SNAPSHOT_ERROR = "Runtime.BeforeSnapshotError"
AFTER_RESTORE_ERROR = "Runtime.AfterRestoreError"

LAMBDA_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. To determine if the runtime has been updated, check the "
    "runtime version in the INIT_START log entry. If this error correlates with a change in the "
    "runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)


class FaultException(Exception):
    """An error the runtime itself reports, with a ``Runtime.*`` error type."""

    def __init__(self, error_type: str, message: str, trace: "list | None" = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def make_error(message: str, error_type: str, stack_trace: "list | None", request_id: "str | None" = None) -> dict:
    """The four-key error body, in AWS's key order."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace or [],
    }


def error_from_exception(exc: BaseException, request_id: "str | None" = None) -> dict:
    if isinstance(exc, FaultException):
        return make_error(exc.message, exc.error_type, exc.trace, request_id)
    frames = traceback.extract_tb(exc.__traceback__)
    # Drop the runtime's own leading frames, as AWS drops those from bootstrap.py.
    for index, frame in enumerate(frames):
        if not _is_runtime_file(frame.filename):
            frames = frames[index:]
            break
    # Plain (file, line, function, text) tuples, as AWS's runtime formats them: no column
    # positions, so no caret lines under the code, which Python 3.13 would add.
    entries = [(f.filename, f.lineno, f.name, f.line) for f in frames]
    return make_error(str(exc), type(exc).__name__, traceback.format_list(entries), request_id)


def _is_runtime_file(filename: str) -> bool:
    return filename.startswith(RUNTIME_DIR)


RUNTIME_DIR = __file__.rsplit("/", 1)[0] + "/"


def error_log_text(error: dict) -> str:
    """The one log event an unhandled error prints in text format: lines joined by \\r."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for element in error.get("stackTrace") or []:
        if element == "":
            lines.append("")
            continue
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return "\r".join(lines) + "\n"


def write_error_log(error: dict, json_format: bool, encode) -> None:
    if json_format:
        import time

        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        sys.stdout.write(encode({"timestamp": stamp, "level": "ERROR", **error}) + "\n")
    else:
        sys.stdout.write(error_log_text(error))
