"""Control-plane operations on the host's functions, as the Lambda API defines them.

Requests arrive as the API's JSON members (``FunctionName``, ``MemorySize``, ...); the HTTP layer
only parses and serialises. Functions created here are stored and come back after a restart;
template functions keep their code in their folder, so their code cannot be uploaded here, but
what is done here to them (versions, aliases, settings) is stored too and comes back with them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from typing import Any

from ..errors import (
    InvalidParameterValueException,
    LambdaError,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..invoker import Invoker
from ..model import limits
from ..model.function import FunctionConfig, LoggingConfig
from ..model.names import parse_function_name
from ..model.registry import LATEST, Alias, FunctionRecord, Registry, Version, new_revision
from ..store.code import CodeStore, hash_folder
from ..store.functions import FunctionStore
from ..store.mappings import MappingStore
from . import provisioned
from .kept_settings import KeptSettings, check_enum
from .layers import Layers
from .mappings import EventSourceMappings
from .permissions import Permissions
from .urls import FunctionUrls

ROLE = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")


class PreconditionFailedException(LambdaError):
    status = 412


class ControlPlane:
    def __init__(
        self,
        registry: Registry,
        invoker: Invoker,
        code: CodeStore,
        store: FunctionStore,
        layers: Layers,
        mappings: MappingStore,
    ) -> None:
        self.registry = registry
        self.invoker = invoker
        self.code = code
        self.store = store
        self.layers = layers
        self.mappings = EventSourceMappings(self, mappings)
        self.urls = FunctionUrls(self)
        self.permissions = Permissions(self)
        self.kept_settings = KeptSettings(self)
        self.provisioned = provisioned.ProvisionedConcurrency(self)
        self._saved_template_state: dict[str, FunctionRecord] = {}

    def restore(self) -> None:
        """Bring back the functions created through the API before the last restart; what the API
        added to template functions waits for the template to add them (``adopt``)."""
        for record in self.store.load():
            if record.origin == "template":
                self._saved_template_state[record.name] = record
            elif record.name not in self.registry:
                self.invoker.put_record(record)
                self.provisioned.resume(record)

    def adopt(self, record: FunctionRecord) -> None:
        """Give a template function, as its template has just added it, the versions, aliases
        and settings the API gave it before the last restart. The template keeps its $LATEST."""
        saved = self._saved_template_state.pop(record.name, None)
        if saved is None:
            return
        for version in saved.versions.values():
            self.invoker.prepare(version.config)
        record.versions, record.aliases, record.tags = saved.versions, saved.aliases, saved.tags
        record.event_invoke_configs = saved.event_invoke_configs
        record.last_version = saved.last_version
        record.url_configs, record.policies, record.settings = saved.url_configs, saved.policies, saved.settings
        self.provisioned.resume(record)

    def forget(self, name: str) -> None:
        """A template function its template no longer has: gone with its versions, as a deploy
        without it would delete it."""
        self.store.delete(name)

    # -- reading ------------------------------------------------------------------------------

    def record(self, function_name: str) -> FunctionRecord:
        settings = self.invoker.settings
        name, _ = parse_function_name(function_name, region=settings.region, account=settings.account_id)
        return self.registry.record(name)

    def code_of(self, record: FunctionRecord):
        if record.code is None:  # a template function: hash its folder the first time it is asked
            record.code = hash_folder(record.config.code_dir)
        return record.code

    def qualified(self, function_name: str, qualifier: str | None) -> tuple[FunctionRecord, str | None]:
        settings = self.invoker.settings
        name, qualifier = parse_function_name(function_name, qualifier, settings.region, settings.account_id)
        record = self.registry.record(name)
        if qualifier not in (None, LATEST) and qualifier not in record.versions and qualifier not in record.aliases:
            raise ResourceNotFoundException(f"Function not found: {self.registry.arn(name, qualifier)}")
        return record, qualifier

    # -- functions ----------------------------------------------------------------------------

    def create_function(self, request: dict[str, Any], zip_file: bytes | None) -> FunctionRecord:
        name, _ = parse_function_name(request.get("FunctionName", ""))  # a name, or an ARN of one
        if name in self.registry:
            raise ResourceConflictException(f"Function already exist: {name}")
        role = _checked_role(request.get("Role", ""))
        if request.get("PackageType", "Zip") != "Zip":
            raise InvalidParameterValueException("Container image functions need Docker; lambdahost runs Zip functions")
        _check_runtime_takes_new_functions(request.get("Runtime", ""))
        if zip_file is None:
            raise InvalidParameterValueException("Code.ZipFile is required: lambdahost does not fetch code from S3")
        code_dir, code = self.code.unpack(name, zip_file)
        config = self._config(
            request,
            FunctionConfig(
                name=name,
                handler=request.get("Handler") or "",
                code_dir=code_dir,
                runtime=request.get("Runtime", ""),
                tenant_isolation=_tenant_isolation(request.get("TenancyConfig")),
                architectures=request.get("Architectures") or ("x86_64",),
            ),
        )
        record = FunctionRecord(
            config,
            code=code,
            origin="api",
            role=role,
            dead_letter_target=(request.get("DeadLetterConfig") or {}).get("TargetArn"),
            tags=_check_tags(dict(request.get("Tags") or {})),
        )
        self.invoker.put_record(record)
        if request.get("Publish"):
            self._publish(record, "")
        record.begin_change("create", self.invoker.settings.settle_time)
        self._save(record)
        return record

    def _check_settled(self, record: FunctionRecord) -> None:
        """AWS takes one change at a time: another while one is in progress is a conflict."""
        if record.changing():
            raise ResourceConflictException(
                "The operation cannot be performed at this time. "
                f"An update is in progress for resource: {self.registry.arn(record.name)}"
            )

    def check_invocable(self, function_name: str) -> None:
        """A function still being created cannot be invoked yet (AWS's 409). A plain name, as
        nearly every invocation gives it, is looked up as it is; anything else is parsed."""
        record = self.registry.get(function_name) or self.record(function_name)
        if record.changing() == "create":
            raise ResourceConflictException(
                "The operation cannot be performed at this time. "
                "The function is currently in the following state: Pending"
            )

    def update_code(self, function_name: str, zip_file: bytes | None, request: dict[str, Any]) -> FunctionRecord:
        record = self.record(function_name)
        self.check_revision(record, request.get("RevisionId"))
        self._check_settled(record)
        if record.origin == "template":
            raise InvalidParameterValueException(
                f"Function '{record.name}' comes from the template: change the files in {record.config.code_dir}"
            )
        if zip_file is None:
            raise InvalidParameterValueException("ZipFile is required: lambdahost does not fetch code from S3")
        code_dir, code = self.code.unpack(record.name, zip_file)
        if not request.get("DryRun"):
            record.config = dataclasses.replace(record.config, code_dir=code_dir)
            record.code = code
            record.touch()
            self.invoker.recycle(record.name)
            if request.get("Publish"):
                self._publish(record, "")
            record.begin_change("update", self.invoker.settings.settle_time)
            self._save(record)
        return record

    def update_configuration(self, function_name: str, request: dict[str, Any]) -> FunctionRecord:
        record = self.record(function_name)
        self.check_revision(record, request.get("RevisionId"))
        self._check_settled(record)
        if "Role" in request:
            _checked_role(request["Role"])  # before anything changes
        config = self._config(request, record.config)
        self.invoker.prepare(config)
        self.invoker.concurrency.reserve(record.name, config.reserved_concurrency)
        record.config = config
        if "Role" in request:  # checked as on create (issue 28)
            record.role = _checked_role(request["Role"])
        if "DeadLetterConfig" in request:
            record.dead_letter_target = (request["DeadLetterConfig"] or {}).get("TargetArn") or None
        record.touch()
        record.begin_change("update", self.invoker.settings.settle_time)
        self.invoker.recycle(record.name)
        self._save(record)
        return record

    def delete_function(self, function_name: str, qualifier: str | None) -> None:
        name, qualifier = parse_function_name(function_name, qualifier)
        record = self.registry.record(name)
        if qualifier == LATEST:
            raise InvalidParameterValueException("$LATEST version cannot be deleted without deleting the function.")
        if qualifier is None:
            self.invoker.remove_function(name)
            self.store.delete(name)
            if record.origin == "api":
                self.code.remove(name)
            return
        if qualifier not in record.versions:
            return  # AWS answers 204 for a version that does not exist (issue 28, measured against AWS)
        using = [a.name for a in record.aliases.values() if qualifier in (a.function_version, *a.weights)]
        if using:
            raise ResourceConflictException(
                f"Unable to delete version because the following aliases reference it: {using}"
            )
        del record.versions[qualifier]
        self._forget_qualifier(record, qualifier)
        self.invoker.recycle(name, qualifier)
        self._save(record)

    # -- tags -----------------------------------------------------------------------------------

    def tagged(self, arn: str) -> FunctionRecord:
        """The function an ARN tags: the function's own, as AWS tags no version or alias."""
        name, qualifier = parse_function_name(arn)
        record = self.record(name)
        if qualifier is not None:
            raise InvalidParameterValueException(
                "Tags on function aliases and versions are not supported. Please specify a function ARN."
            )
        return record

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        record = self.tagged(arn)
        _check_tags({**record.tags, **tags})
        record.tags.update(tags)
        record.revision_id = new_revision()  # a tag change is a change of the function (issue 28)
        self._save(record)

    def untag(self, arn: str, keys: list[str]) -> None:
        record = self.tagged(arn)
        for key in keys:
            record.tags.pop(key, None)
        record.revision_id = new_revision()
        self._save(record)

    def _config(self, request: dict[str, Any], base: FunctionConfig) -> FunctionConfig:
        """Apply the request's configuration members to a configuration (validated on the way)."""
        changes: dict[str, Any] = {}
        for member, option in (
            ("Handler", "handler"),
            ("Runtime", "runtime"),
            ("Timeout", "timeout"),
            ("MemorySize", "memory_size"),
            ("Description", "description"),
        ):
            if member in request:
                changes[option] = request[member]
        if "Environment" in request:
            changes["environment"] = (request["Environment"] or {}).get("Variables") or {}
        if "EphemeralStorage" in request:
            changes["ephemeral_storage"] = (request["EphemeralStorage"] or {}).get("Size", 512)
        if "LoggingConfig" in request:
            logging = request["LoggingConfig"] or {}
            changes["logging"] = LoggingConfig(
                log_format=logging.get("LogFormat", base.logging.log_format),
                application_log_level=logging.get("ApplicationLogLevel", base.logging.application_log_level),
                system_log_level=logging.get("SystemLogLevel", base.logging.system_log_level),
                log_group=logging.get("LogGroup", base.logging.log_group),
            )
        if "Layers" in request:
            changes["layers"] = self.layers.resolve(request["Layers"] or [])
        if "TracingConfig" in request:
            changes["tracing"] = (request["TracingConfig"] or {}).get("Mode") or "PassThrough"
        if "SnapStart" in request:
            apply_on = (request["SnapStart"] or {}).get("ApplyOn", "None")
            check_enum(apply_on, ("PublishedVersions", "None"), "snapStart.applyOn")
            changes["snap_start"] = apply_on == "PublishedVersions"
        return dataclasses.replace(base, **changes)

    # -- versions and aliases -----------------------------------------------------------------

    def publish_version(self, function_name: str, request: dict[str, Any]) -> Version:
        record = self.record(function_name)
        self.check_revision(record, request.get("RevisionId"))
        self._check_settled(record)
        code = self.code_of(record)
        if request.get("CodeSha256") and request["CodeSha256"] != code.sha256:
            raise InvalidParameterValueException(
                f"CodeSHA256 ({request['CodeSha256']}) is different from current CodeSHA256 in $LATEST "
                f"({code.sha256}). Please try again with the CodeSHA256 in $LATEST."
            )
        return self._publish(record, request.get("Description", ""))

    def _publish(self, record: FunctionRecord, description: str) -> Version:
        # A template function's folder keeps changing (an editor may be writing it now): its
        # version is a copy, and the copy's hash is the version's, so the two always agree.
        staged = (
            self.code.snapshot(record.name, "staged", record.config.code_dir) if record.origin == "template" else None
        )
        code = hash_folder(staged) if staged is not None else self.code_of(record)
        latest = max(record.versions.values(), key=lambda v: int(v.number), default=None)
        if latest is not None and latest.code == code and _same_settings(latest.config, record.config):
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            return latest  # nothing changed since the last version: AWS returns that one
        number = record.next_version()
        code_dir = record.config.code_dir
        if staged is not None:
            code_dir = staged.with_name(f"version-{number}")
            shutil.rmtree(code_dir, ignore_errors=True)
            staged.rename(code_dir)
        config = dataclasses.replace(record.config, code_dir=code_dir)
        self.invoker.prepare(config)
        version = Version(number, config, code, description)
        record.versions[number] = version
        self._save(record)
        self.invoker.take_snapshot(record.name, number)
        return version

    def create_alias(self, function_name: str, request: dict[str, Any]) -> Alias:
        record = self.record(function_name)
        alias = Alias(
            request.get("Name", ""),
            request.get("FunctionVersion", ""),
            request.get("Description", ""),
            _weights(request),
        )
        record.add_alias(alias, self.registry.arn(record.name, alias.name))
        self._save(record)
        return alias

    def alias(self, function_name: str, name: str) -> Alias:
        record = self.record(function_name)
        if name not in record.aliases:
            raise ResourceNotFoundException(f"Cannot find alias arn: {self.registry.arn(record.name, name)}")
        return record.aliases[name]

    def update_alias(self, function_name: str, name: str, request: dict[str, Any]) -> Alias:
        record = self.record(function_name)
        alias = self.alias(function_name, name)
        if request.get("RevisionId") and request["RevisionId"] != alias.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. "
                "Call the GetAlias API to retrieve the latest Revision Id"
            )
        version = request.get("FunctionVersion", alias.function_version)
        weights = _weights(request) if "RoutingConfig" in request else alias.weights
        record.check_alias_target(version, weights)
        alias.function_version, alias.weights = version, weights
        alias.description = request.get("Description", alias.description)
        alias.revision_id = new_revision()
        self._save(record)
        return alias

    def delete_alias(self, function_name: str, name: str) -> None:
        record = self.record(function_name)
        self.alias(function_name, name)
        del record.aliases[name]
        self._forget_qualifier(record, name)
        self._save(record)

    @staticmethod
    def _forget_qualifier(record: FunctionRecord, qualifier: str) -> None:
        """A deleted alias or version takes its function URL, policy and provisioned concurrency
        with it, as on AWS."""
        record.url_configs.pop(qualifier, None)
        record.policies.pop(qualifier, None)
        record.settings.get(provisioned.KEY, {}).pop(qualifier, None)

    # -- concurrency and asynchronous invocation settings -------------------------------------

    def put_concurrency(self, function_name: str, reserved: int | None) -> None:
        name, qualifier = parse_function_name(function_name)
        if qualifier:
            raise InvalidParameterValueException(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                "operation. Please specify either a function name or an unqualified function ARN."
            )
        record = self.registry.record(name)
        if reserved is not None and (not isinstance(reserved, int) or reserved < 0):
            raise ValidationException(
                [
                    f"Value '{reserved}' at 'reservedConcurrentExecutions' failed to satisfy "
                    "constraint: Member must have value greater than or equal to 0"
                ]
            )
        self.invoker.concurrency.reserve(name, reserved)
        record.config = dataclasses.replace(record.config, reserved_concurrency=reserved)
        self._save(record)

    def put_event_invoke_config(
        self, function_name: str, qualifier: str | None, request: dict[str, Any], merge: bool
    ) -> dict:
        record, qualifier = self.qualified(function_name, qualifier)
        key = qualifier or LATEST
        if merge and key not in record.event_invoke_configs:
            raise ResourceNotFoundException(
                f"The function {self.registry.arn(record.name, key)} doesn't have an EventInvokeConfig"
            )
        current = dict(record.event_invoke_configs.get(key, {})) if merge else {}
        for member in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
            if member in request:
                current[member] = request[member]
        if not current:
            raise InvalidParameterValueException(
                "You must specify at least one of error handling or destination setting."
            )
        retries, age = current.get("MaximumRetryAttempts"), current.get("MaximumEventAgeInSeconds")
        if retries is not None and not 0 <= retries <= 2:
            raise ValidationException(
                [
                    f"Value '{retries}' at 'maximumRetryAttempts' failed to satisfy constraint: "
                    "Member must have value between 0 and 2"
                ]
            )
        if age is not None and not 60 <= age <= 21600:
            raise ValidationException(
                [
                    f"Value '{age}' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
                    "Member must have value between 60 and 21600"
                ]
            )
        for outcome in ("OnSuccess", "OnFailure"):
            destination = ((current.get("DestinationConfig") or {}).get(outcome) or {}).get("Destination")
            if destination:
                self._check_destination(record, current["DestinationConfig"], destination)
        record.event_invoke_configs[key] = current
        self._save(record)
        return current

    def _check_destination(self, record: FunctionRecord, config: dict, destination: str) -> None:
        """A destination is a queue, a topic, a function or an event bus; anything else is refused
        with AWS's message, which names the whole configuration (a CloudFormation deploy's log)."""
        if not _DESTINATION.fullmatch(destination):
            parts = [
                f"{outcome}(destination={target})"
                if (target := (config.get(outcome) or {}).get("Destination"))
                else "null"
                for outcome in ("OnSuccess", "OnFailure")
            ]
            raise InvalidParameterValueException(
                f"The provided destination config DestinationConfig(onSuccess={parts[0]}, onFailure={parts[1]}) "
                "is invalid."
            )
        if ":lambda:" in destination and ":function:" in destination:
            name, _ = parse_function_name(destination)
            if name == record.name:
                raise InvalidParameterValueException("You can't specify the function as a destination for itself.")
            if name not in self.registry:
                raise InvalidParameterValueException(f"The destination ARN {destination} is invalid.")

    def event_invoke_config(self, function_name: str, qualifier: str | None) -> dict:
        record, qualifier = self.qualified(function_name, qualifier)
        key = qualifier or LATEST
        if key not in record.event_invoke_configs:
            raise ResourceNotFoundException(
                f"The function {self.registry.arn(record.name, key)} doesn't have an EventInvokeConfig"
            )
        return record.event_invoke_configs[key]

    def delete_event_invoke_config(self, function_name: str, qualifier: str | None) -> None:
        record, qualifier = self.qualified(function_name, qualifier)
        self.event_invoke_config(function_name, qualifier)
        del record.event_invoke_configs[qualifier or LATEST]
        self._save(record)

    # -- helpers ------------------------------------------------------------------------------

    def check_revision(self, record: FunctionRecord, revision_id: str | None) -> None:
        if revision_id and revision_id != record.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
                "to retrieve the latest Revision Id"
            )

    def save(self, record: FunctionRecord) -> None:
        self._save(record)

    def _save(self, record: FunctionRecord) -> None:
        self.store.save(record)


def _tenant_isolation(tenancy: Any) -> bool:
    """CreateFunction's TenancyConfig (it cannot change afterwards, as on AWS)."""
    if not tenancy:
        return False
    mode = tenancy.get("TenantIsolationMode") if isinstance(tenancy, dict) else None
    if mode != "PER_TENANT":
        raise ValidationException(
            [
                f"Value '{mode}' at 'tenancyConfig.tenantIsolationMode' failed to satisfy constraint: "
                "Member must satisfy enum value set: [PER_TENANT]"
            ]
        )
    return True


def _weights(request: dict[str, Any]) -> dict[str, float]:
    routing = request.get("RoutingConfig") or {}
    return {str(k): float(v) for k, v in (routing.get("AdditionalVersionWeights") or {}).items()}


def _same_settings(a: FunctionConfig, b: FunctionConfig) -> bool:
    """The same configuration but for the code folder: compared as saved (a list and a tuple,
    a path and its text, are the same setting)."""

    def settings(config: FunctionConfig) -> str:
        return json.dumps(dataclasses.asdict(dataclasses.replace(config, code_dir="")), default=str, sort_keys=True)

    return settings(a) == settings(b)


def _check_runtime_takes_new_functions(runtime: str) -> None:
    """A deprecated runtime runs existing functions, and from a set day takes no new ones."""
    dates = limits.DEPRECATED_RUNTIMES.get(runtime)
    if runtime in limits.RETIRED_RUNTIMES or (dates is not None and dt.date.today() >= dates[1]):
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            "functions. We recommend you use a supported runtime while creating or updating functions."
        )


# Where asynchronous invocations may go: an SQS queue, an SNS topic, a function, an event bus.
_DESTINATION = re.compile(
    r"arn:aws[a-zA-Z-]*:(sqs:[a-z0-9-]+:\d{12}:[\w.-]+|sns:[a-z0-9-]+:\d{12}:[\w.-]+"
    r"|lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?|events:[a-z0-9-]+:\d{12}:event-bus/[\w.\-/]+)"
)


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    """At most 50, not counting AWS's own (``aws:`` keys, as CloudFormation's)."""
    if sum(not key.startswith("aws:") for key in tags) > limits.TAGS:
        raise InvalidParameterValueException("Number of tags exceeds resource tag limit.")
    return tags


def _checked_role(role: str) -> str:
    if not ROLE.fullmatch(str(role)):
        raise ValidationException(
            [
                f"Value '{role}' at 'role' failed to satisfy constraint: Member must satisfy "
                f"regular expression pattern: {ROLE.pattern}"
            ]
        )
    return role
