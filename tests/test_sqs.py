"""SQS event source mappings on local queues: batches, partial failures, redrive, filters."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser import models

from lambdahost.store.queues import QueueStore
from lambdahost.template import TemplateError, load_project
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
        deadline = time.monotonic() + 30
        while store.count("jobs-dlq") == 0:
            assert time.monotonic() < deadline, f"the failing message never reached the DLQ: {_seen(project)}"
            time.sleep(0.2)
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
