"""Local SQS queues, kept in SQLite (state.db) so that messages outlive the host and can be sent
from another process (``lambdahost sqs send``) while ``lambdahost serve`` polls them.

A queue whose name ends in ``.fifo`` is a FIFO queue, as SQS names them: each message belongs
to a message group, carries a sequence number, and is dropped when its deduplication id was
sent in the last five minutes; a group with a message in flight gives out nothing more until
that message is deleted or visible again, so each group is delivered in order."""

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
    receipt TEXT,
    group_id TEXT,                      -- FIFO queues: MessageGroupId, MessageDeduplicationId, sequence
    dedup_id TEXT,
    sequence INTEGER,
    trace_header TEXT                   -- the sender's X-Amzn-Trace-Id: SQS's AWSTraceHeader
);
CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_at, sent_ms);
CREATE TABLE IF NOT EXISTS sqs_deduplication (
    queue TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sent_ms INTEGER NOT NULL,
    PRIMARY KEY (queue, dedup_id)
);
"""
DEDUPLICATION_MS = 5 * 60 * 1000  # SQS's deduplication interval


class QueueError(ValueError):
    """A send that SQS would refuse, with its message."""


def is_fifo(queue: str) -> bool:
    return queue.endswith(".fifo")


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
    group_id: str | None = None
    dedup_id: str | None = None
    sequence: int | None = None
    trace_header: str | None = None  # AWSTraceHeader: the X-Ray header the message was sent with

    @property
    def md5_of_body(self) -> str:
        return hashlib.md5(self.body.encode()).hexdigest()


class QueueStore:
    def __init__(self, path: Path) -> None:
        self._connection = connect(path)
        with self._connection:
            columns = {row[1] for row in self._connection.execute("PRAGMA table_info(sqs_messages)")}
            if columns and "group_id" not in columns:  # a state folder from before FIFO queues
                for column in ("group_id TEXT", "dedup_id TEXT", "sequence INTEGER"):
                    self._connection.execute(f"ALTER TABLE sqs_messages ADD COLUMN {column}")
            if columns and "trace_header" not in columns:  # from before trace headers were kept
                self._connection.execute("ALTER TABLE sqs_messages ADD COLUMN trace_header TEXT")
        self._connection.executescript(_SCHEMA)

    def send(
        self,
        queue: str,
        body: str,
        attributes: dict | None = None,
        message_id: str | None = None,
        *,
        group_id: str | None = None,
        dedup_id: str | None = None,
        content_based: bool = False,
        trace_header: str | None = None,
    ) -> str:
        """The message's id; for a FIFO queue, a duplicate within five minutes is not sent again
        and the first one's id comes back, as from SQS. ``content_based``: the queue's
        ContentBasedDeduplication (the body's SHA-256 is the deduplication id when none is given)."""
        message_id = message_id or str(uuid.uuid4())
        if is_fifo(queue) and not dedup_id and content_based:
            dedup_id = hashlib.sha256(body.encode()).hexdigest()
        now_ms = int(time.time() * 1000)
        sequence = None
        if is_fifo(queue):
            if not group_id:
                raise QueueError("The request must contain the parameter MessageGroupId.")
            if not dedup_id:
                raise QueueError(
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
        elif dedup_id:  # (a MessageGroupId is welcome: standard queues are fair queues by it since 2025)
            raise QueueError(f"MessageDeduplicationId is for FIFO queues; {queue} is not one")
        with self._connection:
            if is_fifo(queue):
                earlier = self._connection.execute(
                    "SELECT message_id FROM sqs_deduplication WHERE queue = ? AND dedup_id = ? AND sent_ms > ?",
                    (queue, dedup_id, now_ms - DEDUPLICATION_MS),
                ).fetchone()
                if earlier:
                    return earlier[0]
                self._connection.execute(
                    "INSERT OR REPLACE INTO sqs_deduplication VALUES (?, ?, ?, ?)",
                    (queue, dedup_id, message_id, now_ms),
                )
                sequence = self._connection.execute(
                    "SELECT coalesce(max(sequence), 0) + 1 FROM sqs_messages WHERE queue = ?", (queue,)
                ).fetchone()[0]
            self._connection.execute(
                "INSERT INTO sqs_messages (message_id, queue, body, attributes, sent_ms, visible_at, group_id,"
                " dedup_id, sequence, trace_header) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                (
                    message_id,
                    queue,
                    body,
                    json.dumps(attributes or {}),
                    now_ms,
                    group_id,
                    dedup_id,
                    sequence,
                    trace_header,
                ),
            )
        return message_id

    def receive(self, queue: str, limit: int, visibility_timeout: float) -> list[Message]:
        """Take up to ``limit`` visible messages, hiding them for the visibility timeout; none of
        a FIFO group that has a message in flight (a standard queue's groups only share it fairly)."""
        now = time.time()
        with self._connection:
            rows = self._connection.execute(
                "SELECT message_id FROM sqs_messages WHERE queue = ? AND visible_at <= ? AND (NOT ? OR group_id"
                " IS NULL OR group_id NOT IN (SELECT group_id FROM sqs_messages WHERE queue = ? AND visible_at > ?"
                " AND group_id IS NOT NULL)) ORDER BY sent_ms, sequence LIMIT ?",
                (queue, now, is_fifo(queue), queue, now, limit),
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
            "SELECT message_id, queue, body, attributes, sent_ms, first_receive_ms, receive_count, receipt,"
            f" group_id, dedup_id, sequence, trace_header FROM sqs_messages WHERE message_id IN ({marks})"
            " ORDER BY sent_ms, sequence",
            ids,
        ).fetchall()
        return [Message(*r[:3], json.loads(r[3]), *r[4:]) for r in rows]

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
                "SELECT message_id FROM sqs_messages WHERE queue = ? ORDER BY sent_ms, sequence", (queue,)
            ).fetchall()
        ]
        return self._messages(ids)

    def close(self) -> None:
        self._connection.close()
