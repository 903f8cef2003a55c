"""The Lambda API's response shapes, built from the host's function records."""

from __future__ import annotations

from typing import Any

from ..model.function import FunctionConfig
from ..model.registry import LATEST, Alias, FunctionRecord, Version


def function_configuration(record: FunctionRecord, arn: str, code, version: Version | None = None) -> dict[str, Any]:
    """FunctionConfiguration, for $LATEST or a published version."""
    config: FunctionConfig = version.config if version else record.config
    number = version.number if version else LATEST
    shape: dict[str, Any] = {
        "FunctionName": config.name,
        "FunctionArn": f"{arn}:{number}" if version else arn,
        "Runtime": config.runtime,
        "Role": record.role,
        "Handler": config.handler,
        "CodeSize": (version.code if version else code).size,
        "Description": version.description if version and version.description else config.description,
        "Timeout": config.timeout,
        "MemorySize": config.memory_size,
        "LastModified": version.last_modified if version else record.last_modified,
        "CodeSha256": (version.code if version else code).sha256,
        "Version": number,
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": version.revision_id if version else record.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": config.ephemeral_storage},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": _logging(config),
        "RuntimeVersionConfig": {"RuntimeVersionArn": f"arn:aws:lambda:{arn.split(':')[3]}::runtime:lambdahost"},
    }
    if config.environment:
        shape["Environment"] = {"Variables": dict(config.environment)}
    if record.dead_letter_target:
        shape["DeadLetterConfig"] = {"TargetArn": record.dead_letter_target}
    if config.layers:
        shape["Layers"] = [{"Arn": f"local:{path}", "CodeSize": 0} for path in config.layers]
    return shape


def _logging(config: FunctionConfig) -> dict[str, Any]:
    shape = {"LogFormat": config.logging.log_format, "LogGroup": config.log_group}
    if config.logging.application_log_level or config.logging.json:
        shape["ApplicationLogLevel"] = config.logging.application_log_level or "INFO"
    if config.logging.system_log_level or config.logging.json:
        shape["SystemLogLevel"] = config.logging.system_log_level or "INFO"
    return shape


def alias_configuration(alias: Alias, arn: str) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "AliasArn": f"{arn}:{alias.name}",
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.weights:
        shape["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
    return shape


def event_invoke_config(config: dict[str, Any], arn: str, last_modified: float) -> dict[str, Any]:
    destinations = config.get("DestinationConfig") or {}
    return {
        "LastModified": last_modified,
        "FunctionArn": arn,
        **{k: config[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds") if k in config},
        "DestinationConfig": {
            "OnSuccess": destinations.get("OnSuccess") or {},
            "OnFailure": destinations.get("OnFailure") or {},
        },
    }
