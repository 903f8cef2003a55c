"""Real applications run unchanged: a template's tables, buckets, queues, topics, parameters and
secrets exist in the local AWS that ``serve`` gives every function, the triggers fire on the
calls handlers make there, and nothing is lost across a restart. Every end state is read back
through the one endpoint, with boto3, as a user would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import boto3
import httpx
import pytest

from lambdahost.testing import eventually
from server import ITEMS_TABLE, LAMBDAHOST, Server, api_server, write_project

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src
    Runtime: python3.11
    Timeout: 10
    Environment:
      Variables:
        TABLE: !Ref Items
        OUTPUT_BUCKET: !Ref Results
        JOBS_URL: !Ref Jobs
        OUTBOX_URL: !GetAtt Outbox.QueueUrl
        ALERTS_ARN: !Ref Alerts
        PARAMETER: !Ref Greeting
        SECRET: !Ref ApiKey
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      BillingMode: PAY_PER_REQUEST
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Uploads:
    Type: AWS::S3::Bucket
  Results:
    Type: AWS::S3::Bucket
    Properties: {BucketName: results}
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 20}
  Outbox:
    Type: AWS::SQS::Queue
  Alerts:
    Type: AWS::SNS::Topic
  Greeting:
    Type: AWS::SSM::Parameter
    Properties: {Name: /shop/greeting, Type: String, Value: hello from ssm}
  ApiKey:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: shop/api-key, SecretString: '{"key": "s3cr3t"}'}
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.api
      Events:
        Create: {Type: HttpApi, Properties: {Path: /items, Method: POST}}
        List: {Type: HttpApi, Properties: {Path: /items, Method: GET}}
        Get: {Type: HttpApi, Properties: {Path: "/items/{id}", Method: GET}}
        Delete: {Type: HttpApi, Properties: {Path: "/items/{id}", Method: DELETE}}
  Thumbnail:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.thumbnail
      Events:
        Upload: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: s3:ObjectCreated:*}}
  Producer:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.produce}
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.consume
      Events:
        Work:
          Type: SQS
          Properties: {Queue: !GetAtt Jobs.Arn, BatchSize: 5, FunctionResponseTypes: [ReportBatchItemFailures]}
  OnChange:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.on_change
      Events:
        Stream: {Type: DynamoDB, Properties: {Stream: !GetAtt Items.StreamArn, StartingPosition: TRIM_HORIZON}}
  Publisher:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.publish}
  Pager:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.record
      Events:
        Alert: {Type: SNS, Properties: {Topic: !Ref Alerts}}
  Mailer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.record
      Events:
        Alert: {Type: SNS, Properties: {Topic: !Ref Alerts}}
  Shipping:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.record
      Events:
        Order: {Type: EventBridgeRule, Properties: {Pattern: {source: [com.shop], detail-type: [OrderPlaced]}}}
  Settings:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.settings}
"""

CODE = """
import json, os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
s3 = boto3.client("s3")
sqs = boto3.client("sqs")
# Read at init, as real functions read their configuration.
GREETING = boto3.client("ssm").get_parameter(Name=os.environ["PARAMETER"])["Parameter"]["Value"]
API_KEY = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SECRET"])["SecretString"])


def api(event, context):
    method, item_id = event["requestContext"]["http"]["method"], (event.get("pathParameters") or {}).get("id")
    if method == "POST":
        item = json.loads(event["body"])
        table.put_item(Item=item)
        return {"statusCode": 201, "body": json.dumps(item)}
    if method == "GET" and item_id:
        found = table.get_item(Key={"id": item_id}).get("Item")
        body = json.dumps(found or {"message": "not found"}, default=int)  # numbers come back as Decimal
        return {"statusCode": 200 if found else 404, "body": body}
    if method == "DELETE":
        table.delete_item(Key={"id": item_id})
        return {"statusCode": 204}
    items = [i for i in table.scan()["Items"] if not i["id"].startswith("job:")]
    return {"statusCode": 200, "body": json.dumps(sorted(i["id"] for i in items))}


def thumbnail(event, context):
    for record in event["Records"]:
        bucket, key = record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=os.environ["OUTPUT_BUCKET"], Key="thumbs/" + key, Body=body.upper())


def produce(event, context):
    entries = [{"Id": str(n), "MessageBody": json.dumps({"n": n})} for n in event["numbers"]]
    sqs.send_message_batch(QueueUrl=os.environ["JOBS_URL"], Entries=entries)
    for n in event.get("outbox", []):
        sqs.send_message(QueueUrl=os.environ["OUTBOX_URL"], MessageBody=f"outbox {n}")


def consume(event, context):
    failures = []
    for record in event["Records"]:
        n = json.loads(record["body"])["n"]
        if n == 3 and record["attributes"]["ApproximateReceiveCount"] == "1":
            failures.append({"itemIdentifier": record["messageId"]})  # done on its second delivery
            continue
        table.put_item(Item={"id": f"job:{n}", "attempts": int(record["attributes"]["ApproximateReceiveCount"])})
    return {"batchItemFailures": failures}


def on_change(event, context):
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["id"]["S"]
        s3.put_object(Bucket=os.environ["OUTPUT_BUCKET"], Key=f"changes/{record['eventName']}/{key}", Body=b"")


def publish(event, context):
    boto3.client("sns").publish(TopicArn=os.environ["ALERTS_ARN"], Message=event["alert"], Subject="shop")
    boto3.client("events").put_events(
        Entries=[{"Source": "com.shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"order": event["order"]})}]
    )


def record(event, context):
    key = f"heard/{context.function_name}/{context.aws_request_id}"
    s3.put_object(Bucket=os.environ["OUTPUT_BUCKET"], Key=key, Body=json.dumps(event))


def settings(event, context):
    return {"greeting": GREETING, "key": API_KEY["key"]}
"""


def _keys(server: Server, prefix: str) -> list[str]:
    listed = server.aws_client("s3").list_objects_v2(Bucket="results", Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, TEMPLATE, CODE)


def test_an_application_of_many_services_runs_unchanged_and_survives_a_restart(project: Path) -> None:
    server = api_server(project, "--async-delay-scale", "0.01")
    try:
        api = f"http://127.0.0.1:{server.api_port}"
        lambda_client = server.client()

        # An API over a DynamoDB table: create, get, list, delete.
        for item in ({"id": "apple", "price": 3}, {"id": "pear", "price": 5}):
            assert httpx.post(f"{api}/items", json=item, timeout=30).status_code == 201
        assert httpx.get(f"{api}/items/apple", timeout=30).json() == {"id": "apple", "price": 3}
        assert httpx.delete(f"{api}/items/pear", timeout=30).status_code == 204
        assert httpx.get(f"{api}/items", timeout=30).json() == ["apple"]
        assert httpx.get(f"{api}/items/pear", timeout=30).status_code == 404

        # The table's stream: each change reaches OnChange, which writes to a bucket.
        eventually(lambda: _keys(server, "changes/REMOVE/") == ["changes/REMOVE/pear"], "the removal was streamed")
        assert _keys(server, "changes/INSERT/") == ["changes/INSERT/apple", "changes/INSERT/pear"]

        # An upload, from outside, processed by a function that writes to another bucket.
        server.aws_client("s3").put_object(Bucket="uploads", Key="photos/cat.txt", Body=b"meow")
        eventually(lambda: _keys(server, "thumbs/"), "the upload was processed")
        thumb = server.aws_client("s3").get_object(Bucket="results", Key="thumbs/photos/cat.txt")["Body"].read()
        assert thumb == b"MEOW"

        # A producer function feeding a consumer through a queue, one message failing once.
        produced = lambda_client.invoke(FunctionName="Producer", Payload=json.dumps({"numbers": [1, 2, 3, 4, 5]}))
        assert "FunctionError" not in produced, produced["Payload"].read()
        table = server.aws_client("dynamodb")

        def jobs() -> dict[str, str]:
            items = table.scan(TableName="Items")["Items"]
            return {i["id"]["S"]: i["attempts"]["N"] for i in items if i["id"]["S"].startswith("job:")}

        done = eventually(lambda: len(jobs()) == 5 and jobs(), "the five jobs were done")
        assert done == {"job:1": "1", "job:2": "1", "job:3": "2", "job:4": "1", "job:5": "1"}

        # SNS fan-out to two functions, and an EventBridge event to a rule's target.
        published = lambda_client.invoke(
            FunctionName="Publisher", Payload=json.dumps({"alert": "low stock", "order": 7})
        )
        assert "FunctionError" not in published, published["Payload"].read()
        heard = eventually(
            lambda: len(_keys(server, "heard/")) == 3 and _keys(server, "heard/"), "the three messages were heard"
        )
        assert sorted(key.split("/")[1] for key in heard) == ["Mailer", "Pager", "Shipping"]
        s3 = server.aws_client("s3")
        by_function = {
            key.split("/")[1]: json.loads(s3.get_object(Bucket="results", Key=key)["Body"].read()) for key in heard
        }
        assert by_function["Pager"]["Records"][0]["Sns"]["Message"] == "low stock"
        assert by_function["Mailer"]["Records"][0]["Sns"]["Subject"] == "shop"
        assert by_function["Shipping"]["detail"] == {"order": 7} and by_function["Shipping"]["source"] == "com.shop"

        # A parameter and a secret, read at init.
        settings = json.loads(lambda_client.invoke(FunctionName="Settings")["Payload"].read())
        assert settings == {"greeting": "hello from ssm", "key": "s3cr3t"}

        # The console lists the resources, with a look at what they hold.
        console = f"{server.endpoint}/console/api/resources"
        listed = {r["logicalId"]: r["type"] for r in httpx.get(console, timeout=30).json()["resources"]}
        assert listed["Items"] == "AWS::DynamoDB::Table" and {"Uploads", "Jobs", "Alerts", "ApiKey"} <= set(listed)
        items = httpx.get(f"{console}/Items", timeout=30).json()
        assert ["apple", "3"] in [[row[items["columns"].index(c)] for c in ("id", "price")] for row in items["rows"]]
        results = httpx.get(f"{console}/Results", timeout=30).json()
        assert "thumbs/photos/cat.txt" in [row[0] for row in results["rows"]]
        subscribers = httpx.get(f"{console}/Alerts", timeout=30).json()["rows"]
        assert sorted(row[0] for row in subscribers) == ["Mailer", "Pager"]

        # Messages for a queue nothing consumes wait there, as on SQS.
        lambda_client.invoke(FunctionName="Producer", Payload=json.dumps({"numbers": [], "outbox": [1, 2]}))
    finally:
        server.stop()

    # A restart loses nothing: the table, the buckets, the waiting messages, the parameter.
    server = Server(project, "--api-port", "0", "--no-watch").start()
    try:
        assert server.aws_client("dynamodb").get_item(TableName="Items", Key={"id": {"S": "apple"}})["Item"][
            "price"
        ] == {"N": "3"}
        assert "thumbs/photos/cat.txt" in _keys(server, "thumbs/")
        sqs = server.aws_client("sqs")
        outbox = sqs.get_queue_url(QueueName="Outbox")["QueueUrl"]
        received = sqs.receive_message(QueueUrl=outbox, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
        assert sorted(m["Body"] for m in received) == ["outbox 1", "outbox 2"]
        sqs.delete_message_batch(
            QueueUrl=outbox,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)],
        )
        assert "Messages" not in sqs.receive_message(QueueUrl=outbox, VisibilityTimeout=0)
        settings = json.loads(server.client().invoke(FunctionName="Settings")["Payload"].read())
        assert settings["greeting"] == "hello from ssm"
    finally:
        server.stop()


def test_lambdahost_invoke_gets_the_same_local_aws_with_or_without_a_serve(tmp_path: Path) -> None:
    """A one-shot invoke runs a local AWS of its own on the state folder's data, or, when a serve
    runs on that folder, calls the serve's (so its triggers fire too)."""
    template = (
        ITEMS_TABLE
        + """
  Put:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.put, Environment: {Variables: {TABLE: !Ref Items}}}
"""
    )
    code = """
    import boto3, os

    def put(event, context):
        table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
        table.put_item(Item={"id": event["id"]})
        return sorted(item["id"] for item in table.scan()["Items"])
    """
    project = write_project(tmp_path, template, code)

    def invoke(item: str) -> list[str]:
        ran = subprocess.run(
            [LAMBDAHOST, "invoke", "Put", "--payload", json.dumps({"id": item})],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr
        return json.loads(ran.stdout)

    assert invoke("first") == ["first"]
    assert invoke("second") == ["first", "second"], "the data of the last run is kept"
    server = Server(project, "--api-port", "0", "--no-watch").start()
    try:
        assert invoke("third") == ["first", "second", "third"]
        scanned = server.aws_client("dynamodb").scan(TableName="Items")["Items"]
        assert sorted(i["id"]["S"] for i in scanned) == ["first", "second", "third"], "one AWS for both"
    finally:
        server.stop()


WHO = """
import json, os, boto3

def handler(event, context):
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL")
    seen = {k: os.environ.get(k) for k in keys}
    if event.get("table"):
        try:
            boto3.client("dynamodb").put_item(TableName=event["table"], Item={"id": {"S": "from-the-function"}})
        except Exception as exc:
            seen["error"] = str(exc)
    return seen
"""
WHO_TEMPLATE = """
Resources:
  Who:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler}
"""


def test_the_callers_credentials_never_reach_a_function_unasked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAMYOWNKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "my-own-secret")
    server = Server(write_project(tmp_path, WHO_TEMPLATE, WHO), "--api-port", "0", "--no-watch").start()
    try:
        seen = json.loads(server.client().invoke(FunctionName="Who")["Payload"].read())
    finally:
        server.stop()
    assert seen["AWS_ACCESS_KEY_ID"] == "local" and seen["AWS_SECRET_ACCESS_KEY"] == "local"
    assert seen["AWS_ENDPOINT_URL"] == server.endpoint and seen["AWS_REGION"] == "us-east-1"


def test_aws_itself_when_asked_gets_the_profiles_credentials_and_region(tmp_path: Path, monkeypatch, moto) -> None:
    """``--aws-endpoint-url aws --profile dev``: a moto server plays AWS, reached through the
    function's own AWS_ENDPOINT_URL (an --env-vars variable), signed with the profile's key."""
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws" / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-secret\n"
    )
    (tmp_path / "aws" / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws" / "config"))
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # (botocore prefers it to the profile's region)
    project = write_project(tmp_path / "project", WHO_TEMPLATE, WHO)
    (project / "env.json").write_text(json.dumps({"Who": {"AWS_ENDPOINT_URL": moto}}))
    dynamodb = boto3.client("dynamodb", endpoint_url=moto, region_name="eu-west-1")
    dynamodb.create_table(
        TableName="Real",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    arguments = ("--aws-endpoint-url", "aws", "--profile", "dev", "--env-vars", "env.json")
    server = Server(project, "--api-port", "0", "--no-watch", *arguments).start()
    try:
        answer = server.client().invoke(FunctionName="Who", Payload=json.dumps({"table": "Real"}))
        seen = json.loads(answer["Payload"].read())
    finally:
        server.stop()
    assert (seen["AWS_ACCESS_KEY_ID"], seen["AWS_SECRET_ACCESS_KEY"]) == ("AKIADEV", "dev-secret")
    assert seen["AWS_REGION"] == "eu-west-1", "the profile's region, as no --region was given"
    assert seen["AWS_ENDPOINT_URL"] == moto, "lambdahost passes no endpoint of its own for AWS itself"
    assert "error" not in seen, seen["error"]
    assert dynamodb.get_item(TableName="Real", Key={"id": {"S": "from-the-function"}})["Item"]


def test_data_survives_serve_killed_with_sigkill(tmp_path: Path) -> None:
    """The local AWS notices its host is gone, saves and ends; the next serve waits for that state."""
    project = write_project(tmp_path, ITEMS_TABLE, "def handler(e, c):\n    return 1\n")
    server = Server(project, "--api-port", "0", "--no-watch").start()
    server.aws_client("dynamodb").put_item(TableName="Items", Item={"id": {"S": "kept"}})
    server.kill()
    again = Server(project, "--api-port", "0", "--no-watch").start()
    try:
        assert again.aws_client("dynamodb").get_item(TableName="Items", Key={"id": {"S": "kept"}})["Item"]
    finally:
        again.stop()


def test_an_emulator_of_the_users_own_gets_the_resources_and_the_triggers_still_fire(tmp_path: Path, moto: str) -> None:
    """--aws-endpoint-url URL: the template's resources are made there, calls go there through
    lambdahost's endpoint, and an upload still reaches the bucket's function."""
    template = """
    Resources:
      Uploads:
        Type: AWS::S3::Bucket
        Properties: {BucketName: their-uploads}
      OnUpload:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
          Events:
            Up:
              Type: S3
              Properties:
                Bucket: !Ref Uploads
                Events: s3:ObjectCreated:*
                # (what the function writes to the bucket would otherwise call it again, as on AWS)
                Filter: {S3Key: {Rules: [{Name: prefix, Value: incoming/}]}}
    """
    code = """
    import boto3

    def handler(event, context):
        key = event["Records"][0]["s3"]["object"]["key"]
        boto3.client("s3").put_object(Bucket="their-uploads", Key="seen/" + key, Body=b"")
    """
    project = write_project(tmp_path, template, code)
    server = Server(project, "--api-port", "0", "--no-watch", "--aws-endpoint-url", moto).start()
    try:
        server.aws_client("s3").put_object(Bucket="their-uploads", Key="incoming/photo.jpg", Body=b"x")
        theirs = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
        eventually(
            lambda: "Contents" in theirs.list_objects_v2(Bucket="their-uploads", Prefix="seen/"),
            "their upload was seen",
        )
        keys = [o["Key"] for o in theirs.list_objects_v2(Bucket="their-uploads")["Contents"]]
        assert sorted(keys) == ["incoming/photo.jpg", "seen/incoming/photo.jpg"]
        assert not (project / ".lambdahost" / "aws.state").exists(), "no local AWS of lambdahost's own"
    finally:
        server.stop()


def test_an_object_stored_gzipped_comes_back_as_stored(tmp_path: Path) -> None:
    """The endpoint passes bodies as they are: an object put with Content-Encoding gzip is read
    back gzipped, with its header (boto3 leaves decoding to the caller, as S3 does)."""
    import gzip

    server = Server(
        write_project(tmp_path, ITEMS_TABLE, "def handler(e, c):\n    return 1\n"), "--api-port", "0"
    ).start()
    try:
        s3 = server.aws_client("s3")
        s3.create_bucket(Bucket="site")
        packed = gzip.compress(b"<html>hello</html>")
        s3.put_object(Bucket="site", Key="index.html", Body=packed, ContentEncoding="gzip")
        got = s3.get_object(Bucket="site", Key="index.html")
        assert got["ContentEncoding"] == "gzip" and got["Body"].read() == packed
    finally:
        server.stop()
