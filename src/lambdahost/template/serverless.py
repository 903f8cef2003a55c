"""A Serverless Framework service (``serverless.yml``, v3 and v4) read as the SAM template it
stands for, so the rest of lambdahost serves one form.

- Variables: ``${self:path}``, ``${env:NAME}``, ``${opt:name}`` (from ``--parameter-overrides``),
  ``${sls:stage}``, ``${aws:region}``, ``${aws:accountId}`` and ``${file(./x.yml):path}`` (a
  JSON or YAML file beside the service), each with a default after a comma, nested ones first.
- ``provider``: runtime, memory (1024 MB) and timeout (6 s) as the Framework's defaults,
  environment, layers; each function's own settings over them. A function is named
  ``<service>-<stage>-<name>``, as the Framework names it, and answers to its key too.
- Events: ``http`` (REST, payload 1.0), ``httpApi``, ``sqs``, ``sns``, ``s3``, ``schedule``,
  ``stream`` and ``eventBridge`` become their SAM events; a topic or bucket that only an event
  names is created, as the Framework creates it. Others (``alb``, ``websocket``, ...) are said
  not to be emulated.
- ``resources.Resources`` is CloudFormation, merged as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import loader
from .errors import TemplateError
from .finding import SERVERLESS_NAMES
from .wiring import json_value

_VARIABLE = re.compile(r"\$\{([^${}]+)\}")
_DEFAULT_MEMORY, _DEFAULT_TIMEOUT = 1024, 6  # the Framework's, not Lambda's


def is_service(path: Path) -> bool:
    return path.name in SERVERLESS_NAMES


def to_sam(data: Mapping, overrides: Mapping[str, str], region: str, account_id: str, folder: Path) -> dict:
    """The SAM template a service in ``folder`` stands for. ``overrides`` give ``${opt:...}`` values."""
    service = _Variables(data, overrides, region, account_id, folder).resolve(dict(data))
    provider = service.get("provider") or {}
    name = service.get("service")
    if isinstance(name, dict):  # v1's {name: ...}
        name = name.get("name")
    if not name:
        raise TemplateError("a Serverless Framework service needs 'service': its name")
    stage = str(provider.get("stage") or overrides.get("stage") or "dev")
    resources: dict[str, Any] = dict(((service.get("resources") or {}).get("Resources")) or {})
    unemulated: list[str] = []
    for key, function in (service.get("functions") or {}).items():
        resources[key] = _function(name, stage, key, function or {}, provider, resources, unemulated)
    template: dict[str, Any] = {"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}
    opts = _Variables.used_options(data)
    if opts:  # declared, so that --parameter-overrides may name them
        template["Parameters"] = {opt: {"Type": "String", "Default": overrides.get(opt, "")} for opt in opts}
    if unemulated:
        template["Metadata"] = {"lambdahost:unemulated": unemulated}
    return template


def _function(
    service: str, stage: str, key: str, function: Mapping, provider: Mapping, resources: dict, unemulated: list
) -> dict:
    handler = str(function.get("handler") or "")
    folder, _, handler = handler.rpartition("/")
    properties: dict[str, Any] = {
        "FunctionName": function.get("name") or f"{service}-{stage}-{key}",
        "Handler": handler,
        "CodeUri": folder or ".",
        "Runtime": function.get("runtime") or provider.get("runtime"),
        "MemorySize": function.get("memorySize") or provider.get("memorySize") or _DEFAULT_MEMORY,
        "Timeout": function.get("timeout") or provider.get("timeout") or _DEFAULT_TIMEOUT,
        "Environment": {"Variables": {**(provider.get("environment") or {}), **(function.get("environment") or {})}},
        "Layers": [*(provider.get("layers") or []), *(function.get("layers") or [])],
    }
    if function.get("description"):
        properties["Description"] = function["description"]
    if function.get("reservedConcurrency") is not None:
        properties["ReservedConcurrentExecutions"] = function["reservedConcurrency"]
    if function.get("url"):
        url = function["url"] if isinstance(function["url"], dict) else {}
        properties["FunctionUrlConfig"] = {"AuthType": "AWS_IAM" if url.get("authorizer") == "aws_iam" else "NONE"}
    events = {}
    for index, event in enumerate(function.get("events") or []):
        kind, settings = next(iter(event.items())) if isinstance(event, dict) and event else (str(event), None)
        converted = _event(kind, settings, resources)
        if converted is None:
            unemulated.append(f"{kind} event ({key})")
        else:
            events[f"{kind[0].upper()}{kind[1:]}{index}"] = converted
    properties["Events"] = events
    return {"Type": "AWS::Serverless::Function", "Properties": {k: v for k, v in properties.items() if v is not None}}


def _event(kind: str, settings: Any, resources: dict) -> dict | None:
    """The SAM event for one of a function's events; None for one lambdahost does not serve."""
    options = settings if isinstance(settings, dict) else {}
    if kind in ("http", "httpApi"):
        if isinstance(settings, str):  # "GET /users/{id}", or "*" for an HTTP API's $default
            method, _, path = settings.partition(" ") if settings != "*" else ("ANY", "", "$default")
        else:
            method, path = str(options.get("method", "ANY")), str(options.get("path", "/"))
        method = "ANY" if method == "*" else method.upper()
        if path != "$default" and not path.startswith("/"):
            path = "/" + path
        return {"Type": "Api" if kind == "http" else "HttpApi", "Properties": {"Path": path, "Method": method}}
    if kind == "sqs":
        arn = settings if isinstance(settings, str) else options.get("arn")
        props = {"Queue": arn, "BatchSize": options.get("batchSize"), "Enabled": options.get("enabled")}
        props["MaximumBatchingWindowInSeconds"] = options.get("maximumBatchingWindow")
        if options.get("functionResponseType"):
            props["FunctionResponseTypes"] = [options["functionResponseType"]]
        if options.get("filterPatterns"):
            props["FilterCriteria"] = {"Filters": [{"Pattern": json_value(p)} for p in options["filterPatterns"]]}
        return {"Type": "SQS", "Properties": _present(props)}
    if kind == "sns":
        topic = settings if isinstance(settings, str) else options.get("arn") or options.get("topicName")
        if not str(topic).startswith("arn:") and not isinstance(topic, dict):
            topic = _created(resources, "AWS::SNS::Topic", "TopicName", str(topic), "Ref")
        props = {"Topic": topic, "FilterPolicy": options.get("filterPolicy")}
        props["FilterPolicyScope"] = options.get("filterPolicyScope")
        return {"Type": "SNS", "Properties": _present(props)}
    if kind == "s3":
        bucket = settings if isinstance(settings, str) else options.get("bucket")
        if not options.get("existing"):
            _created(resources, "AWS::S3::Bucket", "BucketName", str(bucket), "Ref")
        rules = [{"Name": name, "Value": value} for rule in options.get("rules") or [] for name, value in rule.items()]
        props = {"Bucket": bucket, "Events": options.get("event", "s3:ObjectCreated:*")}
        if rules:
            props["Filter"] = {"S3Key": {"Rules": rules}}
        return {"Type": "S3", "Properties": props}
    if kind == "schedule":
        rate = settings if isinstance(settings, str) else options.get("rate")
        rate = rate[0] if isinstance(rate, list) else rate
        props = {"Schedule": rate, "Enabled": options.get("enabled"), "Input": options.get("input")}
        return {"Type": "Schedule", "Properties": _present(props)}
    if kind == "stream":
        arn = settings if isinstance(settings, str) else options.get("arn")
        stream_kind = options.get("type") or ("kinesis" if ":kinesis:" in str(arn) else "dynamodb")
        props = {
            "Stream": arn,
            "StartingPosition": options.get("startingPosition", "TRIM_HORIZON"),
            "BatchSize": options.get("batchSize"),
            "Enabled": options.get("enabled"),
        }
        return {"Type": "DynamoDB" if stream_kind == "dynamodb" else "Kinesis", "Properties": _present(props)}
    if kind == "eventBridge":
        if options.get("schedule"):
            return {
                "Type": "Schedule",
                "Properties": _present({"Schedule": options["schedule"], "Input": options.get("input")}),
            }
        props = {
            "Pattern": options.get("pattern") or {},
            "EventBusName": options.get("eventBus"),
            "Input": options.get("input"),
            "InputPath": options.get("inputPath"),
        }
        return {"Type": "EventBridgeRule", "Properties": _present(props)}
    return None


def _created(resources: dict, kind: str, name_property: str, name: str, reference: str) -> dict:
    """A topic or bucket that only an event names, created as the Framework creates it; a
    reference to it."""
    logical_id = next(
        (
            lid
            for lid, r in resources.items()
            if r.get("Type") == kind and (r.get("Properties") or {}).get(name_property) == name
        ),
        None,
    )
    if logical_id is None:
        logical_id = re.sub(r"[^A-Za-z0-9]", "", name.title()) + kind.rsplit("::", 1)[1]
        resources[logical_id] = {"Type": kind, "Properties": {name_property: name}}
    return {reference: logical_id}


def _present(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if v is not None}


class _Variables:
    """``${source:address, default}``, resolved innermost first."""

    def __init__(self, data: Mapping, overrides: Mapping[str, str], region: str, account_id: str, folder: Path) -> None:
        self._data = data
        self._folder = folder
        self._overrides = overrides
        self._aws = {"region": region, "accountId": account_id}

    @staticmethod
    def used_options(data: Any) -> list[str]:
        found: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.update(m.split(",")[0].strip() for m in re.findall(r"\$\{opt:([^}]+)\}", value))
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(data)
        return sorted(found)

    def resolve(self, value: Any, depth: int = 0) -> Any:
        if depth > 20:
            raise TemplateError("a Serverless variable refers to itself")
        if isinstance(value, dict):
            return {k: self.resolve(v, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, depth) for v in value]
        if not isinstance(value, str) or "${" not in value:
            return value
        while (match := _VARIABLE.search(value)) is not None:
            found = self._lookup(match[1], depth)
            if match.group(0) == value:  # the whole string: keep the value's own type
                return found
            value = value[: match.start()] + str(found) + value[match.end() :]
        return value

    def _lookup(self, expression: str, depth: int) -> Any:
        reference, _, default = expression.partition(",")
        source, _, address = reference.strip().partition(":")
        found: Any = None
        if source == "self":
            found = _at(self._data, address)
        elif (file := re.fullmatch(r"file\((.+)\)", source)) is not None:
            found = _at(self._file(file[1].strip()), address) if address else self._file(file[1].strip())
        elif source == "env":
            found = os.environ.get(address)
        elif source == "opt":
            found = self._overrides.get(address)
        elif source == "sls" and address == "stage":
            found = self._overrides.get("stage") or (self._data.get("provider") or {}).get("stage") or "dev"
        elif source == "aws":
            found = self._aws.get(address)
        if found is None and default:
            found = default.strip().strip("'\"")
        if found is None and source not in ("self", "env", "opt", "sls", "aws") and not source.startswith("file("):
            raise TemplateError(
                f"the Serverless variable ${{{expression}}} reads {source}, which lambdahost does not: "
                "give it a default after a comma"
            )
        if found is None:
            raise TemplateError(f"the Serverless variable ${{{expression}}} has no value and no default")
        return self.resolve(found, depth + 1)

    def _file(self, name: str) -> Any:
        """A JSON or YAML file's content, as ``${file(...)}`` reads it (relative to the service)."""
        import yaml

        path = self._folder / name
        if path.suffix in (".js", ".cjs", ".mjs", ".ts"):
            raise TemplateError(
                f"${{file({name})}} is a script, which lambdahost does not run: give a JSON or YAML file"
            )
        try:
            return yaml.safe_load(loader.read_text(path))  # JSON is YAML
        except OSError as exc:
            raise TemplateError(f"${{file({name})}}: cannot read {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise TemplateError(f"${{file({name})}}: {path} is not JSON or YAML: {exc}") from None


def _at(data: Any, address: str) -> Any:
    """The value at a dotted address (``custom.tableName``), or None."""
    for part in address.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data
