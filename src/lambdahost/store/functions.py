"""Functions kept in SQLite so they outlive the host: those created through the Lambda API, and
what the API added to a template's functions (versions, aliases, settings); for those the
template stays the source of their $LATEST.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ..model.function import FunctionConfig, LoggingConfig
from ..model.registry import Alias, Code, FunctionRecord, Version
from .logs import connect

_SCHEMA = "CREATE TABLE IF NOT EXISTS functions (name TEXT PRIMARY KEY, record TEXT NOT NULL)"


class FunctionStore:
    def __init__(self, path: Path) -> None:
        self._connection = connect(path)
        with self._connection:
            self._connection.execute(_SCHEMA)

    def save(self, record: FunctionRecord) -> None:
        with self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO functions (name, record) VALUES (?, ?)",
                (record.name, json.dumps(_dump(record))),
            )

    def delete(self, name: str) -> None:
        with self._connection:
            self._connection.execute("DELETE FROM functions WHERE name = ?", (name,))

    def load(self) -> list[FunctionRecord]:
        rows = self._connection.execute("SELECT record FROM functions ORDER BY name").fetchall()
        return [_load(json.loads(row[0])) for row in rows]

    def close(self) -> None:
        self._connection.close()


def _config(config: FunctionConfig) -> dict:
    data = dataclasses.asdict(config)
    data["code_dir"] = str(config.code_dir)
    data["layers"] = [str(p) for p in config.layers]
    return data


def _load_config(data: dict) -> FunctionConfig:
    """A configuration as it was saved, in the types the template gives (so that an unchanged
    function compares equal to its saved versions)."""
    return FunctionConfig(
        **{
            **data,
            "code_dir": Path(data["code_dir"]),
            "layers": [Path(p) for p in data["layers"]],
            "layer_packages": tuple(data.get("layer_packages", ())),  # (a state folder from before them)
            "file_systems": tuple(tuple(pair) for pair in data.get("file_systems", ())),
            "logging": LoggingConfig(**data["logging"]),
        }
    )


def _dump(record: FunctionRecord) -> dict[str, Any]:
    return {
        "config": _config(record.config),
        "code": dataclasses.asdict(record.code) if record.code else None,
        "origin": record.origin,
        "role": record.role,
        "revision_id": record.revision_id,
        "last_modified": record.last_modified,
        "versions": {n: {**dataclasses.asdict(v), "config": _config(v.config)} for n, v in record.versions.items()},
        "aliases": {n: dataclasses.asdict(a) for n, a in record.aliases.items()},
        "event_invoke_configs": record.event_invoke_configs,
        "dead_letter_target": record.dead_letter_target,
        "tags": record.tags,
        "last_version": record.last_version,
        "url_configs": record.url_configs,
        "policies": record.policies,
        "settings": record.settings,
    }


def _load(data: dict[str, Any]) -> FunctionRecord:
    versions = {
        n: Version(**{**v, "config": _load_config(v["config"]), "code": Code(**v["code"])})
        for n, v in data["versions"].items()
    }
    return FunctionRecord(
        config=_load_config(data["config"]),
        code=Code(**data["code"]) if data["code"] else None,
        origin=data["origin"],
        role=data["role"],
        revision_id=data["revision_id"],
        last_modified=data["last_modified"],
        versions=versions,
        aliases={n: Alias(**a) for n, a in data["aliases"].items()},
        event_invoke_configs=data["event_invoke_configs"],
        dead_letter_target=data["dead_letter_target"],
        tags=data["tags"],
        last_version=data.get("last_version", 0),  # these are absent from records stored before them
        url_configs=data.get("url_configs", {}),
        policies=data.get("policies", {}),
        settings=data.get("settings", {}),
    )
