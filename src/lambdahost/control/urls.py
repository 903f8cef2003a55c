"""Function URLs through the Lambda API (Create/Get/Update/Delete/ListFunctionUrlConfigs).

A URL belongs to a function (unqualified) or to one of its aliases. The API port serves it
under ``/lambda-url/<name>/`` or ``/lambda-url/<name>:<alias>/``. A template function's
unqualified URL is the template's (``FunctionUrlConfig``); its aliases can have URLs made here.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..model import limits
from ..model.registry import FunctionRecord, now_iso


class FunctionUrls:
    def __init__(self, plane) -> None:
        self._plane = plane

    def create(self, function_name: str, qualifier: str | None, request: dict[str, Any]) -> tuple[FunctionRecord, str]:
        record, alias = self._target(function_name, qualifier)
        if alias == "" and record.origin == "template":
            raise InvalidParameterValueException(
                f"Function '{record.name}' comes from the template: declare its FunctionUrlConfig there"
            )
        if alias in record.url_configs:
            # AWS's wording (UNCONFIRMED): the message names the function's ARN.
            raise ResourceConflictException(
                f"Failed to create function url config for [functionArn = {self._arn(record, alias)}]. "
                "Error message:  FunctionUrlConfig exists for this Lambda function"
            )
        now = now_iso()
        config = {"AuthType": None, "InvokeMode": "BUFFERED", "CreationTime": now, "LastModifiedTime": now}
        record.url_configs[alias] = _apply(config, request, creating=True)
        self._plane.save(record)
        return record, alias

    def get(self, function_name: str, qualifier: str | None) -> tuple[FunctionRecord, str]:
        record, alias = self._target(function_name, qualifier)
        if alias not in record.url_configs:
            raise ResourceNotFoundException()
        return record, alias

    def update(self, function_name: str, qualifier: str | None, request: dict[str, Any]) -> tuple[FunctionRecord, str]:
        record, alias = self.get(function_name, qualifier)
        config = _apply(dict(record.url_configs[alias]), request, creating=False)
        config["LastModifiedTime"] = now_iso()
        record.url_configs[alias] = config
        self._plane.save(record)
        return record, alias

    def delete(self, function_name: str, qualifier: str | None) -> None:
        record, alias = self.get(function_name, qualifier)
        del record.url_configs[alias]
        self._plane.save(record)

    def _target(self, function_name: str, qualifier: str | None) -> tuple[FunctionRecord, str]:
        """The function and the alias ("" for none) a URL request is about."""
        record = self._plane.record(function_name)
        if qualifier is None:
            return record, ""
        if qualifier.isdigit() or qualifier == "$LATEST":
            raise ValidationException(
                [
                    f"Value '{qualifier}' at 'qualifier' failed to satisfy constraint: Member must satisfy "
                    "regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
                ]
            )
        if qualifier not in record.aliases:
            raise ResourceNotFoundException(f"Function not found: {self._arn(record, qualifier)}")
        return record, qualifier

    def _arn(self, record: FunctionRecord, alias: str) -> str:
        return self._plane.registry.arn(record.name, alias or None)


def _apply(config: dict[str, Any], request: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The request's AuthType, Cors and InvokeMode on a URL's configuration, checked."""
    if creating or "AuthType" in request:
        if request.get("AuthType") not in limits.URL_AUTH_TYPES:
            raise ValidationException(
                [
                    f"Value '{request.get('AuthType')}' at 'authType' failed to satisfy constraint: "
                    f"Member must satisfy enum value set: [{', '.join(limits.URL_AUTH_TYPES)}]"
                ]
            )
        config["AuthType"] = request["AuthType"]
    if "InvokeMode" in request:
        if request["InvokeMode"] not in limits.URL_INVOKE_MODES:
            raise ValidationException(
                [
                    f"Value '{request['InvokeMode']}' at 'invokeMode' failed to satisfy constraint: "
                    f"Member must satisfy enum value set: [{', '.join(limits.URL_INVOKE_MODES)}]"
                ]
            )
        config["InvokeMode"] = request["InvokeMode"]
    if "Cors" in request:
        config["Cors"] = request["Cors"] or None
    return config
