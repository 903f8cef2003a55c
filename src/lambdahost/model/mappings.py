"""Event source mappings: what the Lambda API's CreateEventSourceMapping takes, with its ranges,
defaults and messages (CreateEventSourceMapping's API reference), for the mappings made through the API and those a
template's SQS, Kinesis and DynamoDB events declare alike. Pure data, no I/O."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterValueException, ValidationException

KINDS = ("SQS", "Kinesis", "DynamoDB")
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"

# The request members UpdateEventSourceMapping may change (the source and starting position are fixed).
UPDATABLE = (
    "Enabled",
    "BatchSize",
    "FilterCriteria",
    "MaximumBatchingWindowInSeconds",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "ScalingConfig",
)


@dataclass(frozen=True)
class EventSourceMapping:
    """One mapping. Frozen and hashable: a poller runs per mapping, and a changed mapping is a new
    one. ``function_name`` may carry a qualifier (``name:alias``); ``filters`` are the patterns
    as JSON text, as the API returns them."""

    uuid: str
    function_name: str
    event_source_arn: str
    kind: str  # one of KINDS
    enabled: bool = True
    batch_size: int = 10
    window: int = 0  # MaximumBatchingWindowInSeconds
    filters: tuple[str, ...] = ()
    function_response_types: tuple[str, ...] = ()
    max_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency (SQS)
    starting_position: str | None = None  # streams
    starting_timestamp: float | None = None
    max_retries: int = -1
    max_record_age: int = -1
    bisect: bool = False
    parallelization_factor: int = 1
    tumbling_window: int = 0
    on_failure: str | None = None  # DestinationConfig.OnFailure.Destination
    last_modified: float = 0.0  # epoch seconds
    origin: str = "api"  # or "template"

    @property
    def target(self) -> tuple[str, str | None]:
        """The mapped function's name and qualifier (None: $LATEST, unqualified)."""
        name, _, qualifier = self.function_name.partition(":")
        return name, qualifier or None

    @property
    def is_stream(self) -> bool:
        return self.kind != "SQS"

    @property
    def report_failures(self) -> bool:
        return REPORT_BATCH_ITEM_FAILURES in self.function_response_types

    @property
    def patterns(self) -> list[dict]:
        return [json.loads(text) for text in self.filters]

    @property
    def queue_name(self) -> str:
        return self.event_source_arn.rsplit(":", 1)[-1]


def source_kind(arn: str) -> str:
    """The kind of source an ARN names: only these three are polled here."""
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) == 6 and parts[0] == "arn" else ""
    if service == "sqs":
        return "SQS"
    if service == "kinesis" and parts[5].startswith("stream/"):
        return "Kinesis"
    if service == "dynamodb" and "/stream/" in parts[5]:
        return "DynamoDB"
    # AWS's message (UNCONFIRMED for this exact wording); Kafka and MQ sources are not polled here.
    raise InvalidParameterValueException("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")


def create(uuid: str, function_name: str, request: dict[str, Any], origin: str = "api") -> EventSourceMapping:
    """A new mapping from CreateEventSourceMapping's request (a template event's properties use
    the same member names, with ``EventSourceArn`` taken from ``Queue`` or ``Stream``)."""
    arn = request.get("EventSourceArn")
    if not arn:
        raise InvalidParameterValueException("EventSourceArn is required.")  # (UNCONFIRMED wording)
    kind = source_kind(str(arn))
    mapping = EventSourceMapping(
        uuid=uuid,
        function_name=function_name,
        event_source_arn=str(arn),
        kind=kind,
        batch_size=10 if kind == "SQS" else 100,
        origin=origin,
    )
    if kind == "SQS":
        for member in ("StartingPosition", "ParallelizationFactor", "BisectBatchOnFunctionError"):
            if request.get(member) is not None:  # (UNCONFIRMED wording)
                raise InvalidParameterValueException(f"{member} is not valid for SQS event sources.")
    else:
        position = request.get("StartingPosition")
        if position is None:
            raise ValidationException(
                ["Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."]
            )
        _check_enum("startingPosition", position, STARTING_POSITIONS)
        if position == "AT_TIMESTAMP" and kind == "DynamoDB":
            raise InvalidParameterValueException(f"Unsupported starting position for arn type: {arn}")
        timestamp = request.get("StartingPositionTimestamp")
        if position == "AT_TIMESTAMP" and timestamp is None:  # (UNCONFIRMED wording)
            raise InvalidParameterValueException("StartingPositionTimestamp is required for AT_TIMESTAMP.")
        mapping = dataclasses.replace(
            mapping,
            starting_position=position,
            starting_timestamp=_epoch(timestamp) if timestamp is not None else None,
        )
    return update(mapping, {"Enabled": True, **request})


def update(mapping: EventSourceMapping, request: dict[str, Any]) -> EventSourceMapping:
    """The mapping with UpdateEventSourceMapping's members applied, checked as a whole."""
    changes: dict[str, Any] = {}
    if request.get("Enabled") is not None:
        changes["enabled"] = bool(request["Enabled"])
    if request.get("BatchSize") is not None:
        changes["batch_size"] = _ranged("batchSize", request["BatchSize"], 1, 10000)
    if request.get("MaximumBatchingWindowInSeconds") is not None:
        changes["window"] = _ranged("maximumBatchingWindowInSeconds", request["MaximumBatchingWindowInSeconds"], 0, 300)
    if request.get("FilterCriteria") is not None:
        changes["filters"] = _filters(request["FilterCriteria"])
    if request.get("FunctionResponseTypes") is not None:
        types = tuple(request["FunctionResponseTypes"])
        for value in types:
            _check_enum("functionResponseTypes", value, (REPORT_BATCH_ITEM_FAILURES,))
        changes["function_response_types"] = types
    if request.get("ScalingConfig") is not None:
        concurrency = (request["ScalingConfig"] or {}).get("MaximumConcurrency")
        changes["max_concurrency"] = (
            None if concurrency is None else _ranged("maximumConcurrency", concurrency, 2, 1000)
        )
    stream_members = {
        "MaximumRetryAttempts": ("max_retries", -1, 10000),
        "MaximumRecordAgeInSeconds": ("max_record_age", -1, 604800),
        "ParallelizationFactor": ("parallelization_factor", 1, 10),
        "TumblingWindowInSeconds": ("tumbling_window", 0, 900),
    }
    for member, (field, low, high) in stream_members.items():
        if request.get(member) is not None:
            changes[field] = _ranged(member[0].lower() + member[1:], request[member], low, high)
    if request.get("BisectBatchOnFunctionError") is not None:
        changes["bisect"] = bool(request["BisectBatchOnFunctionError"])
    if request.get("DestinationConfig") is not None:
        changes["on_failure"] = ((request["DestinationConfig"] or {}).get("OnFailure") or {}).get("Destination")
    if mapping.kind == "SQS" and any(request.get(m) is not None for m in (*stream_members, "DestinationConfig")):
        raise InvalidParameterValueException(  # (UNCONFIRMED wording)
            "MaximumRetryAttempts, MaximumRecordAgeInSeconds, ParallelizationFactor, TumblingWindowInSeconds "
            "and DestinationConfig are not valid for SQS event sources."
        )
    if mapping.is_stream and "max_concurrency" in changes:
        raise InvalidParameterValueException("ScalingConfig is only valid for SQS event sources.")  # (UNCONFIRMED)
    updated = dataclasses.replace(mapping, **changes)
    if 0 < updated.max_record_age < 60:
        raise InvalidParameterValueException(
            "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800."  # (UNCONFIRMED wording)
        )
    if updated.kind == "SQS" and updated.event_source_arn.endswith(".fifo"):  # (UNCONFIRMED wording for both)
        if updated.batch_size > 10:
            raise InvalidParameterValueException("BatchSize must be less than or equal to 10 for FIFO queues.")
        if updated.window > 0:
            raise InvalidParameterValueException("MaximumBatchingWindowInSeconds is not supported for FIFO queues.")
    if updated.kind == "SQS" and updated.batch_size > 10 and updated.window < 1:
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )
    return updated


def visibility_problem(visibility_timeout: int, function_timeout: int) -> str | None:
    """CreateEventSourceMapping refuses a queue that would show a message again mid-invocation."""
    if visibility_timeout < function_timeout:
        return (
            f"Queue visibility timeout: {visibility_timeout} seconds is less than "
            f"Function timeout: {function_timeout} seconds"
        )
    return None


def _ranged(member: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or not str(value).lstrip("-").isdigit():
        raise ValidationException(
            [f"Value '{value}' at '{member}' failed to satisfy constraint: Member must be a number"]
        )
    number = int(value)
    if number < low:
        rule = f"greater than or equal to {low}"
    elif number > high:
        rule = f"less than or equal to {high}"
    else:
        return number
    raise ValidationException(
        [f"Value '{number}' at '{member}' failed to satisfy constraint: Member must have value {rule}"]
    )


def _check_enum(member: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationException(
            [
                f"Value '{value}' at '{member}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(allowed)}]"
            ]
        )


def _filters(criteria: Any) -> tuple[str, ...]:
    """FilterCriteria's patterns as JSON text; a template may give them as objects."""
    filters = (criteria.get("Filters") or []) if isinstance(criteria, dict) else None
    if filters is None or not isinstance(filters, list):
        raise InvalidParameterValueException("FilterCriteria must hold a list of Filters")
    texts = []
    for item in filters:
        pattern = item.get("Pattern") if isinstance(item, dict) else None
        text = pattern if isinstance(pattern, str) else json.dumps(pattern)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):  # AWS's message (UNCONFIRMED)
            raise InvalidParameterValueException(f"Invalid filter pattern definition: {text}")
        texts.append(text)
    return tuple(texts)


def _epoch(value: Any) -> float:
    """StartingPositionTimestamp: epoch seconds from the API, or a date a template's YAML parsed."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
