"""The ``context`` object handed to handlers, attribute for attribute as AWS's Python runtime."""

import os
import sys
import time


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self) -> str:
        return (
            f"Client([installation_id={self.installation_id},app_title={self.app_title},"
            f"app_version_name={self.app_version_name},app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}])"
        )


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __repr__(self) -> str:
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


def _from_dict(cls, values: "dict | None"):
    if values is None:
        return None
    obj = cls()
    for name in cls.__slots__:
        setattr(obj, name, values.get(name))
    return obj


class LambdaContext:
    """Built fresh for every invocation; the static fields come from the environment variables,
    read once when the environment starts (``_load_environment``) rather than at every invocation."""

    _static = (None, None, None, None, None)

    @classmethod
    def _load_environment(cls) -> None:
        get = os.environ.get
        cls._static = (
            get("AWS_LAMBDA_LOG_GROUP_NAME"),
            get("AWS_LAMBDA_LOG_STREAM_NAME"),
            get("AWS_LAMBDA_FUNCTION_NAME"),
            # A string, as on AWS: the runtime copies the variable without converting it.
            get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
            get("AWS_LAMBDA_FUNCTION_VERSION"),
        )

    def __init__(
        self,
        aws_request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        client_context: "dict | None" = None,
        cognito_identity: "dict | None" = None,
        tenant_id: "str | None" = None,
    ) -> None:
        self.aws_request_id = aws_request_id
        (
            self.log_group_name,
            self.log_stream_name,
            self.function_name,
            self.memory_limit_in_mb,
            self.function_version,
        ) = self._static
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c = {}
        if isinstance(client_context, dict) and isinstance(client_context.get("w3c"), dict):
            raw = client_context.pop("w3c")
            self._w3c = {k: raw[k] for k in ("traceparent", "tracestate", "baggage") if isinstance(raw.get(k), str)}
        self.client_context = _from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_dict(Client, self.client_context.client)
        self.identity = CognitoIdentity()
        cognito_identity = cognito_identity or {}
        self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
        self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def w3c(self) -> dict:
        return dict(self._w3c)

    def log(self, msg) -> None:
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )
