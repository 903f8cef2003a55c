"""What the sample modules share: the Sample record, the account and region samples default to,
and the timestamps, ARNs and encodings that many AWS events are made of."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"

# A Kinesis sequence number; records of one sample count up from it, as a shard's do.
_SEQUENCE = 49590338271490256608559692538361571095921575989136588898


@dataclass(frozen=True)
class Sample:
    """One sample event: ``build`` takes the options (names with ``_``) and returns the event."""

    build: Callable[..., dict]
    options: dict[str, str] = field(default_factory=dict)  # option name -> default value
    help: str = ""
    model: str | None = None  # the Powertools parser model the event satisfies, if Powertools has one


Catalogue = dict[str, dict[str, Sample]]  # service -> event name -> sample


def now_iso(millis: bool = True) -> str:
    """Now in UTC as ISO 8601 with a Z, as most events carry time (with milliseconds, or without)."""
    epoch = time.time()
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{seconds}.{int(epoch * 1000) % 1000:03d}Z" if millis else f"{seconds}Z"


def now_ms() -> int:
    """Now in epoch milliseconds, as Kinesis, Firehose and Kafka stamp records."""
    return int(time.time() * 1000)


def b64(data: str | bytes) -> str:
    """Base64 text of ``data``: how events carry record payloads."""
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def arn(service: str, region: str, resource: str, partition: str = "aws") -> str:
    """An ARN in the samples' account (``region`` empty for global services such as IAM)."""
    return f"arn:{partition}:{service}:{region}:{ACCOUNT}:{resource}"


def sequence_number(index: int = 0) -> str:
    """A stream sequence number; ``index`` tells records of one sample apart."""
    return str(_SEQUENCE + index)


def no_extras() -> dict[str, Any]:
    """What a sample family's extra options add when a sample has none (headers, request fields)."""
    return {}


def json_option(text: str, option: str) -> Any:
    """An option given as JSON text (a detail, arguments, slots), with an error naming the option."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--{option} is not JSON: {error}") from None
