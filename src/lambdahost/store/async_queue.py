"""The durable queue behind asynchronous (Event) invocations.

An event is committed before the caller hears 202, and deleted only when it is finished with
(run, and its outcome sent on to a destination or a dead-letter target). A crash at any point
leaves it in the table, and a restarted host runs it again: at least once, never lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .logs import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS async_events (
    request_id TEXT PRIMARY KEY,
    function_name TEXT NOT NULL,
    qualifier TEXT,
    payload BLOB NOT NULL,
    enqueued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    throttles INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL,
    tenant_id TEXT,
    trace_header TEXT
);
CREATE INDEX IF NOT EXISTS async_events_due ON async_events (due_at);
CREATE TABLE IF NOT EXISTS undelivered (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    body BLOB NOT NULL,
    recorded_at REAL NOT NULL
);
"""


@dataclass
class AsyncEvent:
    request_id: str
    function_name: str
    qualifier: str | None
    payload: bytes
    enqueued_at: float  # epoch seconds
    attempts: int = 0  # runs of the function so far
    throttles: int = 0  # times it could not run because of concurrency limits
    due_at: float = 0.0
    tenant_id: str | None = None  # for a function with tenant isolation
    trace_header: str | None = None  # the X-Ray header of the call that caused it: its chain (recursion.py)


class EventStore:
    def __init__(self, path: Path) -> None:
        self._connection = connect(path)
        self._connection.executescript(_SCHEMA)
        columns = [row[1] for row in self._connection.execute("PRAGMA table_info(async_events)")]
        for added in ("tenant_id", "trace_header"):  # a queue from before them: events keep their place
            if added not in columns:
                with self._connection:
                    self._connection.execute(f"ALTER TABLE async_events ADD COLUMN {added} TEXT")

    def add(self, event: AsyncEvent) -> None:
        with self._connection:
            self._insert(event)

    def _insert(self, event: AsyncEvent) -> None:
        self._connection.execute(
            "INSERT OR REPLACE INTO async_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.request_id,
                event.function_name,
                event.qualifier,
                event.payload,
                event.enqueued_at,
                event.attempts,
                event.throttles,
                event.due_at or event.enqueued_at,
                event.tenant_id,
                event.trace_header,
            ),
        )

    def reschedule(self, event: AsyncEvent) -> None:
        with self._connection:
            self._connection.execute(
                "UPDATE async_events SET attempts = ?, throttles = ?, due_at = ? WHERE request_id = ?",
                (event.attempts, event.throttles, event.due_at, event.request_id),
            )

    def finish(self, event: AsyncEvent, follow_ups: list[AsyncEvent] = (), undelivered: list[tuple[str, bytes]] = ()):
        """Delete a finished event, adding in the same transaction what it hands on."""
        with self._connection:
            self._connection.execute("DELETE FROM async_events WHERE request_id = ?", (event.request_id,))
            for follow_up in follow_ups:
                self._insert(follow_up)
            for target, body in undelivered:
                self._connection.execute(
                    "INSERT INTO undelivered (target, body, recorded_at) VALUES (?, ?, ?)", (target, body, time.time())
                )

    def due(self, now: float, exclude: set[str], limit: int) -> list[AsyncEvent]:
        rows = self._connection.execute(
            "SELECT * FROM async_events WHERE due_at <= ? ORDER BY due_at LIMIT ?", (now, limit + len(exclude))
        ).fetchall()
        return [AsyncEvent(*row) for row in rows if row[0] not in exclude][:limit]

    def next_due(self) -> float | None:
        row = self._connection.execute("SELECT min(due_at) FROM async_events").fetchone()
        return row[0]

    def pending(self) -> int:
        return self._connection.execute("SELECT count(*) FROM async_events").fetchone()[0]

    def undelivered(self) -> list[tuple[str, bytes]]:
        return self._connection.execute("SELECT target, body FROM undelivered ORDER BY id").fetchall()

    def close(self) -> None:
        self._connection.close()
