"""Event source mappings through the Lambda API (boto3 against a real ``lambdahost serve``): made,
read, paused, changed and deleted there, they poll local queues and streams on an endpoint, and
outlive a restart; the template's own mappings are listed beside them."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from lambdahost.store.queues import QueueStore
from lambdahost.testing import eventually
from server import ROLE, Server, write_project, zipped

TEMPLATE = """
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {QueueName: jobs, VisibilityTimeout: 5}
  Slow:
    Type: AWS::SQS::Queue
    Properties: {QueueName: slow, VisibilityTimeout: 5}
  Templated:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Events:
        Slow: {Type: SQS, Properties: {Queue: !GetAtt Slow.Arn, BatchSize: 3}}
"""
CODE = """
import json, os

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        for record in event["Records"]:
            body = record.get("body") or record["kinesis"]["data"]
            out.write(json.dumps({"body": body, "source": record["eventSourceARN"]}) + "\\n")
"""
JOBS = "arn:aws:sqs:us-east-1:123456789012:jobs"
SLOW = "arn:aws:sqs:us-east-1:123456789012:slow"


def _worker(client, out: Path, name: str = "worker", timeout: int = 3, code: str = CODE) -> None:
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Timeout=timeout,
        Code={"ZipFile": zipped({"app.py": code})},
        Environment={"Variables": {"OUT": str(out)}},
    )


def _stream(moto: str, name: str, records: list[str]) -> str:
    """A one-shard Kinesis stream on the endpoint holding ``records`` (partition key: the first
    character); returns its ARN."""
    kinesis = boto3.client("kinesis", endpoint_url=moto, region_name="us-east-1")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    for data in records:
        kinesis.put_record(StreamName=name, Data=data.encode(), PartitionKey=data[0])
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def _bodies(out: Path) -> list[str]:
    return [json.loads(line)["body"] for line in out.read_text().splitlines()] if out.exists() else []


def _wait_for(out: Path, count: int) -> list[str]:
    """The bodies delivered, once there are ``count``."""
    return eventually(lambda: len(bodies := _bodies(out)) >= count and bodies, f"{count} messages arrived")


def test_a_queue_mapping_made_with_boto3_delivers_pauses_and_survives_a_restart(tmp_path: Path) -> None:
    project = write_project(tmp_path, TEMPLATE, CODE)
    out = tmp_path / "worker.jsonl"
    server = Server(project, "--no-watch").start()
    store = QueueStore(server.state_dir / "state.db")
    try:
        client = server.client()
        _worker(client, out)
        created = client.create_event_source_mapping(EventSourceArn=JOBS, FunctionName="worker", BatchSize=5)
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert (created["State"], created["StateTransitionReason"]) == ("Creating", "USER_INITIATED")
        assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:worker"
        assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{created['UUID']}")
        assert (created["BatchSize"], created["MaximumBatchingWindowInSeconds"]) == (5, 0)
        uuid = created["UUID"]
        assert client.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"

        store.send("jobs", "first")
        assert _wait_for(out, 1) == ["first"]

        paused = client.update_event_source_mapping(UUID=uuid, Enabled=False)
        assert paused["State"] == "Updating"
        assert client.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
        time.sleep(1.5)  # the poller has let go of the queue
        store.send("jobs", "while paused")
        time.sleep(1.5)
        assert _bodies(out) == ["first"] and store.count("jobs") == 1, "a disabled mapping polls nothing"
    finally:
        server.stop()

    server = Server(project, "--no-watch").start()  # the mapping and the waiting message outlive a restart
    try:
        client = server.client()
        kept = client.get_event_source_mapping(UUID=uuid)
        assert (kept["State"], kept["BatchSize"]) == ("Disabled", 5)
        client.update_event_source_mapping(UUID=uuid, Enabled=True)
        assert _wait_for(out, 2) == ["first", "while paused"]

        deleted = client.delete_event_source_mapping(UUID=uuid)
        assert deleted["State"] == "Deleting"
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_event_source_mapping(UUID=uuid)
        time.sleep(1.5)
        store.send("jobs", "after delete")
        time.sleep(1.5)
        assert len(_bodies(out)) == 2 and store.count("jobs") == 1
    finally:
        store.close()
        server.stop()


def test_the_template_s_mappings_are_listed_and_stay_the_template_s(tmp_path: Path) -> None:
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--no-watch").start()
    try:
        client = server.client()
        _worker(client, tmp_path / "worker.jsonl")
        mine = client.create_event_source_mapping(EventSourceArn=JOBS, FunctionName="worker", Enabled=False)
        listed = client.list_event_source_mappings()["EventSourceMappings"]
        assert [(m["EventSourceArn"], m["FunctionArn"].rsplit(":", 1)[1]) for m in listed] == [
            (SLOW, "Templated"),
            (JOBS, "worker"),
        ]
        templated = listed[0]
        assert (templated["BatchSize"], templated["State"]) == (3, "Enabled")
        assert (
            client.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"][0]["UUID"] == (mine["UUID"])
        )
        assert client.list_event_source_mappings(EventSourceArn=SLOW)["EventSourceMappings"] == [templated]
        with pytest.raises(client.exceptions.InvalidParameterValueException, match="comes from the template"):
            client.delete_event_source_mapping(UUID=templated["UUID"])
    finally:
        server.stop()
    server.start()  # a template mapping keeps its UUID from one reading of the template to the next
    try:
        again = server.client().list_event_source_mappings(EventSourceArn=SLOW)["EventSourceMappings"]
        assert [m["UUID"] for m in again] == [templated["UUID"]]
        assert f"event source mapping {templated['UUID']}: {SLOW} -> Templated" in server.log(), "said at start"
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("request_", "code", "message"),
    [
        ({"EventSourceArn": JOBS, "FunctionName": "nobody"}, "ResourceNotFoundException", "Function not found"),
        (
            {"EventSourceArn": "arn:aws:sns:us-east-1:123456789012:topic", "FunctionName": "worker"},
            "InvalidParameterValueException",
            "Unrecognized event source",
        ),
        (
            {"EventSourceArn": JOBS, "FunctionName": "worker", "BatchSize": 20},
            "InvalidParameterValueException",
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
        ),
        (
            {"EventSourceArn": JOBS, "FunctionName": "worker", "BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1},
            "ValidationException",
            "Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to",
        ),
        (
            {
                "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
                "FunctionName": "worker",
                "BatchSize": 20,
                "MaximumBatchingWindowInSeconds": 1,
            },
            "InvalidParameterValueException",
            "BatchSize must be less than or equal to 10 for FIFO queues.",
        ),
        (
            {"EventSourceArn": JOBS, "FunctionName": "slowpoke"},
            "InvalidParameterValueException",
            "Queue visibility timeout: 5 seconds is less than Function timeout: 60 seconds",
        ),
        (
            {"EventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks", "FunctionName": "worker"},
            "ValidationException",
            "Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
        ),
        (
            {
                "EventSourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000",
                "FunctionName": "worker",
                "StartingPosition": "AT_TIMESTAMP",
                "StartingPositionTimestamp": 1700000000,
            },
            "InvalidParameterValueException",
            "Unsupported starting position for arn type: arn:aws:dynamodb:",
        ),
        (
            {"EventSourceArn": SLOW, "FunctionName": "Templated"},
            "ResourceConflictException",
            'An event source mapping with SQS arn (" arn:aws:sqs:us-east-1:123456789012:slow ") and function '
            '(" Templated ") already exists',
        ),
    ],
)
def test_create_refuses_what_aws_refuses(tmp_path: Path, request_: dict, code: str, message: str) -> None:
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--no-watch").start()
    try:
        client = server.client(validate=False)
        _worker(client, tmp_path / "worker.jsonl")
        _worker(client, tmp_path / "slow.jsonl", name="slowpoke", timeout=60)
        with pytest.raises(ClientError) as caught:
            client.create_event_source_mapping(**request_)
        error = caught.value.response["Error"]
        assert error["Code"] == code and message in error["Message"], error
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_event_source_mapping(UUID="8f9c1a52-0000-4000-8000-000000000000")
    finally:
        server.stop()


def test_a_kinesis_mapping_made_with_boto3_reads_a_stream_on_an_endpoint(tmp_path: Path, moto: str) -> None:
    kinesis = boto3.client("kinesis", endpoint_url=moto, region_name="us-east-1")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    for n in range(3):
        kinesis.put_record(StreamName="clicks", Data=f"click {n}".encode(), PartitionKey="p")
    out = tmp_path / "worker.jsonl"
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--no-watch", "--aws-endpoint-url", moto).start()
    try:
        client = server.client()
        _worker(client, out)
        created = client.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="worker", StartingPosition="TRIM_HORIZON", BatchSize=2
        )
        assert (created["StartingPosition"], created["MaximumRetryAttempts"], created["StateTransitionReason"]) == (
            "TRIM_HORIZON",
            -1,
            "User action",
        )
        assert created["DestinationConfig"] == {"OnFailure": {}}
        assert created["LastProcessingResult"] == "No records processed"
        _wait_for(out, 3)
        assert client.get_event_source_mapping(UUID=created["UUID"])["LastProcessingResult"] == "OK"
        client.update_event_source_mapping(UUID=created["UUID"], Enabled=False)
        time.sleep(1.5)  # paused
        for n in (3, 4):
            kinesis.put_record(StreamName="clicks", Data=f"click {n}".encode(), PartitionKey="p")
    finally:
        server.stop()
    server.start()  # resumed after a restart and the pause: after the last record processed, not from the start
    try:
        server.client().update_event_source_mapping(UUID=created["UUID"], Enabled=True)
        _wait_for(out, 5)
        time.sleep(1.5)  # nothing more comes
    finally:
        server.stop()
    assert [base64.b64decode(b).decode() for b in _bodies(out)] == [f"click {n}" for n in range(5)]


WINDOWED = """
import json, os

def handler(event, context):
    count = event["state"].get("count", 0) + len(event["Records"])
    seen = {**event, "Records": len(event["Records"])}
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(seen) + "\\n")
    if event["isFinalInvokeForWindow"]:
        return {"total": count}  # the window's end: no state needed
    return {"state": {"count": count}}
"""


def test_a_tumbling_window_carries_state_and_ends_with_a_final_invocation(tmp_path: Path, moto: str) -> None:
    arn = _stream(moto, "windowed", [f"click {n}" for n in range(3)])
    out = tmp_path / "windows.jsonl"
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--no-watch", "--aws-endpoint-url", moto).start()
    try:
        client = server.client()
        _worker(client, out, "windowed", code=WINDOWED)
        client.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="windowed",
            StartingPosition="TRIM_HORIZON",
            BatchSize=1,
            TumblingWindowInSeconds=2,
        )

        def counted_in_closed_windows() -> int:
            calls = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
            return sum(c["state"].get("count", 0) for c in calls if c["isFinalInvokeForWindow"])

        eventually(lambda: counted_in_closed_windows() >= 3, "the windows closed, counting the three records")
        time.sleep(1)  # a final invocation answered without state is done, not retried
        calls = [json.loads(line) for line in out.read_text().splitlines()]
    finally:
        server.stop()
    windows: dict[str, list[dict]] = {}
    for call in calls:
        windows.setdefault(call["window"]["start"], []).append(call)
    for start, window in windows.items():  # the three records may straddle a 2-second boundary
        *batches, final = window
        assert [b["state"].get("count", 0) for b in batches] == list(range(len(batches))), "state carried"
        assert all(b["Records"] == 1 and not b["isFinalInvokeForWindow"] for b in batches)
        assert final["isFinalInvokeForWindow"] and final["Records"] == 0
        assert final["state"] == {"count": len(batches)}
        assert final["shardId"].startswith("shardId-") and final["eventSourceARN"] == arn
        end = final["window"]["end"]
        assert dt.datetime.fromisoformat(end[:-1]) - dt.datetime.fromisoformat(start[:-1]) == dt.timedelta(seconds=2)


def test_a_windowed_invocation_that_returns_no_state_has_failed(tmp_path: Path, moto: str) -> None:
    arn = _stream(moto, "stateless", ["click"])
    out = tmp_path / "worker.jsonl"
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--no-watch", "--aws-endpoint-url", moto).start()
    try:
        client = server.client()
        _worker(client, out)  # records what it gets, returns None
        client.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="worker",
            StartingPosition="TRIM_HORIZON",
            TumblingWindowInSeconds=60,
            MaximumRetryAttempts=1,
        )
        _wait_for(out, 2)
        time.sleep(1.5)  # given up after the retry: no third attempt
        assert len(_bodies(out)) == 2
    finally:
        server.stop()


LANES = """
import base64, json, os, time

def handler(event, context):
    started = time.time()
    time.sleep(0.5)
    with open(os.environ["OUT"], "a") as out:
        for record in event["Records"]:
            data = base64.b64decode(record["kinesis"]["data"]).decode()
            out.write(json.dumps({"body": data, "start": started, "end": time.time()}) + "\\n")
"""


def test_a_parallelization_factor_runs_lanes_at_once_in_order_per_key(tmp_path: Path, moto: str) -> None:
    arn = _stream(moto, "lanes", [f"{key}{n}" for n in range(2) for key in "abg"])  # a, b, g: three lanes
    out = tmp_path / "lanes.jsonl"
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--no-watch", "--aws-endpoint-url", moto).start()
    try:
        client = server.client()
        _worker(client, out, "lanes", timeout=5, code=LANES)
        client.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="lanes",
            StartingPosition="TRIM_HORIZON",
            BatchSize=1,
            ParallelizationFactor=3,
        )
        _wait_for(out, 6)
    finally:
        server.stop()
    calls = [json.loads(line) for line in out.read_text().splitlines()]
    for key in "abg":
        assert [c["body"] for c in calls if c["body"][0] == key] == [f"{key}0", f"{key}1"], "in order per key"
    first_round = [c for c in calls if c["body"].endswith("0")]
    assert max(c["start"] for c in first_round) < min(c["end"] for c in first_round), "the lanes ran at once"


def test_a_source_that_is_not_local_is_read_only_with_an_endpoint(tmp_path: Path) -> None:
    """A deploy script's mapping names real queues: with neither the local AWS nor
    --aws-endpoint-url nothing reads them (the poller would delete their messages), and the log
    says how to allow it."""
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--no-watch", "--no-local-aws").start()
    try:
        client = server.client()
        _worker(client, tmp_path / "worker.jsonl")
        elsewhere = "arn:aws:sqs:us-east-1:210987654321:production-orders"
        mapping = client.create_event_source_mapping(EventSourceArn=elsewhere, FunctionName="worker")
        eventually(lambda: "is not local" in server.log(), "the log says the mapping's queue is not local", timeout=10)
    finally:
        server.stop()
    assert f"event source mapping {mapping['UUID']} of worker: {elsewhere} is not local" in server.log()
    assert "--aws-endpoint-url" in server.log() and "Traceback" not in server.log()
