"""Plain CloudFormation's Lambda wiring, as CDK and hand-written templates hold it, served as its
SAM counterpart: each source is checked end to end (what is sent reaches the handler)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from lambdahost.testing import eventually
from server import api_server

TEMPLATE = """
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: worker
      Runtime: python3.11
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Environment: {{Variables: {{OUT: {out}}}}}
      Code:
        ZipFile: |
          import json, os
          def handler(event, context):
              with open(os.path.join(os.environ["OUT"], "events.jsonl"), "a") as out:
                  out.write(json.dumps(event) + "\\n")
              return {{"statusCode": 200, "body": "worked"}}
  Jobs:
    Type: AWS::SQS::Queue
  JobsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {{FunctionName: !Ref Worker, EventSourceArn: !GetAtt Jobs.Arn, BatchSize: 1}}
  Alerts:
    Type: AWS::SNS::Topic
  AlertsSubscription:
    Type: AWS::SNS::Subscription
    Properties: {{Protocol: lambda, TopicArn: !Ref Alerts, Endpoint: !GetAtt Worker.Arn}}
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: plain-uploads
      NotificationConfiguration:
        LambdaConfigurations: [{{Event: "s3:ObjectCreated:*", Function: !GetAtt Worker.Arn}}]
  Orders:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: '{{"source": ["com.shop"]}}'
      Targets: [{{Arn: !GetAtt Worker.Arn, Id: worker}}]
  WorkerUrl:
    Type: AWS::Lambda::Url
    Properties: {{TargetFunctionArn: !GetAtt Worker.Arn, AuthType: NONE}}
  WorkerVersion:
    Type: AWS::Lambda::Version
    Properties: {{FunctionName: !Ref Worker}}
  Live:
    Type: AWS::Lambda::Alias
    Properties: {{FunctionName: !Ref Worker, Name: live, FunctionVersion: !GetAtt WorkerVersion.Version}}
  Permission:
    Type: AWS::Lambda::Permission
    Properties: {{FunctionName: !Ref Worker, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com}}
"""


def test_each_plain_resource_wires_its_source_to_the_function(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "template.yaml").write_text(TEMPLATE.format(out=out))
    server = api_server(project, "--async-delay-scale", "0.01")
    try:
        assert "not emulated" not in server.log(), "every resource here is read"
        sqs = server.aws_client("sqs")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="Jobs")["QueueUrl"], MessageBody="job-1")
        server.aws_client("sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:Alerts", Message="alert-1")
        server.aws_client("s3").put_object(Bucket="plain-uploads", Key="upload-1.txt", Body=b"x")
        server.aws_client("events").put_events(
            Entries=[{"Source": "com.shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"order": 1})}]
        )
        url = httpx.get(f"http://127.0.0.1:{server.api_port}/lambda-url/worker/hello", timeout=30)
        assert (url.status_code, url.text) == (200, "worked")
        aliases = server.client().list_aliases(FunctionName="worker")["Aliases"]
        assert [(a["Name"], a["FunctionVersion"]) for a in aliases] == [("live", "1")]

        def events() -> list[dict]:
            path = out / "events.jsonl"
            return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

        eventually(lambda: len(events()) >= 5, "the five events arrived")
    finally:
        server.stop()
    sources = {
        e["Records"][0].get("eventSource") or e["Records"][0].get("EventSource") for e in events() if "Records" in e
    }
    assert sources == {"aws:sqs", "aws:sns", "aws:s3"}
    by_source = {
        (e["Records"][0].get("eventSource") or e["Records"][0].get("EventSource")): e
        for e in events()
        if "Records" in e
    }
    assert by_source["aws:sqs"]["Records"][0]["body"] == "job-1"
    assert by_source["aws:sns"]["Records"][0]["Sns"]["Message"] == "alert-1"
    assert by_source["aws:s3"]["Records"][0]["s3"]["object"]["key"] == "upload-1.txt"
    rule = next(e for e in events() if e.get("source") == "com.shop")
    assert rule["detail"] == {"order": 1}
    assert any(e.get("rawPath") == "/hello" for e in events()), "the function URL's event"
