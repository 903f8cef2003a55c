"""The template's resources, created in the local AWS from their CloudFormation properties as a
deploy would create them. Each start creates what is missing and leaves what is there (the data
kept from the last run); parameters take the template's value again, as a deploy sets it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from ..settings import HostSettings
from ..template.project import AwsResource, Project

log = logging.getLogger("lambdahost")


def provision(resources: Iterable[AwsResource], settings: HostSettings) -> None:
    """Create each resource in the AWS of ``settings``; one that cannot be created is logged with
    AWS's message, and the rest go on. What fails is tried again once the others exist: a queue
    whose RedrivePolicy names a dead-letter queue declared after it, as CloudFormation orders them."""
    from botocore.exceptions import ClientError

    clients: dict[str, Any] = {}

    def client(service: str):
        if service not in clients:
            clients[service] = settings.aws_client(service)
        return clients[service]

    pending, failed = list(resources), []
    for _ in range(2):
        failed = []
        for resource in pending:
            try:
                _CREATORS[resource.type](client, resource, settings.region)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in _ALREADY_THERE:
                    failed.append((resource, exc))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("local AWS: %s (%s) has properties it cannot be created from: %s", *_named(resource), exc)
        pending = [resource for resource, _ in failed]
    for resource, exc in failed:
        log.warning("local AWS: %s (%s) was not created: %s", *_named(resource), exc)


def _named(resource: AwsResource) -> tuple[str, str]:
    return resource.logical_id, resource.type


_ALREADY_THERE = {
    "ResourceInUseException",  # DynamoDB, Kinesis
    "BucketAlreadyOwnedByYou",
    "BucketAlreadyExists",
    "QueueAlreadyExists",
    "ResourceExistsException",  # Secrets Manager
    "ResourceAlreadyExistsException",  # EventBridge
}


def _table(client: Callable, resource: AwsResource, region: str) -> None:
    props = resource.properties
    request: dict[str, Any] = {
        "TableName": resource.name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "SSESpecification", "TableClass"):
        if key in props:
            request[key] = props[key]
    if "ProvisionedThroughput" in props:
        request["ProvisionedThroughput"] = _integers(props["ProvisionedThroughput"])
        request["BillingMode"] = props.get("BillingMode", "PROVISIONED")
    else:
        request["BillingMode"] = "PAY_PER_REQUEST"
    if "StreamSpecification" in props:
        request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    client("dynamodb").create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        client("dynamodb").update_time_to_live(TableName=resource.name, TimeToLiveSpecification=ttl)


def _simple_table(client: Callable, resource: AwsResource, region: str) -> None:
    """SAM's table of one string (or number, or binary) key."""
    key = resource.properties.get("PrimaryKey") or {"Name": "id", "Type": "String"}
    kind = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
    props = {
        "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}],
    }
    if "ProvisionedThroughput" in resource.properties:
        props["ProvisionedThroughput"] = resource.properties["ProvisionedThroughput"]
    _table(client, AwsResource(resource.logical_id, resource.type, resource.name, props), region)


def _bucket(client: Callable, resource: AwsResource, region: str) -> None:
    options = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    client("s3").create_bucket(Bucket=resource.name, **options)


def _queue(client: Callable, resource: AwsResource, region: str) -> None:
    """The queue's attributes, for calls that read them; its messages live in lambdahost's queue store."""
    props = resource.properties
    attributes = {
        key: _attribute(props[key])
        for key in (
            "VisibilityTimeout",
            "DelaySeconds",
            "MessageRetentionPeriod",
            "MaximumMessageSize",
            "ReceiveMessageWaitTimeSeconds",
            "FifoQueue",
            "ContentBasedDeduplication",
            "RedrivePolicy",
        )
        if key in props
    }
    client("sqs").create_queue(QueueName=resource.name, Attributes=attributes)


def _topic(client: Callable, resource: AwsResource, region: str) -> None:
    props = resource.properties
    attributes = {k: _attribute(props[k]) for k in ("FifoTopic", "ContentBasedDeduplication") if k in props}
    client("sns").create_topic(Name=resource.name, Attributes=attributes)


def _parameter(client: Callable, resource: AwsResource, region: str) -> None:
    props = resource.properties
    client("ssm").put_parameter(
        Name=resource.name, Value=str(props["Value"]), Type=props.get("Type", "String"), Overwrite=True
    )


def _secret(client: Callable, resource: AwsResource, region: str) -> None:
    """A secret keeps the value it was created with: a generated one stays the same across starts."""
    props = resource.properties
    secrets = client("secretsmanager")
    if "SecretString" in props:
        value = str(props["SecretString"])
    else:
        generate = props.get("GenerateSecretString") or {}
        options = {
            k: generate[k]
            for k in (
                "PasswordLength",
                "ExcludeCharacters",
                "ExcludeNumbers",
                "ExcludePunctuation",
                "ExcludeUppercase",
                "ExcludeLowercase",
                "IncludeSpace",
                "RequireEachIncludedType",
            )
            if k in generate
        }
        value = secrets.get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in generate and "GenerateStringKey" in generate:
            value = json.dumps({**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: value})
    secrets.create_secret(Name=resource.name, SecretString=value)


def _stream(client: Callable, resource: AwsResource, region: str) -> None:
    client("kinesis").create_stream(StreamName=resource.name, ShardCount=int(resource.properties.get("ShardCount", 1)))


def _event_bus(client: Callable, resource: AwsResource, region: str) -> None:
    client("events").create_event_bus(Name=resource.name)


def _attribute(value: Any) -> str:
    """An attribute as SQS and SNS take them: text, JSON for a policy."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _integers(values: dict) -> dict:
    return {k: int(v) for k, v in values.items()}


_CREATORS = {
    "AWS::DynamoDB::Table": _table,
    "AWS::Serverless::SimpleTable": _simple_table,
    "AWS::S3::Bucket": _bucket,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::SSM::Parameter": _parameter,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Kinesis::Stream": _stream,
    "AWS::Events::EventBus": _event_bus,
}


class TemplateResources:
    """The template's resources in the AWS of ``settings`` (an emulator), created once for each
    reading of the template (a reload may add some); calls wait for it."""

    def __init__(self, settings: HostSettings, start: Callable[[], None] = lambda: None) -> None:
        """``start``: starts the endpoint's process, if it has one to start (``LocalAws.start``)."""
        self._settings = settings
        self._start = start
        self._for: object = None  # the project last provisioned
        self._done: asyncio.Future | None = None

    async def ready(self, project: Project | None) -> None:
        self._start()
        if project is not None and project is not self._for:
            self._for = project
            self._done = asyncio.ensure_future(asyncio.to_thread(provision, project.resources, self._settings))
        if self._done is not None:
            await asyncio.shield(self._done)
