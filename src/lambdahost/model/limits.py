"""AWS Lambda's quotas and name patterns, in one place (Lambda's quotas page, and the botocore service model)."""

import datetime as dt
import functools
import re

FUNCTION_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
HANDLER = re.compile(r"[^\s]{1,128}")
ENV_KEY = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
ALIAS = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")

TIMEOUT_RANGE = (1, 900)  # seconds
DEFAULT_TIMEOUT = 3
MEMORY_RANGE = (128, 10240)  # MB
DEFAULT_MEMORY = 128
EPHEMERAL_STORAGE_RANGE = (512, 10240)  # MB
DEFAULT_EPHEMERAL_STORAGE = 512
ENVIRONMENT_BYTES = 4096
TAGS = 50  # per function
DESCRIPTION_LENGTH = 256
MAX_LAYERS = 5
INIT_TIMEOUT = 10.0  # seconds an on-demand init phase may take

SYNC_REQUEST_BYTES = 6_291_456
SYNC_RESPONSE_BYTES = 6_291_556  # 6 MiB + 100, as the Runtime API allows
# A streamed response's limit: 200 MB since July 2025 (20 MB before), per Lambda's documentation
# of response streaming; its bandwidth cap after the first 6 MB (2 MBps) is not emulated.
STREAMED_RESPONSE_BYTES = 200 * 1024 * 1024
LOG_TAIL_BYTES = 4096
ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED_CONCURRENCY = 100

PYTHON_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
# Lambda's Node.js runtimes. botocore's model also names nodejs26.x, which Lambda's runtime table
# did not list when this was written (UNCONFIRMED): lambdahost says it does not run it yet.
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x")
# Runtimes Lambda has deprecated, which still run existing functions: (deprecated on, the day
# from which CreateFunction refuses them), from Lambda's runtime table. python3.9's refusal date
# has moved more than once (UNCONFIRMED: 2027-02-01 was the table's last word seen).
DEPRECATED_RUNTIMES = {
    "python3.8": (dt.date(2024, 10, 14), dt.date(2025, 2, 28)),
    "python3.9": (dt.date(2025, 12, 15), dt.date(2027, 2, 1)),
    "nodejs18.x": (dt.date(2025, 9, 1), dt.date(2026, 2, 3)),  # (the refusal date UNCONFIRMED)
}
# Long past the day Lambda stopped taking new functions on them (they still run existing ones).
# nodejs16.x and dotnet6 are UNCONFIRMED: their dates moved more than once.
RETIRED_RUNTIMES = frozenset(
    [
        "nodejs",
        "nodejs4.3",
        "nodejs4.3-edge",
        "nodejs6.10",
        "nodejs8.10",
        "nodejs10.x",
        "nodejs12.x",
        "nodejs14.x",
        "nodejs16.x",
        "java8",
        "python2.7",
        "python3.6",
        "python3.7",
        "dotnetcore1.0",
        "dotnetcore2.0",
        "dotnetcore2.1",
        "dotnetcore3.1",
        "dotnet6",
        "go1.x",
        "ruby2.5",
        "ruby2.7",
        "provided",
    ]
)
CUSTOM_RUNTIMES = ("provided.al2023", "provided.al2")
RUNTIMES = PYTHON_RUNTIMES + NODE_RUNTIMES + CUSTOM_RUNTIMES  # the runtimes lambdahost runs


@functools.cache
def lambda_runtimes() -> tuple[str, ...]:
    """Every runtime identifier Lambda knows (botocore's model of the API): a function may name
    any, though lambdahost runs only ``RUNTIMES``. Read on first need: the model costs 0.3 s."""
    import botocore.session

    return tuple(botocore.session.get_session().get_service_model("lambda").shape_for("Runtime").enum)


SNAP_START_RUNTIMES = ("python3.12", "python3.13", "python3.14")  # of those here, the ones SnapStart supports

LOG_FORMATS = ("Text", "JSON")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")

RESERVED_ENV_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "AWS_LAMBDA_MAX_CONCURRENCY",
    }
)
ASYNC_REQUEST_BYTES = 1_048_576  # Event invocations (1 MB since October 2025)
CLIENT_CONTEXT_BYTES = 3583  # base64, synchronous invocations only
URL_AUTH_TYPES = ("NONE", "AWS_IAM")  # a function URL's AuthType
URL_INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")  # and its InvokeMode
