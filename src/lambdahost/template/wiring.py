"""The Lambda wiring of plain CloudFormation, which CDK and hand-written templates use, read as
its SAM counterpart: each resource that points an event source at a template function becomes a
SAM event of that function, so the rest of lambdahost serves one form.

- ``AWS::Lambda::EventSourceMapping`` -> an ``SQS``, ``DynamoDB`` or ``Kinesis`` event;
- ``AWS::Events::Rule`` with a function among its targets -> ``EventBridgeRule`` or ``Schedule``;
- ``AWS::Scheduler::Schedule`` -> ``ScheduleV2``;
- ``AWS::SNS::Subscription`` (protocol ``lambda``), and a topic's own ``Subscription`` -> ``SNS``;
- an ``AWS::S3::Bucket``'s ``NotificationConfiguration.LambdaConfigurations`` -> ``S3``;
- ``AWS::Lambda::Url`` (unqualified) -> the function's ``FunctionUrlConfig``;
- ``AWS::Lambda::EventInvokeConfig`` ($LATEST) -> its ``EventInvokeConfig``;
- ``AWS::Lambda::Alias`` -> an alias kept at the function's latest version, as SAM's
  ``AutoPublishAlias`` keeps one (``AWS::Lambda::Version`` needs nothing more).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

WIRING_TYPES = (
    "AWS::Lambda::EventSourceMapping",
    "AWS::Events::Rule",
    "AWS::Scheduler::Schedule",
    "AWS::SNS::Subscription",
    "AWS::Lambda::Url",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::Alias",
    "AWS::Lambda::Version",
)
_MAPPING_KINDS = {"sqs": ("SQS", "Queue"), "dynamodb": ("DynamoDB", "Stream"), "kinesis": ("Kinesis", "Stream")}


@dataclass
class Wiring:
    """What plain resources give each function (by logical id)."""

    events: dict[str, dict[str, dict]] = field(default_factory=dict)  # SAM events, by name
    urls: dict[str, dict] = field(default_factory=dict)
    invoke_configs: dict[str, dict] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def _event(self, function: str, name: str, kind: str, properties: dict) -> None:
        clean = {k: v for k, v in properties.items() if v is not None}
        self.events.setdefault(function, {})[name] = {"Type": kind, "Properties": clean}


def read(
    resources: Iterable[tuple[str, Mapping]],
    properties: Callable[[str, Mapping], dict],
    function_of: Callable[[Any], str | None],
    attribute: Callable[[str, str], Any],
) -> Wiring:
    """``properties(logical_id, resource)``: its properties, intrinsics resolved;
    ``function_of(name or ARN)``: the logical id of the template function it names, if any;
    ``attribute(logical_id, name)``: Fn::GetAtt."""
    wiring = Wiring()
    for logical_id, resource in resources:
        kind = resource["Type"]
        if kind not in WIRING_TYPES and kind not in ("AWS::SNS::Topic", "AWS::S3::Bucket"):
            continue
        props = properties(logical_id, resource)
        if kind == "AWS::Lambda::EventSourceMapping":
            target = function_of(props.get("FunctionName"))
            service = str(props.get("EventSourceArn", "")).split(":")[2:3]
            if target and service and service[0] in _MAPPING_KINDS:
                event, source = _MAPPING_KINDS[service[0]]
                rest = {k: v for k, v in props.items() if k not in ("FunctionName", "EventSourceArn")}
                wiring._event(target, logical_id, event, {source: props["EventSourceArn"], **rest})
        elif kind == "AWS::Events::Rule":
            for target in props.get("Targets") or []:
                function = function_of(target.get("Arn"))
                if function is None:
                    continue
                inputs = {"Input": target.get("Input"), "InputPath": target.get("InputPath")}
                enabled = str(props.get("State", "ENABLED")).upper() != "DISABLED"
                if props.get("ScheduleExpression"):
                    schedule = {
                        "Schedule": props["ScheduleExpression"],
                        "Enabled": enabled,
                        "Input": target.get("Input"),
                    }
                    wiring._event(function, logical_id, "Schedule", schedule)
                elif enabled:
                    pattern = json_value(props.get("EventPattern") or {})
                    bus = props.get("EventBusName", "default")
                    wiring._event(
                        function, logical_id, "EventBridgeRule", {"Pattern": pattern, "EventBusName": bus, **inputs}
                    )
        elif kind == "AWS::Scheduler::Schedule":
            target = props.get("Target") or {}
            function = function_of(target.get("Arn"))
            if function is not None:
                schedule = {
                    "ScheduleExpression": props.get("ScheduleExpression"),
                    "Input": target.get("Input"),
                    "State": props.get("State"),
                }
                wiring._event(function, logical_id, "ScheduleV2", schedule)
        elif kind == "AWS::SNS::Subscription":
            function = function_of(props.get("Endpoint")) if props.get("Protocol") == "lambda" else None
            if function is not None:
                wiring._event(function, logical_id, "SNS", _subscription(props.get("TopicArn"), props))
        elif kind == "AWS::SNS::Topic":
            for index, subscription in enumerate(props.get("Subscription") or []):
                function = (
                    function_of(subscription.get("Endpoint")) if subscription.get("Protocol") == "lambda" else None
                )
                if function is not None:
                    wiring._event(function, f"{logical_id}{index}", "SNS", {"Topic": attribute(logical_id, "TopicArn")})
        elif kind == "AWS::S3::Bucket":
            notifications = (props.get("NotificationConfiguration") or {}).get("LambdaConfigurations") or []
            for index, notification in enumerate(notifications):
                function = function_of(notification.get("Function"))
                if function is not None:
                    s3 = {
                        "Bucket": attribute(logical_id, "Name"),
                        "Events": notification.get("Event"),
                        "Filter": notification.get("Filter"),
                    }
                    wiring._event(function, f"{logical_id}{index}", "S3", s3)
        elif kind == "AWS::Lambda::Url":
            function = function_of(props.get("TargetFunctionArn"))
            if function is not None and not props.get("Qualifier"):
                wiring.urls[function] = {k: v for k, v in props.items() if k in ("AuthType", "Cors", "InvokeMode")}
        elif kind == "AWS::Lambda::EventInvokeConfig":
            function = function_of(props.get("FunctionName"))
            if function is not None and props.get("Qualifier", "$LATEST") == "$LATEST":
                wiring.invoke_configs[function] = {
                    k: v
                    for k, v in props.items()
                    if k in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig")
                }
        elif kind == "AWS::Lambda::Alias":
            function = function_of(props.get("FunctionName"))
            if function is not None and props.get("Name"):
                wiring.aliases[function] = str(props["Name"])
    return wiring


def _subscription(topic: Any, props: Mapping) -> dict:
    return {
        "Topic": topic,
        "FilterPolicy": json_value(props["FilterPolicy"]) if props.get("FilterPolicy") else None,
        "FilterPolicyScope": props.get("FilterPolicyScope"),
    }


def json_value(value: Any) -> Any:
    """CloudFormation takes a pattern or a policy as an object or as JSON text."""
    return json.loads(value) if isinstance(value, str) else value
