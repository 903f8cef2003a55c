"""JSON in and out, following the rules of AWS's Python runtime.

AWS uses simplejson; we reproduce its observable output with the standard library: default
separators, NaN and Infinity allowed, ``Decimal`` written as its exact digits (any NaN as NaN),
bytes returned raw (and decoded as UTF-8 inside a result), a namedtuple (anything with an
``_asdict()``) written as an object, and non-ASCII kept as is only on python3.12 and later.
"""

import decimal
import json
import math
import os

from .faults import MARSHAL_ERROR, UNMARSHAL_ERROR, FaultException

# Decimals are written through a placeholder string that nothing else can produce, then spliced
# back as raw digits: the standard library encoder has no "raw JSON" escape hatch.
_TOKEN = "\u0000decimal-" + os.urandom(16).hex() + "-"
_ASCII_ONLY_RUNTIMES = (
    "AWS_Lambda_python3.8",
    "AWS_Lambda_python3.9",
    "AWS_Lambda_python3.10",
    "AWS_Lambda_python3.11",
)


_decimals: list = []  # the Decimals met while encoding the current result


def _default(value):
    if isinstance(value, decimal.Decimal):
        if value.is_nan():  # -NaN and sNaN too, which would not be JSON
            return math.nan
        _decimals.append(value)
        return f"{_TOKEN}{len(_decimals) - 1}"
    if isinstance(value, bytes):
        return value.decode("utf-8")  # simplejson's encoding="utf-8"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_encoders: dict = {}


def _encoder() -> json.JSONEncoder:
    """One encoder per process; AWS_EXECUTION_ENV is only known once the environment is set up."""
    ascii_only = os.environ.get("AWS_EXECUTION_ENV", "") in _ASCII_ONLY_RUNTIMES
    if ascii_only not in _encoders:
        _encoders[ascii_only] = json.JSONEncoder(default=_default, allow_nan=True, ensure_ascii=ascii_only)
    return _encoders[ascii_only]


_PLAIN = frozenset([str, int, float, bool, type(None), decimal.Decimal, bytes])


def _has_objects(value) -> bool:
    """Whether anything in ``value`` has an ``_asdict()``: the standard library would write a
    namedtuple as an array. A quick walk, as most results have none (well under a microsecond
    for an API Gateway response)."""
    kind = type(value)
    if kind in _PLAIN:
        return False
    if kind is dict:
        return any(map(_has_objects, value.values()))
    if kind is list or kind is tuple:
        return any(map(_has_objects, value))
    if callable(getattr(value, "_asdict", None)):
        return True
    if isinstance(value, dict):
        return any(map(_has_objects, value.values()))
    return isinstance(value, (list, tuple)) and any(map(_has_objects, value))


def _as_objects(value):
    """``value`` with everything that has an ``_asdict()`` written as the mapping it gives."""
    if type(value) in _PLAIN:
        return value
    asdict = getattr(value, "_asdict", None)
    if callable(asdict) and not isinstance(value, dict):
        value = asdict()
    if isinstance(value, dict):
        return {key: _as_objects(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_objects(item) for item in value]
    return value


def to_json(obj) -> str:
    if _has_objects(obj):
        obj = _as_objects(obj)
    encoder = _encoder()
    _decimals.clear()
    text = encoder.encode(obj)
    if _decimals:
        quoted = encoder.encode(_TOKEN)[:-1]
        for index, value in enumerate(_decimals):
            text = text.replace(f'{quoted}{index}"', str(value), 1)
        _decimals.clear()
    return text


def marshal_response(response) -> "tuple[bytes, str]":
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return to_json(response).encode("utf-8"), "application/json"
    except Exception as exc:
        raise FaultException(MARSHAL_ERROR, f"Unable to marshal response: {exc}", None) from None


def unmarshal_request(body: bytes, content_type: "str | None"):
    if content_type not in (None, "", "application/json"):
        return body
    try:
        return json.loads(body)
    except Exception as exc:
        raise FaultException(UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}", None) from None
