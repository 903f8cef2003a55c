"""A state folder written by an earlier lambdahost keeps its queued work: the stores add the
columns they have since gained (here the trace header that recursive loop detection follows)
and what was queued before is delivered as it was."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from lambdahost.store.async_queue import EventStore
from lambdahost.store.queues import QueueStore

# The tables as lambdahost wrote them before trace headers were kept (commit 5cd7f5d).
EARLIER_QUEUES = """
CREATE TABLE sqs_messages (
    message_id TEXT PRIMARY KEY, queue TEXT NOT NULL, body TEXT NOT NULL, attributes TEXT NOT NULL,
    sent_ms INTEGER NOT NULL, first_receive_ms INTEGER, receive_count INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL, receipt TEXT, group_id TEXT, dedup_id TEXT, sequence INTEGER
);
INSERT INTO sqs_messages (message_id, queue, body, attributes, sent_ms, visible_at)
    VALUES ('m-1', 'jobs', 'queued before the upgrade', '{}', 1, 0);
"""
EARLIER_EVENTS = """
CREATE TABLE async_events (
    request_id TEXT PRIMARY KEY, function_name TEXT NOT NULL, qualifier TEXT, payload BLOB NOT NULL,
    enqueued_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, throttles INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL, tenant_id TEXT
);
INSERT INTO async_events VALUES ('r-1', 'worker', NULL, X'7B7D', 1, 0, 0, 1, NULL);
"""
TRACED = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=12326a9d:3"


def _earlier(path: Path, script: str) -> Path:
    with sqlite3.connect(path) as connection:
        connection.executescript(script)
    connection.close()
    return path


def test_queued_messages_outlive_the_upgrade_and_new_ones_keep_their_trace_header(tmp_path: Path) -> None:
    store = QueueStore(_earlier(tmp_path / "state.db", EARLIER_QUEUES))
    try:
        store.send("jobs", "sent after it", trace_header=TRACED)
        earlier, later = store.receive("jobs", 10, 30)
        assert (earlier.body, earlier.trace_header) == ("queued before the upgrade", None)
        assert (later.body, later.trace_header) == ("sent after it", TRACED)
    finally:
        store.close()


def test_queued_events_outlive_the_upgrade(tmp_path: Path) -> None:
    store = EventStore(_earlier(tmp_path / "state.db", EARLIER_EVENTS))
    try:
        (event,) = store.due(time.time(), set(), 10)
        assert (event.request_id, event.function_name, event.payload, event.trace_header) == (
            "r-1",
            "worker",
            b"{}",
            None,
        )
    finally:
        store.close()
