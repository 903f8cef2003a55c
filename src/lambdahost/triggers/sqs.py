"""SQS event source mappings on local queues (Lambda's guide to SQS).

A poller per mapping receives batches (hiding them for the queue's visibility timeout), drops
messages that no filter lets through, moves a message received more than ``maxReceiveCount``
times to the queue's dead-letter queue, and invokes the function synchronously. A batch is
deleted on success; on a function error it stays and comes back after the visibility timeout;
with ReportBatchItemFailures only the reported messages stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from ..errors import LambdaError
from ..model.mappings import EventSourceMapping
from ..store.queues import Message, QueueStore
from ..template import Project
from ..template.project import QueueDefinition
from .patterns import matches
from .runner import may_read_remote, run_each

log = logging.getLogger("lambdahost")
POLL_INTERVAL = 0.1  # seconds between polls of an empty queue
DEFAULT_CONCURRENCY = 5  # batches in flight at once without ScalingConfig (Lambda starts SQS pollers at 5)


def record(message: Message, queue: QueueDefinition, region: str) -> dict[str, Any]:
    """A message as a record of the SQS event."""
    shape: dict[str, Any] = {
        "messageId": message.message_id,
        "receiptHandle": message.receipt,
        "body": message.body,
        "attributes": _attributes(message),
        "messageAttributes": {
            name: {"stringValue": a["Value"], "stringListValues": [], "binaryListValues": [], "dataType": a["Type"]}
            for name, a in message.attributes.items()
        },
        "md5OfBody": message.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.arn,
        "awsRegion": region,
    }
    if message.attributes:
        shape["md5OfMessageAttributes"] = hashlib.md5(
            json.dumps(message.attributes, sort_keys=True).encode()
        ).hexdigest()
    return shape


def _attributes(message: Message) -> dict[str, str]:
    """The record's system attributes, in SQS's order; a FIFO queue's add the group, sequence
    number and deduplication id (a standard queue's message sent with a group, the group)."""
    attributes = {"ApproximateReceiveCount": str(message.receive_count)}
    if message.trace_header is not None:  # sent by a handler, whose SDK passed its X-Ray header
        attributes["AWSTraceHeader"] = message.trace_header
    attributes["SentTimestamp"] = str(message.sent_ms)
    if message.sequence is not None:
        attributes["SequenceNumber"] = f"{message.sequence:020d}"
    if message.group_id is not None:
        attributes["MessageGroupId"] = message.group_id
    attributes["SenderId"] = "AIDALOCALSENDER"
    if message.dedup_id is not None:
        attributes["MessageDeduplicationId"] = message.dedup_id
    attributes["ApproximateFirstReceiveTimestamp"] = str(message.first_receive_ms)
    return attributes


def content_based(project: Project | None, queue: str) -> bool:
    """Whether the template's queue of that name deduplicates by content (ContentBasedDeduplication)."""
    queues = project.queues.values() if project else ()
    return any(q.name == queue and q.content_based_deduplication for q in queues)


def passes(filters: list[dict], shaped: dict) -> bool:
    """SQS filter criteria: a pattern matches the record, with a JSON body matched as JSON."""
    if not filters:
        return True
    subject = dict(shaped)
    with contextlib.suppress(ValueError):
        subject["body"] = json.loads(shaped["body"])
    return any(matches(pattern, subject) for pattern in filters)


def failed_ids(payload: bytes, batch: list[Message]) -> set[str] | None:
    """The messages a ReportBatchItemFailures response asks to keep; None: the whole batch failed."""
    try:
        response = json.loads(payload) if payload else None
    except ValueError:
        return None
    if response is None or response == {}:
        return set()
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return set()
    ids = {m.message_id for m in batch}
    kept = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in ids:
            return None
        kept.add(identifier)
    return kept


class EndpointQueues:
    """Queues on an SQS endpoint (AWS itself, or an emulator), read with boto3 behind the same
    calls the poller makes on local queues. The endpoint keeps visibility and redrive itself."""

    def __init__(self, settings) -> None:
        self._client = settings.aws_client("sqs")
        self._urls: dict[str, str] = {}
        self._receipts: dict[str, tuple[str, str]] = {}  # message id -> (queue url, receipt handle)

    def _url(self, queue: str) -> str:
        if queue not in self._urls:
            self._urls[queue] = self._client.get_queue_url(QueueName=queue)["QueueUrl"]
        return self._urls[queue]

    def receive(self, queue: str, limit: int, visibility_timeout: float | None) -> list[Message]:
        options = {"VisibilityTimeout": int(visibility_timeout)} if visibility_timeout else {}
        response = self._client.receive_message(
            QueueUrl=self._url(queue),
            MaxNumberOfMessages=min(limit, 10),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            **options,
        )
        messages = []
        for raw in response.get("Messages", []):
            attributes = raw.get("Attributes", {})
            self._receipts[raw["MessageId"]] = (self._url(queue), raw["ReceiptHandle"])
            messages.append(
                Message(
                    raw["MessageId"],
                    queue,
                    raw["Body"],
                    {
                        k: {"Type": v["DataType"], "Value": v.get("StringValue", "")}
                        for k, v in raw.get("MessageAttributes", {}).items()
                    },
                    int(attributes.get("SentTimestamp", 0)),
                    int(attributes.get("ApproximateFirstReceiveTimestamp", 0)),
                    int(attributes.get("ApproximateReceiveCount", 1)),
                    raw["ReceiptHandle"],
                    attributes.get("MessageGroupId"),
                    attributes.get("MessageDeduplicationId"),
                    int(attributes["SequenceNumber"]) if "SequenceNumber" in attributes else None,
                    attributes.get("AWSTraceHeader"),
                )
            )
        return messages

    def delete(self, message_ids: list[str]) -> None:
        for message_id in message_ids:
            url, receipt = self._receipts.pop(message_id)
            self._client.delete_message(QueueUrl=url, ReceiptHandle=receipt)


class QueuePoller:
    """Runs the host's SQS mappings (the template's and the API's); a queue the template
    declares is a local one, any other is read from the SQS endpoint."""

    def __init__(self, host, project: Callable[[], Project | None]) -> None:
        self.host = host
        self.project = project
        self.store: QueueStore = host.queues
        self._endpoint: EndpointQueues | None = None

    def _queue(self, mapping: EventSourceMapping) -> QueueDefinition:
        project = self.project()
        local = project.queues.get(mapping.event_source_arn) if project else None
        return local or QueueDefinition(mapping.queue_name, mapping.event_source_arn, external=True)

    def _queues(self, queue: QueueDefinition):
        if not queue.external:
            return self.store
        if self._endpoint is None:
            self._endpoint = EndpointQueues(self.host.settings)
        return self._endpoint

    async def _call(self, queue: QueueDefinition, method: str, *args):
        """Local queues answer at once; an endpoint is asked from a thread, off the event loop."""
        call = getattr(self._queues(queue), method)
        return await asyncio.to_thread(call, *args) if queue.external else call(*args)

    async def run(self) -> None:
        mappings = self.host.control.mappings
        await run_each(lambda: [m for m in mappings.enabled() if m.kind == "SQS"], self._poll)

    async def _poll(self, mapping: EventSourceMapping) -> None:
        if self._queue(mapping).external and not may_read_remote(self.host, mapping):
            return
        running: set[asyncio.Task] = set()
        limit = mapping.max_concurrency or DEFAULT_CONCURRENCY
        while True:
            if len(running) >= limit:
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                batch = await self._gather(mapping)
            except LambdaError as exc:  # the function went away; the mapping stays, as on AWS
                log.warning("SQS mapping %s cannot poll for %s: %s", mapping.uuid, mapping.function_name, exc.message)
                await asyncio.sleep(5)
                continue
            if not batch:
                await asyncio.sleep(POLL_INTERVAL)
                continue
            task = asyncio.ensure_future(self._deliver(mapping, batch))
            running.add(task)
            task.add_done_callback(running.discard)

    async def _gather(self, mapping: EventSourceMapping) -> list[Message]:
        """A batch: full, or whatever came within the batching window."""
        batch = await self._receive(mapping, mapping.batch_size)
        deadline = time.monotonic() + mapping.window
        while batch and len(batch) < mapping.batch_size and time.monotonic() < deadline:
            await asyncio.sleep(min(POLL_INTERVAL, deadline - time.monotonic()))
            batch += await self._receive(mapping, mapping.batch_size - len(batch))
        return batch

    async def _receive(self, mapping: EventSourceMapping, limit: int) -> list[Message]:
        queue = self._queue(mapping)
        effective = None if queue.external else queue.visibility_timeout  # an endpoint knows its own
        busy = mapping.window + self.host.control.mappings.function_timeout(mapping)
        if effective is not None and mapping.window > 0 and busy > effective:  # so a batch cannot outlast it
            effective = busy + 30
        batch = []
        patterns = mapping.patterns
        for message in await self._call(queue, "receive", queue.name, limit, effective):
            if queue.max_receive_count is not None and message.receive_count > queue.max_receive_count:
                project = self.project()
                dead_letter = project.queues.get(queue.dead_letter_arn or "") if project else None
                if dead_letter is not None:
                    self.store.move(message, dead_letter.name)
                    log.warning(
                        "message %s moved to %s after %s receives",
                        message.message_id,
                        dead_letter.name,
                        queue.max_receive_count,
                    )
                    continue
            if not passes(patterns, record(message, queue, self.host.settings.region)):
                await self._call(queue, "delete", [message.message_id])  # filtered out: deleted, as AWS does
                continue
            batch.append(message)
        return batch

    async def _deliver(self, mapping: EventSourceMapping, batch: list[Message]) -> None:
        queue = self._queue(mapping)
        event = {"Records": [record(m, queue, self.host.settings.region) for m in batch]}
        # The batch's chain of events is its first traced message's (UNCONFIRMED: which one Lambda follows).
        trace = next((m.trace_header for m in batch if m.trace_header), None)
        try:
            result = await self.host.invoke(mapping.function_name, event, trace_header=trace)
        except LambdaError as exc:
            log.warning(
                "SQS batch for %s not delivered (%s): it comes back after the visibility timeout",
                mapping.function_name,
                exc.code,
            )
            return
        if result.function_error:
            return  # the whole batch becomes visible again after the visibility timeout
        keep = failed_ids(result.payload, batch) if mapping.report_failures else set()
        if keep is None:
            return
        await self._call(queue, "delete", [m.message_id for m in batch if m.message_id not in keep])
