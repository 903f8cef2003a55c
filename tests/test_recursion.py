"""Recursive loop detection: a function that writes back to what triggers it (its bucket, its
queue, its topic, itself through Invoke) is stopped after 16 invocations by one chain of events,
as Lambda stops it, unless its RecursiveLoop setting is Allow.

Sources: Lambda's guide, "Lambda recursive loop detection" (SQS, SNS, S3 and Lambda; about 16
invocations; an asynchronous event goes to its on-failure destination or dead-letter queue; an
SQS message goes back to its queue, and on to the queue's dead-letter queue); the AWS Compute
Blog's launch post (July 2023: "after 16 invocations, Lambda throws a RecursiveInvocationException
to the ESM"); boto/boto3#3899 (a message sent back to its own queue stops after the sixteenth
invocation); the botocore model (RecursiveInvocationException, status 400, Type and Message).
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import time

import pytest

from lambdahost.testing import eventually
from server import Server, write_project

TEMPLATE = """
Globals:
  Function:
    CodeUri: src
    Timeout: 10
    Environment:
      Variables:
        OUT: {out}
        BUCKET: !Ref Loops
        QUEUE: !Ref Work
        TOPIC: !Ref Echoes
Resources:
  Loops:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: loops}}
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work
      VisibilityTimeout: 3
      RedrivePolicy: {{deadLetterTargetArn: !GetAtt Redriven.Arn, maxReceiveCount: 1}}
  Redriven:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: redriven}}
  Failures:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: failures}}
  Echoes:
    Type: AWS::SNS::Topic
    Properties: {{TopicName: echoes}}
  OnUpload:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.on_upload
      Events:
        Up: {{Type: S3, Properties: {{Bucket: !Ref Loops, Events: s3:ObjectCreated:*}}}}
      EventInvokeConfig:
        MaximumRetryAttempts: 2
        DestinationConfig: {{OnFailure: {{Type: SQS, Destination: !GetAtt Failures.Arn}}}}
  OnMessage:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.on_message
      Timeout: 3
      Events:
        Jobs: {{Type: SQS, Properties: {{Queue: !GetAtt Work.Arn, BatchSize: 1}}}}
  OnNotice:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.on_notice
      RecursiveLoop: Allow
      Events:
        Notices: {{Type: SNS, Properties: {{Topic: !Ref Echoes}}}}
  Again:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.again
"""

CODE = """
import json, os, re
import boto3

def _seen(name, **more):
    count = int(re.search(r"Lineage=[0-9a-f]{8}:([0-9]+)", os.environ["_X_AMZN_TRACE_ID"]).group(1))
    with open(os.path.join(os.environ["OUT"], name + ".jsonl"), "a") as out:
        out.write(json.dumps({"count": count, **more}) + "\\n")
    return count

def on_upload(event, context):
    key = event["Records"][0]["s3"]["object"]["key"]
    _seen("on_upload", key=key)
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=key + "-", Body=b"again")

def on_message(event, context):
    _seen("on_message")
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE"], MessageBody=event["Records"][0]["body"])

def on_notice(event, context):
    if _seen("on_notice") < 19:  # Allow: it runs on, past 16, until it stops itself
        boto3.client("sns").publish(TopicArn=os.environ["TOPIC"], Message="again")

def again(event, context):
    count = _seen("again", trace=os.environ["_X_AMZN_TRACE_ID"])
    if event.get("loop"):
        again = {"FunctionName": context.function_name, "InvocationType": "Event", "Payload": b'{"loop": true}'}
        boto3.client("lambda").invoke(**again)
    return count
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    folder = tmp_path_factory.mktemp("recursion")
    out = folder / "out"
    out.mkdir()
    server = Server(write_project(folder, TEMPLATE.format(out=out), CODE), "--api-port", "0", "--no-watch")
    server.out = out
    server.start()
    yield server
    server.stop()


HANDLERS = {
    "OnUpload": "on_upload",
    "OnMessage": "on_message",
    "OnNotice": "on_notice",
    "Again": "again",
    "Looper": "looper",
}


def _counts(server: Server, function: str) -> list[int]:
    path = server.out / f"{HANDLERS[function]}.jsonl"
    return [json.loads(line)["count"] for line in path.read_text().splitlines()] if path.exists() else []


def _stopped(server: Server, function: str) -> list[int]:
    """The function's counts, once the host has said it stopped the loop; a moment later, to
    see that nothing more ran."""
    eventually(
        lambda: f"{function} stopped: one chain of events has invoked it 16 times" in server.log(),
        "stopped",
        timeout=90,
    )
    time.sleep(1)
    return _counts(server, function)


def test_a_function_writing_to_the_bucket_that_notifies_it_is_stopped_after_16_invocations(server) -> None:
    """The 17th notification is not delivered, and not retried: its event goes to the
    on-failure destination, with the reason."""
    server.aws_client("s3").put_object(Bucket="loops", Key="start", Body=b"first")
    assert _stopped(server, "OnUpload") == list(range(16)), "the chain's counts, 0 to 15, in the trace header"
    keys = [o["Key"] for o in server.aws_client("s3").list_objects_v2(Bucket="loops")["Contents"]]
    assert sorted(keys) == sorted("start" + "-" * n for n in range(17)), "16 invocations wrote 16 objects"
    sqs = server.aws_client("sqs")
    url = sqs.get_queue_url(QueueName="failures")["QueueUrl"]
    (message,) = eventually(lambda: sqs.receive_message(QueueUrl=url).get("Messages"), "the failure was recorded")
    failure = json.loads(message["Body"])
    assert failure["requestContext"]["condition"] == "RecursiveInvocationException"
    assert failure["requestPayload"]["Records"][0]["s3"]["object"]["key"] == "start" + "-" * 16
    assert "responsePayload" not in failure, "the function did not run"


def test_a_message_sent_back_to_its_own_queue_stops_and_is_redriven(server) -> None:
    """boto/boto3#3899: the function stops being invoked after the sixteenth time; the message
    comes back after the visibility timeout and, past maxReceiveCount, goes to the dead-letter queue."""
    sqs = server.aws_client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="work")["QueueUrl"], MessageBody="round and round")
    assert _stopped(server, "OnMessage") == list(range(16))
    redriven = sqs.get_queue_url(QueueName="redriven")["QueueUrl"]
    (message,) = eventually(
        lambda: sqs.receive_message(QueueUrl=redriven).get("Messages"), "the message reached the dead-letter queue"
    )
    assert message["Body"] == "round and round"
    assert _counts(server, "OnMessage") == list(range(16)), "not invoked again"


def test_recursive_loop_allow_lets_the_loop_run_on(server) -> None:
    sns = server.aws_client("sns")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":echoes"))
    sns.publish(TopicArn=topic, Message="hello")
    assert eventually(lambda: len(counts := _counts(server, "OnNotice")) == 20 and counts, "20 invocations") == list(
        range(20)
    )
    assert "OnNotice stopped" not in server.log()


def test_invoke_carries_the_chain_a_sync_caller_hears_recursive_invocation_exception(server) -> None:
    """A function invoking itself through the Lambda API is followed too; a synchronous caller
    whose X-Ray header says the chain has invoked the function 16 times is refused with
    RecursiveInvocationException (400), until PutFunctionRecursionConfig says Allow."""
    client = server.client(retries=0)
    client.invoke(FunctionName="Again", InvocationType="Event", Payload=b'{"loop": true}')
    assert _stopped(server, "Again") == list(range(16))

    first = json.loads(client.invoke(FunctionName="Again", Payload=b"{}")["Payload"].read())
    assert first == 0, "a caller without a chain starts one"
    trace = json.loads((server.out / "again.jsonl").read_text().splitlines()[-1])["trace"]
    lineage = re.search(r"Lineage=([0-9a-f]{8}):0", trace).group(1)
    at_16 = f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage={lineage}:15"

    def as_if_called_from_the_chain(params, **_) -> None:  # as botocore's recursion detection sends it
        params["headers"]["X-Amzn-Trace-Id"] = at_16

    client.meta.events.register("before-call.lambda.Invoke", as_if_called_from_the_chain)
    with pytest.raises(client.exceptions.RecursiveInvocationException) as refused:
        client.invoke(FunctionName="Again", Payload=b"{}")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "recursive loop" in refused.value.response["Error"]["Message"]

    client.put_function_recursion_config(FunctionName="Again", RecursiveLoop="Allow")
    assert json.loads(client.invoke(FunctionName="Again", Payload=b"{}")["Payload"].read()) == 16
    client.put_function_recursion_config(FunctionName="Again", RecursiveLoop="Terminate")


@pytest.mark.skipif(shutil.which("node") is None, reason="no Node.js on this machine")
def test_a_nodejs_function_is_followed_through_the_javascript_sdk(tmp_path) -> None:
    """The AWS SDK for JavaScript v3 sends the invocation's trace header too (its recursion
    detection middleware): a Node.js function sending each message back to its queue stops. (The
    queue's URL from !Ref is on the local endpoint: the JavaScript SDK sends to a queue URL's host.)"""
    out = tmp_path / "out"
    out.mkdir()
    template = f"""
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
        Properties: {{QueueName: inbox, VisibilityTimeout: 60}}
      Looper:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: index.handler
          Runtime: nodejs20.x
          Environment: {{Variables: {{OUT: {out}, QUEUE: !Ref Inbox}}}}
          Events:
            Jobs: {{Type: SQS, Properties: {{Queue: !GetAtt Inbox.Arn, BatchSize: 1}}}}
    """
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.mjs").write_text(
        "import { appendFileSync } from 'node:fs';\n"
        "import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';\n"
        "const sqs = new SQSClient({});\n"
        "export const handler = async (event) => {\n"
        "  const count = Number(/Lineage=[0-9a-f]{8}:([0-9]+)/.exec(process.env._X_AMZN_TRACE_ID)[1]);\n"
        "  appendFileSync(`${process.env.OUT}/looper.jsonl`, JSON.stringify({ count }) + '\\n');\n"
        "  const again = { QueueUrl: process.env.QUEUE, MessageBody: event.Records[0].body };\n"
        "  await sqs.send(new SendMessageCommand(again));\n"
        "};\n"
    )
    (tmp_path / "template.yaml").write_text(textwrap.dedent(template))
    server = Server(tmp_path, "--api-port", "0", "--no-watch").start()
    server.out = out
    try:
        sqs = server.aws_client("sqs")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="inbox")["QueueUrl"], MessageBody="again")
        assert _stopped(server, "Looper") == list(range(16))
    finally:
        server.stop()
