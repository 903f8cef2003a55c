"""The log store: every line of every log stream, readable by function, stream, request id and time.

Writes go through a queue to one writer thread that wakes every few milliseconds and commits
what has gathered in one transaction: an invocation never waits for the disk, and never wakes a
thread that would compete with it for the GIL. ``flush`` waits for what is queued before a read.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from pathlib import Path

from ..model.invocation import LogEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_events (
    id INTEGER PRIMARY KEY,
    function_name TEXT NOT NULL,
    log_stream_name TEXT NOT NULL,
    request_id TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_by_function ON log_events (function_name, timestamp_ms);
"""
# One index only: every write pays for each index, and every query names the function, so a
# request id or stream is found among that function's lines.
_WRITE_INTERVAL = 0.05  # seconds between commits
_STOP = None


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


class LogStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        with connect(path) as connection:
            connection.executescript(_SCHEMA)
        self._queue: queue.SimpleQueue[LogEvent | threading.Event | None] = queue.SimpleQueue()
        self._reader = connect(path)
        self._reader_lock = threading.Lock()
        self._wake = threading.Event()  # set by flush and close, never by append
        self._writer = threading.Thread(target=self._write_loop, name="lambdahost-logs", daemon=True)
        self._writer.start()

    def append(self, event: LogEvent) -> None:
        self._queue.put(event)

    def flush(self) -> None:
        """Wait until everything appended so far is committed."""
        done = threading.Event()
        self._queue.put(done)
        self._wake.set()
        done.wait()

    def query(
        self,
        function_name: str,
        *,
        log_stream_name: str | None = None,
        request_id: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        contains: str | None = None,
        after_id: int = 0,
        limit: int = 10_000,
    ) -> list[LogEvent]:
        """Events in the order they were written, oldest first."""
        self.flush()
        clauses, args = ["function_name = ?", "id > ?"], [function_name, after_id]
        for clause, value in (
            ("log_stream_name = ?", log_stream_name),
            ("request_id = ?", request_id),
            ("timestamp_ms >= ?", start_ms),
            ("timestamp_ms <= ?", end_ms),
            ("instr(message, ?) > 0", contains),
        ):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        sql = (
            "SELECT function_name, log_stream_name, request_id, timestamp_ms, message, id FROM log_events "
            f"WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?"
        )
        with self._reader_lock:
            rows = self._reader.execute(sql, [*args, limit]).fetchall()
        return [LogEvent(*row) for row in rows]

    def streams(self, function_name: str) -> list[str]:
        """The function's log streams, most recently written first."""
        self.flush()
        with self._reader_lock:
            rows = self._reader.execute(
                "SELECT log_stream_name FROM log_events WHERE function_name = ? "
                "GROUP BY log_stream_name ORDER BY max(id) DESC",
                [function_name],
            ).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self._queue.put(_STOP)
        self._wake.set()
        self._writer.join()
        self._reader.close()

    def _write_loop(self) -> None:
        connection = connect(self.path)
        while True:
            self._wake.wait(_WRITE_INTERVAL)
            self._wake.clear()
            batch = []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [event for event in batch if isinstance(event, LogEvent)]
            if events:
                with connection:
                    connection.executemany(
                        "INSERT INTO log_events (function_name, log_stream_name, request_id, timestamp_ms, message, id)"
                        " VALUES (?, ?, ?, ?, ?, nullif(?, 0))",  # id 0: not stored yet, SQLite numbers it
                        events,
                    )
            for marker in batch:
                if isinstance(marker, threading.Event):
                    marker.set()
            if any(marker is _STOP for marker in batch):
                connection.close()
                return
