"""Local SQS queues, kept in SQLite (state.db) so that messages outlive the host and can be sent
from another process (``lambdahost sqs send``) while ``lambdahost serve`` polls them."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .logs import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sqs_messages (
    message_id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,           -- message attributes, JSON
    sent_ms INTEGER NOT NULL,
    first_receive_ms INTEGER,
    receive_count INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_at, sent_ms);
"""


@dataclass(frozen=True)
class Message:
    message_id: str
    queue: str
    body: str
    attributes: dict
    sent_ms: int
    first_receive_ms: int | None
    receive_count: int
    receipt: str | None

    @property
    def md5_of_body(self) -> str:
        return hashlib.md5(self.body.encode()).hexdigest()


class QueueStore:
    def __init__(self, path: Path) -> None:
        self._connection = connect(path)
        self._connection.executescript(_SCHEMA)

    def send(self, queue: str, body: str, attributes: dict | None = None, message_id: str | None = None) -> str:
        message_id = message_id or str(uuid.uuid4())
        with self._connection:
            self._connection.execute(
                "INSERT INTO sqs_messages (message_id, queue, body, attributes, sent_ms, visible_at) "
                "VALUES (?, ?, ?, ?, ?, 0)",
                (message_id, queue, body, json.dumps(attributes or {}), int(time.time() * 1000)),
            )
        return message_id

    def receive(self, queue: str, limit: int, visibility_timeout: float) -> list[Message]:
        """Take up to ``limit`` visible messages, hiding them for the visibility timeout."""
        now = time.time()
        with self._connection:
            rows = self._connection.execute(
                "SELECT message_id FROM sqs_messages WHERE queue = ? AND visible_at <= ? ORDER BY sent_ms LIMIT ?",
                (queue, now, limit),
            ).fetchall()
            ids = [row[0] for row in rows]
            for message_id in ids:
                self._connection.execute(
                    "UPDATE sqs_messages SET receive_count = receive_count + 1, visible_at = ?, receipt = ?, "
                    "first_receive_ms = coalesce(first_receive_ms, ?) WHERE message_id = ?",
                    (now + visibility_timeout, uuid.uuid4().hex, int(now * 1000), message_id),
                )
        return self._messages(ids)

    def _messages(self, ids: list[str]) -> list[Message]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._connection.execute(
            "SELECT message_id, queue, body, attributes, sent_ms, first_receive_ms, receive_count, receipt "
            f"FROM sqs_messages WHERE message_id IN ({marks}) ORDER BY sent_ms",
            ids,
        ).fetchall()
        return [Message(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7]) for r in rows]

    def delete(self, message_ids: list[str]) -> None:
        with self._connection:
            self._connection.executemany("DELETE FROM sqs_messages WHERE message_id = ?", [(i,) for i in message_ids])

    def move(self, message: Message, queue: str) -> None:
        """Redrive: the message leaves its queue for another, visible at once, counts reset."""
        with self._connection:
            self._connection.execute(
                "UPDATE sqs_messages SET queue = ?, visible_at = 0, receive_count = 0, first_receive_ms = NULL, "
                "receipt = NULL WHERE message_id = ?",
                (queue, message.message_id),
            )

    def count(self, queue: str) -> int:
        return self._connection.execute("SELECT count(*) FROM sqs_messages WHERE queue = ?", (queue,)).fetchone()[0]

    def peek(self, queue: str) -> list[Message]:
        ids = [
            r[0]
            for r in self._connection.execute(
                "SELECT message_id FROM sqs_messages WHERE queue = ? ORDER BY sent_ms", (queue,)
            ).fetchall()
        ]
        return self._messages(ids)

    def close(self) -> None:
        self._connection.close()
