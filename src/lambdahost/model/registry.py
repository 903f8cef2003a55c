"""The functions a host knows, with their versions and aliases: Lambda's control-plane state.

Pure data and rules, no I/O: the invoker reads it to resolve a qualifier, the Lambda API
changes it, and the store persists the functions that were created through the API.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from . import limits
from .function import FunctionConfig

LATEST = "$LATEST"


def now_iso() -> str:
    """Lambda's LastModified format: ``2020-04-10T19:06:32.563+0000``."""
    epoch = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}+0000"


def new_revision() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Code:
    """A function's code: where it lives, and the hash and size AWS would report for its zip."""

    sha256: str  # base64 of the SHA-256 digest, as CodeSha256
    size: int


@dataclass
class Version:
    number: str
    config: FunctionConfig  # its code_dir is an immutable snapshot
    code: Code
    description: str = ""
    revision_id: str = field(default_factory=new_revision)
    last_modified: str = field(default_factory=now_iso)


@dataclass
class Alias:
    name: str
    function_version: str
    description: str = ""
    weights: dict[str, float] = field(default_factory=dict)  # RoutingConfig.AdditionalVersionWeights
    revision_id: str = field(default_factory=new_revision)

    def pick_version(self) -> str:
        """The version an invocation through this alias runs, honouring the traffic weights."""
        draw = random.random()
        for version, weight in self.weights.items():
            if draw < weight:
                return version
            draw -= weight
        return self.function_version


@dataclass
class FunctionRecord:
    config: FunctionConfig  # $LATEST
    code: Code | None = None  # None: not hashed yet (a template function's folder)
    origin: Literal["template", "api"] = "template"
    role: str = "arn:aws:iam::123456789012:role/lambdahost"
    revision_id: str = field(default_factory=new_revision)
    last_modified: str = field(default_factory=now_iso)
    versions: dict[str, Version] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    event_invoke_configs: dict[str, dict] = field(default_factory=dict)  # by qualifier
    dead_letter_target: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    last_version: int = 0  # the highest number ever published: a deleted version's never comes back
    url_configs: dict[str, dict] = field(default_factory=dict)  # function URLs by alias ("": unqualified)
    policies: dict[str, list[dict]] = field(default_factory=dict)  # policy statements by qualifier ("": none)
    settings: dict[str, Any] = field(default_factory=dict)  # kept for the API, unused here (kept_settings)
    # The last change through the API ("create" or "update"), in progress until settles_at (monotonic)
    change: str = ""
    settles_at: float = 0.0

    @property
    def name(self) -> str:
        return self.config.name

    def begin_change(self, change: str, lasts: float) -> None:
        self.change, self.settles_at = change, time.monotonic() + lasts

    def changing(self) -> str:
        """The change still in progress ("create", "update"), or ""."""
        return self.change if time.monotonic() < self.settles_at else ""

    def touch(self) -> None:
        self.revision_id = new_revision()
        self.last_modified = now_iso()

    def next_version(self) -> str:
        """Take the next version number."""
        self.last_version = max([self.last_version, *map(int, self.versions)]) + 1
        return str(self.last_version)

    def resolve(self, qualifier: str | None) -> tuple[str, FunctionConfig]:
        """(executed version, its configuration) for a qualifier: $LATEST, a version or an alias."""
        if qualifier in (None, LATEST):
            return LATEST, self.config
        if qualifier in self.versions:
            version = self.versions[qualifier]
            return version.number, version.config
        alias = self.aliases.get(qualifier)
        if alias is None:
            raise KeyError(qualifier)
        number = alias.pick_version()
        if number == LATEST:
            return LATEST, self.config
        return number, self.versions[number].config

    def check_alias_target(self, version: str, weights: dict[str, float]) -> None:
        """AWS's checks, in AWS's order (LocalStack's provider, held to AWS-recorded snapshots)."""
        if len(weights) > 1:
            raise InvalidParameterValueException("Number of items in AdditionalVersionWeights cannot be greater than 1")
        for number, weight in weights.items():
            if not 0.0 <= weight <= 1.0:
                raise ValidationException(
                    [
                        f"Value '{{{number}={weight}}}' at 'routingConfig.additionalVersionWeights' failed to satisfy "
                        "constraint: Map value must satisfy constraint: [Member must have value less than or equal to "
                        "1.0, Member must have value greater than or equal to 0.0, Member must not be null]"
                    ]
                )
            if number == version:
                raise InvalidParameterValueException(
                    f"Invalid function version {version}. Function version {version} is already included in "
                    "routing configuration."
                )
        if weights and (version == LATEST or LATEST in weights):
            raise InvalidParameterValueException(
                "$LATEST is not supported for an alias pointing to more than 1 version"
            )
        for number in (version, *weights):
            if number != LATEST and number not in self.versions:
                raise ResourceNotFoundException(f"Function not found: {number}")

    def add_alias(self, alias: Alias, arn: str) -> None:
        if not limits.ALIAS.fullmatch(alias.name):
            raise InvalidParameterValueException(
                f"Alias name '{alias.name}' is not valid: not a number, at most 128 of a-z, A-Z, 0-9, - and _"
            )
        if alias.name in self.aliases:
            raise ResourceConflictException(f"Alias already exists: {arn}")
        self.check_alias_target(alias.function_version, alias.weights)
        self.aliases[alias.name] = alias


class Registry:
    """The functions a host serves, by name: what the control plane, the APIs, the console, the
    event sources and the invoker share. The invoker adds to it (it also prepares what a
    function runs on); everything else reads it."""

    def __init__(self, region: str, account_id: str) -> None:
        self.region = region
        self.account_id = account_id
        self._records: dict[str, FunctionRecord] = {}

    def arn(self, name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def record(self, name: str) -> FunctionRecord:
        try:
            return self._records[name]
        except KeyError:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name)}") from None

    def get(self, name: str) -> FunctionRecord | None:
        return self._records.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._records

    @property
    def records(self) -> list[FunctionRecord]:
        return list(self._records.values())

    @property
    def functions(self) -> list[FunctionConfig]:
        return [record.config for record in self._records.values()]

    def put(self, record: FunctionRecord) -> None:
        self._records[record.name] = record

    def remove(self, name: str) -> None:
        del self._records[name]
