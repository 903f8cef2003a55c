"""Triggers delivered by a running host: schedules, S3 bucket folders, SNS topics, EventBridge
rules. Every delivered event parses with the matching Powertools parser model."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser import models

from lambdahost.template import TemplateError, load_project
from lambdahost.testing import eventually
from lambdahost.triggers.schedule import INVALID, parse
from server import LAMBDAHOST, Server, write_project

ACCEPTED = [
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(1 day)",
    "rate(7 days)",
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0/30 20-23 ? * MON-FRI *)",
    "cron(0/30 0-2 ? * MON-FRI *)",
    "cron(0 2 ? * SAT *)",
    "cron(0 12 * * ? *)",
    "cron(5,35 14 * * ? *)",
    "cron(15 10 ? * 6L 2002-2005)",
    "cron(0 2 ? * SAT#3 *)",
    "cron(* * ? * SAT#3 *)",
    "cron(0/5 5 ? JAN 1-5 2022)",
    "cron(0 20 * * ? *)",
    "cron(0 9 ? * 2#1 *)",
]
REJECTED = [
    "rate(10 seconds)",
    "rate(10 years)",
    "rate(1 minutes)",
    "rate(1 hours)",
    "rate(1 days)",
    "rate(10 minute)",
    "rate(10 hour)",
    "rate(10 day)",
    "rate()",
    "rate(10)",
    "rate(10 minutess)",
    "rate(foo minutes)",
    "rate(0 minutes)",
    "rate(-10 minutes)",
    "rate(10 MINUTES)",
    "rate( 10 minutes )",
    " rate(10 minutes)",
    "cron(0 1 * * * *)",
    "cron(7 20 * * NOT *)",
    "cron(INVALID)",
    "cron(0 dummy ? * MON-FRI *)",
    "cron(71 8 1 * ? *)",
    "cron(0 9 ? * 3#1,6#3 *)",
]


@pytest.mark.parametrize("expression", ACCEPTED)
def test_aws_accepts(expression: str) -> None:
    parse(expression)


@pytest.mark.parametrize("expression", REJECTED)
def test_aws_rejects(expression: str) -> None:
    with pytest.raises(ValueError, match=INVALID.replace(".", r"\.")):
        parse(expression)


UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0/15 * * * ? *)", dt.datetime(2026, 11, 27, 12, 15, tzinfo=UTC)),
        ("cron(0 8 1 * ? *)", dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("cron(0 18 ? * MON-FRI *)", dt.datetime(2026, 11, 27, 18, 0, tzinfo=UTC)),
        ("cron(0 2 ? * SAT#3 *)", dt.datetime(2026, 12, 19, 2, 0, tzinfo=UTC)),
        ("cron(0 9 ? * 6L *)", dt.datetime(2026, 12, 25, 9, 0, tzinfo=UTC)),
        ("cron(0 9 L * ? *)", dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
        ("cron(0 9 1W * ? *)", dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("cron(0 9 15W * ? 2027)", dt.datetime(2027, 1, 15, 9, 0, tzinfo=UTC)),
    ],
)
def test_cron_fires_on_the_minutes_it_names_in_utc(expression: str, expected: dt.datetime) -> None:
    assert parse(expression).next_after(NOW) == expected


def test_rate_counts_from_the_start() -> None:
    started = dt.datetime(2026, 11, 27, 11, 59, 0, tzinfo=UTC)
    assert parse("rate(5 minutes)").next_after(NOW, started) == dt.datetime(2026, 11, 27, 12, 4, tzinfo=UTC)


def test_template_schedules_are_validated(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent("""
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Events:
                Tick: {Type: Schedule, Properties: {Schedule: "rate(1 minutes)"}}
    """)
    )
    with pytest.raises(TemplateError, match=r"Fn\.Events\.Tick: Parameter ScheduleExpression is not valid\."):
        load_project(tmp_path / "template.yaml")


TEMPLATE = """
Globals:
  Function:
    CodeUri: src
    Handler: app.record
    Environment: {{Variables: {{OUT: {out}}}}}
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: uploads}}
  Alerts:
    Type: AWS::SNS::Topic
    Properties: {{TopicName: alerts}}
  OnUpload:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Images:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter: {{S3Key: {{Rules: [{{Name: prefix, Value: images/}}, {{Name: suffix, Value: .png}}]}}}}
        Removed: {{Type: S3, Properties: {{Bucket: !Ref Uploads, Events: [s3:ObjectRemoved:*]}}}}
  OnAlert:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Critical:
          Type: SNS
          Properties: {{Topic: !Ref Alerts, FilterPolicy: {{severity: [critical], size: [{{numeric: [">", 10]}}]}}}}
  OnAnyAlert:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        All: {{Type: SNS, Properties: {{Topic: !Ref Alerts}}}}
  OnOrder:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Big:
          Type: EventBridgeRule
          Properties:
            Pattern: {{source: [com.shop], detail-type: [OrderPlaced], detail: {{amount: [{{numeric: [">=", 100]}}]}}}}
        Custom:
          Type: EventBridgeRule
          Properties:
            Pattern: {{source: [{{prefix: com.sh}}]}}
            InputPath: $.detail
  Ticker:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Soon: {{Type: ScheduleV2, Properties: {{ScheduleExpression: "at({soon})", Input: '{{"tick": true}}'}}}}
        Hourly: {{Type: Schedule, Properties: {{Schedule: "rate(1 hour)"}}}}
"""

CODE = """
import json, os

def record(event, context):
    with open(os.path.join(os.environ["OUT"], context.function_name + ".jsonl"), "a") as out:
        out.write(json.dumps(event) + "\\n")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    soon = (dt.datetime.now(UTC) + dt.timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%S")
    return write_project(tmp_path, TEMPLATE.format(out=out, soon=soon), CODE)


def _received(project: Path, function: str) -> list[dict]:
    path = project / "out" / f"{function}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _wait_for(project: Path, function: str, count: int) -> list[dict]:
    """The events ``function`` received, once there are ``count``."""
    return eventually(
        lambda: len(events := _received(project, function)) >= count and events, f"{function} got {count} events"
    )


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LAMBDAHOST, *args, "--state-dir", str(project / ".lambdahost")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_triggers_deliver_real_shaped_events(project: Path) -> None:
    server = Server(project, "--async-delay-scale", "0.01", "--api-port", "0").start()
    try:
        # S3, in the local AWS: created objects pass the prefix/suffix filter, deletions all notify
        s3 = server.aws_client("s3")
        s3.put_object(Bucket="uploads", Key="images/red flower.png", Body=b"not really a png")
        s3.put_object(Bucket="uploads", Key="notes.txt", Body=b"filtered out")
        (s3_created,) = _wait_for(project, "OnUpload", 1)
        s3.delete_object(Bucket="uploads", Key="notes.txt")
        s3_events = _wait_for(project, "OnUpload", 2)

        # SNS: the filter policy decides who hears what
        critical = _cli(
            project,
            "sns",
            "publish",
            "alerts",
            "disk full",
            "--subject",
            "Disk",
            "--attribute",
            "severity=String:critical",
            "--attribute",
            "size=Number:42",
        )
        assert critical.returncode == 0, critical.stderr
        assert len(critical.stdout.splitlines()) == 2
        minor = _cli(project, "sns", "publish", "alerts", "disk a bit full", "--attribute", "severity=String:minor")
        assert len(minor.stdout.splitlines()) == 1
        on_alert = _wait_for(project, "OnAlert", 1)
        on_any = _wait_for(project, "OnAnyAlert", 2)

        # EventBridge: patterns, and InputPath
        big = _cli(
            project,
            "events",
            "put",
            "--source",
            "com.shop",
            "--detail-type",
            "OrderPlaced",
            "--detail",
            '{"amount": 250, "id": "o-1"}',
        )
        assert big.returncode == 0 and len(big.stdout.splitlines()) == 2
        small = _cli(
            project,
            "events",
            "put",
            "--source",
            "com.shop",
            "--detail-type",
            "OrderPlaced",
            "--detail",
            '{"amount": 5, "id": "o-2"}',
        )
        assert len(small.stdout.splitlines()) == 1
        nobody = _cli(project, "events", "put", "--source", "org.other", "--detail-type", "X")
        assert nobody.returncode != 0 and "no rule matches this event" in nobody.stderr
        orders = _wait_for(project, "OnOrder", 3)

        # Schedules: the ScheduleV2 at() fires on its own, with its Input
        (ticked,) = _wait_for(project, "Ticker", 1)
    finally:
        server.stop()

    assert s3_created["Records"][0]["eventName"] == "ObjectCreated:Put"
    created = s3_created["Records"][0]["s3"]
    assert created["bucket"]["name"] == "uploads" and created["bucket"]["arn"] == "arn:aws:s3:::uploads"
    assert created["object"]["key"] == "images/red+flower.png" and created["object"]["size"] == 16
    assert len(created["object"]["eTag"]) == 32 and created["object"]["sequencer"]
    removed = s3_events[1]["Records"][0]
    assert removed["eventName"] == "ObjectRemoved:Delete" and removed["s3"]["object"]["key"] == "notes.txt"
    assert "size" not in removed["s3"]["object"]
    for event in s3_events:
        models.S3Model.model_validate(event)

    sns = on_alert[0]["Records"][0]["Sns"]
    assert (sns["Message"], sns["Subject"], sns["TopicArn"]) == (
        "disk full",
        "Disk",
        "arn:aws:sns:us-east-1:123456789012:alerts",
    )
    assert sns["MessageAttributes"]["severity"] == {"Type": "String", "Value": "critical"}
    assert sorted(e["Records"][0]["Sns"]["Message"] for e in on_any) == ["disk a bit full", "disk full"]
    for event in on_alert + on_any:
        models.SnsModel.model_validate(event)

    envelopes = [e for e in orders if "detail-type" in e]
    details = [e for e in orders if "detail-type" not in e]
    assert len(envelopes) == 1 and envelopes[0]["detail"] == {"amount": 250, "id": "o-1"}
    assert envelopes[0]["source"] == "com.shop" and envelopes[0]["account"] == "123456789012"
    models.EventBridgeModel.model_validate(envelopes[0])
    assert sorted(d["id"] for d in details) == ["o-1", "o-2"], "InputPath $.detail delivers the detail alone"

    assert ticked == {"tick": True}


def test_schedule_run_fires_now(project: Path) -> None:
    result = _cli(project, "schedule", "run", "Ticker", "Hourly")
    assert result.returncode == 0, result.stderr
    (event,) = _received(project, "Ticker")
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/Ticker-Hourly"]
    assert event["time"].endswith("Z") and event["detail"] == {}
    models.EventBridgeModel.model_validate(event)
    missing = _cli(project, "schedule", "run", "OnOrder")
    assert missing.returncode != 0 and "has no schedule" in missing.stderr


def test_publish_and_put_events_over_http(project: Path) -> None:
    import httpx

    server = Server(project, "--async-delay-scale", "0.01", "--api-port", "0").start()
    try:
        published = httpx.post(
            f"{server.endpoint}/_lambdahost/sns/publish",
            json={"TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts", "Message": "over http"},
        )
        assert published.status_code == 200 and len(published.json()["RequestIds"]) == 1
        put = httpx.post(
            f"{server.endpoint}/_lambdahost/events/put",
            json={
                "Entries": [
                    {"Source": "com.shop", "DetailType": "OrderPlaced", "Detail": '{"amount": 500, "id": "h-1"}'}
                ]
            },
        )
        assert put.status_code == 200 and len(put.json()["RequestIds"]) == 2
        (alert,) = _wait_for(project, "OnAnyAlert", 1)
        orders = _wait_for(project, "OnOrder", 2)
    finally:
        server.stop()
    assert alert["Records"][0]["Sns"]["Message"] == "over http"
    assert {o["detail"]["id"] if "detail-type" in o else o["id"] for o in orders} == {"h-1"}
