"""The Lambda API's request bodies checked against botocore's service model, once, at the edge.

The model (shipped with boto3) gives every operation's path and the type of every member of
its body. A member of the wrong type (a string for ``Timeout``, a list for ``Tags``, a number
for ``Action``) is refused here with AWS's ``InvalidRequestContentException``, naming the member,
so the code behind the edge only ever sees the types it expects. The values' constraints
(ranges, patterns, enums) keep AWS's own messages where each is checked.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from ..errors import InvalidRequestContentException

_TYPES = {"string": "a string", "integer": "an integer", "long": "an integer", "boolean": "a boolean"}
_TYPES |= {"double": "a number", "float": "a number", "list": "a list", "map": "an object"}
_TYPES |= {"structure": "an object", "blob": "a base64 string", "timestamp": "a timestamp"}


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (an empty one is ``{}``)."""
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidRequestContentException("Could not parse request body into json") from None
    except RecursionError:
        raise InvalidRequestContentException("Could not parse request body into json: nested too deeply") from None
    if not isinstance(body, dict):
        raise InvalidRequestContentException("Could not parse request body into json: expected an object")
    return body


def checked_body(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body of a request to the Lambda API, its null members left out (JSON's null is an
    absent member, as AWS reads it); refused when a member is not of its model's type."""
    operation = _operation(method, path)
    return _checked(operation, body) if operation is not None else _without_nulls(body)


def checked_input(operation_name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``checked_body`` for an operation named (the console's calls that stand for one)."""
    return _checked(_model().operation_model(operation_name), body)


def _checked(operation, body: dict[str, Any]) -> dict[str, Any]:
    body = _without_nulls(body)
    shape = operation.input_shape
    for name, value in body.items():
        member = shape.members.get(name)
        if member is not None and "location" not in member.serialization:
            _check(value, member, name)
    return body


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _check(value: Any, shape, where: str) -> None:
    kind = shape.type_name
    if not _is(value, kind):
        raise InvalidRequestContentException(
            f"Could not parse request body into json: {where} must be {_TYPES.get(kind, kind)}, not {_described(value)}"
        )
    if kind == "structure":
        for name, item in value.items():
            if name in shape.members:
                _check(item, shape.members[name], f"{where}.{name}")
    elif kind == "list":
        for index, item in enumerate(value):
            _check(item, shape.member, f"{where}[{index}]")
    elif kind == "map":
        for key, item in value.items():
            _check(item, shape.value, f"{where}.{key}")


def _is(value: Any, kind: str) -> bool:
    if kind in ("string", "blob"):
        return isinstance(value, str)
    if kind in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("double", "float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("structure", "map"):
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind == "timestamp":
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return True


def _described(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return f"{names.get(type(value), type(value).__name__)} ({_short(value)})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _operation(method: str, path: str):
    for verb, pattern, operation in _operations():
        if verb == method and pattern.fullmatch(path):
            return operation
    return None


@functools.lru_cache(maxsize=1)
def _model():
    import botocore.session

    return botocore.session.get_session().get_service_model("lambda")


@functools.lru_cache(maxsize=1)
def _operations() -> list[tuple[str, re.Pattern, Any]]:
    """Each operation that takes a body: its method and its path as a pattern."""
    model = _model()
    found = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        method = operation.http["method"]
        if method not in ("POST", "PUT"):
            continue
        template = operation.http["requestUri"].split("?")[0]
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(template))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        found.append((method, re.compile(pattern + "/?"), operation))
    return found
