"""DynamoDB Streams and Kinesis event source mappings, read with boto3 from AWS itself or any
compatible endpoint (Lambda's DynamoDB Streams and Kinesis guides).

One reader per shard keeps records in order. A failed batch is retried as a whole (split in
two first with BisectBatchOnFunctionError) until it succeeds or runs out of
MaximumRetryAttempts / MaximumRecordAgeInSeconds; then its on-failure record goes to the
destination and the shard moves on. With ReportBatchItemFailures the batch is retried from the
lowest reported sequence number. With a ParallelizationFactor, the records read from a shard are
spread over that many lanes by partition key, which run at once, each in order. With
TumblingWindowInSeconds, each batch holds the records of one window (by arrival time), the
function is handed the state it returned for the window so far, and once the window has ended it
is invoked one last time with ``isFinalInvokeForWindow`` (windows take no parallel lanes here).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import json
import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import LambdaError
from ..model.mappings import EventSourceMapping
from ..template.intrinsics import LOCAL_STREAM
from .patterns import matches
from .runner import may_read_remote, run_each

log = logging.getLogger("lambdahost")
POLL_INTERVAL = {"DynamoDB": 0.25, "Kinesis": 1.0}  # AWS reads DynamoDB shards 4 times a second


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)


def _iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Window:
    """A tumbling window of one shard: its bounds (epoch seconds) and the state the function
    returned for it so far."""

    start: float
    end: float
    state: dict = field(default_factory=dict)

    @classmethod
    def of(cls, arrival: float, seconds: int) -> Window:
        start = arrival // seconds * seconds
        return cls(start, start + seconds)

    def event(self, mapping: EventSourceMapping, shard: str, records: list[dict], final: bool = False) -> dict:
        return {
            "Records": records,
            "window": {"start": _window_time(self.start), "end": _window_time(self.end)},
            "state": self.state,
            "shardId": shard,
            "eventSourceARN": mapping.event_source_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": False,
        }

    def take(self, payload: bytes) -> bool:
        """Keep the state a response returns; False if it returns none, which fails the invocation."""
        try:
            response = json.loads(payload)
        except ValueError:
            return False
        if not isinstance(response, dict) or not isinstance(response.get("state"), dict):
            return False
        self.state = response["state"]
        return True


class StreamPoller:
    """Runs the host's DynamoDB and Kinesis mappings (the template's and the API's)."""

    def __init__(self, host, ready: Callable[[], Awaitable[None]] | None = None) -> None:
        """``ready``: awaited before a stream is read (the template's tables and streams exist then)."""
        self.host = host
        self._ready = ready

    def _client(self, service: str):
        return self.host.settings.aws_client(service)

    async def run(self) -> None:
        mappings = self.host.control.mappings
        await run_each(lambda: [m for m in mappings.enabled() if m.is_stream], self._mapping)

    async def _mapping(self, mapping: EventSourceMapping) -> None:
        if not may_read_remote(self.host, mapping):
            return
        client = self._client("dynamodbstreams" if mapping.kind == "DynamoDB" else "kinesis")
        readers: dict[str, asyncio.Task] = {}
        try:
            if self._ready is not None:
                await self._ready()
            if mapping.event_source_arn.endswith(LOCAL_STREAM):
                live = await asyncio.to_thread(self._latest_stream_arn, mapping)
                mapping = dataclasses.replace(mapping, event_source_arn=live)
            while True:
                for shard in await asyncio.to_thread(self._shards, client, mapping):
                    if shard not in readers:
                        readers[shard] = asyncio.ensure_future(self._shard(client, mapping, shard))
                await asyncio.sleep(10)
        except Exception:
            log.exception("event source mapping of %s on %s stopped", mapping.function_name, mapping.event_source_arn)
        finally:
            for task in readers.values():
                task.cancel()

    def _latest_stream_arn(self, mapping: EventSourceMapping) -> str:
        """A template table's stream, as the endpoint named it when it created the table."""
        table = mapping.event_source_arn.split(":table/", 1)[1].split("/", 1)[0]
        return self._client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]

    def _shards(self, client, mapping: EventSourceMapping) -> list[str]:
        if mapping.kind == "DynamoDB":
            description = client.describe_stream(StreamArn=mapping.event_source_arn)["StreamDescription"]
            return [s["ShardId"] for s in description["Shards"]]
        return [s["ShardId"] for s in client.list_shards(StreamName=_stream_name(mapping))["Shards"]]

    def _iterator(self, client, mapping: EventSourceMapping, shard: str, checkpoint: str | None) -> str:
        """After the last record processed (``checkpoint``), if the mapping has been here before;
        else where the mapping starts."""
        options: dict[str, Any] = {"ShardId": shard, "ShardIteratorType": mapping.starting_position}
        if checkpoint is not None:
            after = "SequenceNumber" if mapping.kind == "DynamoDB" else "StartingSequenceNumber"
            options.update({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", after: checkpoint})
        elif mapping.starting_position == "AT_TIMESTAMP":
            options["Timestamp"] = mapping.starting_timestamp
        if mapping.kind == "DynamoDB":
            return client.get_shard_iterator(StreamArn=mapping.event_source_arn, **options)["ShardIterator"]
        return client.get_shard_iterator(StreamName=_stream_name(mapping), **options)["ShardIterator"]

    async def _shard(self, client, mapping: EventSourceMapping, shard: str) -> None:
        checkpoint = self.host.control.mappings.checkpoint_of(mapping, shard)
        iterator = await asyncio.to_thread(self._iterator, client, mapping, shard, checkpoint)
        pending: list[dict] = []
        patterns = mapping.patterns
        window: Window | None = None
        while iterator or pending:
            if not pending:
                limit = mapping.batch_size * mapping.parallelization_factor  # a batch for each lane
                response = await asyncio.to_thread(client.get_records, ShardIterator=iterator, Limit=limit)
                iterator = response.get("NextShardIterator")
                pending = [self._record(mapping, shard, r) for r in response["Records"]]
                pending = [r for r in pending if not patterns or any(matches(p, r) for p in patterns)]
                if not pending:
                    if window is not None and time.time() >= window.end:
                        await self._close(mapping, shard, window)
                        window = None
                    await asyncio.sleep(POLL_INTERVAL[mapping.kind])
                    continue
            if mapping.parallelization_factor > 1 and not mapping.tumbling_window:
                await asyncio.gather(*(self._lane(mapping, shard, lane) for lane in _lanes(mapping, pending)))
                self.host.control.mappings.checkpoint(mapping, shard, _sequence(mapping, pending[-1]))
                pending = []
                continue
            batch, pending = pending[: mapping.batch_size], pending[mapping.batch_size :]
            if mapping.tumbling_window:
                batch_window = Window.of(_arrival(mapping, batch[0]), mapping.tumbling_window)
                if window is not None and window.start != batch_window.start:
                    await self._close(mapping, shard, window)
                    window = None
                window = window or batch_window
                inside = [r for r in batch if _arrival(mapping, r) < window.end]  # one window per batch
                batch, pending = inside, batch[len(inside) :] + pending
            await self._process(mapping, shard, batch, window)
            self.host.control.mappings.checkpoint(mapping, shard, _sequence(mapping, batch[-1]))

    def _record(self, mapping: EventSourceMapping, shard: str, raw: dict) -> dict:
        region = self.host.settings.region
        if mapping.kind == "DynamoDB":
            change = dict(raw["dynamodb"])
            change["ApproximateCreationDateTime"] = int(_epoch(change["ApproximateCreationDateTime"]))
            return {**raw, "dynamodb": change, "eventSourceARN": mapping.event_source_arn}
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": raw["PartitionKey"],
                "sequenceNumber": raw["SequenceNumber"],
                "data": base64.b64encode(raw["Data"]).decode(),
                "approximateArrivalTimestamp": _epoch(raw["ApproximateArrivalTimestamp"]),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard}:{raw['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": f"arn:aws:iam::{self.host.settings.account_id}:role/lambdahost",
            "awsRegion": region,
            "eventSourceARN": mapping.event_source_arn,
        }

    async def _lane(self, mapping: EventSourceMapping, shard: str, records: list[dict]) -> None:
        """One of a shard's concurrent lanes (ParallelizationFactor): its batches in order."""
        for start in range(0, len(records), mapping.batch_size):
            await self._process(mapping, shard, records[start : start + mapping.batch_size], None)

    async def _process(self, mapping: EventSourceMapping, shard: str, batch: list[dict], window: Window | None) -> None:
        """Deliver one batch with the mapping's retry, bisect and partial-failure rules."""
        parts, attempts = [batch], 0
        while parts:
            part = parts[0]
            try:
                event = window.event(mapping, shard, part) if window else {"Records": part}
                result = await self.host.invoke(mapping.function_name, event)
            except LambdaError:  # throttled: does not count as an attempt
                await asyncio.sleep(0.5)
                continue
            failed_from = None
            if result.function_error is None and (window is None or window.take(result.payload)):
                failed_from = _first_failure(result.payload, part) if mapping.report_failures else None
                if failed_from is None:
                    self.host.control.mappings.processed(mapping, ok=True)
                    parts.pop(0)
                    attempts = 0
                    continue
                part = parts[0] = part[failed_from:]
            self.host.control.mappings.processed(mapping, ok=False)
            attempts += 1
            if mapping.bisect and len(part) > 1 and failed_from is None:
                half = len(part) // 2
                parts[0:1] = [part[:half], part[half:]]  # splitting is not a retry
                attempts -= 1
                continue
            if self._exhausted(mapping, part, attempts):
                self._give_up(mapping, shard, part, result, attempts)
                parts.pop(0)
                attempts = 0
                continue
            await asyncio.sleep(min(0.1 * 2**attempts, 5))

    async def _close(self, mapping: EventSourceMapping, shard: str, window: Window) -> None:
        """The window's last invocation, with its final state and no records. Its answer needs no
        state (the window ends with it); a function error retries it as a batch is retried, and
        then it is dropped (both UNCONFIRMED)."""
        attempts = 0
        while True:
            try:
                result = await self.host.invoke(mapping.function_name, window.event(mapping, shard, [], final=True))
            except LambdaError:
                await asyncio.sleep(0.5)
                continue
            ok = result.function_error is None
            self.host.control.mappings.processed(mapping, ok=ok)
            attempts += 1
            if ok or 0 <= mapping.max_retries < attempts:
                return
            await asyncio.sleep(min(0.1 * 2**attempts, 5))

    def _exhausted(self, mapping: EventSourceMapping, part: list[dict], attempts: int) -> bool:
        if mapping.max_retries >= 0 and attempts > mapping.max_retries:
            return True
        if mapping.max_record_age >= 0:
            oldest = min(_arrival(mapping, r) for r in part)
            return time.time() - oldest > mapping.max_record_age
        return False

    def _give_up(self, mapping: EventSourceMapping, shard: str, part: list[dict], result, attempts: int) -> None:
        log.warning(
            "%s: skipping %d records of %s after %d attempts", mapping.function_name, len(part), shard, attempts
        )
        if not mapping.on_failure:
            return
        sequence = [_sequence(mapping, r) for r in part]
        arrivals = [_arrival(mapping, r) for r in part]
        info_key = "DDBStreamBatchInfo" if mapping.kind == "DynamoDB" else "KinesisBatchInfo"
        context = {"statusCode": 200, "executedVersion": result.executed_version}
        if result.function_error:
            context["functionError"] = result.function_error
        record = {
            "requestContext": {
                "requestId": result.request_id,
                "functionArn": self.host.registry.arn(mapping.target[0]),  # unqualified
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": context,
            "version": "1.0",
            "timestamp": _iso(time.time()),
            info_key: {
                "shardId": shard,
                "startSequenceNumber": sequence[0],
                "endSequenceNumber": sequence[-1],
                "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
                "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
                "batchSize": len(part),
                "streamArn": mapping.event_source_arn,
            },
        }
        if mapping.on_failure.startswith("arn:aws:sqs:"):
            self.host.queues.send(mapping.on_failure.rsplit(":", 1)[1], json.dumps(record))
        else:
            log.warning("no local destination %s: the failure record is dropped", mapping.on_failure)


def _lanes(mapping: EventSourceMapping, records: list[dict]) -> list[list[dict]]:
    """Records spread over ``ParallelizationFactor`` lanes by partition key (a DynamoDB item's
    keys), so that each key's records stay in order, as Lambda keeps them."""
    lanes: list[list[dict]] = [[] for _ in range(mapping.parallelization_factor)]
    for record in records:
        if mapping.kind == "DynamoDB":
            key = json.dumps(record["dynamodb"].get("Keys"), sort_keys=True)
        else:
            key = record["kinesis"]["partitionKey"]
        lanes[zlib.crc32(key.encode()) % len(lanes)].append(record)
    return [lane for lane in lanes if lane]


def _window_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stream_name(mapping: EventSourceMapping) -> str:
    return mapping.event_source_arn.split(":stream/", 1)[1]


def _sequence(mapping: EventSourceMapping, record: dict) -> str:
    return record["dynamodb"]["SequenceNumber"] if mapping.kind == "DynamoDB" else record["kinesis"]["sequenceNumber"]


def _arrival(mapping: EventSourceMapping, record: dict) -> float:
    if mapping.kind == "DynamoDB":
        return float(record["dynamodb"]["ApproximateCreationDateTime"])
    return float(record["kinesis"]["approximateArrivalTimestamp"])


def _first_failure(payload: bytes, part: list[dict]) -> int | None:
    """Index of the lowest reported sequence number; None for success. A response that cannot be
    read fails the whole batch (index 0)."""
    try:
        response = json.loads(payload) if payload else None
    except ValueError:
        return 0
    if not response or not isinstance(response, dict) or not response.get("batchItemFailures"):
        return None
    numbers = []
    for failure in response["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier:
            return 0
        numbers.append(identifier)
    sequences = [
        r.get("dynamodb", {}).get("SequenceNumber") or r.get("kinesis", {}).get("sequenceNumber") for r in part
    ]
    positions = [sequences.index(n) for n in numbers if n in sequences]
    return min(positions) if positions else 0
