"""Every sample event parses with the matching Powertools parser model (pydantic)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.data_classes import (
    AWSConfigRuleEvent,
    CodePipelineJobEvent,
    ConnectContactFlowEvent,
    KinesisFirehoseEvent,
)
from aws_lambda_powertools.utilities.parser import models

from lambdahost.samples import CATALOGUE, generate
from server import LAMBDAHOST

SAMPLES = [(service, event) for service, events in CATALOGUE.items() for event in events]

# Every service and event of `sam local generate-event`, from
# https://github.com/aws/aws-sam-cli/blob/develop/samcli/lib/generated_sample_events/event-mapping.json
SAM_CATALOGUE = {
    "alexa-skills-kit": (
        "end-session",
        "intent-answer",
        "intent-getnewfact",
        "intent-mycoloris",
        "intent-recipe",
        "start-session",
    ),
    "alexa-smart-home": (
        "smart-home-control-turn-off-request",
        "smart-home-control-turn-on-request",
        "smart-home-discovery-request",
    ),
    "alb": ("request",),
    "apigateway": ("authorizer", "request-authorizer", "aws-proxy", "http-api-proxy"),
    "appsync": ("resolver",),
    "batch": ("get-job", "submit-job"),
    "cloudformation": ("create-request",),
    "cloudfront": (
        "ab-test",
        "access-request-in-response",
        "http-redirect",
        "modify-querystring",
        "modify-response-header",
        "multiple-remote-calls-aggregate-response",
        "normalize-querystring-to-improve-cache-hit",
        "redirect-on-viewer-country",
        "redirect-unauthenticated-users",
        "response-generation",
        "serve-object-on-viewer-device",
        "simple-remote-call",
    ),
    "codecommit": ("repository",),
    "codepipeline": ("job",),
    "cognito": ("sync-trigger",),
    "config": ("item-change-notification", "oversized-item-change-notification", "periodic-rule"),
    "connect": ("contact-flow-event",),
    "dynamodb": ("update",),
    "cloudwatch": ("logs", "scheduled-event"),
    "kinesis": (
        "get-records",
        "kinesis-firehose",
        "analytics",
        "analytics-compressed",
        "analytics-dynamodb",
        "analytics-kpl",
        "apachelog",
        "cloudwatch-logs-processor",
        "streams-as-source",
        "syslog",
    ),
    "lex": ("book-car", "book-hotel", "make-appointment", "order-flowers"),
    "lex-v2": ("banking-bot", "book-car", "book-hotel"),
    "rekognition": ("s3-request",),
    "s3": ("batch-invocation", "delete", "put"),
    "sagemaker": ("ground-truth-pre-human", "ground-truth-annotation-consolidation"),
    "ses": ("email-receiving",),
    "sns": ("notification",),
    "sqs": ("receive-message",),
    "stepfunctions": ("error",),
    "workmail": ("email",),
}


@pytest.mark.parametrize(("service", "event"), SAMPLES, ids=[f"{s}-{e}" for s, e in SAMPLES])
def test_every_sample_is_plain_json_and_parses_with_its_powertools_model_if_there_is_one(
    service: str, event: str
) -> None:
    sample = CATALOGUE[service][event]
    generated = generate(service, event)
    assert json.loads(json.dumps(generated)) == generated  # plain JSON, as a trigger would send it
    if sample.model is not None:  # (those without are read by the data classes below)
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


def test_the_catalogue_has_every_sam_service_and_event() -> None:
    sam = {(service, event) for service, events in SAM_CATALOGUE.items() for event in events}
    assert sorted(sam - set(SAMPLES)) == []


def test_options_of_the_new_samples_change_their_values() -> None:
    edge = generate("cloudfront", "redirect-on-viewer-country", uri="/shop", querystring="a=1", country="FR")
    cf = edge["Records"][0]["cf"]
    request = cf["request"]
    assert (request["uri"], request["querystring"]) == ("/shop", "a=1") and cf["config"][
        "eventType"
    ] == "origin-request"
    assert request["headers"]["cloudfront-viewer-country"] == [{"key": "CloudFront-Viewer-Country", "value": "FR"}]
    device = generate("cloudfront", "serve-object-on-viewer-device", device="mobile")["Records"][0]["cf"]["request"]
    assert device["headers"]["cloudfront-is-mobile-viewer"][0]["value"] == "true"
    assert device["headers"]["cloudfront-is-desktop-viewer"][0]["value"] == "false"

    resolver = generate("appsync", "resolver", field="listPosts", arguments='{"limit": 5}', selection="id, title")
    assert (resolver["info"]["fieldName"], resolver["arguments"]) == ("listPosts", {"limit": 5})
    assert resolver["info"]["selectionSetList"] == ["id", "title"]

    bot = generate("lex-v2", "book-hotel", slots='{"Location": "Paris", "Nights": null}')
    assert bot["sessionState"]["intent"]["slots"]["Location"]["value"]["interpretedValue"] == "Paris"
    assert bot["proposedNextState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Nights"}
    fulfilled = generate("lex-v2", "book-hotel", slots='{"Location": "Paris"}', invocation_source="FulfillmentCodeHook")
    assert "proposedNextState" not in fulfilled
    assert fulfilled["sessionState"]["intent"]["state"] == "ReadyForFulfillment"

    alexa = generate("alexa-skills-kit", "intent-mycoloris", application_id="my-skill", color="green")
    assert alexa["session"]["application"]["applicationId"] == "amzn1.ask.skill.my-skill"
    assert alexa["request"]["intent"]["slots"]["Color"]["value"] == "green"

    call = generate("connect", "contact-flow-event", phone_number="+33100000000", region="eu-west-2")
    assert call["Details"]["ContactData"]["CustomerEndpoint"]["Address"] == "+33100000000"
    assert call["Details"]["ContactData"]["InstanceARN"].startswith("arn:aws:connect:eu-west-2:")

    (push,) = generate("codecommit", "repository", repository="shop", branch="release")["Records"]
    assert push["eventSourceARN"] == "arn:aws:codecommit:us-east-1:123456789012:shop"
    assert push["codecommit"]["references"][0]["ref"] == "refs/heads/release"

    change = generate("config", "item-change-notification", resource_type="AWS::S3::Bucket", resource_id="photos")
    item = json.loads(change["invokingEvent"])["configurationItem"]
    assert (item["resourceType"], item["ARN"]) == ("AWS::S3::Bucket", "arn:aws:s3:us-east-1:123456789012:bucket/photos")

    (compressed,) = generate("kinesis", "analytics-compressed", data="row")["records"]
    assert gzip.decompress(base64.b64decode(compressed["data"])) == b"row"
    (aggregated,) = generate("kinesis", "analytics-kpl", data="user record", count="3")["records"]
    kpl = base64.b64decode(aggregated["data"])
    body = kpl[4:-16]
    assert kpl[:4] == b"\xf3\x89\x9a\xc2" and kpl[-16:] == hashlib.md5(body).digest()
    assert body.count(b"user record") == 3

    mail = generate("workmail", "email", sender="ada@example.com", flow_direction="outbound")
    assert (mail["sender"]["address"], mail["flowDirection"]) == ("ada@example.com", "OUTBOUND")


def test_samples_without_a_parser_model_read_with_powertools_data_classes() -> None:
    job = CodePipelineJobEvent(generate("codepipeline", "job", input_bucket="artifacts", user_parameters="deploy"))
    assert (job.input_bucket_name, job.user_parameters) == ("artifacts", "deploy")
    for event, message_type in (
        ("item-change-notification", "ConfigurationItemChangeNotification"),
        ("oversized-item-change-notification", "OversizedConfigurationItemChangeNotification"),
        ("periodic-rule", "ScheduledNotification"),
    ):
        rule = AWSConfigRuleEvent(generate("config", event))
        assert rule.invoking_event.message_type == message_type
        assert rule.rule_parameters == {"desiredInstanceType": "t3.micro"}
    contact = ConnectContactFlowEvent(generate("connect", "contact-flow-event")).contact_data
    assert (
        contact.customer_endpoint.address == "+12065550123" and contact.media_streams.customer.audio.stream_arn is None
    )
    (record,) = KinesisFirehoseEvent(generate("kinesis", "cloudwatch-logs-processor", log_group="/app")).records
    assert json.loads(gzip.decompress(record.data_as_bytes))["logGroup"] == "/app"


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


def test_an_option_that_must_be_json_and_is_not_is_one_line() -> None:
    ran = subprocess.run(
        [LAMBDAHOST, "generate-event", "eventbridge", "event", "--detail", "{bad"], capture_output=True, text=True
    )
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert ran.stderr.strip().splitlines()[-1].startswith("Error: --detail is not JSON: ")
