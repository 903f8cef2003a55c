"""DynamoDB Streams and Kinesis mappings, read with boto3 from moto's standalone server."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
from aws_lambda_powertools.utilities.parser import models

from lambdahost.store.queues import QueueStore
from lambdahost.testing import eventually
from server import Server, write_project

TEMPLATE = """
Parameters:
  ClicksArn: {Type: String}
  TableStreamArn: {Type: String}
Globals:
  Function:
    CodeUri: src
    Environment: {Variables: {OUT: OUT_DIR}}
Resources:
  Failures:
    Type: AWS::SQS::Queue
    Properties: {QueueName: stream-failures}
  Clicks:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.clicks
      Events:
        Stream:
          Type: Kinesis
          Properties:
            Stream: !Ref ClicksArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 4
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 1
            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}}
  Changes:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.changes
      Events:
        Table:
          Type: DynamoDB
          Properties: {Stream: !Ref TableStreamArn, StartingPosition: TRIM_HORIZON, BatchSize: 10}
"""

CODE = """
import base64, json, os

def _write(name, event):
    with open(os.path.join(os.environ["OUT"], name), "a") as out:
        out.write(json.dumps(event) + "\\n")

def clicks(event, context):
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    _write("clicks.jsonl", {"event": event, "data": data})
    if "poison" in data:
        raise ValueError("poison in the batch")

def changes(event, context):
    _write("changes.jsonl", event)
"""


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_kinesis_and_dynamodb_streams(tmp_path: Path, moto: str) -> None:
    kinesis = boto3.client("kinesis", endpoint_url=moto, region_name="us-east-1")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    clicks_arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    for value in ["r0", "r1", "r2", "r3", "r4", "poison", "r6", "r7", "r8", "r9"]:
        kinesis.put_record(StreamName="clicks", Data=value.encode(), PartitionKey="user-1")
    dynamodb = boto3.client("dynamodb", endpoint_url=moto, region_name="us-east-1")
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    stream_arn = dynamodb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "o-1"}, "total": {"N": "10"}})
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "o-1"}, "total": {"N": "12"}})
    dynamodb.delete_item(TableName="orders", Key={"id": {"S": "o-1"}})

    out = tmp_path / "out"
    out.mkdir()
    write_project(tmp_path, TEMPLATE.replace("OUT_DIR", str(out)), CODE)
    server = Server(
        tmp_path,
        "--api-port",
        "0",
        "--aws-endpoint-url",
        moto,
        "--parameter-overrides",
        f"ClicksArn={clicks_arn} TableStreamArn={stream_arn}",
    ).start()
    store = QueueStore(server.state_dir / "state.db")
    try:
        eventually(
            lambda: (
                store.count("stream-failures")
                and _lines(out / "changes.jsonl")
                and any("r9" in c["data"] for c in _lines(out / "clicks.jsonl"))
            ),
            "both streams were delivered, and a failure recorded",
            timeout=60,
        )
        (failure,) = store.peek("stream-failures")
    finally:
        store.close()
        server.stop()

    calls = _lines(out / "clicks.jsonl")
    batches = [c["data"] for c in calls]
    assert batches[0] == ["r0", "r1", "r2", "r3"], "BatchSize 4, in order"
    assert ["r4", "poison", "r6", "r7"] in batches and ["r4", "poison"] in batches, "bisected on the error"
    assert batches.count(["poison"]) == 2, "one attempt and MaximumRetryAttempts: 1"
    succeeded = [d for c in calls for d in c["data"] if "poison" not in c["data"]]
    assert succeeded == ["r0", "r1", "r2", "r3", "r4", "r6", "r7", "r8", "r9"], "in order, poison skipped"
    for call in calls:
        models.KinesisDataStreamModel.model_validate(call["event"])
        assert base64.b64decode(call["event"]["Records"][0]["kinesis"]["data"])
    record = json.loads(failure.body)
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:Clicks"
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == clicks_arn and info["shardId"] == "shardId-000000000000"

    changes = [r for event in _lines(out / "changes.jsonl") for r in event["Records"]]
    assert [r["eventName"] for r in changes] == ["INSERT", "MODIFY", "REMOVE"]
    assert changes[1]["dynamodb"]["OldImage"]["total"] == {"N": "10"}
    assert changes[1]["dynamodb"]["NewImage"]["total"] == {"N": "12"}
    assert all(r["eventSourceARN"] == stream_arn for r in changes)
    for event in _lines(out / "changes.jsonl"):
        models.DynamoDBStreamModel.model_validate(event)


SQS_TEMPLATE = """
Parameters:
  JobsArn: {Type: String}
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.jobs
      Environment: {Variables: {OUT: OUT_DIR}}
      Events:
        Jobs:
          Type: SQS
          Properties: {Queue: !Ref JobsArn, BatchSize: 10, FunctionResponseTypes: [ReportBatchItemFailures]}
"""

SQS_CODE = """
import json, os

def jobs(event, context):
    failures = []
    with open(os.path.join(os.environ["OUT"], "jobs.jsonl"), "a") as out:
        for record in event["Records"]:
            out.write(json.dumps(record) + "\\n")
            if record["body"] == "fail":
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""


def test_sqs_queue_on_an_endpoint(tmp_path: Path, moto: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto, region_name="us-east-1")
    dlq_url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="jobs",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for body in ("one", "two", "fail"):
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}}
        )
    out = tmp_path / "out"
    out.mkdir()
    write_project(tmp_path, SQS_TEMPLATE.replace("OUT_DIR", str(out)), SQS_CODE)
    server = Server(
        tmp_path, "--api-port", "0", "--aws-endpoint-url", moto, "--parameter-overrides", f"JobsArn={arn}"
    ).start()
    try:
        eventually(
            lambda: "Messages" in sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=0, VisibilityTimeout=0),
            "a failed batch was redriven to the dead-letter queue",
            timeout=60,
            every=0.3,
        )
    finally:
        server.stop()
    records = _lines(out / "jobs.jsonl")
    assert sorted({r["body"] for r in records}) == ["fail", "one", "two"]
    assert [r["body"] for r in records].count("one") == 1, "succeeded messages were deleted from the endpoint"
    assert all(r["eventSourceARN"] == arn for r in records)
    assert records[0]["messageAttributes"]["kind"]["stringValue"] == "test"
    for record in records:
        models.SqsModel.model_validate({"Records": [record]})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
