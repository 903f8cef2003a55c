"""EventBridge event patterns, which SNS filter policies and SQS filter criteria share.

A pattern is an object whose keys must all match: nested objects match nested fields, and a
list of matchers matches when one of them matches the field (or, for an array, one element).
Matchers: exact values (null included), prefix, suffix, anything-but, numeric, exists,
equals-ignore-case, wildcard, cidr, and ``$or`` of patterns.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from typing import Any

_MISSING = object()
_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class PatternError(ValueError):
    pass


def matches(pattern: dict, event: Any) -> bool:
    if not isinstance(pattern, dict):
        raise PatternError("an event pattern is a JSON object")
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(option, event) for option in expected):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(expected, dict):
            if value is _MISSING or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not _field_matches(expected, value):
                return False
        else:
            raise PatternError(f"the pattern's value for {key!r} must be a list or an object")
    return True


def _field_matches(matchers: list, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            if (value is not _MISSING) == bool(matcher["exists"]):
                return True
            continue
        if value is _MISSING:
            continue
        if any(_one(matcher, v) for v in values):
            return True
    return False


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return matcher == value and type(matcher) is type(value) or _numbers_equal(matcher, value)
    ((operator, argument),) = matcher.items()
    if operator == "prefix":
        return _text_test(argument, value, str.startswith)
    if operator == "suffix":
        return _text_test(argument, value, str.endswith)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(argument).lower()
    if operator == "wildcard":
        return isinstance(value, str) and fnmatch.fnmatchcase(value, argument)
    if operator == "anything-but":
        if isinstance(argument, dict):
            return not _one(argument, value)
        options = argument if isinstance(argument, list) else [argument]
        return not any(_one(option, value) for option in options)
    if operator == "numeric":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        pairs = list(zip(argument[::2], argument[1::2], strict=True))
        return all(_COMPARE[op](value, bound) for op, bound in pairs)
    if operator == "cidr":
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(argument, strict=False)
        except (TypeError, ValueError):
            return False
    raise PatternError(f"unknown matcher {operator!r}")


def _text_test(argument: Any, value: Any, test) -> bool:
    if isinstance(argument, dict) and "equals-ignore-case" in argument:
        return isinstance(value, str) and test(value.lower(), argument["equals-ignore-case"].lower())
    return isinstance(value, str) and test(value, argument)


def _numbers_equal(matcher: Any, value: Any) -> bool:
    numeric = (int, float)
    return (
        isinstance(matcher, numeric)
        and isinstance(value, numeric)
        and not isinstance(matcher, bool)
        and not isinstance(value, bool)
        and matcher == value
    )
