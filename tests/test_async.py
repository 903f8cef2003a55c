"""Asynchronous invocation through a real server: retries, event age, destinations, durability."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from lambdahost import AsyncHost, FunctionConfig
from lambdahost.testing import eventually
from server import Server, write_project

TEMPLATE = """
Globals:
  Function:
    CodeUri: src
    Environment:
      Variables:
        OUT: {out}
Resources:
  Recorder:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.record
      ReservedConcurrentExecutions: 2
  Flaky:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.flaky
      EventInvokeConfig:
        MaximumRetryAttempts: 2
        DestinationConfig:
          OnSuccess: {{Type: Lambda, Destination: !GetAtt Recorder.Arn}}
          OnFailure: {{Type: Lambda, Destination: !GetAtt Recorder.Arn}}
  Dead:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.flaky
      DeadLetterQueue: {{Type: SQS, TargetArn: arn:aws:sqs:us-east-1:123456789012:dead-letters}}
      EventInvokeConfig: {{MaximumRetryAttempts: 0}}
  Alarms:
    Type: AWS::SNS::Topic
  Loud:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.flaky
      DeadLetterQueue: {{Type: SNS, TargetArn: !Ref Alarms}}
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig: {{OnFailure: {{Type: SNS, Destination: !Ref Alarms}}}}
  Listener:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.hear
      Events:
        Alarm: {{Type: SNS, Properties: {{Topic: !Ref Alarms}}}}
"""

CODE = """
import json, os, time

def _append(name, data):
    with open(os.path.join(os.environ["OUT"], name), "a") as f:
        f.write(json.dumps(data) + "\\n")

def record(event, context):
    time.sleep(event.get("sleep", 0) if isinstance(event, dict) else 0)
    _append("recorded.jsonl", {"requestId": context.aws_request_id, "event": event})
    return "recorded"

def hear(event, context):
    _append("heard.jsonl", event["Records"][0]["Sns"])

def flaky(event, context):
    _append("attempts.jsonl", {"requestId": context.aws_request_id, "at": time.time()})
    if event.get("fail"):
        raise ValueError("always fails")
    return {"ok": event}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return write_project(tmp_path, TEMPLATE.format(out=out), CODE)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_success_goes_to_the_on_success_destination_as_an_invocation_record(project: Path) -> None:
    server = Server(project, "--async-delay-scale", "0.01").start()
    try:
        response = server.client().invoke(FunctionName="Flaky", InvocationType="Event", Payload=b'{"n": 1}')
        assert response["StatusCode"] == 202
        request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        (delivered,) = eventually(lambda: _lines(project / "out" / "recorded.jsonl"), "the destination got its record")
    finally:
        server.stop()
    record = delivered["event"]
    assert list(record) == [
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    ]
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Flaky:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": {"n": 1}}
    assert _lines(project / "out" / "attempts.jsonl")[0]["requestId"] == request_id


def test_failures_are_retried_twice_with_growing_delays_then_sent_on(project: Path) -> None:
    server = Server(project, "--async-delay-scale", "0.01").start()
    try:
        server.client().invoke(FunctionName="Flaky", InvocationType="Event", Payload=b'{"fail": true}')
        (delivered,) = eventually(lambda: _lines(project / "out" / "recorded.jsonl"), "the failure record arrived")
    finally:
        server.stop()
    attempts = _lines(project / "out" / "attempts.jsonl")
    assert len(attempts) == 3
    assert len({a["requestId"] for a in attempts}) == 1, "every attempt has the event's request id"
    first_gap, second_gap = attempts[1]["at"] - attempts[0]["at"], attempts[2]["at"] - attempts[1]["at"]
    assert 0.5 <= first_gap < second_gap, "about 1 then 2 minutes, scaled by 0.01"
    record = delivered["event"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"


@pytest.mark.parametrize(("max_age", "attempts"), [(60, 1), (90, 2)])
def test_event_age_looks_ahead(project: Path, max_age: int, attempts: int) -> None:
    server = Server(project, "--async-delay-scale", "0.01").start()
    try:
        client = server.client()
        client.put_function_event_invoke_config(
            FunctionName="Flaky",
            MaximumRetryAttempts=2,
            MaximumEventAgeInSeconds=max_age,
            DestinationConfig={"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:Recorder"}},
        )
        client.invoke(FunctionName="Flaky", InvocationType="Event", Payload=b'{"fail": true}')
        (delivered,) = eventually(lambda: _lines(project / "out" / "recorded.jsonl"), "the failure record arrived")
    finally:
        server.stop()
    assert delivered["event"]["requestContext"]["condition"] == "EventAgeExceeded"
    assert delivered["event"]["requestContext"]["approximateInvokeCount"] == attempts
    assert len(_lines(project / "out" / "attempts.jsonl")) == attempts


def test_dead_letter_queue_receives_the_event_with_its_error(project: Path) -> None:
    server = Server(project, "--async-delay-scale", "0.01").start()
    try:
        server.client().invoke(FunctionName="Dead", InvocationType="Event", Payload=b'{"fail": true}')

        def queued():
            with sqlite3.connect(server.state_dir / "state.db") as db:
                return db.execute("SELECT queue, body, attributes FROM sqs_messages").fetchall()

        ((queue, body, attributes),) = eventually(queued, "the dead-letter message arrived")
    finally:
        server.stop()
    assert (queue, body) == ("dead-letters", '{"fail": true}')
    attributes = json.loads(attributes)
    assert attributes["ErrorCode"] == {"Type": "Number", "Value": "200"}
    assert attributes["ErrorMessage"] == {"Type": "String", "Value": "always fails"}
    assert attributes["RequestID"]["Type"] == "String"


def test_queued_events_survive_kill_9(project: Path) -> None:
    server = Server(project, "--async-delay-scale", "0.01").start()
    client = server.client()
    sent = []
    for index in range(30):
        response = client.invoke(
            FunctionName="Recorder", InvocationType="Event", Payload=json.dumps({"index": index, "sleep": 0.2}).encode()
        )
        sent.append(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
    eventually(lambda: _lines(project / "out" / "recorded.jsonl"), "the first events were delivered")
    server.kill()
    done_before = {line["requestId"] for line in _lines(project / "out" / "recorded.jsonl")}
    assert len(done_before) < len(sent), "the kill must land while events are pending"

    restarted = Server(project, "--async-delay-scale", "0.01", state_dir=server.state_dir)
    restarted.port = server.port
    restarted.start()
    try:
        eventually(
            lambda: set(sent) <= {line["requestId"] for line in _lines(project / "out" / "recorded.jsonl")},
            "every event was delivered after the restart",
            timeout=60,
        )
    finally:
        restarted.stop()


def test_sns_destination_and_dead_letter_topic_reach_the_topics_subscribers(project: Path) -> None:
    server = Server(project, "--async-delay-scale", "0.01").start()
    try:
        response = server.client().invoke(FunctionName="Loud", InvocationType="Event", Payload=b'{"fail": true}')
        request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        heard = eventually(
            lambda: len(got := _lines(project / "out" / "heard.jsonl")) == 2 and got, "both messages were heard"
        )
    finally:
        server.stop()
    assert {n["TopicArn"] for n in heard} == {"arn:aws:sns:us-east-1:123456789012:Alarms"}
    (record,) = [json.loads(n["Message"]) for n in heard if not n["MessageAttributes"]]
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    (dead_letter,) = [n for n in heard if n["MessageAttributes"]]
    assert json.loads(dead_letter["Message"]) == {"fail": True}
    assert dead_letter["MessageAttributes"]["RequestID"] == {"Type": "String", "Value": request_id}
    assert dead_letter["MessageAttributes"]["ErrorMessage"] == {"Type": "String", "Value": "always fails"}


def test_stopping_the_queue_never_hangs_whatever_it_was_doing(tmp_path: Path) -> None:
    """On Python 3.11, asyncio.wait_for swallows a cancellation that lands just as the wait it
    wraps ends; the queue's worker must stop all the same. The queue is woken by an event, then
    stopped after each number of loop turns, so that one of them lands on that moment."""
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")

    async def scenario() -> list[int]:
        hung = []
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=tmp_path))
            for turns in range(6):
                await asyncio.sleep(0.05)  # the worker is waiting for work
                await host.events.put("f", b"{}")
                for _ in range(turns):
                    await asyncio.sleep(0)
                stopping = asyncio.ensure_future(host.events.stop())
                done, _ = await asyncio.wait({stopping}, timeout=5)
                if stopping not in done:
                    hung.append(turns)
                    return hung  # the worker runs on: the host cannot close either
                host.events.start()
        return hung

    assert asyncio.run(scenario()) == []


def test_a_queue_from_before_tenant_ids_keeps_its_events(tmp_path) -> None:
    """A state folder written by an older lambdahost: its queued events are still run."""
    import sqlite3

    from lambdahost.store.async_queue import EventStore

    path = tmp_path / "state.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE async_events (request_id TEXT PRIMARY KEY, function_name TEXT NOT NULL, qualifier TEXT, "
            "payload BLOB NOT NULL, enqueued_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
            "throttles INTEGER NOT NULL DEFAULT 0, due_at REAL NOT NULL)"
        )
        old.execute("INSERT INTO async_events VALUES ('r1', 'fn', NULL, x'7b7d', 1.0, 0, 0, 1.0)")
    store = EventStore(path)
    try:
        [event] = store.due(now=2.0, exclude=set(), limit=10)
        assert (event.request_id, event.payload, event.tenant_id) == ("r1", b"{}", None)
    finally:
        store.close()
