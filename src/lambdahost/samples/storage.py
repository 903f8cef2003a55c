"""Amazon S3: object notifications and Batch Operations tasks."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

from .common import REGION, Catalogue, Sample, b64, now_iso


def s3_event(event_name: str) -> Callable[..., dict]:
    """A notification of ``event_name`` (``ObjectCreated:Put``...); removals carry no size or ETag."""

    def build(bucket: str, key: str, size: str, region: str, partition: str) -> dict:
        obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "sequencer": "0A1B2C3D4E5F678901"}
        if event_name.startswith("ObjectCreated"):
            obj.update(size=int(size), eTag=hashlib.md5(key.encode()).hexdigest())
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": region,
                    "eventTime": now_iso(),
                    "eventName": event_name,
                    "userIdentity": {"principalId": "EXAMPLE"},
                    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                    "responseElements": {
                        "x-amz-request-id": "EXAMPLE123456789",
                        "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
                    },
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "testConfigRule",
                        "bucket": {
                            "name": bucket,
                            "ownerIdentity": {"principalId": "EXAMPLE"},
                            "arn": f"arn:{partition}:s3:::{bucket}",
                        },
                        "object": obj,
                    },
                }
            ]
        }

    return build


def s3_batch_invocation(bucket: str, key: str, region: str) -> dict:
    return {
        "invocationSchemaVersion": "1.0",
        "invocationId": b64(uuid.uuid4().bytes),
        "job": {"id": str(uuid.uuid4())},
        "tasks": [
            {
                "taskId": b64(uuid.uuid4().bytes),
                "s3Key": key,
                "s3VersionId": None,
                "s3BucketArn": f"arn:aws:s3:::{bucket}",
            }
        ],
    }


S3_OPTIONS = {"bucket": "example-bucket", "key": "test/key", "size": "1024", "region": REGION, "partition": "aws"}

SAMPLES: Catalogue = {
    "s3": {
        name: Sample(s3_event(event_name), dict(S3_OPTIONS), f"S3 {event_name}", "S3Model")
        for name, event_name in (("put", "ObjectCreated:Put"), ("delete", "ObjectRemoved:Delete"))
    }
    | {
        "batch-invocation": Sample(
            s3_batch_invocation,
            {"bucket": "example-bucket", "key": "test/key", "region": REGION},
            "S3 Batch Operations task",
            "S3BatchOperationModel",
        )
    },
}
