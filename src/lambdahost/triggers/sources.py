"""The template's event sources that lambdahost delivers itself: EventBridge rules and schedules,
SNS topics and S3 buckets (in the local AWS). Each turns what happened into the payloads of
asynchronous invocations, shaped as AWS shapes them (Lambda's developer guide)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from ..template import Project
from . import schedule
from .patterns import matches


@dataclass(frozen=True)
class Delivery:
    """An asynchronous invocation to make."""

    function_name: str
    payload: bytes


@dataclass(frozen=True)
class ScheduledTrigger:
    function_name: str
    event_name: str
    expression: str
    schedule: schedule.Schedule
    input: Any = None  # a constant Input replaces the Scheduled Event
    scheduler: bool = False  # ScheduleV2 (EventBridge Scheduler)


@dataclass(frozen=True)
class BucketTrigger:
    function_name: str
    bucket: str
    events: tuple[str, ...]  # s3:ObjectCreated:*, s3:ObjectRemoved:Delete, ...
    prefix: str = ""
    suffix: str = ""


class Sources:
    def __init__(self, project: Project, region: str, account_id: str) -> None:
        self.project = project
        self.region = region
        self.account_id = account_id

    def _events(self, *types: str):
        for function in self.project.functions.values():
            for event in function.events:
                if event.type in types:
                    yield function.config.name, event

    # -- EventBridge --------------------------------------------------------------------------

    def envelope(self, source: str, detail_type: str, detail: Any, resources: list[str] | None = None) -> dict:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": self.account_id,
            "time": _seconds(dt.datetime.now(dt.timezone.utc)),
            "region": self.region,
            "resources": resources or [],
            "detail": detail,
        }

    def put_event(self, event: dict, bus: str = "default") -> list[Delivery]:
        """The rules whose pattern matches an event on a bus, as deliveries."""
        deliveries = []
        for name, source in self._events("EventBridgeRule", "CloudWatchEvent"):
            props = source.properties
            if str(props.get("EventBusName", "default")).split("/")[-1] != bus:
                continue
            if not matches(props.get("Pattern") or {}, event):
                continue
            deliveries.append(Delivery(name, _target_input(props, event)))
        return deliveries

    def schedules(self) -> list[ScheduledTrigger]:
        triggers = []
        for name, source in self._events("Schedule", "ScheduleV2"):
            props = source.properties
            if props.get("Enabled") is False or str(props.get("State", "ENABLED")).upper() == "DISABLED":
                continue
            expression = props.get("Schedule") or props.get("ScheduleExpression")
            triggers.append(
                ScheduledTrigger(
                    name,
                    source.name,
                    expression,
                    schedule.parse(expression, scheduler=source.type == "ScheduleV2"),
                    props.get("Input"),
                    source.type == "ScheduleV2",
                )
            )
        return triggers

    def scheduled_event(self, trigger: ScheduledTrigger, at: dt.datetime) -> bytes:
        """What a schedule delivers: its Input, or the Scheduled Event (Scheduler: {} without Input)."""
        if trigger.input is not None:
            return (trigger.input if isinstance(trigger.input, str) else json.dumps(trigger.input)).encode()
        if trigger.scheduler:
            return b"{}"
        rule = f"arn:aws:events:{self.region}:{self.account_id}:rule/{trigger.function_name}-{trigger.event_name}"
        event = {**self.envelope("aws.events", "Scheduled Event", {}, [rule]), "time": _seconds(at)}
        return json.dumps(event).encode()

    # -- SNS ----------------------------------------------------------------------------------

    def topic_arn(self, topic: str) -> str:
        return topic if topic.startswith("arn:") else f"arn:aws:sns:{self.region}:{self.account_id}:{topic}"

    def publish(
        self, topic: str, message: str, subject: str | None = None, attributes: dict[str, dict] | None = None
    ) -> list[Delivery]:
        """Fan a message out to the functions subscribed to a topic whose filter policy passes."""
        arn = self.topic_arn(topic)
        attributes = attributes or {}
        message_id = str(uuid.uuid4())
        deliveries = []
        for name, source in self._events("SNS"):
            props = source.properties
            if props.get("Topic") != arn:
                continue
            policy = props.get("FilterPolicy")
            if policy and not matches(policy, _filter_subject(props, message, attributes)):
                continue
            subscription = f"{arn}:{uuid.uuid5(uuid.NAMESPACE_URL, arn + name)}"
            record = {
                "EventVersion": "1.0",
                "EventSource": "aws:sns",
                "EventSubscriptionArn": subscription,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": _milliseconds(dt.datetime.now(dt.timezone.utc)),
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": f"https://sns.{self.region}.amazonaws.com/SimpleNotificationService-local.pem",
                    "UnsubscribeUrl": f"https://sns.{self.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                    f"{subscription}",
                    "MessageAttributes": {k: {"Type": v["Type"], "Value": v["Value"]} for k, v in attributes.items()},
                },
            }
            deliveries.append(Delivery(name, json.dumps({"Records": [record]}).encode()))
        return deliveries

    # -- S3 -----------------------------------------------------------------------------------

    def buckets(self) -> list[BucketTrigger]:
        triggers = []
        for name, source in self._events("S3"):
            props = source.properties
            events = props.get("Events")
            rules = {
                r.get("Name", "").lower(): r.get("Value", "")
                for r in ((props.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            }
            triggers.append(
                BucketTrigger(
                    name,
                    str(props["Bucket"]),
                    tuple(events if isinstance(events, list) else [events]),
                    rules.get("prefix", ""),
                    rules.get("suffix", ""),
                )
            )
        return triggers

    def object_events(
        self, bucket: str, name: str, key: str, size: int | None, etag: str | None, sequencer: int
    ) -> list[Delivery]:
        """The S3 notifications of an object created (with its size and ETag) or deleted
        (``name``: ``ObjectCreated:Put``, ``ObjectRemoved:Delete``, ...) for the functions that
        listen to the bucket."""
        deliveries = []
        for trigger in self.buckets():
            if trigger.bucket != bucket or not any(_s3_event_matches(pattern, name) for pattern in trigger.events):
                continue
            if not (key.startswith(trigger.prefix) and key.endswith(trigger.suffix)):
                continue
            obj: dict[str, Any] = {"key": quote_plus(key, safe="/")}
            if size is not None:
                obj.update({"size": size, "eTag": etag})
            obj["sequencer"] = f"{sequencer:018X}"
            record = {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": self.region,
                "eventTime": _milliseconds(dt.datetime.now(dt.timezone.utc)),
                "eventName": name,
                "userIdentity": {"principalId": "AWS:LOCAL"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": f"{trigger.function_name}-notification",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "LOCAL"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
            deliveries.append(Delivery(trigger.function_name, json.dumps({"Records": [record]}).encode()))
        return deliveries


def _s3_event_matches(pattern: str, name: str) -> bool:
    """``s3:ObjectCreated:*`` style patterns against an event name (``ObjectCreated:Put``)."""
    wanted = pattern.removeprefix("s3:")
    return wanted == name or (wanted.endswith(":*") and name.startswith(wanted[:-1]))


def _filter_subject(props: dict, message: str, attributes: dict[str, dict]) -> Any:
    """What an SNS filter policy looks at: the message attributes (default) or the message body."""
    if props.get("FilterPolicyScope") == "MessageBody":
        try:
            return json.loads(message)
        except ValueError:
            return {}
    subject = {}
    for key, attribute in attributes.items():
        value = attribute["Value"]
        if attribute["Type"] == "Number":
            value = float(value) if "." in str(value) else int(value)
        elif attribute["Type"] == "String.Array":
            value = json.loads(value)
        subject[key] = value
    return subject


def _target_input(props: dict, event: dict) -> bytes:
    if "Input" in props:
        value = props["Input"]
        return (value if isinstance(value, str) else json.dumps(value)).encode()
    if props.get("InputPath"):
        value: Any = event
        for part in str(props["InputPath"]).removeprefix("$").strip(".").split("."):
            value = value.get(part) if isinstance(value, dict) and part else value
        return json.dumps(value).encode()
    return json.dumps(event).encode()


def _seconds(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _milliseconds(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
