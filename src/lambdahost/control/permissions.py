"""Resource-based policies (AddPermission, RemovePermission, GetPolicy), kept so that the deploy
scripts and tests that grant other services the right to invoke a function work unchanged.
They are not enforced: everything that reaches a local host may invoke (see docs/architecture.md).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..model.registry import LATEST

STATEMENT_ID = re.compile(r"[a-zA-Z0-9-_]{1,100}")
ACTION = re.compile(r"lambda:[*]|lambda:[a-zA-Z]+|[*]")
PRINCIPAL = re.compile(r"[^\s]+")
# What a principal may be: anyone, a service (s3.amazonaws.com, alexa-appkit.amazon.com), an
# account, or an IAM ARN; anything else AWS refuses.
VALID_PRINCIPAL = re.compile(r"\*|[\w.-]+\.amazon(aws)?\.com(\.cn)?|\d{12}|arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:\S+")


class Permissions:
    def __init__(self, plane) -> None:
        self._plane = plane

    def add(self, function_name: str, qualifier: str | None, request: dict[str, Any]) -> dict[str, Any]:
        """A new statement in the function's (or the version's, or the alias's) policy."""
        record, qualifier = self._plane.qualified(function_name, qualifier)
        if qualifier == LATEST:  # AWS's answer (issue 28, from its recorded answers)
            raise InvalidParameterValueException("We currently do not support adding policies for $LATEST.")
        sid, action, principal = (request.get(k) or "" for k in ("StatementId", "Action", "Principal"))
        _check(sid, STATEMENT_ID, "statementId")
        _check(action, ACTION, "action")
        _check(principal, PRINCIPAL, "principal")
        if not VALID_PRINCIPAL.fullmatch(principal):
            raise InvalidParameterValueException(
                "The provided principal was invalid. Please check the principal and try again."
            )
        self._plane.check_revision(record, request.get("RevisionId"))
        statements = record.policies.setdefault(qualifier or "", [])
        if any(s["Sid"] == sid for s in statements):
            raise ResourceConflictException(
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement."
            )
        statement = _statement(sid, action, principal, self._plane.registry.arn(record.name, qualifier), request)
        statements.append(statement)
        record.touch()
        self._plane.save(record)
        return statement

    def remove(self, function_name: str, qualifier: str | None, sid: str, revision_id: str | None = None) -> None:
        record, qualifier = self._plane.qualified(function_name, qualifier)
        self._plane.check_revision(record, revision_id)
        statements = record.policies.get(qualifier or "", [])
        if not any(s["Sid"] == sid for s in statements):
            raise ResourceNotFoundException(f"Statement {sid} is not found in resource policy.")
        record.policies[qualifier or ""] = [s for s in statements if s["Sid"] != sid]
        record.touch()
        self._plane.save(record)

    def policy(self, function_name: str, qualifier: str | None) -> tuple[dict[str, Any], str]:
        """The policy document and the function's revision id."""
        record, qualifier = self._plane.qualified(function_name, qualifier)
        statements = record.policies.get(qualifier or "")
        if not statements:
            raise ResourceNotFoundException()
        return {"Version": "2012-10-17", "Id": "default", "Statement": statements}, record.revision_id


def _check(value: str, pattern: re.Pattern, member: str) -> None:
    if not pattern.fullmatch(value):
        raise ValidationException(
            [
                f"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {pattern.pattern}"
            ]
        )


def _statement(sid: str, action: str, principal: str, resource: str, request: dict[str, Any]) -> dict[str, Any]:
    """The statement as GetPolicy shows it: a service principal (``s3.amazonaws.com``) as Service,
    an account or ARN as AWS, conditions from SourceArn, SourceAccount and the rest."""
    if principal == "*":
        who: Any = "*"
    elif principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        who = {"Service": principal}
    else:
        who = {"AWS": f"arn:aws:iam::{principal}:root" if principal.isdigit() else principal}
    conditions: dict[str, dict[str, str]] = {}
    if request.get("SourceArn"):
        conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = request["SourceArn"]
    if request.get("SourceAccount"):
        conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = request["SourceAccount"]
    if request.get("PrincipalOrgID"):
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = request["PrincipalOrgID"]
    if request.get("FunctionUrlAuthType"):
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = request["FunctionUrlAuthType"]
    if request.get("EventSourceToken"):
        conditions.setdefault("StringEquals", {})["lambda:EventSourceToken"] = request["EventSourceToken"]
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": who,
        "Action": action,
        "Resource": resource,
    }
    if conditions:
        statement["Condition"] = conditions
    return statement
