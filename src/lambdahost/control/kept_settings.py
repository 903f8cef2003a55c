"""Function settings the Lambda API keeps: the recursive loop setting (which the invoker reads:
``invoker/recursion.py``), and two a local host has no use for, the runtime update mode (the
runtime is the local interpreter) and code signing (none). Kept and answered as AWS answers
them, so that deploy tools that read or write them (Terraform reads them with every function)
work unchanged."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterValueException, ValidationException
from ..model.registry import FunctionRecord

RECURSIVE_LOOP = ("Allow", "Terminate")
UPDATE_RUNTIME_ON = ("Auto", "Manual", "FunctionUpdate")


class KeptSettings:
    def __init__(self, plane) -> None:
        self._plane = plane

    def recursion(self, function_name: str) -> dict[str, Any]:
        record = self._plane.record(function_name)
        return {"RecursiveLoop": record.settings.get("RecursiveLoop", "Terminate")}

    def put_recursion(self, function_name: str, request: dict[str, Any]) -> dict[str, Any]:
        record = self._plane.record(function_name)
        check_enum(request.get("RecursiveLoop"), RECURSIVE_LOOP, "recursiveLoop")
        return self._keep(record, "RecursiveLoop", request["RecursiveLoop"])

    def runtime_management(self, function_name: str, qualifier: str | None) -> dict[str, Any]:
        record, qualifier = self._plane.qualified(function_name, qualifier)
        kept = record.settings.get("RuntimeManagementConfig", {}).get(qualifier or "", {"UpdateRuntimeOn": "Auto"})
        return {**kept, "FunctionArn": self._plane.registry.arn(record.name, qualifier)}

    def put_runtime_management(
        self, function_name: str, qualifier: str | None, request: dict[str, Any]
    ) -> dict[str, Any]:
        record, qualifier = self._plane.qualified(function_name, qualifier)
        mode = request.get("UpdateRuntimeOn")
        check_enum(mode, UPDATE_RUNTIME_ON, "updateRuntimeOn")
        if (mode == "Manual") != bool(request.get("RuntimeVersionArn")):
            raise InvalidParameterValueException(
                "RuntimeVersionArn is required with, and only with, UpdateRuntimeOn Manual"
            )
        kept = {"UpdateRuntimeOn": mode}
        if request.get("RuntimeVersionArn"):
            kept["RuntimeVersionArn"] = request["RuntimeVersionArn"]
        configs = dict(record.settings.get("RuntimeManagementConfig", {}))
        configs[qualifier or ""] = kept
        self._keep(record, "RuntimeManagementConfig", configs)
        return {**kept, "FunctionArn": self._plane.registry.arn(record.name, qualifier)}

    def code_signing(self, function_name: str) -> dict[str, Any]:
        return {"CodeSigningConfigArn": "", "FunctionName": self._plane.record(function_name).name}

    def _keep(self, record: FunctionRecord, key: str, value: Any) -> dict[str, Any]:
        record.settings[key] = value
        self._plane.save(record)
        return {key: value}


def check_enum(value: Any, allowed: tuple[str, ...], member: str) -> None:
    if value not in allowed:
        raise ValidationException(
            [
                f"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(allowed)}]"
            ]
        )
