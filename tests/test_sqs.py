"""SQS event source mappings on local queues: batches, partial failures, redrive, filters."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import httpx
import pytest
from aws_lambda_powertools.utilities.parser import models

from lambdahost.store.queues import QueueError, QueueStore
from lambdahost.template import TemplateError, load_project
from lambdahost.testing import eventually
from server import LAMBDAHOST, Server, write_project

TEMPLATE = """
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
      VisibilityTimeout: {visibility}
      RedrivePolicy: {{deadLetterTargetArn: !GetAtt JobsDlq.Arn, maxReceiveCount: 2}}
  JobsDlq:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: jobs-dlq}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handle
      Timeout: {timeout}
      Environment: {{Variables: {{OUT: {out}}}}}
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: {batch}
            MaximumBatchingWindowInSeconds: 1
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria: {{Filters: [{{Pattern: '{{"body": {{"kind": ["job"]}}}}'}}]}}
"""

CODE = """
import json, os

def handle(event, context):
    failures = []
    with open(os.path.join(os.environ["OUT"], "seen.jsonl"), "a") as out:
        for record in event["Records"]:
            body = json.loads(record["body"])
            out.write(json.dumps({"record": record, "batch": len(event["Records"])}) + "\\n")
            if body.get("fail"):
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""


def _project(folder: Path, visibility: int = 2, timeout: int = 1, batch: int = 5) -> Path:
    (folder / "out").mkdir(exist_ok=True)
    template = TEMPLATE.format(visibility=visibility, timeout=timeout, batch=batch, out=folder / "out")
    return write_project(folder, template, CODE)


def _seen(folder: Path) -> list[dict]:
    path = folder / "out" / "seen.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_batches_partial_failures_redrive_and_filters(tmp_path: Path) -> None:
    project = _project(tmp_path)
    server = Server(project, "--api-port", "0").start()
    store = QueueStore(server.state_dir / "state.db")
    try:
        ok = [store.send("jobs", json.dumps({"kind": "job", "n": n})) for n in range(3)]
        failing = store.send(
            "jobs", json.dumps({"kind": "job", "fail": True}), {"origin": {"Type": "String", "Value": "test"}}
        )
        ignored = store.send("jobs", json.dumps({"kind": "other"}))
        eventually(lambda: store.count("jobs-dlq"), "the failing message reached the DLQ")
        time.sleep(0.5)
        assert store.count("jobs") == 0
        (dead,) = store.peek("jobs-dlq")
    finally:
        store.close()
        server.stop()

    seen = _seen(project)
    first_batch = [s for s in seen if s["record"]["attributes"]["ApproximateReceiveCount"] == "1"]
    assert {s["record"]["messageId"] for s in first_batch} == {*ok, failing}
    assert all(s["batch"] == 4 for s in first_batch), "one batch within the 1 s window, the filtered one left out"
    retried = [s for s in seen if s["record"]["messageId"] == failing]
    assert [s["record"]["attributes"]["ApproximateReceiveCount"] for s in retried] == ["1", "2"]
    assert all(s["record"]["messageId"] != ignored for s in seen), "filtered out: never delivered"
    assert dead.message_id == failing and json.loads(dead.body)["fail"] is True
    record = first_batch[0]["record"]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:jobs"
    assert record["md5OfBody"] and record["receiptHandle"]
    for s in seen:
        models.SqsModel.model_validate({"Records": [s["record"]]})
    with_attributes = next(s["record"] for s in seen if s["record"]["messageId"] == failing)
    assert with_attributes["messageAttributes"]["origin"]["stringValue"] == "test"


def test_sqs_send_command(tmp_path: Path) -> None:
    import subprocess

    project = _project(tmp_path)
    result = subprocess.run(
        [LAMBDAHOST, "sqs", "send", "jobs", '{"kind": "job"}', "--attribute", "a=String:b"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    store = QueueStore(project / ".lambdahost" / "state.db")
    try:
        (message,) = store.peek("jobs")
    finally:
        store.close()
    assert message.message_id == result.stdout.strip() and message.attributes == {"a": {"Type": "String", "Value": "b"}}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"visibility": 30, "timeout": 60},
            "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
        ),
        ({"batch": 20}, None),
    ],
)
def test_mapping_checks_when_the_template_is_read(tmp_path: Path, options: dict, message: str | None) -> None:
    project = _project(tmp_path, **options)
    if message is None:  # a 20-message batch is fine with the 1 s window the template sets
        load_project(project / "template.yaml")
        text = (
            (project / "template.yaml")
            .read_text()
            .replace("MaximumBatchingWindowInSeconds: 1", "MaximumBatchingWindowInSeconds: 0")
        )
        (project / "template.yaml").write_text(text)
        message = "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    with pytest.raises(TemplateError, match="Worker.Events.Jobs: " + message):
        load_project(project / "template.yaml")


FIFO_TEMPLATE = """
Resources:
  Orders:
    Type: AWS::SQS::Queue
    Properties: {{FifoQueue: true, ContentBasedDeduplication: true, VisibilityTimeout: 2}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handle
      Timeout: 1
      Environment: {{Variables: {{OUT: {out}}}}}
      Events:
        Orders: {{Type: SQS, Properties: {{Queue: !GetAtt Orders.Arn, BatchSize: 2}}}}
"""
FIFO_CODE = """
import json, os

def handle(event, context):
    out = os.environ["OUT"]
    failing = any(r["body"] == "fail-once" for r in event["Records"])
    first_time = failing and not os.path.exists(os.path.join(out, "failed"))
    with open(os.path.join(out, "seen.jsonl"), "a") as seen:
        for record in event["Records"]:
            seen.write(json.dumps({"record": record, "failed": first_time}) + "\\n")
    if first_time:
        open(os.path.join(out, "failed"), "w").close()
        raise RuntimeError("the whole batch comes back after the visibility timeout")
"""


def test_a_fifo_queue_keeps_each_group_in_order_and_drops_duplicates(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    project = write_project(tmp_path, FIFO_TEMPLATE.format(out=tmp_path / "out"), FIFO_CODE)
    (project / ".lambdahost").mkdir()
    store = QueueStore(project / ".lambdahost" / "state.db")
    try:
        sent = {}
        for group, body in (("a", "a1"), ("b", "b1"), ("a", "fail-once"), ("b", "b2"), ("a", "a3")):
            sent[body] = store.send("Orders.fifo", body, group_id=group, content_based=True)
        assert store.send("Orders.fifo", "b1", group_id="b", content_based=True) == sent["b1"], "a duplicate"
        with pytest.raises(QueueError, match="must contain the parameter MessageGroupId"):
            store.send("Orders.fifo", "no group", content_based=True)
        with pytest.raises(QueueError, match="ContentBasedDeduplication enabled or MessageDeduplicationId"):
            store.send("Orders.fifo", "no id", group_id="a")
    finally:
        store.close()
    server = Server(project, "--no-watch").start()
    try:
        local = f"{server.endpoint}/_lambdahost/sqs/Orders.fifo/messages"
        assert httpx.post(local, json={"MessageBody": "b3", "MessageGroupId": "b"}).status_code == 200
        refused = httpx.post(local, json={"MessageBody": "no group"})
        assert refused.status_code == 400 and "MessageGroupId" in refused.json()["message"]
        eventually(lambda: len([s for s in _seen(project) if not s["failed"]]) >= 6, "all six were delivered")
        time.sleep(0.5)
    finally:
        server.stop()
    seen = _seen(project)
    delivered = [s["record"] for s in seen if not s["failed"]]
    by_group = {g: [r["body"] for r in delivered if r["attributes"]["MessageGroupId"] == g] for g in "ab"}
    assert by_group == {"a": ["a1", "fail-once", "a3"], "b": ["b1", "b2", "b3"]}, "in order, once each"
    failed_at = next(i for i, s in enumerate(seen) if s["failed"])
    first_a3 = next(i for i, s in enumerate(seen) if s["record"]["body"] == "a3")
    assert first_a3 > failed_at + 1, "nothing more of group a while its failed batch was in flight"
    record = next(r for r in delivered if r["body"] == "b1")
    attributes = record["attributes"]
    assert attributes["MessageDeduplicationId"] == hashlib.sha256(b"b1").hexdigest()
    assert len(attributes["SequenceNumber"]) == 20 and record["messageId"] == sent["b1"]
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:Orders.fifo"
    for record in delivered:
        models.SqsModel.model_validate({"Records": [record]})


def test_sqs_send_to_a_fifo_queue_needs_a_group(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "out").mkdir()
    project = write_project(tmp_path, FIFO_TEMPLATE.format(out=tmp_path / "out"), FIFO_CODE)

    def send(*extra: str) -> subprocess.CompletedProcess:
        command = [LAMBDAHOST, "sqs", "send", "Orders.fifo", "hello", *extra]
        return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=60)

    refused = send()
    assert refused.returncode == 1 and "must contain the parameter MessageGroupId" in refused.stderr
    first, again = send("--group-id", "g"), send("--group-id", "g")  # the template deduplicates by content
    assert first.returncode == 0 and first.stdout == again.stdout, again.stderr


def test_a_standard_queue_takes_a_message_group_and_shares_it_fairly(tmp_path: Path) -> None:
    """Standard queues accept MessageGroupId since SQS's fair queues (2025); the group does not
    hold the others back, as a FIFO queue's would. A deduplication id stays a FIFO queue's."""
    store = QueueStore(tmp_path / "state.db")
    first = store.send("Jobs", "a1", group_id="tenant-a")
    store.send("Jobs", "a2", group_id="tenant-a")
    received = store.receive("Jobs", 10, 30)
    assert sorted(m.body for m in received) == ["a1", "a2"], "both at once: a standard queue does not serialise a group"
    assert {m.message_id: m.group_id for m in received}[first] == "tenant-a"
    with pytest.raises(QueueError, match="MessageDeduplicationId is for FIFO queues; Jobs is not one"):
        store.send("Jobs", "x", dedup_id="d")
    store.close()
