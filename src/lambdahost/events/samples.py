"""Sample events, shaped as each AWS service sends them (the sample events of Lambda's developer guide), for
``lambdahost generate-event SERVICE EVENT [--option value ...]`` and the console's test events.

Each sample is a function of its options, whose defaults are what users would otherwise edit by
hand. API Gateway samples are built by the same code that serves API Gateway locally.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Sample:
    build: Callable[..., dict]
    options: dict[str, str] = field(default_factory=dict)  # option name -> default value
    help: str = ""
    model: str | None = None  # the Powertools parser model the event satisfies


def _now_iso() -> str:
    epoch = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"


def _gateway_request(method: str, path: str, body: str, query: str = "", headers: dict | None = None):
    from ..api.gateway.events import HttpRequest

    merged = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Host": "example.com",
        "User-Agent": "Custom User Agent String",
        **(headers or {}),
    }
    return HttpRequest(method.upper(), path, query, list(merged.items()), body.encode(), "127.0.0.1")


def _caller(region: str):
    from ..api.gateway.events import Caller

    return Caller(str(uuid.uuid4()), ACCOUNT, region, int(time.time() * 1000))


def _api(kind: str, stage: str):
    from ..template.project import ApiDefinition

    return ApiDefinition("SampleApi", kind, stage)


def apigateway_proxy(method: str, path: str, resource: str, body: str, stage: str, region: str) -> dict:
    from ..api.gateway.events import v1_event
    from ..api.gateway.routes import Route

    route = Route(_api("rest", stage), method.upper(), resource, "function", "1.0")
    params = route.match(method.upper(), path) or {}
    return v1_event(_gateway_request(method, path, body, "foo=bar"), route, params, _caller(region))


def apigateway_http(method: str, path: str, body: str, region: str) -> dict:
    from ..api.gateway.events import api_id, v2_event

    request = _gateway_request(method, path, body, "parameter1=value1&parameter1=value2")
    identifier = api_id("SampleApi")
    return v2_event(
        request,
        f"{method.upper()} {path}",
        {},
        _caller(region),
        api_key=identifier,
        stage="$default",
        domain=f"{identifier}.execute-api.{region}.amazonaws.com",
    )


def apigateway_token_authorizer(token: str, method: str, path: str, region: str) -> dict:
    return {
        "type": "TOKEN",
        "authorizationToken": token,
        "methodArn": f"arn:aws:execute-api:{region}:{ACCOUNT}:abcdef1234/prod/{method.upper()}{path}",
    }


def apigateway_request_authorizer(token: str, method: str, path: str, region: str) -> dict:
    event = apigateway_proxy(method, path, "/{proxy+}", "", "prod", region)
    event["headers"]["Authorization"] = token
    event["multiValueHeaders"]["Authorization"] = [token]
    arn = f"arn:aws:execute-api:{region}:{ACCOUNT}:abcdef1234/prod/{method.upper()}{path}"
    return {"type": "REQUEST", "methodArn": arn, **event}


def apigateway_request_authorizer_v2(token: str, method: str, path: str, region: str) -> dict:
    event = apigateway_http(method, path, "", region)
    event["headers"]["authorization"] = token
    arn = f"arn:aws:execute-api:{region}:{ACCOUNT}:abcdef1234/$default/{method.upper()}{path}"
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "identitySource": [token],
        **{k: v for k, v in event.items() if k != "version"},
    }


def s3_batch_invocation(bucket: str, key: str, region: str) -> dict:
    return {
        "invocationSchemaVersion": "1.0",
        "invocationId": base64.b64encode(uuid.uuid4().bytes).decode(),
        "job": {"id": str(uuid.uuid4())},
        "tasks": [
            {
                "taskId": base64.b64encode(uuid.uuid4().bytes).decode(),
                "s3Key": key,
                "s3VersionId": None,
                "s3BucketArn": f"arn:aws:s3:::{bucket}",
            }
        ],
    }


def kinesis_firehose(stream: str, data: str, region: str) -> dict:
    return {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": f"arn:aws:firehose:{region}:{ACCOUNT}:deliverystream/{stream}",
        "region": region,
        "records": [
            {
                "recordId": "49546986683135544286507457936321625675700192471156785154",
                "approximateArrivalTimestamp": int(time.time() * 1000),
                "data": base64.b64encode(data.encode()).decode(),
            }
        ],
    }


def lambda_url(method: str, path: str, body: str, region: str) -> dict:
    from ..api.gateway.events import api_id, v2_event

    url_id = api_id("url:function")
    return v2_event(
        _gateway_request(method, path, body),
        "$default",
        {},
        _caller(region),
        api_key=url_id,
        stage="$default",
        domain=f"{url_id}.lambda-url.{region}.on.aws",
        account_id="anonymous",
    )


def alb_request(method: str, path: str, body: str, region: str) -> dict:
    return {
        "requestContext": {
            "elb": {
                "targetGroupArn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:"
                "targetgroup/lambda-target/abcdef1234567890"
            }
        },
        "httpMethod": method.upper(),
        "path": path,
        "queryStringParameters": {"query": "1234ABCD"},
        "headers": {
            "accept": "text/html",
            "host": "lambda-alb-123578498.us-east-1.elb.amazonaws.com",
            "user-agent": "Mozilla/5.0",
            "x-forwarded-for": "72.12.164.125",
            "x-forwarded-port": "80",
            "x-forwarded-proto": "http",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def s3_event(event_name: str):
    def build(bucket: str, key: str, size: str, region: str, partition: str) -> dict:
        created = event_name.startswith("ObjectCreated")
        obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "sequencer": "0A1B2C3D4E5F678901"}
        if created:
            obj.update(size=int(size), eTag=hashlib.md5(key.encode()).hexdigest())
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": region,
                    "eventTime": _now_iso(),
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


def sqs_receive(queue: str, body: str, region: str) -> dict:
    now = str(int(time.time() * 1000))
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": base64.b64encode(uuid.uuid4().bytes).decode(),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now,
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": now,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{region}:{ACCOUNT}:{queue}",
                "awsRegion": region,
            }
        ]
    }


def sns_notification(topic: str, message: str, subject: str, region: str) -> dict:
    topic_arn = f"arn:aws:sns:{region}:{ACCOUNT}:{topic}"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSource": "aws:sns",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": _now_iso(),
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000.pem",
                    "MessageId": str(uuid.uuid4()),
                    "Message": message,
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe",
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }


def dynamodb_update(table: str, region: str) -> dict:
    stream = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}/stream/2026-01-01T00:00:00.000"
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


def kinesis_records(stream: str, data: str, partition_key: str, region: str) -> dict:
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                    "data": base64.b64encode(data.encode()).decode(),
                    "approximateArrivalTimestamp": time.time(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
                "awsRegion": region,
                "eventSourceARN": f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/{stream}",
            }
        ]
    }


def scheduled_event(rule: str, region: str) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


def eventbridge_event(source: str, detail_type: str, detail: str, region: str) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [],
        "detail": json.loads(detail),
    }


def cloudwatch_logs(log_group: str, message: str) -> dict:
    import gzip

    data = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": log_group,
        "logStream": "2026/01/01/[$LATEST]abcdef0123456789",
        "subscriptionFilters": ["filter"],
        "logEvents": [{"id": "1", "timestamp": int(time.time() * 1000), "message": message}],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


def cognito_trigger(trigger: str):
    def build(user_pool: str, user_name: str, email: str, region: str) -> dict:
        return {
            "version": "1",
            "triggerSource": trigger,
            "region": region,
            "userPoolId": user_pool,
            "userName": user_name,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
            "request": {"userAttributes": {"email": email, "email_verified": "true", "sub": str(uuid.uuid4())}},
            "response": {}
            if trigger.startswith("PostConfirmation")
            else {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        }

    return build


def cloudformation_request(request_type: str):
    def build(resource_type: str, logical_id: str, region: str) -> dict:
        stack = f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/sample-stack/{uuid.uuid4()}"
        event = {
            "RequestType": request_type,
            "ServiceToken": f"arn:aws:lambda:{region}:{ACCOUNT}:function:custom",
            "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/presigned",
            "StackId": stack,
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "ResourceProperties": {"ServiceToken": "token", "Key": "Value"},
        }
        if request_type != "Create":
            event["PhysicalResourceId"] = f"{logical_id}-physical"
        if request_type == "Update":
            event["OldResourceProperties"] = {"ServiceToken": "token", "Key": "OldValue"}
        return event

    return build


def ses_receipt(sender: str, recipient: str, subject: str, function: str, region: str) -> dict:
    """An email SES received, handed to a function by a receipt rule's Lambda action."""
    now = _now_iso()
    message_id = uuid.uuid4().hex
    verdict = {"status": "PASS"}
    headers = {"Return-Path": f"<{sender}>", "From": sender, "To": recipient, "Subject": subject}
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": now,
                        "source": sender,
                        "messageId": message_id,
                        "destination": [recipient],
                        "headersTruncated": False,
                        "headers": [{"name": name, "value": value} for name, value in headers.items()],
                        "commonHeaders": {
                            "returnPath": sender,
                            "from": [sender],
                            "date": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                            "to": [recipient],
                            "messageId": f"<{message_id}@{sender.rpartition('@')[2]}>",
                            "subject": subject,
                        },
                    },
                    "receipt": {
                        "timestamp": now,
                        "processingTimeMillis": 574,
                        "recipients": [recipient],
                        "spamVerdict": verdict,
                        "virusVerdict": verdict,
                        "spfVerdict": verdict,
                        "dkimVerdict": verdict,
                        "dmarcVerdict": verdict,
                        "action": {
                            "type": "Lambda",
                            "functionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function}",
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }


def stepfunctions_error(error: str, cause: str) -> dict:
    return {"Error": error, "Cause": cause}


def kafka_event(source: str):
    def build(topic: str, value: str, key: str, region: str) -> dict:
        record = {
            "topic": topic,
            "partition": 0,
            "offset": 15,
            "timestamp": int(time.time() * 1000),
            "timestampType": "CREATE_TIME",
            "key": base64.b64encode(key.encode()).decode(),
            "value": base64.b64encode(value.encode()).decode(),
            "headers": [{"headerKey": list(b"headerValue")}],
        }
        event = {
            "eventSource": source,
            "bootstrapServers": "b-1.cluster.kafka.us-east-1.amazonaws.com:9092",
            "records": {f"{topic}-0": [record]},
        }
        if source == "aws:kafka":
            event["eventSourceArn"] = f"arn:aws:kafka:{region}:{ACCOUNT}:cluster/sample/abcd1234"
        return event

    return build


_HTTP = {"method": "GET", "path": "/examples", "body": "", "region": "us-east-1"}
CATALOGUE: dict[str, dict[str, Sample]] = {
    "apigateway": {
        "aws-proxy": Sample(
            apigateway_proxy,
            {**_HTTP, "resource": "/{proxy+}", "stage": "prod"},
            "REST API proxy event (payload 1.0)",
            "APIGatewayProxyEventModel",
        ),
        "http-api-proxy": Sample(
            apigateway_http, dict(_HTTP), "HTTP API event (payload 2.0)", "APIGatewayProxyEventV2Model"
        ),
        "request-authorizer": Sample(
            apigateway_request_authorizer,
            {"token": "allow", "method": "GET", "path": "/examples", "region": "us-east-1"},
            "REQUEST authorizer event (REST API)",
            "APIGatewayProxyEventModel",
        ),
        "request-authorizer-v2": Sample(
            apigateway_request_authorizer_v2,
            {"token": "allow", "method": "GET", "path": "/examples", "region": "us-east-1"},
            "REQUEST authorizer event (HTTP API, payload 2.0)",
            "APIGatewayProxyEventV2Model",
        ),
        "authorizer": Sample(
            apigateway_token_authorizer,
            {"token": "allow", "method": "GET", "path": "/examples", "region": "us-east-1"},
            "TOKEN authorizer event",
        ),
    },
    "lambda-url": {"request": Sample(lambda_url, dict(_HTTP), "function URL event", "LambdaFunctionUrlModel")},
    "alb": {"request": Sample(alb_request, dict(_HTTP), "Application Load Balancer request", "AlbModel")},
    "s3": {
        name: Sample(
            s3_event(event_name),
            {"bucket": "example-bucket", "key": "test/key", "size": "1024", "region": "us-east-1", "partition": "aws"},
            f"S3 {event_name}",
            "S3Model",
        )
        for name, event_name in (("put", "ObjectCreated:Put"), ("delete", "ObjectRemoved:Delete"))
    }
    | {
        "batch-invocation": Sample(
            s3_batch_invocation,
            {"bucket": "example-bucket", "key": "test/key", "region": "us-east-1"},
            "S3 Batch Operations task",
            "S3BatchOperationModel",
        )
    },
    "sqs": {
        "receive-message": Sample(
            sqs_receive,
            {"queue": "my-queue", "body": "Hello from SQS!", "region": "us-east-1"},
            "SQS batch of one message",
            "SqsModel",
        )
    },
    "sns": {
        "notification": Sample(
            sns_notification,
            {"topic": "my-topic", "message": "Hello from SNS!", "subject": "TestInvoke", "region": "us-east-1"},
            "SNS notification",
            "SnsModel",
        )
    },
    "dynamodb": {
        "update": Sample(
            dynamodb_update,
            {"table": "ExampleTable", "region": "us-east-1"},
            "DynamoDB Streams insert, modify and remove",
            "DynamoDBStreamModel",
        )
    },
    "kinesis": {
        "get-records": Sample(
            kinesis_records,
            {
                "stream": "my-stream",
                "data": "Hello, this is a test.",
                "partition-key": "partitionKey-03",
                "region": "us-east-1",
            },
            "Kinesis records",
            "KinesisDataStreamModel",
        ),
        "kinesis-firehose": Sample(
            kinesis_firehose,
            {"stream": "my-delivery-stream", "data": "Hello, this is a test.", "region": "us-east-1"},
            "Kinesis Data Firehose transformation",
            "KinesisFirehoseModel",
        ),
    },
    "cloudwatch": {
        "scheduled-event": Sample(
            scheduled_event,
            {"rule": "my-schedule", "region": "us-east-1"},
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
                "region": "us-east-1",
            },
            "custom EventBridge event",
            "EventBridgeModel",
        )
    },
    "cognito-user-pool": {
        "post-confirmation": Sample(
            cognito_trigger("PostConfirmation_ConfirmSignUp"),
            {"user-pool": "us-east-1_EXAMPLE", "user-name": "ada", "email": "ada@example.com", "region": "us-east-1"},
            "post confirmation trigger",
            "CognitoPostConfirmationTriggerModel",
        ),
        "pre-signup": Sample(
            cognito_trigger("PreSignUp_SignUp"),
            {"user-pool": "us-east-1_EXAMPLE", "user-name": "ada", "email": "ada@example.com", "region": "us-east-1"},
            "pre sign-up trigger",
            "CognitoPreSignupTriggerModel",
        ),
    },
    "cloudformation": {
        f"{kind.lower()}-request": Sample(
            cloudformation_request(kind),
            {"resource-type": "Custom::Sample", "logical-id": "SampleResource", "region": "us-east-1"},
            f"custom resource {kind} request",
            f"CloudFormationCustomResource{kind}Model",
        )
        for kind in ("Create", "Update", "Delete")
    },
    "ses": {
        "email-receiving": Sample(
            ses_receipt,
            {
                "sender": "janedoe@example.com",
                "recipient": "johndoe@example.com",
                "subject": "Test Subject",
                "function": "my-function",
                "region": "us-east-1",
            },
            "an email received, from a receipt rule's Lambda action",
            "SesModel",
        )
    },
    "stepfunctions": {
        "error": Sample(
            stepfunctions_error,
            {"error": "States.TaskFailed", "cause": "the task failed"},
            "a state machine's error output",
        )
    },
    "kafka": {
        "msk": Sample(
            kafka_event("aws:kafka"),
            {"topic": "mytopic", "value": "Hello, this is a test.", "key": "key", "region": "us-east-1"},
            "Amazon MSK records",
            "KafkaMskEventModel",
        ),
        "self-managed": Sample(
            kafka_event("SelfManagedKafka"),
            {"topic": "mytopic", "value": "Hello, this is a test.", "key": "key", "region": "us-east-1"},
            "self-managed Kafka records",
            "KafkaSelfManagedEventModel",
        ),
    },
}


def generate(service: str, event: str, **options: str) -> dict:
    """A sample event; ``options`` override its defaults (names with - or _)."""
    sample = CATALOGUE[service][event]
    values = {**sample.options, **{k.replace("_", "-"): v for k, v in options.items() if v is not None}}
    unknown = set(values) - set(sample.options)
    if unknown:
        raise ValueError(f"{service} {event} has no option {', '.join(sorted(unknown))}")
    return sample.build(**{k.replace("-", "_"): v for k, v in values.items()})
