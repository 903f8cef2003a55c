"""A look at what the template's resources hold, for the console: a table's first items, a
bucket's first objects, a queue's waiting messages, a topic's subscribers. Read as a user would
with the SDK, through lambdahost's endpoint (which starts the local AWS if it is not up)."""

from __future__ import annotations

from typing import Any

from ..settings import HostSettings
from ..store.queues import QueueStore
from ..template.project import AwsResource, Project

FIRST = 25  # items, objects or messages shown


def summary(project: Project) -> list[dict[str, str]]:
    return [summary_of(resource) for resource in project.resources]


def summary_of(resource: AwsResource) -> dict[str, str]:
    return {"logicalId": resource.logical_id, "type": resource.type, "name": resource.name}


def look(resource: AwsResource, project: Project, settings: HostSettings, queues: QueueStore) -> dict[str, Any]:
    """``{"columns": [...], "rows": [[...], ...], "count": n or None}``, the rows at most FIRST."""
    kind = resource.type
    if kind == "AWS::SQS::Queue":
        messages = queues.peek(resource.name)
        rows = [[m.message_id, m.body, m.receive_count] for m in messages[:FIRST]]
        return {"columns": ["MessageId", "Body", "Receives"], "rows": rows, "count": len(messages)}
    if kind == "AWS::SNS::Topic":
        rows = [
            [definition.config.name, source.name]
            for definition in project.functions.values()
            for source in definition.events
            if source.type == "SNS" and str(source.properties.get("Topic", "")).endswith(f":{resource.name}")
        ]
        return {"columns": ["Subscribed function", "Event"], "rows": rows, "count": len(rows)}
    client = _client(settings, kind)
    if kind in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
        from boto3.dynamodb.types import TypeDeserializer

        plain = TypeDeserializer()
        scanned = client.scan(TableName=resource.name, Limit=FIRST)["Items"]
        items = [{k: plain.deserialize(v) for k, v in item.items()} for item in scanned]
        columns = sorted({key for item in items for key in item})
        rows = [[_text(item.get(c, "")) for c in columns] for item in items]
        count = client.describe_table(TableName=resource.name)["Table"].get("ItemCount")
        return {"columns": columns, "rows": rows, "count": count}
    if kind == "AWS::S3::Bucket":
        listed = client.list_objects_v2(Bucket=resource.name, MaxKeys=FIRST)
        rows = [[o["Key"], o["Size"], o["LastModified"].isoformat()] for o in listed.get("Contents", [])]
        return {"columns": ["Key", "Size", "Last modified"], "rows": rows, "count": listed.get("KeyCount")}
    return {"columns": [], "rows": [], "count": None}


_SERVICES = {"AWS::DynamoDB::Table": "dynamodb", "AWS::Serverless::SimpleTable": "dynamodb", "AWS::S3::Bucket": "s3"}


def _client(settings: HostSettings, kind: str):
    import boto3

    credentials = settings.function_credentials or {}
    return boto3.client(
        _SERVICES[kind],
        endpoint_url=settings.function_endpoint_url,
        region_name=settings.region,
        aws_access_key_id=credentials.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=credentials.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
