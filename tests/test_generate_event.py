"""Every sample event parses with the matching Powertools parser model (pydantic)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser import models

from lambdahost.events.samples import CATALOGUE, generate
from server import LAMBDAHOST

SAMPLES = [(service, event) for service, events in CATALOGUE.items() for event in events]


@pytest.mark.parametrize(("service", "event"), SAMPLES, ids=[f"{s}-{e}" for s, e in SAMPLES])
def test_every_sample_parses_with_its_powertools_model(service: str, event: str) -> None:
    sample = CATALOGUE[service][event]
    generated = generate(service, event)
    json.dumps(generated)  # plain JSON, as a trigger would send it
    if sample.model is None:
        pytest.skip(f"Powertools has no model for {service} {event}")
    getattr(models, sample.model).model_validate(generated)


def test_options_change_the_values_users_change() -> None:
    put = generate("s3", "put", bucket="photos", key="holiday/red flower.jpg", size="42")
    record = put["Records"][0]["s3"]
    assert record["bucket"] == {
        "name": "photos",
        "ownerIdentity": {"principalId": "EXAMPLE"},
        "arn": "arn:aws:s3:::photos",
    }
    assert record["object"]["key"] == "holiday/red+flower.jpg" and record["object"]["size"] == 42
    delete = generate("s3", "delete")["Records"][0]["s3"]["object"]
    assert "size" not in delete and "eTag" not in delete
    proxy = generate(
        "apigateway", "aws-proxy", method="post", path="/orders/7", resource="/orders/{id}", body='{"a": 1}'
    )
    assert (proxy["httpMethod"], proxy["pathParameters"], proxy["body"]) == ("POST", {"id": "7"}, '{"a": 1}')
    sqs = generate("sqs", "receive-message", queue="jobs", body="payload")
    assert sqs["Records"][0]["eventSourceARN"].endswith(":jobs") and sqs["Records"][0]["body"] == "payload"
    with pytest.raises(ValueError, match="has no option nope"):
        generate("sqs", "receive-message", nope="x")


def test_cli_prints_the_event() -> None:
    command = [
        str(Path(sys.executable).parent / "lambdahost"),
        "generate-event",
        "sns",
        "notification",
        "--topic",
        "alerts",
        "--message",
        "disk full",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    notification = json.loads(result.stdout)["Records"][0]["Sns"]
    assert notification["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert notification["Message"] == "disk full"
    models.SnsModel.model_validate(json.loads(result.stdout))


def test_an_unknown_service_or_sample_is_one_line_naming_those_that_exist() -> None:
    for args, expected in (
        (["nope"], f"Error: no sample events of 'nope': there are {', '.join(sorted(CATALOGUE))}"),
        (["s3", "nope"], f"Error: no s3 sample 'nope': there are {', '.join(sorted(CATALOGUE['s3']))}"),
    ):
        ran = subprocess.run([LAMBDAHOST, "generate-event", *args], capture_output=True, text=True)
        assert ran.returncode == 2 and ran.stderr.strip() == expected
