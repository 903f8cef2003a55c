"""The Lambda API's response shapes, built from the host's function records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..control.mappings import EventSourceMappings
from ..model.function import FunctionConfig
from ..model.layers import LayerVersion
from ..model.mappings import EventSourceMapping
from ..model.registry import LATEST, Alias, FunctionRecord, Version
from .gateway.app import URL_PREFIX


def function_configuration(
    record: FunctionRecord,
    arn: str,
    code,
    version: Version | None = None,
    *,
    layers: Callable[[Path], dict[str, Any]],
    listed: bool = False,
    qualified: bool = False,
    changing: str | None = None,
) -> dict[str, Any]:
    """FunctionConfiguration, for $LATEST or a published version; ``layers`` describes a layer
    folder as its ``Layers`` entry. ``listed``: an entry of ListFunctions or
    ListVersionsByFunction, which carry no state and no runtime version (issue 28, from AWS's
    recorded answers); ``qualified``: $LATEST's ARN ends in ``:$LATEST``, as in those lists;
    ``changing``: the change the answer is to (default: the one still in progress, if any)."""
    config: FunctionConfig = version.config if version else record.config
    number = version.number if version else LATEST
    shape: dict[str, Any] = {
        "FunctionName": config.name,
        "FunctionArn": f"{arn}:{number}" if version or qualified else arn,
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
        "TracingConfig": {"Mode": config.tracing},
        "RevisionId": version.revision_id if version else record.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": list(config.architectures),
        "EphemeralStorage": {"Size": config.ephemeral_storage},
        "SnapStart": {
            "ApplyOn": "PublishedVersions" if config.snap_start else "None",
            "OptimizationStatus": "On" if config.snap_start and number != LATEST else "Off",
        },
        "LoggingConfig": _logging(config),
        "RuntimeVersionConfig": {"RuntimeVersionArn": f"arn:aws:lambda:{arn.split(':')[3]}::runtime:lambdahost"},
    }
    if version is None:
        _state(shape, record.changing() if changing is None else changing)
    if listed:
        for key in ("State", "LastUpdateStatus", "RuntimeVersionConfig"):
            shape.pop(key, None)
    if config.environment:
        shape["Environment"] = {"Variables": dict(config.environment)}
    if record.dead_letter_target:
        shape["DeadLetterConfig"] = {"TargetArn": record.dead_letter_target}
    if config.layers:
        shape["Layers"] = [layers(path) for path in config.layers]
    if config.tenant_isolation:
        shape["TenancyConfig"] = {"TenantIsolationMode": "PER_TENANT"}
    return shape


def _state(shape: dict[str, Any], changing: str) -> None:
    """A function being created is Pending (with no update status); one being updated is Active
    with its update InProgress, as AWS answers (its recorded answers, issue 28)."""
    reason = {"Reason": "The function is being created.", "ReasonCode": "Creating"}
    if changing == "create":
        shape["State"] = "Pending"
        del shape["LastUpdateStatus"]
        shape.update({f"State{key}": value for key, value in reason.items()})
    elif changing == "update":
        shape["LastUpdateStatus"] = "InProgress"
        shape.update({f"LastUpdateStatus{key}": value for key, value in reason.items()})


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


def layer_version(layer: LayerVersion, layer_arn: str, location: str) -> dict[str, Any]:
    """PublishLayerVersion's and GetLayerVersion's answer; ``location``: where its zip downloads.
    Its compatible runtimes and architectures are there even when empty (issue 28, from AWS's
    recorded answers), unlike in the lists."""
    return {
        "Content": {"Location": location, "CodeSha256": layer.code.sha256, "CodeSize": layer.code.size},
        "LayerArn": layer_arn,
        "CompatibleRuntimes": [],
        "CompatibleArchitectures": [],
        **layer_versions_item(layer, layer_arn),
    }


def layer_versions_item(layer: LayerVersion, layer_arn: str) -> dict[str, Any]:
    """A version as ListLayerVersions and ListLayers list it; unset members are left out."""
    shape: dict[str, Any] = {
        "LayerVersionArn": f"{layer_arn}:{layer.number}",
        "Version": layer.number,
        "Description": layer.description,
        "CreatedDate": layer.created,
    }
    if layer.compatible_runtimes:
        shape["CompatibleRuntimes"] = list(layer.compatible_runtimes)
    if layer.compatible_architectures:
        shape["CompatibleArchitectures"] = list(layer.compatible_architectures)
    if layer.license_info is not None:
        shape["LicenseInfo"] = layer.license_info
    return shape


def function_url_config(name: str, alias: str, config: dict[str, Any], arn: str, url_base: str) -> dict[str, Any]:
    """FunctionUrlConfig, as the Create/Get/Update and List calls answer it; the URL is where the
    API port serves it."""
    shape: dict[str, Any] = {
        "FunctionUrl": f"{url_base}{URL_PREFIX}{name}{':' + alias if alias else ''}/",
        "FunctionArn": arn,
        "AuthType": config.get("AuthType"),
        "CreationTime": config.get("CreationTime", ""),
        "LastModifiedTime": config.get("LastModifiedTime", ""),
        "InvokeMode": config.get("InvokeMode", "BUFFERED"),
    }
    if config.get("Cors"):
        shape["Cors"] = config["Cors"]
    return shape


def event_source_mapping(
    mapping: EventSourceMapping, mappings: EventSourceMappings, state: str | None = None
) -> dict[str, Any]:
    """EventSourceMappingConfiguration. ``state``: a transition to report (Creating, Updating,
    Deleting) instead of where the mapping rests; here every change takes effect at once."""
    resting = "Enabled" if mapping.enabled else "Disabled"
    shape: dict[str, Any] = {
        "UUID": mapping.uuid,
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": mapping.window,
        "EventSourceArn": mapping.event_source_arn,
        "FunctionArn": mappings.function_arn(mapping),
        "LastModified": mapping.last_modified,
        "State": state or resting,
        "StateTransitionReason": "User action" if mapping.is_stream else "USER_INITIATED",
        "FunctionResponseTypes": list(mapping.function_response_types),
        "EventSourceMappingArn": mappings.arn(mapping),
    }
    if mapping.filters:
        shape["FilterCriteria"] = {"Filters": [{"Pattern": text} for text in mapping.filters]}
    if mapping.max_concurrency is not None:
        shape["ScalingConfig"] = {"MaximumConcurrency": mapping.max_concurrency}
    if mapping.is_stream:
        shape.update(
            StartingPosition=mapping.starting_position,
            ParallelizationFactor=mapping.parallelization_factor,
            BisectBatchOnFunctionError=mapping.bisect,
            MaximumRecordAgeInSeconds=mapping.max_record_age,
            MaximumRetryAttempts=mapping.max_retries,
            TumblingWindowInSeconds=mapping.tumbling_window,
            DestinationConfig={"OnFailure": {"Destination": mapping.on_failure} if mapping.on_failure else {}},
            LastProcessingResult=mappings.last_processing_result(mapping),
        )
        if mapping.starting_timestamp is not None:
            shape["StartingPositionTimestamp"] = mapping.starting_timestamp
    return shape
