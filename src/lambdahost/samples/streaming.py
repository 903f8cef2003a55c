"""Records read from streams: Kinesis Data Streams, Data Firehose transformations, Kinesis Data
Analytics (input preprocessing and output delivery), DynamoDB Streams and Kafka."""

from __future__ import annotations

import gzip
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from .cloudwatch import logs_data
from .common import REGION, Catalogue, Sample, arn, b64, now_ms, sequence_number

_SHARD = "shardId-000000000006"


def _stream_metadata(partition_key: str, index: int) -> dict:
    """Where a record sat in its Kinesis stream, as Firehose and Data Analytics report it."""
    return {
        "shardId": _SHARD,
        "partitionKey": partition_key,
        "approximateArrivalTimestamp": now_ms(),
        "sequenceNumber": sequence_number(index),
    }


def kinesis_records(stream: str, data: str, partition_key: str, region: str) -> dict:
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": sequence_number(),
                    "data": b64(data),
                    "approximateArrivalTimestamp": time.time(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{_SHARD}:{sequence_number()}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": arn("iam", "", "role/lambda-role"),
                "awsRegion": region,
                "eventSourceARN": arn("kinesis", region, f"stream/{stream}"),
            }
        ]
    }


# Firehose: a batch of records for the function to transform.


def _firehose(stream: str, region: str, records: list[dict], source_stream: str | None = None) -> dict:
    event: dict[str, Any] = {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": arn("firehose", region, f"deliverystream/{stream}"),
        "region": region,
        "records": records,
    }
    if source_stream is not None:
        event["sourceKinesisStreamArn"] = arn("kinesis", region, f"stream/{source_stream}")
    return event


def _firehose_record(data: str | bytes, index: int = 0, metadata: dict | None = None) -> dict:
    record: dict[str, Any] = {"recordId": sequence_number(index), "approximateArrivalTimestamp": now_ms()}
    if metadata is not None:
        record["kinesisRecordMetadata"] = metadata
    record["data"] = b64(data)
    return record


def kinesis_firehose(stream: str, data: str, region: str) -> dict:
    return _firehose(stream, region, [_firehose_record(data)])


def firehose_from_stream(stream: str, source_stream: str, data: str, partition_key: str, region: str) -> dict:
    """Records of a delivery stream whose source is a Kinesis stream: each says where it came from."""
    metadata = {**_stream_metadata(partition_key, 0), "subsequenceNumber": 0}
    return _firehose(stream, region, [_firehose_record(data, metadata=metadata)], source_stream)


def firehose_cloudwatch_logs(stream: str, log_group: str, message: str, region: str) -> dict:
    """A CloudWatch Logs subscription into Firehose: each record is a gzipped delivery to unpack."""
    return _firehose(stream, region, [_firehose_record(logs_data(log_group, message))])


# Kinesis Data Analytics (SQL applications): preprocessing of its input, and delivery of its output.


def _analytics_input(application: str, stream: str, region: str, payloads: list[bytes], partition_key: str) -> dict:
    return {
        "invocationId": str(uuid.uuid4()),
        "applicationArn": arn("kinesisanalytics", region, f"application/{application}"),
        "streamArn": arn("kinesis", region, f"stream/{stream}"),
        "records": [
            {
                "recordId": sequence_number(index),
                "kinesisStreamRecordMetadata": _stream_metadata(partition_key, index),
                "data": b64(payload),
            }
            for index, payload in enumerate(payloads)
        ],
    }


def kinesis_analytics(compressed: bool) -> Callable[..., dict]:
    """Input preprocessing of one record, gzipped by its producer when ``compressed``."""

    def build(application: str, stream: str, data: str, partition_key: str, region: str) -> dict:
        payload = gzip.compress(data.encode()) if compressed else data.encode()
        return _analytics_input(application, stream, region, [payload], partition_key)

    return build


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def kpl_aggregate(partition_key: str, payloads: list[bytes]) -> bytes:
    """User records aggregated into one Kinesis record as the Kinesis Producer Library does it:
    magic bytes, an ``AggregatedRecord`` protobuf (one partition key shared by the records), and the
    protobuf's MD5; what the KPL's deaggregation libraries take apart."""
    records = b"".join(_field(3, b"\x08\x00" + _field(3, payload)) for payload in payloads)  # key index 0, data
    body = _field(1, partition_key.encode()) + records
    return b"\xf3\x89\x9a\xc2" + body + hashlib.md5(body).digest()


def kinesis_analytics_kpl(
    application: str, stream: str, data: str, count: str, partition_key: str, region: str
) -> dict:
    """Input preprocessing of a record that aggregates ``count`` user records, each ``data``."""
    aggregated = kpl_aggregate(partition_key, [data.encode()] * int(count))
    return _analytics_input(application, stream, region, [aggregated], partition_key)


def kinesis_analytics_output(application: str, data: str, region: str) -> dict:
    """An application's output rows delivered to a function (here, one that writes them to DynamoDB)."""
    return {
        "invocationId": str(uuid.uuid4()),
        "applicationArn": arn("kinesisanalytics", region, f"application/{application}"),
        "records": [
            {"recordId": sequence_number(), "lambdaDeliveryRecordMetadata": {"retryHint": 0}, "data": b64(data)}
        ],
    }


def dynamodb_update(table: str, region: str) -> dict:
    stream = arn("dynamodb", region, f"table/{table}/stream/2026-01-01T00:00:00.000")
    keys = {"Id": {"N": "101"}}

    def record(name: str, number: str, new: dict | None, old: dict | None) -> dict:
        change: dict[str, Any] = {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": keys,
            "SequenceNumber": number,
            "SizeBytes": 26,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if new:
            change["NewImage"] = new
        if old:
            change["OldImage"] = old
        return {
            "eventID": uuid.uuid4().hex,
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": change,
            "eventSourceARN": stream,
        }

    first = {"Message": {"S": "New item!"}, "Id": {"N": "101"}}
    second = {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}}
    return {
        "Records": [
            record("INSERT", "111", first, None),
            record("MODIFY", "222", second, first),
            record("REMOVE", "333", None, second),
        ]
    }


def kafka_event(source: str) -> Callable[..., dict]:
    """Records from Amazon MSK (``aws:kafka``) or a self-managed cluster (``SelfManagedKafka``)."""

    def build(topic: str, value: str, key: str, region: str) -> dict:
        record = {
            "topic": topic,
            "partition": 0,
            "offset": 15,
            "timestamp": now_ms(),
            "timestampType": "CREATE_TIME",
            "key": b64(key),
            "value": b64(value),
            "headers": [{"headerKey": list(b"headerValue")}],
        }
        event: dict[str, Any] = {
            "eventSource": source,
            "bootstrapServers": "b-1.cluster.kafka.us-east-1.amazonaws.com:9092",
            "records": {f"{topic}-0": [record]},
        }
        if source == "aws:kafka":
            event["eventSourceArn"] = arn("kafka", region, "cluster/sample/abcd1234")
        return event

    return build


_FIREHOSE = {"stream": "my-delivery-stream"}
_APACHE_LINE = '192.0.2.10 - - [01/Jan/2026:12:00:00 +0000] "GET /index.html HTTP/1.1" 200 3120'
_SYSLOG_LINE = "<34>Jan  1 12:00:00 web-1 sshd[4321]: Accepted publickey for ec2-user"
_ANALYTICS = {
    "application": "example-application",
    "stream": "example-stream",
    "partition-key": "partitionKey-01",
}
_KAFKA = {"topic": "mytopic", "value": "Hello, this is a test.", "key": "key", "region": REGION}

SAMPLES: Catalogue = {
    "kinesis": {
        "get-records": Sample(
            kinesis_records,
            {
                "stream": "my-stream",
                "data": "Hello, this is a test.",
                "partition-key": "partitionKey-03",
                "region": REGION,
            },
            "Kinesis records",
            "KinesisDataStreamModel",
        ),
        "kinesis-firehose": Sample(
            kinesis_firehose,
            {**_FIREHOSE, "data": "Hello, this is a test.", "region": REGION},
            "Data Firehose records to transform",
            "KinesisFirehoseModel",
        ),
        "apachelog": Sample(
            kinesis_firehose,
            {**_FIREHOSE, "data": _APACHE_LINE, "region": REGION},
            "Data Firehose records of Apache access log lines",
            "KinesisFirehoseModel",
        ),
        "syslog": Sample(
            kinesis_firehose,
            {**_FIREHOSE, "data": _SYSLOG_LINE, "region": REGION},
            "Data Firehose records of syslog lines",
            "KinesisFirehoseModel",
        ),
        "cloudwatch-logs-processor": Sample(
            firehose_cloudwatch_logs,
            {**_FIREHOSE, "log-group": "/aws/lambda/example", "message": "a log line", "region": REGION},
            "Data Firehose records of a CloudWatch Logs subscription (gzipped)",
            "KinesisFirehoseModel",
        ),
        "streams-as-source": Sample(
            firehose_from_stream,
            {
                **_FIREHOSE,
                "source-stream": "my-stream",
                "data": "Hello, this is a test.",
                "partition-key": "partitionKey-03",
                "region": REGION,
            },
            "Data Firehose records from a Kinesis stream source",
            "KinesisFirehoseModel",
        ),
        "analytics": Sample(
            kinesis_analytics(compressed=False),
            {**_ANALYTICS, "data": "Hello from Kinesis Data Analytics", "region": REGION},
            "Data Analytics input preprocessing",
        ),
        "analytics-compressed": Sample(
            kinesis_analytics(compressed=True),
            {**_ANALYTICS, "data": '{"sensor": "s-1", "reading": 21.5}', "region": REGION},
            "Data Analytics input preprocessing of a gzipped record",
        ),
        "analytics-kpl": Sample(
            kinesis_analytics_kpl,
            {**_ANALYTICS, "data": "Hello from the KPL", "count": "2", "region": REGION},
            "Data Analytics input preprocessing of a KPL-aggregated record",
        ),
        "analytics-dynamodb": Sample(
            kinesis_analytics_output,
            {
                "application": "example-application",
                "data": '{"ROWTIME": "2026-01-01 12:00:00.000", "SENSOR_ID": "s-1", "READINGS": 18}',
                "region": REGION,
            },
            "Data Analytics output rows delivered to a function (for DynamoDB)",
        ),
    },
    "dynamodb": {
        "update": Sample(
            dynamodb_update,
            {"table": "ExampleTable", "region": REGION},
            "DynamoDB Streams insert, modify and remove",
            "DynamoDBStreamModel",
        )
    },
    "kafka": {
        "msk": Sample(kafka_event("aws:kafka"), dict(_KAFKA), "Amazon MSK records", "KafkaMskEventModel"),
        "self-managed": Sample(
            kafka_event("SelfManagedKafka"), dict(_KAFKA), "self-managed Kafka records", "KafkaSelfManagedEventModel"
        ),
    },
}
