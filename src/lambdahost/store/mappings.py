"""Event source mappings made through the Lambda API, kept in SQLite so they outlive the host, and
where each stream mapping has got to in each shard (the template's too), so that a restart or a
pause resumes after the last record processed, as Lambda does."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..model.mappings import EventSourceMapping
from .logs import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS event_source_mappings (uuid TEXT PRIMARY KEY, mapping TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stream_checkpoints (
    uuid TEXT NOT NULL, shard TEXT NOT NULL, sequence TEXT NOT NULL, PRIMARY KEY (uuid, shard)
);
"""


class MappingStore:
    def __init__(self, path: Path) -> None:
        self._connection = connect(path)
        self._connection.executescript(_SCHEMA)

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
            self._connection.execute("DELETE FROM stream_checkpoints WHERE uuid = ?", (uuid,))

    def checkpoint(self, uuid: str, shard: str, sequence: str) -> None:
        with self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO stream_checkpoints (uuid, shard, sequence) VALUES (?, ?, ?)",
                (uuid, shard, sequence),
            )

    def checkpoint_of(self, uuid: str, shard: str) -> str | None:
        row = self._connection.execute(
            "SELECT sequence FROM stream_checkpoints WHERE uuid = ? AND shard = ?", (uuid, shard)
        ).fetchone()
        return row[0] if row else None

    def load(self) -> list[EventSourceMapping]:
        rows = self._connection.execute("SELECT mapping FROM event_source_mappings ORDER BY rowid").fetchall()
        return [_load(json.loads(row[0])) for row in rows]

    def close(self) -> None:
        self._connection.close()


def _load(data: dict) -> EventSourceMapping:
    tuples = ("filters", "function_response_types")
    return EventSourceMapping(**{k: tuple(v) if k in tuples else v for k, v in data.items()})
