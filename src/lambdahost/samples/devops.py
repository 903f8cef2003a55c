"""Deployment and governance: CloudFormation custom resources, CodeCommit triggers, CodePipeline
jobs and AWS Config rules."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from .common import ACCOUNT, REGION, Catalogue, Sample, arn, json_option, now_iso, now_ms


def cloudformation_request(request_type: str) -> Callable[..., dict]:
    """A custom resource's Create, Update or Delete request."""

    def build(resource_type: str, logical_id: str, region: str) -> dict:
        event = {
            "RequestType": request_type,
            "ServiceToken": arn("lambda", region, "function:custom"),
            "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/presigned",
            "StackId": arn("cloudformation", region, f"stack/sample-stack/{uuid.uuid4()}"),
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


def codecommit_push(repository: str, branch: str, trigger: str, custom_data: str, region: str) -> dict:
    """A repository trigger fired by a push to ``branch``."""
    trigger_id = str(uuid.uuid4())
    return {
        "Records": [
            {
                "awsRegion": region,
                "codecommit": {
                    "references": [
                        {"commit": hashlib.sha1(uuid.uuid4().bytes).hexdigest(), "ref": f"refs/heads/{branch}"}
                    ]
                },
                "customData": custom_data,
                "eventId": str(uuid.uuid4()),
                "eventName": "ReferenceChanges",
                "eventPartNumber": 1,
                "eventSource": "aws:codecommit",
                "eventSourceARN": arn("codecommit", region, repository),
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()),
                "eventTotalParts": 1,
                "eventTriggerConfigId": trigger_id,
                "eventTriggerName": trigger,
                "eventVersion": "1.0",
                "userIdentityARN": arn("iam", "", "user/developer"),
            }
        ]
    }


def _artifact(name: str, bucket: str, key: str, revision: str | None) -> dict:
    return {
        "name": name,
        "revision": revision,
        "location": {"type": "S3", "s3Location": {"bucketName": bucket, "objectKey": key}},
    }


def codepipeline_job(
    function: str, user_parameters: str, input_bucket: str, input_key: str, output_bucket: str, output_key: str
) -> dict:
    """A pipeline's Invoke action: the function reads the input artifact, writes the output one, and
    reports the job's result with PutJobSuccessResult or PutJobFailureResult."""
    return {
        "CodePipeline.job": {
            "id": str(uuid.uuid4()),
            "accountId": ACCOUNT,
            "data": {
                "actionConfiguration": {"configuration": {"FunctionName": function, "UserParameters": user_parameters}},
                "inputArtifacts": [
                    _artifact("SourceOutput", input_bucket, input_key, hashlib.sha1(input_key.encode()).hexdigest())
                ],
                "outputArtifacts": [_artifact("InvokeOutput", output_bucket, output_key, None)],
                "artifactCredentials": {
                    "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                    "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    "sessionToken": "EXAMPLE-SESSION-TOKEN",
                    "expirationTime": now_ms() + 3600_000,
                },
            },
        }
    }


# AWS Config: a custom rule's evaluation. The invoking event travels as JSON text inside the event.


def _config_rule(rule_name: str, rule_parameters: str, region: str, invoking_event: dict) -> dict:
    rule_id = f"config-rule-{hashlib.sha1(rule_name.encode()).hexdigest()[:6]}"
    return {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking_event),
        "ruleParameters": json.dumps(json_option(rule_parameters, "rule-parameters")),  # JSON text, as sent
        "resultToken": uuid.uuid4().hex,
        "eventLeftScope": False,
        "executionRoleArn": arn("iam", "", "role/config-role"),
        "configRuleArn": arn("config", region, f"config-rule/{rule_id}"),
        "configRuleName": rule_name,
        "configRuleId": rule_id,
        "accountId": ACCOUNT,
    }


def _configuration_item(resource_type: str, resource_id: str, region: str) -> dict[str, Any]:
    """The fields a configuration item and its oversized summary share."""
    _, service, kind = resource_type.split("::")
    return {
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": now_iso(),
        "configurationStateId": now_ms(),
        "awsAccountId": ACCOUNT,
        "configurationItemStatus": "OK",
        "resourceType": resource_type,
        "resourceId": resource_id,
        "resourceName": None,
        "ARN": arn(service.lower(), region, f"{kind.lower()}/{resource_id}"),
        "awsRegion": region,
        "availabilityZone": f"{region}a",
        "configurationStateMd5Hash": "",
        "resourceCreationTime": now_iso(),
    }


def config_item_change(rule_name: str, rule_parameters: str, resource_type: str, resource_id: str, region: str) -> dict:
    item = {
        **_configuration_item(resource_type, resource_id, region),
        "tags": {},
        "relationships": [],
        "configuration": {},
        "supplementaryConfiguration": {},
        "relatedEvents": [],
    }
    invoking = {
        "configurationItemDiff": {"changeType": "UPDATE", "changedProperties": {}},
        "configurationItem": item,
        "notificationCreationTime": now_iso(),
        "messageType": "ConfigurationItemChangeNotification",
        "recordVersion": "1.3",
    }
    return _config_rule(rule_name, rule_parameters, region, invoking)


def config_oversized_item_change(
    rule_name: str, rule_parameters: str, resource_type: str, resource_id: str, region: str
) -> dict:
    """A change whose configuration item is too large for the event: a summary, to fetch the rest."""
    invoking = {
        "configurationItemSummary": {**_configuration_item(resource_type, resource_id, region), "changeType": "UPDATE"},
        "messageType": "OversizedConfigurationItemChangeNotification",
        "notificationCreationTime": now_iso(),
        "recordVersion": "1.0",
    }
    return _config_rule(rule_name, rule_parameters, region, invoking)


def config_periodic(rule_name: str, rule_parameters: str, region: str) -> dict:
    invoking = {
        "awsAccountId": ACCOUNT,
        "notificationCreationTime": now_iso(),
        "messageType": "ScheduledNotification",
        "recordVersion": "1.0",
    }
    return _config_rule(rule_name, rule_parameters, region, invoking)


_CONFIG = {"rule-name": "change-triggered-config-rule", "rule-parameters": '{"desiredInstanceType": "t3.micro"}'}
_RESOURCE = {"resource-type": "AWS::EC2::Instance", "resource-id": "i-0123456789abcdef0", "region": REGION}

SAMPLES: Catalogue = {
    "cloudformation": {
        f"{kind.lower()}-request": Sample(
            cloudformation_request(kind),
            {"resource-type": "Custom::Sample", "logical-id": "SampleResource", "region": REGION},
            f"custom resource {kind} request",
            f"CloudFormationCustomResource{kind}Model",
        )
        for kind in ("Create", "Update", "Delete")
    },
    "codecommit": {
        "repository": Sample(
            codecommit_push,
            {
                "repository": "my-repo",
                "branch": "main",
                "trigger": "my-trigger",
                "custom-data": "this is custom data",
                "region": REGION,
            },
            "a repository trigger, on a push to a branch",
        )
    },
    "codepipeline": {
        "job": Sample(
            codepipeline_job,
            {
                "function": "my-function",
                "user-parameters": "user-parameter-string",
                "input-bucket": "example-bucket",
                "input-key": "test/key",
                "output-bucket": "example-bucket2",
                "output-key": "test/key2",
            },
            "a pipeline's Invoke action job",
        )
    },
    "config": {
        "item-change-notification": Sample(
            config_item_change, {**_CONFIG, **_RESOURCE}, "a change-triggered rule: a configuration item changed"
        ),
        "oversized-item-change-notification": Sample(
            config_oversized_item_change,
            {**_CONFIG, **_RESOURCE},
            "a change-triggered rule: an oversized configuration item changed",
        ),
        "periodic-rule": Sample(
            config_periodic,
            {**_CONFIG, "rule-name": "periodic-config-rule", "region": REGION},
            "a periodic rule's evaluation",
        ),
    },
}
