"""Function names as the Invoke API accepts them: a name, ``name:qualifier``, or an ARN."""

from __future__ import annotations

import re

from ..errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
)

_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?(?P<region>[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(?P<account>\d{12}:)?(function:)?(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?"
)


_QUALIFIER = re.compile(r"|[a-zA-Z0-9$_-]+")  # the API model's pattern (a 404 is for one that matches)


def parse_function_name(
    value: str, qualifier: str | None = None, region: str | None = None, account: str | None = None
) -> tuple[str, str | None]:
    """Split a name or ARN into (name, qualifier), checking an explicit qualifier agrees and,
    given the ``region`` and ``account`` served, that an ARN is of them (AWS reaches no function
    of another region, and another account's only through a policy, which nothing here has)."""
    match = _NAME.fullmatch(value or "")
    if match is None:
        raise ValidationException(
            [
                f"Value '{value}' at 'functionName' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {_NAME.pattern}"
            ]
        )
    if len(match["name"]) > 64:  # the pattern takes any length; a name has at most 64 characters
        raise ValidationException(
            [
                f"Value '{value}' at 'functionName' failed to satisfy constraint: "
                "Member must have length less than or equal to 64"
            ]
        )
    named = (match["region"] or "").rstrip(":")
    if region is not None and named and named != region:
        raise ResourceNotFoundException(f"Functions from '{named}' are not reachable in this region ('{region}')")
    owner = (match["account"] or "").rstrip(":")
    if account is not None and owner and owner != account:
        arn = f"arn:aws:lambda:{named or region}:{owner}:function:{match['name']}"
        raise AccessDeniedException(arn + (f":{match['qualifier']}" if match["qualifier"] else ""))
    check_qualifier(qualifier)
    derived = match["qualifier"]
    if derived and qualifier and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return match["name"], derived or qualifier


def check_qualifier(qualifier: str | None) -> None:
    """The API model's pattern and length: a qualifier that breaks them is a ValidationException
    (400), checked before anything is looked up (a 404 is for one that keeps them)."""
    if qualifier is None:
        return
    if len(qualifier) > 128:
        constraint = "Member must have length less than or equal to 128"
    elif not _QUALIFIER.fullmatch(qualifier):
        constraint = "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"
    else:
        return
    raise ValidationException([f"Value '{qualifier}' at 'qualifier' failed to satisfy constraint: {constraint}"])
