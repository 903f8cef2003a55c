"""Layer versions published through the Lambda API, kept in SQLite so they outlive the host.

Deleted versions stay as rows marked deleted: their numbers are never given out again, and the
functions that use them keep them, as on AWS."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..model.layers import LayerVersion
from ..model.registry import Code
from .logs import connect

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS layer_versions"
    " (name TEXT NOT NULL, number INTEGER NOT NULL, version TEXT NOT NULL, PRIMARY KEY (name, number))"
)


class LayerStore:
    def __init__(self, path: Path) -> None:
        self._connection = connect(path)
        with self._connection:
            self._connection.execute(_SCHEMA)

    def save(self, layer: LayerVersion) -> None:
        data = {**dataclasses.asdict(layer), "folder": str(layer.folder)}
        with self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO layer_versions (name, number, version) VALUES (?, ?, ?)",
                (layer.name, layer.number, json.dumps(data)),
            )

    def load(self) -> list[LayerVersion]:
        rows = self._connection.execute("SELECT version FROM layer_versions ORDER BY name, number").fetchall()
        return [_load(json.loads(row[0])) for row in rows]

    def close(self) -> None:
        self._connection.close()


def _load(data: dict) -> LayerVersion:
    return LayerVersion(
        **{
            **data,
            "folder": Path(data["folder"]),
            "code": Code(**data["code"]),
            "compatible_runtimes": tuple(data["compatible_runtimes"]),
            "compatible_architectures": tuple(data["compatible_architectures"]),
        }
    )
