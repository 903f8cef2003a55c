"""Host-wide settings: where state lives, the account the functions pretend to run in, limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .model import limits

AWS = "aws"  # --aws-endpoint-url's word for AWS itself
# What functions sign their calls to a local AWS with (an emulator checks no signature): never the user's own.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local"}


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
    # Where queues and streams that are not local are read with boto3: an emulator's URL, or AWS
    # for AWS itself. None: they are not read (a mapping would delete messages from real queues).
    aws_endpoint_url: str | None = None
    # Every environment's AWS_ENDPOINT_URL (lambdahost's endpoint for every service); None:
    # functions call AWS itself.
    function_endpoint_url: str | None = None
    # The credentials every environment gets, as Lambda gives each its role's: LOCAL_CREDENTIALS
    # for a local AWS, the caller's when asked (--aws-endpoint-url aws). None: none.
    function_credentials: Mapping[str, str] | None = None
    debug_port: int | None = None  # environments wait for a debugger (debugpy) here, with no timeouts
    debug_function: str | None = None  # the function debugged (None: every Python function)
    # How long a function created or updated through the API stays Pending / InProgress. AWS takes
    # seconds; 0 settles it before the next call, while the answer itself still says it is changing.
    settle_time: float = 0.0
    async_delay_scale: float = 1.0  # multiplies asynchronous retry delays and event ages (0.01: 1 min -> 0.6 s)

    @property
    def reads_remote_sources(self) -> bool:
        return self.aws_endpoint_url is not None

    @property
    def boto3_endpoint_url(self) -> str | None:
        """``endpoint_url`` for boto3: None means AWS itself."""
        return None if self.aws_endpoint_url == AWS else self.aws_endpoint_url

    def aws_client(self, service: str):
        """A boto3 client of the AWS the host reads (queues, streams): AWS itself with the caller's
        credentials, or an emulator, which takes any key (so the local ones)."""
        import boto3

        endpoint = self.boto3_endpoint_url
        if endpoint is None:
            return boto3.client(service, region_name=self.region)
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=self.region,
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


def caller_credentials(profile: str | None = None) -> dict[str, str]:
    """The caller's AWS credentials as botocore resolves them (variables, config files, SSO,
    assume-role), as environment variables, for functions that call AWS itself. Temporary ones
    last as long as botocore made them last."""
    import boto3

    found = boto3.session.Session(profile_name=profile).get_credentials()
    if found is None:
        raise ValueError(f"no AWS credentials found{f' for the profile {profile}' if profile else ''}")
    frozen = found.get_frozen_credentials()
    variables = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key}
    if frozen.token:
        variables["AWS_SESSION_TOKEN"] = frozen.token
    return variables
