"""Asynchronous invocation: Lambda's internal queue, retries, event age, destinations.

Semantics (Lambda's guide to asynchronous invocation): a function error is retried up to MaximumRetryAttempts (default
2), about 1 and then 2 minutes later; a throttle is retried with exponential backoff from 1 s to
5 min without counting as an attempt; an event older than MaximumEventAgeInSeconds (default 6 h)
is given up — looking ahead, so a retry that would start too late is not waited for. The outcome
goes to the OnSuccess / OnFailure destination as an invocation record, and a failure also to the
dead-letter target. ``HostSettings.async_delay_scale`` shrinks every delay for local work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from ..errors import RecursiveInvocationException, ResourceNotFoundException, TooManyRequestsException
from ..model import limits
from ..model.invocation import InvocationResult
from ..model.names import parse_function_name
from ..model.registry import LATEST, FunctionRecord
from ..store.async_queue import AsyncEvent, EventStore
from ..store.queues import QueueStore
from .invoker import Invoker, check_payload, check_tenant, new_request_id

log = logging.getLogger("lambdahost")

RETRY_DELAYS = (60.0, 120.0)  # before the second and the third attempt
THROTTLE_BACKOFF = (1.0, 300.0)  # first delay and cap, doubling in between
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600
WORKERS = 64  # events run at once; concurrency limits still apply to each


class EventQueue:
    def __init__(self, invoker: Invoker, store: EventStore, queues: QueueStore, delay_scale: float = 1.0) -> None:
        self.invoker = invoker
        self.store = store
        self.queues = queues
        self.delay_scale = delay_scale
        # Publishes to a template's SNS topic: (topic ARN, message, attributes) -> the subscribed
        # functions and their payloads. Set by the workspace; without one, SNS targets are kept.
        self.publish: Callable[[str, str, dict], list] | None = None
        self._running: dict[str, asyncio.Task] = {}
        self._wake = asyncio.Event()
        self._worker: asyncio.Task | None = None
        self._stopping = False

    async def put(
        self,
        function_name: str,
        payload: bytes | str | None,
        qualifier: str | None = None,
        tenant_id: str | None = None,
        trace_header: str | None = None,
    ) -> str:
        """Accept an Event invocation: checked like Invoke, then committed to the queue.
        ``trace_header``: the X-Amzn-Trace-Id of the call that caused it (a handler's call to S3,
        SNS or Invoke carries its chain of events)."""
        record, qualifier = self.invoker.resolve(function_name, qualifier)
        check_tenant(tenant_id, record.resolve(qualifier)[1])
        body = check_payload(payload, limits.ASYNC_REQUEST_BYTES)
        event = AsyncEvent(
            new_request_id(), record.name, qualifier, body, time.time(), tenant_id=tenant_id, trace_header=trace_header
        )
        self.store.add(event)
        self._wake.set()
        return event.request_id

    def start(self) -> None:
        self._stopping = False
        self._worker = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop taking events; those running are cancelled and stay queued for the next start."""
        # The flag ends the worker even if its cancellation is lost: on Python 3.11, wait_for
        # swallows a cancellation that arrives just as the wait it wraps has ended.
        self._stopping = True
        self._wake.set()
        tasks = [t for t in (self._worker, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until the queue is empty (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while self.store.pending():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.store.pending()} asynchronous events still queued")
            await asyncio.sleep(0.02)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            free = WORKERS - len(self._running)
            for event in self.store.due(time.time(), set(self._running), free) if free > 0 else []:
                task = asyncio.get_running_loop().create_task(self._process(event))
                self._running[event.request_id] = task
                task.add_done_callback(lambda _, rid=event.request_id: self._done(rid))
            next_due = self.store.next_due()
            wait = 1.0 if next_due is None else max(0.0, min(1.0, next_due - time.time()))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait if free > 0 else 1.0)

    def _done(self, request_id: str) -> None:
        self._running.pop(request_id, None)
        self._wake.set()

    async def _process(self, event: AsyncEvent) -> None:
        try:
            await self._attempt(event)
        except asyncio.CancelledError:
            raise  # stopping: the event stays queued for the next start
        except Exception:
            log.exception("asynchronous event %s failed inside lambdahost; it stays queued", event.request_id)
            event.due_at = time.time() + 5
            self.store.reschedule(event)

    async def _attempt(self, event: AsyncEvent) -> None:
        try:
            record = self.invoker.registry.record(event.function_name)
        except ResourceNotFoundException:
            log.warning(
                "dropping asynchronous event %s: function %s no longer exists", event.request_id, event.function_name
            )
            self.store.finish(event)
            return
        settings = self._settings(record, event.qualifier)
        max_age = settings.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
        max_retries = settings.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        try:
            result = await self.invoker.invoke(
                event.function_name,
                event.payload,
                qualifier=event.qualifier,
                request_id=event.request_id,
                tenant_id=event.tenant_id,
                trace_header=event.trace_header,
            )
        except RecursiveInvocationException as exc:  # not retried: a destination or DLQ hears of it
            self._fail(record, event, settings, None, "RecursiveInvocationException", exc.message)
            return
        except TooManyRequestsException:
            event.throttles += 1
            delay = min(THROTTLE_BACKOFF[0] * 2 ** (event.throttles - 1), THROTTLE_BACKOFF[1])
            if self._age(event) + delay * self.delay_scale > max_age * self.delay_scale:
                self._fail(record, event, settings, None, "EventAgeExceeded")
            else:
                self._retry(event, delay)
            return
        event.attempts += 1
        if result.function_error is None:
            self._succeed(record, event, settings, result)
        elif event.attempts > max_retries:
            self._fail(record, event, settings, result, "RetriesExhausted")
        else:
            delay = RETRY_DELAYS[min(event.attempts, len(RETRY_DELAYS)) - 1]
            if self._age(event) + delay * self.delay_scale > max_age * self.delay_scale:
                self._fail(record, event, settings, result, "EventAgeExceeded")
            else:
                self._retry(event, delay)

    def _settings(self, record: FunctionRecord, qualifier: str | None) -> dict[str, Any]:
        configs = record.event_invoke_configs
        return configs.get(qualifier or LATEST) or configs.get(LATEST) or {}

    def _age(self, event: AsyncEvent) -> float:
        return time.time() - event.enqueued_at

    def _retry(self, event: AsyncEvent, delay: float) -> None:
        event.due_at = time.time() + delay * self.delay_scale
        self.store.reschedule(event)

    def _succeed(self, record: FunctionRecord, event: AsyncEvent, settings: dict, result: InvocationResult) -> None:
        target = ((settings.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        self._hand_on(event, [target] if target else [], self._record(event, result, "Success"))

    def _fail(
        self,
        record: FunctionRecord,
        event: AsyncEvent,
        settings: dict,
        result: InvocationResult | None,
        condition: str,
        error_message: str = "Throttled",
    ) -> None:
        """Give an event up; ``error_message`` is the dead-letter message's when the function did
        not run (``result`` is None)."""
        target = ((settings.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        log.warning("asynchronous invocation %s of %s failed: %s", event.request_id, record.name, condition)
        targets = [target] if target else []
        message = _error_message(result) if result else error_message
        self._hand_on(event, targets, self._record(event, result, condition), dead_letter=(record, message))

    def _record(self, event: AsyncEvent, result: InvocationResult | None, condition: str) -> bytes:
        """The invocation record a destination receives."""
        version = result.executed_version if result else LATEST
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": _timestamp(),
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": self.invoker.registry.arn(event.function_name, event.qualifier or version),
                "condition": condition,
                "approximateInvokeCount": max(event.attempts, 1) if result else event.attempts,
            },
            "requestPayload": _parsed(event.payload),
        }
        if result is not None:
            context = {"statusCode": 200, "executedVersion": result.executed_version}
            if result.function_error:
                context["functionError"] = result.function_error
            record["responseContext"] = context
            record["responsePayload"] = _parsed(result.payload)
        return json.dumps(record).encode()

    def _hand_on(self, event: AsyncEvent, targets: list[str], body: bytes, dead_letter=None) -> None:
        """Finish an event: queue a destination invocation, an SQS message or an SNS publish (the
        topic's subscribers invoked in turn), or keep what has no local receiver."""
        follow_ups, undelivered = [], []
        for target in targets:
            if ":lambda:" in target and ":function:" in target:
                name, qualifier = parse_function_name(target)
                follow_ups.append(AsyncEvent(new_request_id(), name, qualifier, body, time.time()))
            elif target.startswith("arn:aws:sqs:"):
                self.queues.send(target.rsplit(":", 1)[1], body.decode())
            elif subscribers := self._subscribers(target, body.decode(errors="replace"), {}):
                follow_ups += subscribers
            else:
                undelivered.append((target, body))
        if dead_letter is not None:
            record, message = dead_letter
            target = record.dead_letter_target
            attributes = {
                "RequestID": {"Type": "String", "Value": event.request_id},
                "ErrorCode": {"Type": "Number", "Value": "200"},
                "ErrorMessage": {"Type": "String", "Value": message[:1024]},
            }
            payload = event.payload.decode(errors="replace")
            if target and target.startswith("arn:aws:sqs:"):
                self.queues.send(target.rsplit(":", 1)[1], payload, attributes)
            elif target and (subscribers := self._subscribers(target, payload, attributes)):
                follow_ups += subscribers
            elif target:
                message = {"body": payload, "attributes": {k: v["Value"] for k, v in attributes.items()}}
                undelivered.append((target, json.dumps(message).encode()))
        for target, _ in undelivered:
            log.warning("no local receiver for %s: the record is kept in the state database", target)
        self.store.finish(event, follow_ups, undelivered)
        if follow_ups:
            self._wake.set()

    def _subscribers(self, target: str, message: str, attributes: dict) -> list[AsyncEvent]:
        """The invocations an SNS publish to ``target`` makes; none when no local topic has subscribers."""
        if self.publish is None or not target.startswith("arn:aws:sns:"):
            return []
        deliveries = self.publish(target, message, attributes)
        return [AsyncEvent(new_request_id(), d.function_name, None, d.payload, time.time()) for d in deliveries]


def _parsed(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode(errors="replace")


def _error_message(result: InvocationResult) -> str:
    body = _parsed(result.payload)
    return body.get("errorMessage", "") if isinstance(body, dict) else str(body)


def _timestamp() -> str:
    epoch = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"
