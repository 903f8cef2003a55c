"""Function names as the Invoke API accepts them: a name, ``name:qualifier``, or an ARN."""

from __future__ import annotations

import re

from ..errors import InvalidParameterValueException, ResourceNotFoundException, ValidationException

_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?(?P<region>[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(?P<account>\d{12}:)?(function:)?(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?"
)


def parse_function_name(value: str, qualifier: str | None = None, region: str | None = None) -> tuple[str, str | None]:
    """Split a name or ARN into (name, qualifier), checking an explicit qualifier agrees and,
    given the ``region`` served, that an ARN is of it (AWS reaches no function of another region)."""
    match = _NAME.fullmatch(value or "")
    if match is None:
        raise ValidationException(
            [
                f"Value '{value}' at 'functionName' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {_NAME.pattern}"
            ]
        )
    named = (match["region"] or "").rstrip(":")
    if region is not None and named and named != region:
        raise ResourceNotFoundException(f"Functions from '{named}' are not reachable in this region ('{region}')")
    derived = match["qualifier"]
    if derived and qualifier and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return match["name"], derived or qualifier
