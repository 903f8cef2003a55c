"""JSON on the host's hot paths through orjson: a tenth of the ``json`` module's time for an
API Gateway event. Python's ``json`` stays the judge of what is valid (it also takes NaN,
integers of any size and UTF-16 text), and parses whatever orjson might read otherwise: orjson
reads an integer past 64 bits as a float."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# Nineteen digits in a row may be an integer past 64 bits; shorter ones never are.
_LONG_NUMBER = re.compile(rb"\d{19}")


def validate(data: bytes | str) -> None:
    """ValueError, with ``json``'s message, unless ``data`` is JSON."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            json.loads(data)
        except RecursionError:
            raise ValueError("nested too deeply to read") from None


def loads(data: bytes) -> Any:
    """``json.loads``, through orjson when that reads the same values (a function's answer to API
    Gateway, nearly always). ValueError, with ``json``'s message, unless ``data`` is JSON."""
    if _LONG_NUMBER.search(data) is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # NaN, a lone surrogate, text that is not UTF-8: json decides
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """Encode what the host built itself (events, log lines); integers past 64 bits go through ``json``.
    A non-finite float becomes null, where ``json`` would write NaN, which is not JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value).encode()
