"""Event source mappings made through the Lambda API, kept in SQLite so they outlive the host."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..model.mappings import EventSourceMapping
from .logs import connect

_SCHEMA = "CREATE TABLE IF NOT EXISTS event_source_mappings (uuid TEXT PRIMARY KEY, mapping TEXT NOT NULL)"


class MappingStore:
    def __init__(self, path: Path) -> None:
        self._connection = connect(path)
        with self._connection:
            self._connection.execute(_SCHEMA)

    def save(self, mapping: EventSourceMapping) -> None:
        with self._connection:
            self._connection.execute(
                "INSERT INTO event_source_mappings (uuid, mapping) VALUES (?, ?)"
                " ON CONFLICT (uuid) DO UPDATE SET mapping = excluded.mapping",  # keeps the row's place
                (mapping.uuid, json.dumps(dataclasses.asdict(mapping))),
            )

    def delete(self, uuid: str) -> None:
        with self._connection:
            self._connection.execute("DELETE FROM event_source_mappings WHERE uuid = ?", (uuid,))

    def load(self) -> list[EventSourceMapping]:
        rows = self._connection.execute("SELECT mapping FROM event_source_mappings ORDER BY rowid").fetchall()
        return [_load(json.loads(row[0])) for row in rows]

    def close(self) -> None:
        self._connection.close()


def _load(data: dict) -> EventSourceMapping:
    tuples = ("filters", "function_response_types")
    return EventSourceMapping(**{k: tuple(v) if k in tuples else v for k, v in data.items()})
