"""Errors with the names and messages of the AWS Lambda API.

They are raised where input enters (configuration, invoke requests) and carry what the HTTP
API needs to answer as AWS does: the status code and the casing of the message field.
"""

from __future__ import annotations


class LambdaError(Exception):
    """Base of the Lambda API's error types; ``code`` is the AWS error code."""

    status = 400
    message_key = "message"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        return type(self).__name__

    def body(self) -> dict:
        return {"Type": "User", self.message_key: self.message}


class ValidationException(LambdaError):
    """A value broke a constraint of the API model (pattern, range, enum)."""

    def __init__(self, violations: list[str]) -> None:
        count = len(violations)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} validation {noun} detected: " + "; ".join(violations))
        self.violations = violations


class InvalidParameterValueException(LambdaError):
    pass


class ResourceNotFoundException(LambdaError):
    status = 404
    message_key = "Message"

    def __init__(self, message: str = "The resource you requested does not exist.") -> None:
        super().__init__(message)  # the generic message: layers, URLs and policies answer it


class ResourceConflictException(LambdaError):
    status = 409


class AccessDeniedException(LambdaError):
    """A function of another account: no resource-based policy here lets anyone reach it. The
    API layer words the message, as it knows the operation (``action``)."""

    status = 403
    message_key = "Message"

    def __init__(self, resource: str) -> None:
        super().__init__(f"not authorized to reach {resource}")
        self.resource = resource

    def deny(self, caller: str, action: str) -> None:
        self.message = (
            f"User: {caller} is not authorized to perform: lambda:{action} on resource: {self.resource} "
            f"because no resource-based policy allows the lambda:{action} action"
        )


class InvalidRequestContentException(LambdaError):
    pass


class SnapStartException(LambdaError):
    """The after-restore hooks of a SnapStart environment failed."""

    message_key = "Message"


class RecursiveInvocationException(LambdaError):
    """One chain of events has invoked the function as often as Lambda allows (``invoker/recursion.py``)."""

    message_key = "Message"


class RequestEntityTooLargeException(LambdaError):
    status = 413


class TooManyRequestsException(LambdaError):
    status = 429

    def __init__(self, reason: str) -> None:
        super().__init__("Rate Exceeded.")
        self.reason = reason

    def body(self) -> dict:
        return {"Reason": self.reason, "Type": "User", "message": self.message}


class ServiceException(LambdaError):
    status = 500
    message_key = "Message"

    def body(self) -> dict:
        return {"Type": "Service", "Message": self.message}
