"""Provisioned concurrency: a version (or the version an alias points to) keeps that many
environments initialized ahead of any invocation, with ``AWS_LAMBDA_INITIALIZATION_TYPE``
``provisioned-concurrency``; invocations find them warm, and those past them spill over to
on-demand environments, as on Lambda. The configurations are kept with the function (state.db)
and provisioned again after a restart.

The refusals of $LATEST, the 409s between an alias and its version, and the
FUNCTION_ERROR_INIT_FAILURE reason are AWS's (deploy tools' issue reports; LocalStack's provider,
held to AWS-recorded snapshots). Chosen where AWS's behaviour is not documented (UNCONFIRMED): the
other refusals' wording; a configuration on an alias provisions the version the alias points to
when it is made (or at the next start), and stays there if the alias moves.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterValueException, LambdaError, ResourceConflictException, ValidationException
from ..model.registry import LATEST, FunctionRecord, now_iso

KEY = "ProvisionedConcurrency"  # in the record's kept settings: qualifier -> {"Requested", "LastModified"}


class ProvisionedConcurrencyConfigNotFoundException(LambdaError):
    status = 404


class ProvisionedConcurrency:
    def __init__(self, plane) -> None:
        self._plane = plane

    def put(self, function_name: str, qualifier: str | None, request: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self._plane.qualified(function_name, qualifier)
        requested = request.get("ProvisionedConcurrentExecutions")
        if not isinstance(requested, int) or isinstance(requested, bool) or requested < 1:
            raise ValidationException(
                [
                    f"Value '{requested}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: "
                    "Member must have value greater than or equal to 1"
                ]
            )
        if qualifier in (None, LATEST):
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        version, config = record.resolve(qualifier)
        configs = record.settings.get(KEY, {})
        # An alias and the version it points to hold one configuration between them (AWS's 409s, as
        # LocalStack's provider gives them, held to AWS-recorded snapshots).
        if qualifier in record.aliases and version in configs:
            raise ResourceConflictException(
                "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
            )
        if qualifier in record.versions and any(
            alias.function_version == qualifier and alias.name in configs for alias in record.aliases.values()
        ):
            raise ResourceConflictException("Version is pointed by a Provisioned Concurrency alias")
        if config.snap_start or config.tenant_isolation:  # (each tenant has environments of its own)
            feature = "SnapStart" if config.snap_start else "tenant isolation"
            raise InvalidParameterValueException(f"Provisioned concurrency cannot be used with {feature}")
        self._check_concurrency(record, qualifier, requested)
        configs = dict(record.settings.get(KEY, {}))
        configs[qualifier] = {"Requested": requested, "LastModified": now_iso()}
        record.settings[KEY] = configs
        self._plane.save(record)
        self._plane.invoker.provision(record.name, version, requested)
        return self._shape(record, qualifier)

    def get(self, function_name: str, qualifier: str | None) -> dict[str, Any]:
        _check_published(qualifier)
        record, qualifier = self._plane.qualified(function_name, qualifier)
        if qualifier not in record.settings.get(KEY, {}):
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function"
            )
        return self._shape(record, qualifier)

    def delete(self, function_name: str, qualifier: str | None) -> None:
        _check_published(qualifier)
        record, qualifier = self._plane.qualified(function_name, qualifier)
        configs = dict(record.settings.get(KEY, {}))
        if configs.pop(qualifier, None) is None:
            return
        record.settings[KEY] = configs
        self._plane.save(record)
        self._plane.invoker.provision(record.name, record.resolve(qualifier)[0], 0)

    def list(self, function_name: str) -> list[dict[str, Any]]:
        record = self._plane.record(function_name)
        return [
            {"FunctionArn": self._plane.registry.arn(record.name, qualifier), **self._shape(record, qualifier)}
            for qualifier in record.settings.get(KEY, {})
        ]

    def resume(self, record: FunctionRecord) -> None:
        """Provision again what a function had before a restart."""
        for qualifier, config in record.settings.get(KEY, {}).items():
            if qualifier in record.versions or qualifier in record.aliases:
                self._plane.invoker.provision(record.name, record.resolve(qualifier)[0], config["Requested"])

    def _check_concurrency(self, record: FunctionRecord, qualifier: str, requested: int) -> None:
        others = sum(c["Requested"] for q, c in record.settings.get(KEY, {}).items() if q != qualifier)
        reserved = record.config.reserved_concurrency
        if reserved is not None and others + requested > reserved:
            raise InvalidParameterValueException(
                f"Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution "
                f"for function ({reserved})"
            )
        concurrency = self._plane.invoker.concurrency
        available = concurrency.unreserved - concurrency.min_unreserved
        if reserved is None and others + requested > available:
            raise InvalidParameterValueException(
                f"Specified ConcurrentExecutions for function is greater than account's unreserved concurrency "
                f"[{available}]"
            )

    def _shape(self, record: FunctionRecord, qualifier: str) -> dict[str, Any]:
        config = record.settings[KEY][qualifier]
        state = self._plane.invoker.provisioned(record.name, record.resolve(qualifier)[0])
        shape = {
            "RequestedProvisionedConcurrentExecutions": config["Requested"],
            "AvailableProvisionedConcurrentExecutions": state.ready,
            "AllocatedProvisionedConcurrentExecutions": state.ready,
            "Status": "FAILED" if state.failure else "READY" if state.ready >= config["Requested"] else "IN_PROGRESS",
            "LastModified": config["LastModified"],
        }
        if state.failure:
            shape["StatusReason"] = state.failure
        return shape


def _check_published(qualifier: str | None) -> None:
    """Reading or deleting $LATEST's configuration: AWS's 400 (LocalStack's provider, held to
    AWS-recorded snapshots)."""
    if qualifier in (None, LATEST):
        raise InvalidParameterValueException("The function resource provided must be an alias or a published version.")
