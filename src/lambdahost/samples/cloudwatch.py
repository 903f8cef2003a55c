"""CloudWatch and EventBridge (once CloudWatch Events): scheduled and custom events, and CloudWatch
Logs subscription deliveries."""

from __future__ import annotations

import gzip
import json
import uuid

from .common import ACCOUNT, REGION, Catalogue, Sample, arn, b64, json_option, now_iso, now_ms


def _event(source: str, detail_type: str, detail: dict, region: str, resources: tuple[str, ...] = ()) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": now_iso(millis=False),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }


def eventbridge_event(source: str, detail_type: str, detail: str, region: str) -> dict:
    return _event(source, detail_type, json_option(detail, "detail"), region)


def scheduled_event(rule: str, region: str) -> dict:
    return _event("aws.events", "Scheduled Event", {}, region, (arn("events", region, f"rule/{rule}"),))


def logs_data(log_group: str, message: str) -> bytes:
    """A CloudWatch Logs subscription's delivery, gzipped, as it reaches Lambda, Firehose or Kinesis."""
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": log_group,
        "logStream": "2026/01/01/[$LATEST]abcdef0123456789",
        "subscriptionFilters": ["filter"],
        "logEvents": [{"id": "1", "timestamp": now_ms(), "message": message}],
    }
    return gzip.compress(json.dumps(data).encode())


def cloudwatch_logs(log_group: str, message: str) -> dict:
    return {"awslogs": {"data": b64(logs_data(log_group, message))}}


SAMPLES: Catalogue = {
    "cloudwatch": {
        "scheduled-event": Sample(
            scheduled_event,
            {"rule": "my-schedule", "region": REGION},
            "EventBridge / CloudWatch scheduled event",
            "EventBridgeModel",
        ),
        "logs": Sample(
            cloudwatch_logs,
            {"log-group": "/aws/lambda/example", "message": "a log line"},
            "CloudWatch Logs subscription",
            "CloudWatchLogsModel",
        ),
    },
    "eventbridge": {
        "event": Sample(
            eventbridge_event,
            {
                "source": "com.example.orders",
                "detail-type": "OrderPlaced",
                "detail": '{"orderId": "1234"}',
                "region": REGION,
            },
            "custom EventBridge event",
            "EventBridgeModel",
        )
    },
}
