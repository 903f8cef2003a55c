"""A SAM / CloudFormation template read into function configurations and their settings.

Reading is all or nothing: the first problem raises one ``TemplateError`` that names the file,
the line (for YAML), the resource and the property, and nothing is half-loaded.
"""

from __future__ import annotations

import json
import re
import uuid as uuids
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import LambdaError, ValidationException
from ..model import limits
from ..model import mappings as mapping_model
from ..model.function import FunctionConfig, LoggingConfig
from ..model.mappings import EventSourceMapping
from . import loader, serverless, wiring
from .errors import TemplateError
from .index import ProjectIndex
from .intrinsics import FUNCTION_TYPES, LAYER_TYPES, NO_VALUE, Stack
from .outside_layers import LayerDownloads, LayerUnavailable, public_layer_package

# SAM event types, and the properties each must have.
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Api": ("Path", "Method"),
    "HttpApi": (),
    "SQS": ("Queue",),
    "S3": ("Bucket", "Events"),
    "SNS": ("Topic",),
    "Schedule": ("Schedule",),
    "ScheduleV2": ("ScheduleExpression",),
    "DynamoDB": ("Stream", "StartingPosition"),
    "Kinesis": ("Stream", "StartingPosition"),
    "EventBridgeRule": ("Pattern",),
    "CloudWatchEvent": ("Pattern",),
    "CloudWatchLogs": ("LogGroupName", "FilterPattern"),
    "IoTRule": ("Sql",),
    "AlexaSkill": (),
    "Cognito": ("UserPool", "Trigger"),
    "MSK": ("Stream", "StartingPosition"),
    "MQ": ("Broker", "Queues"),
    "SelfManagedKafka": ("Topics",),
    "DocumentDB": ("Cluster", "DatabaseName"),
}
# FunctionConfig's validation names API members; a template user knows the property names.
_PROPERTY_OF_MEMBER = {
    "functionName": "FunctionName",
    "handler": "Handler",
    "runtime": "Runtime",
    "timeout": "Timeout",
    "memorySize": "MemorySize",
    "ephemeralStorage.size": "EphemeralStorage",
    "environment.variables": "Environment",
    "reservedConcurrentExecutions": "ReservedConcurrentExecutions",
    "layers": "Layers",
    "loggingConfig": "LoggingConfig",
    "description": "Description",
    "architectures": "Architectures",
    "tracingConfig": "Tracing",
}


@dataclass(frozen=True)
class EventSource:
    name: str
    type: str
    properties: dict


@dataclass(frozen=True)
class FunctionDefinition:
    """A function of the template: its configuration and the settings later rooms serve."""

    logical_id: str
    config: FunctionConfig
    events: tuple[EventSource, ...] = ()
    auto_publish_alias: str | None = None
    dead_letter_queue: dict | None = None
    event_invoke_config: dict | None = None
    function_url_config: dict | None = None
    cdk_path: str | None = None  # a CDK construct's path (aws:cdk:path), without its "/Resource"
    version_description: str = ""  # VersionDescription: of the versions AutoPublishAlias publishes
    provisioned_concurrency: int | None = None  # ProvisionedConcurrencyConfig: on the AutoPublishAlias alias
    # AutoPublishAliasAllProperties: a configuration change publishes too (by default, only code does)
    auto_publish_all_properties: bool = False
    auto_publish_code_sha256: str | None = None  # AutoPublishCodeSha256: a new value publishes
    role: str | None = None  # Role's ARN (SAM's own role for the function without one)
    tags: dict = field(default_factory=dict)  # the function's, with those CloudFormation and SAM add
    recursive_loop: str | None = None  # RecursiveLoop: Allow lets a recursive loop run on


@dataclass(frozen=True)
class ApiDefinition:
    """An API Gateway API: a declared AWS::Serverless::Api / HttpApi, or SAM's implicit one."""

    logical_id: str
    kind: str  # "rest" (AWS::Serverless::Api, payload 1.0) or "http" (AWS::Serverless::HttpApi)
    stage: str
    binary_media_types: tuple[str, ...] = ()
    cors: Any = None  # SAM's Cors (REST) or CorsConfiguration (HTTP API), as written
    auth: dict = field(default_factory=dict)  # Authorizers, DefaultAuthorizer


# The resources a local AWS holds for the template (``localaws/resources.py``).
AWS_RESOURCE_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::Serverless::SimpleTable",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SSM::Parameter",
    "AWS::SecretsManager::Secret",
    "AWS::Kinesis::Stream",
    "AWS::Events::EventBus",
)


# What a template may hold that needs no emulating: permissions, roles, log groups, alarms. (The
# API Gateway APIs and the functions' own resources are read elsewhere.)
_NOTHING_TO_EMULATE = (
    "AWS::IAM::",
    "AWS::Logs::",
    "AWS::CloudWatch::",
    "AWS::CDK::Metadata",
    "AWS::Lambda::Permission",
    "AWS::EFS::",  # a function's FileSystemConfigs name a local folder per access point
)
_READ = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", *AWS_RESOURCE_TYPES, *wiring.WIRING_TYPES)
# Function properties lambdahost does not act on: what a function can reach, how a deploy shifts traffic.
_UNEMULATED_PROPERTIES = (
    "VpcConfig",
    "DeploymentPreference",
    "CodeSigningConfigArn",
    "RuntimeManagementConfig",
    "CapacityProviderConfig",
    "FunctionScalingConfig",
    "DurableConfig",
)
# The properties SAM's and CloudFormation's function resources take; any other is most often a
# typo, which a deploy would refuse: said in the line of what is not emulated.
_FUNCTION_PROPERTIES = frozenset(
    [
        "Architectures",
        "AssumeRolePolicyDocument",
        "AutoPublishAlias",
        "AutoPublishAliasAllProperties",
        "AutoPublishCodeSha256",
        "CapacityProviderConfig",
        "Code",
        "CodeSigningConfigArn",
        "CodeUri",
        "DeadLetterConfig",
        "DeadLetterQueue",
        "DeploymentPreference",
        "Description",
        "DurableConfig",
        "Environment",
        "EphemeralStorage",
        "EventInvokeConfig",
        "Events",
        "FileSystemConfigs",
        "FunctionName",
        "FunctionScalingConfig",
        "FunctionUrlConfig",
        "Handler",
        "ImageConfig",
        "ImageUri",
        "InlineCode",
        "KmsKeyArn",
        "Layers",
        "LoggingConfig",
        "MemorySize",
        "PackageType",
        "PermissionsBoundary",
        "Policies",
        "PropagateTags",
        "ProvisionedConcurrencyConfig",
        "PublishToLatestPublished",
        "RecursiveLoop",
        "ReservedConcurrentExecutions",
        "Role",
        "RolePath",
        "Runtime",
        "RuntimeManagementConfig",
        "SnapStart",
        "SourceKMSKeyArn",
        "Tags",
        "TenancyConfig",
        "Timeout",
        "Tracing",
        "TracingConfig",
        "VersionDeletionPolicy",
        "VersionDescription",
        "VpcConfig",
    ]
)


@dataclass(frozen=True)
class AwsResource:
    """A resource of the template that a local AWS creates: its physical name (what ``Ref``
    gives, or the name inside an ARN or a URL) and its properties, intrinsics resolved."""

    logical_id: str
    type: str
    name: str
    properties: dict


@dataclass(frozen=True)
class QueueDefinition:
    """An AWS::SQS::Queue of the template, served as a local queue."""

    name: str
    arn: str
    visibility_timeout: int = 30
    dead_letter_arn: str | None = None  # RedrivePolicy.deadLetterTargetArn
    max_receive_count: int | None = None
    external: bool = False  # not in the template: read with boto3 from an SQS endpoint, which redrives itself
    content_based_deduplication: bool = False  # a FIFO queue's ContentBasedDeduplication


IMPLICIT_REST_API = "ServerlessRestApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"


@dataclass(frozen=True)
class Project:
    template_path: Path
    functions: dict[str, FunctionDefinition] = field(default_factory=dict)  # by logical id
    parameters: dict[str, Any] = field(default_factory=dict)
    apis: dict[str, ApiDefinition] = field(default_factory=dict)  # by logical id
    queues: dict[str, QueueDefinition] = field(default_factory=dict)  # by queue ARN
    event_source_mappings: tuple[EventSourceMapping, ...] = ()  # its SQS, Kinesis and DynamoDB events
    resources: tuple[AwsResource, ...] = ()  # tables, buckets, queues, ... for a local AWS
    unemulated: tuple[str, ...] = ()  # what the template holds that lambdahost does not emulate, grouped by kind
    sources: tuple[Path, ...] = ()  # the files it was read from: the template, an OpenAPI body, ...

    def find(self, name: str) -> FunctionDefinition | None:
        """A function by any name ``sam local`` finds it by (``IndexedFunction.answers_to``)."""
        found = ProjectIndex.of(self).find(name)
        return self.functions[found.logical_id] if found else None

    @property
    def code_dirs(self) -> set[Path]:
        dirs = set()
        for function in self.functions.values():
            dirs.add(function.config.code_dir)
            dirs.update(function.config.layers)
        return dirs


def load_project(
    template_path: Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    env_vars: Mapping[str, Mapping[str, Any]] | None = None,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    stack_name: str = "lambdahost",
    inline_code_dir: Path | None = None,
    layer_downloads: LayerDownloads | None = None,
    queue_endpoint: str | None = None,
) -> Project:
    """The template's project. ``layer_downloads``: where layers deployed in AWS come from (none:
    they are skipped); ``queue_endpoint``: where its queues are served (their URLs' base; none:
    AWS's)."""
    template_path = Path(template_path).resolve()
    with loader.recording() as sources:
        data = loader.load(template_path)
        if serverless.is_service(template_path):
            try:
                data = serverless.to_sam(data, parameter_overrides or {}, region, account_id, template_path.parent)
            except TemplateError as exc:
                raise exc.locate(path=str(template_path)) from None
        try:
            project = _Reader(
                template_path,
                data,
                parameter_overrides or {},
                env_vars or {},
                region,
                account_id,
                stack_name,
                inline_code_dir,
                layer_downloads,
                queue_endpoint,
            ).read()
        except TemplateError as exc:
            raise exc.locate(path=str(template_path)) from None
    return replace(project, sources=tuple(sources))


@dataclass(frozen=True)
class ProjectSource:
    """Where a project comes from: the template and what the command line adds to it."""

    template_path: Path
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    env_vars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    layer_downloads: LayerDownloads | None = None

    def load(self, **options: Any) -> Project:
        return load_project(
            self.template_path,
            parameter_overrides=self.parameter_overrides,
            env_vars=self.env_vars,
            layer_downloads=self.layer_downloads,
            **options,
        )


class _Reader:
    def __init__(
        self,
        path: Path,
        data: dict,
        overrides: Mapping[str, str],
        env_vars: Mapping,
        region: str,
        account_id: str,
        stack_name: str,
        inline_code_dir: Path | None,
        layer_downloads: LayerDownloads | None,
        queue_endpoint: str | None = None,
    ) -> None:
        self.path = path
        self.folder = path.parent
        self.data = data
        self.overrides = overrides
        self.env_vars = env_vars
        self.inline_code_dir = inline_code_dir or self.folder / ".lambdahost" / "inline"
        resources = data.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise TemplateError("the template has no Resources")
        self.resources = resources
        self.stack = Stack(
            parameters=self._parameters(),
            resources=resources,
            region=region,
            account_id=account_id,
            stack_name=stack_name,
            mappings=data.get("Mappings"),
            conditions=data.get("Conditions"),
            queue_endpoint=queue_endpoint,
        )
        self.globals = (data.get("Globals") or {}).get("Function") or {}
        self.layer_downloads = layer_downloads
        self.skipped_layers: dict[str, list[str]] = {}  # a layer ARN and why -> the functions that name it
        self.api_globals = {
            "AWS::Serverless::Api": (data.get("Globals") or {}).get("Api") or {},
            "AWS::Serverless::HttpApi": (data.get("Globals") or {}).get("HttpApi") or {},
        }

    def read(self) -> Project:
        self.wiring = wiring.read(
            self._active(),
            lambda logical_id, resource: self._properties(logical_id, resource, merge_globals=False),
            self._function_of,
            self.stack.get_att,
            self.folder,
        )
        layers = {
            self.stack.layer_arn(lid): self._layer(lid) for lid, res in self._active() if res["Type"] in LAYER_TYPES
        }
        functions = {}
        for logical_id, resource in self._active():
            if resource["Type"] in FUNCTION_TYPES:
                functions[logical_id] = self._function(logical_id, resource, layers)
        names = [f.config.name for f in functions.values()]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise TemplateError(f"two functions are named '{duplicate}'")
        queues = self._queues()
        mappings = self._mappings(functions, queues)
        return Project(
            self.path,
            functions,
            dict(self.stack.parameters),
            self._apis(),
            queues,
            mappings,
            self._aws_resources(),
            self._unemulated(functions),
        )

    def _file_systems(self, configs: list, fail) -> tuple[tuple[str, str], ...]:
        """EFS as a folder of the state folder per access point (``efs/<its name>``), shared by
        every function that names it; each environment mounts it at its ``LocalMountPath``."""
        found = []
        for config in configs:
            path = str(config.get("LocalMountPath", ""))
            if not re.fullmatch(r"/mnt/[a-zA-Z0-9-_.]+", path):
                raise fail(f"LocalMountPath '{path}' must be /mnt/ and a name, as Lambda requires", "FileSystemConfigs")
            access_point = re.sub(
                r"[^A-Za-z0-9-_.]", "-", str(config.get("Arn", "")).rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            )
            found.append((str(self.inline_code_dir.parent / "efs" / access_point), path))
        return tuple(found)

    def _function_of(self, value: Any) -> str | None:
        """The logical id of the template function a name or an ARN (qualified or not) names."""
        name = str(value or "")
        if name.startswith("arn:"):
            parts = name.split(":")
            name = parts[6] if len(parts) > 6 else ""
        return next(
            (
                logical_id
                for logical_id, resource in self.resources.items()
                if isinstance(resource, dict)
                and resource.get("Type") in FUNCTION_TYPES
                and self.stack.function_name(logical_id) == name
            ),
            None,
        )

    def _unemulated(self, functions: dict[str, FunctionDefinition]) -> tuple[str, ...]:
        """``"AWS::StepFunctions::StateMachine (Orders, Refunds)"``, one entry per kind, for the one
        line that says what the template holds and lambdahost does not emulate."""
        found: dict[str, list[str]] = {}
        for logical_id, resource in self._active():
            kind = resource["Type"]
            if kind in FUNCTION_TYPES:
                properties = resource.get("Properties") or {}
                for name in _UNEMULATED_PROPERTIES:
                    if name in properties or name in self.globals:
                        found.setdefault(name, []).append(logical_id)
                for name in sorted(set(properties) - _FUNCTION_PROPERTIES):
                    found.setdefault(f"{name}, a property {kind} does not have", []).append(logical_id)
            elif (
                kind not in LAYER_TYPES
                and kind not in _READ
                and not kind.startswith(_NOTHING_TO_EMULATE)
                and not kind.endswith("Policy")  # a queue's, topic's or bucket's: nothing is enforced here
            ):
                found.setdefault(kind, []).append(logical_id)
        for layer, ids in self.skipped_layers.items():
            found[f"layer {layer}"] = ids
        for logical_id, function in functions.items():
            if not function.config.runs_here:
                found.setdefault(f"{function.config.runtime} functions, not run here yet", []).append(logical_id)
        translated = (self.data.get("Metadata") or {}).get("lambdahost:unemulated") or []  # serverless.yml's
        return (*translated, *(f"{kind} ({', '.join(ids)})" for kind, ids in found.items()))

    def _aws_resources(self) -> tuple[AwsResource, ...]:
        found = []
        for logical_id, resource in self._active():
            if resource["Type"] in AWS_RESOURCE_TYPES:
                name = self.stack.get_att(logical_id, "Name")  # the physical name, whatever Ref gives
                props = self._properties(logical_id, resource, merge_globals=False)
                found.append(AwsResource(logical_id, resource["Type"], name, props))
        return tuple(found)

    def _queues(self) -> dict[str, QueueDefinition]:
        queues = {}
        for logical_id, resource in self._active():
            if resource["Type"] != "AWS::SQS::Queue":
                continue
            props = self._properties(logical_id, resource, merge_globals=False)
            redrive = props.get("RedrivePolicy") or {}
            if isinstance(redrive, str):
                redrive = json.loads(redrive)
            arn = self.stack.get_att(logical_id, "Arn")
            queues[arn] = QueueDefinition(
                name=arn.rsplit(":", 1)[1],
                arn=arn,
                visibility_timeout=int(props.get("VisibilityTimeout", 30)),
                dead_letter_arn=redrive.get("deadLetterTargetArn"),
                max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
                content_based_deduplication=props.get("ContentBasedDeduplication") in (True, "true"),
            )
        return queues

    def _mappings(
        self, functions: dict[str, FunctionDefinition], queues: dict[str, QueueDefinition]
    ) -> tuple[EventSourceMapping, ...]:
        """The SQS, Kinesis and DynamoDB events as event source mappings, with CreateEventSourceMapping's
        checks made when the template is read; each keeps one UUID from one reading to the next."""
        found = []
        for function in functions.values():
            for event in function.events:
                if event.type not in mapping_model.KINDS:
                    continue
                props = event.properties
                where = {"resource": function.logical_id, "prop": f"Events.{event.name}"}
                request = {key: value for key, value in props.items() if key not in ("Queue", "Stream")}
                request["EventSourceArn"] = props.get("Queue" if event.type == "SQS" else "Stream")
                uuid = str(uuids.uuid5(uuids.NAMESPACE_URL, f"{self.path}#{function.logical_id}/{event.name}"))
                try:
                    mapping = mapping_model.create(uuid, function.config.name, request, origin="template")
                except LambdaError as exc:
                    raise TemplateError(exc.message, **where) from None
                queue = queues.get(mapping.event_source_arn)
                problem = queue and mapping_model.visibility_problem(queue.visibility_timeout, function.config.timeout)
                if problem:
                    raise TemplateError(problem, **where)
                found.append(mapping)
        return tuple(found)

    def _apis(self) -> dict[str, ApiDefinition]:
        apis = {
            IMPLICIT_REST_API: self._api(IMPLICIT_REST_API, {"Type": "AWS::Serverless::Api"}),
            IMPLICIT_HTTP_API: self._api(IMPLICIT_HTTP_API, {"Type": "AWS::Serverless::HttpApi"}),
        }
        for logical_id, resource in self._active():
            if resource["Type"] in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
                apis[logical_id] = self._api(logical_id, resource)
        for logical_id, (kind, stage) in self.wiring.apis.items():  # plain API Gateway resources
            apis[logical_id] = ApiDefinition(logical_id=logical_id, kind=kind, stage=stage)
        return apis

    def _api(self, logical_id: str, resource: Mapping) -> ApiDefinition:
        kind = resource["Type"]
        raw = _merge(self.api_globals[kind], resource.get("Properties") or {})
        props = {key: self._located(logical_id, raw, key, self.stack.resolve, value) for key, value in raw.items()}
        rest = kind == "AWS::Serverless::Api"
        return ApiDefinition(
            logical_id=logical_id,
            kind="rest" if rest else "http",
            stage=str(props.get("StageName", "Prod" if rest else "$default")),
            binary_media_types=tuple(_media_type(t) for t in props.get("BinaryMediaTypes") or ()),
            cors=props.get("Cors") if rest else props.get("CorsConfiguration"),
            auth=dict(props.get("Auth") or {}),
        )

    def _active(self):
        for logical_id, resource in self.resources.items():
            if not isinstance(resource, dict) or "Type" not in resource:
                raise TemplateError(
                    "every resource needs a Type",
                    resource=logical_id,
                    line=_line(self.resources, logical_id),
                )
            condition = resource.get("Condition")
            if condition is None or self._located(logical_id, resource, "Condition", self.stack.condition, condition):
                yield logical_id, resource

    # -- parameters ---------------------------------------------------------------------------

    def _parameters(self) -> dict[str, Any]:
        declared = self.data.get("Parameters") or {}
        unknown = sorted(set(self.overrides) - set(declared))
        if unknown:
            raise TemplateError(
                f"--parameter-overrides names {', '.join(unknown)}, which the template does not declare"
            )
        values = {}
        for name, spec in declared.items():
            line = declared.line_of(name) if isinstance(declared, loader.Located) else None
            if name in self.overrides:
                value = self.overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(
                    "has no Default and no value in --parameter-overrides", resource=f"Parameters.{name}", line=line
                )
            value = str(value) if not isinstance(value, list) else ",".join(map(str, value))
            allowed = spec.get("AllowedValues")
            if allowed is not None and value not in [str(v) for v in allowed]:
                raise TemplateError(
                    f"value '{value}' is not one of AllowedValues {[str(v) for v in allowed]}",
                    resource=f"Parameters.{name}",
                    line=line,
                )
            kind = spec.get("Type", "String")
            if kind == "Number":
                try:
                    float(value)
                except ValueError:
                    raise TemplateError(
                        f"value '{value}' is not a Number", resource=f"Parameters.{name}", line=line
                    ) from None
            values[name] = value.split(",") if kind.startswith("List<") or kind == "CommaDelimitedList" else value
        return values

    # -- resources ----------------------------------------------------------------------------

    def _located(self, logical_id: str, mapping: Mapping, prop: str | None, work, argument):
        """``work(argument)``, with a TemplateError it raises placed at the resource and property."""
        try:
            return work(argument)
        except TemplateError as exc:
            line = (
                mapping.line_of(prop)
                if isinstance(mapping, loader.Located) and prop
                else getattr(mapping, "line", None)
            )
            raise exc.locate(resource=logical_id, prop=prop, line=line) from None

    def _properties(self, logical_id: str, resource: Mapping, merge_globals: bool) -> dict:
        raw = resource.get("Properties") or {}
        if merge_globals:
            raw = _merge(self.globals, raw)
        resolved = {}
        for key, value in raw.items():
            resolved[key] = self._located(logical_id, _located_in(raw, resource), key, self.stack.resolve, value)
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _layer(self, logical_id: str) -> Path:
        resource = self.resources[logical_id]
        properties = self._properties(logical_id, resource, merge_globals=False)
        key = "ContentUri" if resource["Type"] == "AWS::Serverless::LayerVersion" else "Content"
        asset = _cdk_asset(resource, key)
        if asset is not None:  # a CDK asset: the folder the cloud assembly keeps beside the template
            return self._local_folder(asset, logical_id, resource, key)
        return self._local_folder(properties.get(key), logical_id, resource, key)

    def _local_folder(self, value: Any, logical_id: str, resource: Mapping, key: str) -> Path:
        if not isinstance(value, str):
            raise TemplateError(
                f"must be a local folder; {json.dumps(value, default=str)} points to S3, "
                "which lambdahost does not fetch",
                resource=logical_id,
                prop=key,
                line=_line(resource, key),
            )
        folder = (self.folder / value).resolve()
        if not folder.is_dir():
            raise TemplateError(
                f"folder '{value}' does not exist (looked in {folder})",
                resource=logical_id,
                prop=key,
                line=_line(resource, key),
            )
        return folder

    def _function(self, logical_id: str, resource: Mapping, layers: dict[str, Path]) -> FunctionDefinition:
        serverless = resource["Type"] == "AWS::Serverless::Function"
        props = self._properties(logical_id, resource, merge_globals=serverless)
        where = _located_in(resource.get("Properties") or {}, resource)

        def fail(message: str, prop: str | None) -> TemplateError:
            # A property that is there is pointed at; a missing one, at the resource's Properties.
            line = _line(where, prop) if prop in where else _line(resource, "Properties")
            return TemplateError(message, resource=logical_id, prop=prop, line=line)

        for prop in ("PackageType", "ImageUri"):  # SAM takes a function with an ImageUri as an image
            if props.get(prop) == "Image" or (prop == "ImageUri" and prop in props):
                raise fail("container image functions need Docker; lambdahost runs Zip functions", prop)
        code_dir = self._code(logical_id, resource, props, serverless, fail)
        layer_dirs = []
        layer_packages = []
        for arn in props.get("Layers") or []:
            if arn in layers:
                layer_dirs.append(layers[arn])
            elif (package := public_layer_package(str(arn))) is not None:
                layer_packages.append(package)
            elif self.layer_downloads is not None:
                try:
                    layer_dirs.append(self.layer_downloads.folder(str(arn)))
                except LayerUnavailable as exc:  # said, not fatal (``_unemulated``)
                    self.skipped_layers.setdefault(f"{arn}, not in the template: {exc}", []).append(logical_id)
            else:
                self.skipped_layers.setdefault(f"{arn}, not in the template", []).append(logical_id)
        environment = self._environment(logical_id, props, fail)
        logging = props.get("LoggingConfig") or {}
        options = {
            "name": self.stack.function_name(logical_id),
            "handler": props.get("Handler"),
            "code_dir": code_dir,
            "environment": environment,
            "layers": layer_dirs,
            "layer_packages": tuple(layer_packages),
            "file_systems": self._file_systems(props.get("FileSystemConfigs") or [], fail),
            "description": str(props.get("Description", "")),
            "logging": LoggingConfig(
                log_format=logging.get("LogFormat", "Text"),
                application_log_level=logging.get("ApplicationLogLevel"),
                system_log_level=logging.get("SystemLogLevel"),
                log_group=logging.get("LogGroup"),
            ),
        }
        if props.get("Handler") is None:
            raise fail("is required", "Handler")
        for prop, option in (
            ("Runtime", "runtime"),
            ("Timeout", "timeout"),
            ("MemorySize", "memory_size"),
            ("ReservedConcurrentExecutions", "reserved_concurrency"),
        ):
            if prop in props:
                options[option] = _integer(props[prop]) if option != "runtime" else props[prop]
        if "EphemeralStorage" in props:
            options["ephemeral_storage"] = _integer((props["EphemeralStorage"] or {}).get("Size"))
        if "Architectures" in props:
            options["architectures"] = props["Architectures"] or ()
        tracing = props.get("Tracing") or (props.get("TracingConfig") or {}).get("Mode")  # SAM's, CloudFormation's
        if tracing:
            options["tracing"] = "PassThrough" if tracing == "Disabled" else tracing
        if "SnapStart" in props:
            apply_on = (props["SnapStart"] or {}).get("ApplyOn", "None")
            if apply_on not in ("PublishedVersions", "None"):
                raise fail(f"ApplyOn must be PublishedVersions or None, not {apply_on!r}", "SnapStart")
            options["snap_start"] = apply_on == "PublishedVersions"
        metadata = resource.get("Metadata") or {}
        if metadata.get("BuildMethod") == "esbuild":  # built by esbuild, as sam build builds it
            options["esbuild"] = dict(metadata.get("BuildProperties") or {})
        if "TenancyConfig" in props:
            mode = (props["TenancyConfig"] or {}).get("TenantIsolationMode")
            if mode != "PER_TENANT":
                raise fail("TenantIsolationMode must be PER_TENANT", "TenancyConfig")
            options["tenant_isolation"] = True
        try:
            config = FunctionConfig(**options)
        except ValidationException as exc:
            member = exc.violations[0].split("' at '", 1)[-1].split("'", 1)[0]
            prop = _PROPERTY_OF_MEMBER.get(member, _PROPERTY_OF_MEMBER.get(member.split(".")[0]))
            raise fail(str(exc), prop) from None
        except LambdaError as exc:
            raise fail(exc.message, None) from None
        wired = self.wiring  # what plain resources point at this function
        events = props.get("Events") or {}
        if not isinstance(events, dict):
            raise fail("Events must be a mapping of names to events", "Events")
        return FunctionDefinition(
            logical_id=logical_id,
            config=config,
            events=self._events(logical_id, {**events, **wired.events.get(logical_id, {})}, where),
            auto_publish_alias=props.get("AutoPublishAlias") or wired.aliases.get(logical_id),
            dead_letter_queue=_dead_letter_queue(props.get("DeadLetterQueue"), fail)
            or _dead_letter_config(props.get("DeadLetterConfig"), fail),
            event_invoke_config=_event_invoke_config(
                props.get("EventInvokeConfig") or wired.invoke_configs.get(logical_id), fail
            ),
            function_url_config=_function_url_config(
                props.get("FunctionUrlConfig") or wired.urls.get(logical_id), fail
            ),
            cdk_path=str((resource.get("Metadata") or {}).get("aws:cdk:path", "")).removesuffix("/Resource") or None,
            version_description=str(props.get("VersionDescription", "")),
            provisioned_concurrency=self._provisioned_concurrency(props, fail),
            auto_publish_all_properties=props.get("AutoPublishAliasAllProperties") in (True, "true", "True"),
            auto_publish_code_sha256=props.get("AutoPublishCodeSha256"),
            role=self._role(logical_id, props),
            tags=self._tags(logical_id, props, serverless, fail),
            recursive_loop=_recursive_loop(props.get("RecursiveLoop"), fail),
        )

    def _role(self, logical_id: str, props: dict) -> str:
        """Role's ARN, or one in the form of the role SAM creates for a function that names none."""
        role = props.get("Role")
        if isinstance(role, str) and role.startswith("arn:"):
            return role
        return f"arn:aws:iam::{self.stack.account_id}:role/{self.stack.stack_name}-{logical_id}Role"

    def _tags(self, logical_id: str, props: dict, serverless: bool, fail) -> dict[str, str]:
        """Tags as a deploy leaves them: the template's (SAM's map, or CloudFormation's list of
        Key/Value), CloudFormation's own, and SAM's ``lambda:createdBy``."""
        written = props.get("Tags") or {}
        if isinstance(written, list) and all(isinstance(t, dict) and "Key" in t for t in written):
            written = {t["Key"]: t.get("Value", "") for t in written}
        if not isinstance(written, dict):
            raise fail("must map keys to values (or list Key and Value pairs)", "Tags")
        tags = {str(key): str(value) for key, value in written.items()}
        tags["aws:cloudformation:stack-name"] = self.stack.stack_name
        tags["aws:cloudformation:logical-id"] = logical_id
        if serverless:
            tags["lambda:createdBy"] = "SAM"
        return tags

    @staticmethod
    def _provisioned_concurrency(props: dict, fail) -> int | None:
        config = props.get("ProvisionedConcurrencyConfig")
        if config is None:
            return None
        if not props.get("AutoPublishAlias"):
            raise fail("needs AutoPublishAlias: SAM puts it on that alias", "ProvisionedConcurrencyConfig")
        return _integer(config.get("ProvisionedConcurrentExecutions"))

    def _code(self, logical_id: str, resource: Mapping, props: dict, serverless: bool, fail) -> Path:
        if serverless:
            inline = props.get("InlineCode")
        else:
            code = props.get("Code")
            inline = code.get("ZipFile") if isinstance(code, dict) else None
        if inline is not None:
            folder = self.inline_code_dir / logical_id
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "index.py").write_text(str(inline))  # AWS names inline Python code index.py
            return folder
        key = "CodeUri" if serverless else "Code"
        asset = _cdk_asset(resource, key)
        if asset is not None:  # a CDK asset: the folder the cloud assembly keeps beside the template
            folder = self.folder / asset
            if not folder.is_dir():
                raise fail(f"CDK asset folder '{asset}' does not exist (looked in {folder}): run cdk synth", key)
            return folder
        if key not in props:
            if serverless:
                return self.folder  # as SAM CLI does, the template's folder
            raise fail("is required: a local folder or ZipFile code", key)
        where = _located_in(resource.get("Properties") or {}, resource)
        try:
            return self._local_folder(props[key], logical_id, where, key)
        except TemplateError as exc:
            raise exc.locate(line=_line(where, key)) from None

    def _environment(self, logical_id: str, props: dict, fail) -> dict[str, str]:
        variables = (props.get("Environment") or {}).get("Variables") or {}
        if not isinstance(variables, dict):
            raise fail("Variables must be a mapping of names to values", "Environment")
        variables = {str(k): _string(v) for k, v in variables.items()}
        # --env-vars: its Parameters for every function, then the function's own entry; each may
        # add a variable (SAM's only overrides those the template declares: a local endpoint or
        # setting often is not).
        name = self.stack.function_name(logical_id)
        for scope in ("Parameters", logical_id, name):
            for key, value in (self.env_vars.get(scope) or {}).items():
                variables[key] = _string(value)
        return variables

    def _events(self, logical_id: str, events: Any, where: Mapping) -> tuple[EventSource, ...]:
        if not isinstance(events, dict):
            raise TemplateError(
                "Events must be a mapping of names to events",
                resource=logical_id,
                prop="Events",
                line=_line(where, "Events"),
            )
        sources = []
        for name, event in events.items():
            prop = f"Events.{name}"
            line = _line(where, "Events")
            kind = event.get("Type") if isinstance(event, dict) else None
            if kind not in EVENT_TYPES:
                raise TemplateError(
                    f"Type {kind!r} is not a SAM event type; expected one of {', '.join(EVENT_TYPES)}",
                    resource=logical_id,
                    prop=prop,
                    line=line,
                )
            properties = event.get("Properties") or {}
            missing = [p for p in EVENT_TYPES[kind] if p not in properties]
            if missing:
                raise TemplateError(
                    f"a {kind} event needs {', '.join(missing)}", resource=logical_id, prop=prop, line=line
                )
            if kind in ("Schedule", "ScheduleV2"):
                from ..triggers.schedule import parse as parse_schedule  # its calendar costs every command 5 ms

                expression = properties.get("Schedule") or properties.get("ScheduleExpression")
                try:
                    parse_schedule(expression, scheduler=kind == "ScheduleV2")
                except ValueError as exc:
                    raise TemplateError(str(exc), resource=logical_id, prop=prop, line=line) from None
            sources.append(EventSource(name, kind, dict(properties)))
        return tuple(sources)


def _cdk_asset(resource: Mapping, key: str) -> str | None:
    """The asset folder CDK's metadata names for the resource's code, if it has one."""
    metadata = resource.get("Metadata") or {}
    if metadata.get("aws:asset:property") == key and metadata.get("aws:asset:path"):
        return str(metadata["aws:asset:path"])
    return None


def _media_type(value: str) -> str:
    """SAM escapes the slash of binary media types (image~1png) as a JSON pointer does."""
    return str(value).replace("~1", "/")


def _located_in(mapping: Mapping, fallback: Mapping) -> Mapping:
    return mapping if isinstance(mapping, loader.Located) else fallback


def _line(mapping: Mapping, key: str | None) -> int | None:
    if isinstance(mapping, loader.Located):
        return mapping.line_of(key) if key else mapping.line
    return None


def _merge(globals_: Mapping, local: Mapping) -> Any:
    """SAM's Globals rules: maps merge (local wins), lists concatenate (globals first), else local wins."""
    merged = loader.Located({**globals_, **local})
    merged.line = getattr(local, "line", None)
    merged.key_lines = {**getattr(globals_, "key_lines", {}), **getattr(local, "key_lines", {})}
    for key in set(globals_) & set(local):
        g, v = globals_[key], local[key]
        if isinstance(g, dict) and isinstance(v, dict) and not _is_intrinsic(v):
            merged[key] = _merge(g, v)
        elif isinstance(g, list) and isinstance(v, list):
            merged[key] = g + v
    return merged


def _is_intrinsic(value: Mapping) -> bool:
    return len(value) == 1 and next(iter(value)) in ("Ref", "Condition") or next(iter(value), "").startswith("Fn::")


def _integer(value: Any) -> Any:
    try:
        return int(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dead_letter_queue(config: Any, fail) -> dict | None:
    if config is None:
        return None
    if not isinstance(config, dict) or config.get("Type") not in ("SQS", "SNS") or "TargetArn" not in config:
        raise fail("needs Type (SQS or SNS) and TargetArn", "DeadLetterQueue")
    return dict(config)


def _dead_letter_config(config: Any, fail) -> dict | None:
    """AWS::Lambda::Function's DeadLetterConfig: a TargetArn only."""
    if config is None:
        return None
    if not isinstance(config, dict) or not isinstance(config.get("TargetArn"), str):
        raise fail("needs a TargetArn", "DeadLetterConfig")
    return {"TargetArn": config["TargetArn"]}


def _recursive_loop(value: Any, fail) -> str | None:
    if value not in (None, "Allow", "Terminate"):
        raise fail(f"RecursiveLoop must be Allow or Terminate, not {value!r}", "RecursiveLoop")
    return value


def _event_invoke_config(config: Any, fail) -> dict | None:
    if config is None:
        return None
    age = config.get("MaximumEventAgeInSeconds")
    if age is not None and not 60 <= int(age) <= 21600:
        raise fail(f"MaximumEventAgeInSeconds {age} is outside 60 to 21600", "EventInvokeConfig")
    retries = config.get("MaximumRetryAttempts")
    if retries is not None and not 0 <= int(retries) <= 2:
        raise fail(f"MaximumRetryAttempts {retries} is outside 0 to 2", "EventInvokeConfig")
    return dict(config)


def _function_url_config(config: Any, fail) -> dict | None:
    if config is None:
        return None
    if config.get("AuthType") not in limits.URL_AUTH_TYPES:
        raise fail("AuthType must be NONE or AWS_IAM", "FunctionUrlConfig")
    if config.get("InvokeMode", "BUFFERED") not in limits.URL_INVOKE_MODES:
        raise fail("InvokeMode must be BUFFERED or RESPONSE_STREAM", "FunctionUrlConfig")
    return dict(config)
