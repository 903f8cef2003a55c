"""Layer versions as the Lambda API describes them: a name, a number that never comes back after
a delete, and an archive unpacked once into the folder that is the layer's ``/opt``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationException
from .registry import Code

_REGION = r"[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}"
_LAYER_ARN = rf"arn:(aws[a-zA-Z-]*)?:lambda:{_REGION}:\d{{12}}:layer:"
LAYER_NAME = re.compile(rf"({_LAYER_ARN})?(?P<name>[a-zA-Z0-9-_]+)")
LAYER_VERSION_ARN = re.compile(rf"{_LAYER_ARN}(?P<name>[a-zA-Z0-9-_]+):(?P<number>[0-9]+)")
MAX_NAME = 140


@dataclass(frozen=True)
class LayerVersion:
    name: str
    number: int
    folder: Path  # what a function using it finds under /opt
    code: Code
    created: str  # CreatedDate, as LastModified is written
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None
    deleted: bool = False  # gone from the API; functions that use it keep it, as on AWS

    def compatible(self, runtime: str | None, architecture: str | None) -> bool:
        """Whether ListLayers and ListLayerVersions filters keep this version."""
        return (runtime is None or runtime in self.compatible_runtimes) and (
            architecture is None or architecture in self.compatible_architectures
        )


def parse_layer_name(value: str) -> str:
    """A layer's name, from its name or its (unversioned) ARN."""
    match = LAYER_NAME.fullmatch(value or "")
    if match is None or len(value) > MAX_NAME:
        raise ValidationException(
            [
                f"Value '{value}' at 'layerName' failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {LAYER_NAME.pattern}"
            ]
        )
    return match["name"]


def parse_layer_version_arn(value: str, member: str = "arn") -> tuple[str, int]:
    """(name, number) from a layer version's ARN."""
    match = LAYER_VERSION_ARN.fullmatch(value or "")
    if match is None or len(value) > MAX_NAME:
        raise ValidationException(
            [
                f"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {LAYER_VERSION_ARN.pattern}"
            ]
        )
    return match["name"], int(match["number"])
