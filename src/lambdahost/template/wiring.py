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
  ``AutoPublishAlias`` keeps one (``AWS::Lambda::Version`` needs nothing more);
- API Gateway's plain resources (a REST API's resource tree of methods with Lambda proxy
  integrations, an HTTP API's routes and integrations, or a quick-create ``Target``) and an
  OpenAPI definition (``Body``, ``DefinitionBody``, ``DefinitionUri``) with
  ``x-amazon-apigateway-integration`` -> ``Api`` and ``HttpApi`` events of that API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import loader

WIRING_TYPES = (
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Account",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Stage",
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
    apis: dict[str, tuple[str, str]] = field(default_factory=dict)  # plain APIs: (rest or http, stage)

    def _event(self, function: str, name: str, kind: str, properties: dict) -> None:
        clean = {k: v for k, v in properties.items() if v is not None}
        self.events.setdefault(function, {})[name] = {"Type": kind, "Properties": clean}

    def _route(self, function: str, api: str, kind: str, path: str, method: str, version: str | None = None) -> None:
        properties = {"Path": path, "Method": method, ("RestApiId" if kind == "rest" else "ApiId"): api}
        if kind == "http":
            properties["PayloadFormatVersion"] = version
        name = f"{api}Route{len(self.events.get(function, {}))}"
        self._event(function, name, "Api" if kind == "rest" else "HttpApi", properties)


def read(
    resources: Iterable[tuple[str, Mapping]],
    properties: Callable[[str, Mapping], dict],
    function_of: Callable[[Any], str | None],
    attribute: Callable[[str, str], Any],
    folder: Path,
) -> Wiring:
    """``properties(logical_id, resource)``: its properties, intrinsics resolved;
    ``function_of(name or ARN)``: the logical id of the template function it names, if any;
    ``attribute(logical_id, name)``: Fn::GetAtt; ``folder``: the template's (for a
    ``DefinitionUri``)."""
    wiring = Wiring()
    resources = list(resources)
    _rest_api(wiring, resources, properties, function_of)
    _http_api(wiring, resources, properties, function_of)
    for logical_id, resource in resources:
        if resource["Type"] in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            props = properties(logical_id, resource)
            body = props.get("DefinitionBody")
            if body is None and isinstance(props.get("DefinitionUri"), str):
                body = loader.load(folder / props["DefinitionUri"])
            if isinstance(body, dict):
                kind = "rest" if resource["Type"] == "AWS::Serverless::Api" else "http"
                _openapi(wiring, logical_id, kind, body, function_of)
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


# -- API Gateway -----------------------------------------------------------------------------------

_INTEGRATED = re.compile(r"functions/(arn:[^/]+)/invocations")


def _function_arn(uri: Any) -> str:
    """The function a Lambda proxy integration's URI (or a plain function ARN) invokes."""
    text = str(uri or "")
    found = _INTEGRATED.search(text)
    return found[1] if found else text


def _openapi(wiring: Wiring, api: str, kind: str, body: Mapping, function_of: Callable[[Any], str | None]) -> None:
    """An OpenAPI definition's Lambda proxy integrations as the routes of ``api``."""
    for path, methods in (body.get("paths") or {}).items():
        for method, operation in (methods or {}).items():
            integration = (
                (operation or {}).get("x-amazon-apigateway-integration") if isinstance(operation, dict) else None
            )
            if not integration or str(integration.get("type", "")).lower() != "aws_proxy":
                continue
            function = function_of(_function_arn(integration.get("uri")))
            if function is not None:
                wiring._route(function, api, kind, str(path), "ANY" if "any-method" in method else method.upper())


def _rest_api(
    wiring: Wiring, resources: list[tuple[str, Mapping]], properties: Callable, function_of: Callable
) -> None:
    """``AWS::ApiGateway::RestApi``s: their resource trees, methods and Lambda proxy integrations
    (as CDK's ``RestApi`` and ``LambdaRestApi`` write them), and their stage."""
    apis = {lid: properties(lid, r) for lid, r in resources if r["Type"] == "AWS::ApiGateway::RestApi"}
    if not apis:
        return
    parts = {lid: properties(lid, r) for lid, r in resources if r["Type"] == "AWS::ApiGateway::Resource"}

    def path_of(node: str) -> str:
        if node in apis or node not in parts:  # a RestApi's RootResourceId resolves to its name
            return ""
        return f"{path_of(str(parts[node].get('ParentId')))}/{parts[node].get('PathPart')}"

    for lid, props in apis.items():
        wiring.apis[lid] = ("rest", "prod")
        if isinstance(props.get("Body"), dict):
            _openapi(wiring, lid, "rest", props["Body"], function_of)
    for lid, resource in resources:
        kind = resource["Type"]
        if kind in ("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment"):
            props = properties(lid, resource)
            if props.get("StageName") and str(props.get("RestApiId")) in apis:
                wiring.apis[str(props["RestApiId"])] = ("rest", str(props["StageName"]))
        elif kind == "AWS::ApiGateway::Method":
            props = properties(lid, resource)
            integration = props.get("Integration") or {}
            api = str(props.get("RestApiId"))
            if api not in apis or str(integration.get("Type", "")).upper() != "AWS_PROXY":
                continue
            function = function_of(_function_arn(integration.get("Uri")))
            if function is not None:
                path = path_of(str(props.get("ResourceId"))) or "/"
                wiring._route(function, api, "rest", path, str(props.get("HttpMethod", "ANY")).upper())


def _http_api(
    wiring: Wiring, resources: list[tuple[str, Mapping]], properties: Callable, function_of: Callable
) -> None:
    """``AWS::ApiGatewayV2::Api``s (HTTP): their routes and Lambda proxy integrations, or a
    quick-create API's ``Target``."""
    apis = {
        lid: properties(lid, r)
        for lid, r in resources
        if r["Type"] == "AWS::ApiGatewayV2::Api" and str((r.get("Properties") or {}).get("ProtocolType")) == "HTTP"
    }
    if not apis:
        return
    integrations = {lid: properties(lid, r) for lid, r in resources if r["Type"] == "AWS::ApiGatewayV2::Integration"}
    for lid, props in apis.items():
        wiring.apis[lid] = ("http", "$default")
        if props.get("Target"):
            function = function_of(_function_arn(props["Target"]))
            if function is not None:
                wiring._route(function, lid, "http", "$default", "ANY")
        if isinstance(props.get("Body"), dict):
            _openapi(wiring, lid, "http", props["Body"], function_of)
    for lid, resource in resources:
        if resource["Type"] != "AWS::ApiGatewayV2::Route":
            continue
        props = properties(lid, resource)
        api = str(props.get("ApiId"))
        integration = integrations.get(str(props.get("Target", "")).rpartition("/")[2])
        if api not in apis or integration is None:
            continue
        function = function_of(_function_arn(integration.get("IntegrationUri")))
        if function is None:
            continue
        route_key = str(props.get("RouteKey", "$default"))
        method, _, path = route_key.partition(" ") if route_key != "$default" else ("ANY", "", "$default")
        version = str(integration.get("PayloadFormatVersion", "2.0"))
        wiring._route(function, api, "http", path, method.upper(), version)
