"""Layers through the Lambda API: PublishLayerVersion and the calls that read and delete layer
versions, and the ARNs in a function's ``Layers`` turned into the folders its environments put on
``sys.path`` the way Lambda extracts layers under ``/opt``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterValueException, ResourceNotFoundException, ValidationException
from ..model import limits
from ..model.function import ARCHITECTURES
from ..model.layers import LayerVersion, parse_layer_name, parse_layer_version_arn
from ..model.registry import now_iso
from ..settings import HostSettings
from ..store.code import CodeStore
from ..store.layers import LayerStore

MAX_COMPATIBLE_RUNTIMES = 15


class Layers:
    def __init__(self, code: CodeStore, store: LayerStore, settings: HostSettings) -> None:
        self._code = code
        self._store = store
        self._settings = settings
        self._versions: dict[str, dict[int, LayerVersion]] = {}
        self._by_folder: dict[Path, LayerVersion] = {}
        for layer in store.load():
            self._keep(layer)

    def _keep(self, layer: LayerVersion) -> None:
        self._versions.setdefault(layer.name, {})[layer.number] = layer
        self._by_folder[layer.folder.resolve()] = layer  # as a FunctionConfig holds it

    def layer_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self._settings.region}:{self._settings.account_id}:layer:{name}"

    def arn(self, layer: LayerVersion) -> str:
        return f"{self.layer_arn(layer.name)}:{layer.number}"

    def publish(self, layer_name: str, request: dict[str, Any], zip_file: bytes | None) -> LayerVersion:
        name = parse_layer_name(layer_name)
        runtimes = tuple(request.get("CompatibleRuntimes") or ())
        architectures = tuple(request.get("CompatibleArchitectures") or ())
        if len(runtimes) > MAX_COMPATIBLE_RUNTIMES:
            raise ValidationException(
                [
                    f"Value '{list(runtimes)}' at 'compatibleRuntimes' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {MAX_COMPATIBLE_RUNTIMES}"
                ]
            )
        if len(architectures) > len(ARCHITECTURES) or any(a not in ARCHITECTURES for a in architectures):
            raise ValidationException(
                [
                    f"Value '{list(architectures)}' at 'compatibleArchitectures' failed to satisfy constraint: "
                    f"Member must satisfy enum value set: [{', '.join(ARCHITECTURES)}] and have at most 2 members"
                ]
            )
        if zip_file is None:
            raise InvalidParameterValueException(
                "Content.ZipFile is required: lambdahost does not fetch layers from S3"
            )
        number = max(self._versions.get(name, {}), default=0) + 1  # deleted numbers stay taken
        folder, code = self._code.unpack_layer(name, number, zip_file)
        layer = LayerVersion(
            name,
            number,
            folder,
            code,
            now_iso(),
            request.get("Description") or "",
            runtimes,
            architectures,
            request.get("LicenseInfo"),
        )
        self._store.save(layer)
        self._keep(layer)
        return layer

    def get(self, layer_name: str, number: int) -> LayerVersion:
        layer = self._versions.get(parse_layer_name(layer_name), {}).get(number)
        if layer is None or layer.deleted:
            raise ResourceNotFoundException()
        return layer

    def get_by_arn(self, arn: str) -> LayerVersion:
        name, number = parse_layer_version_arn(arn)
        if not arn.startswith(self.layer_arn(name) + ":"):  # another region's or account's layer
            raise ResourceNotFoundException()
        return self.get(name, number)

    def versions(
        self, layer_name: str, runtime: str | None = None, architecture: str | None = None
    ) -> list[LayerVersion]:
        """A layer's versions that match the filters, newest first (ListLayerVersions)."""
        versions = self._versions.get(parse_layer_name(layer_name), {}).values()
        found = [v for v in versions if not v.deleted and v.compatible(runtime, architecture)]
        return sorted(found, key=lambda v: v.number, reverse=True)

    def latest(self, runtime: str | None = None, architecture: str | None = None) -> list[LayerVersion]:
        """Each layer's newest version that matches the filters, by layer name (ListLayers)."""
        found = (self.versions(name, runtime, architecture) for name in sorted(self._versions))
        return [matching[0] for matching in found if matching]

    def delete(self, layer_name: str, number: int) -> None:
        """Gone from the API; its folder stays for the functions that use it, as on AWS, which
        answers a delete of a missing version with success too (UNCONFIRMED)."""
        layer = self._versions.get(parse_layer_name(layer_name), {}).get(number)
        if layer is not None and not layer.deleted:
            layer = dataclasses.replace(layer, deleted=True)
            self._store.save(layer)
            self._keep(layer)

    def resolve(self, arns: Sequence[str]) -> tuple[Path, ...]:
        """The folders of a function's ``Layers``, in their order."""
        if len(arns) > limits.MAX_LAYERS:
            raise InvalidParameterValueException(f"Cannot reference more than {limits.MAX_LAYERS} layers.")
        folders = []
        for arn in arns:
            name, number = parse_layer_version_arn(arn, "layers")
            layer = self._versions.get(name, {}).get(number)
            if layer is None or layer.deleted or not arn.startswith(self.layer_arn(name) + ":"):
                raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
            folders.append(layer.folder)
        return tuple(folders)

    def describe(self, folder: Path) -> dict[str, Any]:
        """A function's layer as FunctionConfiguration lists it. A template's layers are folders
        with no ARN of their own: they show as ``local:`` and the folder."""
        layer = self._by_folder.get(folder.resolve())
        if layer is None:
            return {"Arn": f"local:{folder}", "CodeSize": 0}
        return {"Arn": self.arn(layer), "CodeSize": layer.code.size}
