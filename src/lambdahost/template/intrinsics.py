"""CloudFormation's intrinsic functions and conditions, evaluated against local values.

Refs and attributes of resources resolve to the names and ARNs they would have in a stack
named ``stack_name`` in the configured account and region; what can only exist in AWS (another
stack's exports) is refused with a message saying what to do instead.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import TemplateError

NO_VALUE = object()  # AWS::NoValue: the property is left out
# How a template table's StreamArn ends; the endpoint that holds the table names the real stream.
LOCAL_STREAM = "/stream/local"

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

# Attributes of common resource types, as templates use them in variables and event sources.
_ARN_SERVICES = {
    "AWS::SQS::Queue": "sqs",
    "AWS::SNS::Topic": "sns",
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::Kinesis::Stream": "kinesis",
    "AWS::S3::Bucket": "s3",
    "AWS::Events::Rule": "events",
    "AWS::StepFunctions::StateMachine": "states",
    "AWS::Serverless::StateMachine": "states",
    "AWS::IAM::Role": "iam",
    "AWS::Logs::LogGroup": "logs",
}
_NAME_PROPERTIES = {
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::SSM::Parameter": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Events::EventBus": "Name",
}
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


class Stack:
    """What intrinsic functions see: parameters, pseudo parameters, mappings, conditions, resources."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        resources: Mapping[str, Mapping],
        region: str,
        account_id: str,
        stack_name: str,
        mappings: Mapping | None = None,
        conditions: Mapping | None = None,
        queue_endpoint: str | None = None,
    ) -> None:
        """``queue_endpoint``: where the template's queues are served, for their URLs (None: AWS)."""
        self.parameters = dict(parameters)
        self.resources = resources
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self.queue_endpoint = queue_endpoint
        self.mappings = mappings or {}
        self._conditions = conditions or {}
        self._evaluated: dict[str, bool] = {}
        self._pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    # -- evaluation ---------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                function = _FUNCTIONS.get(key)
                if function is not None:
                    return function(self, argument)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        if name not in self._evaluated:
            if name not in self._conditions:
                raise TemplateError(f"condition '{name}' is not defined in Conditions")
            self._evaluated[name] = False  # a condition that refers to itself is false, not endless
            result = self.resolve(self._conditions[name])
            if not isinstance(result, bool):
                raise TemplateError(f"condition '{name}' must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition")
            self._evaluated[name] = result
        return self._evaluated[name]

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self._pseudo:
            return self._pseudo[name]
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"Ref to '{name}', which is neither a parameter nor a resource of this template")
        kind = resource.get("Type")
        if kind in FUNCTION_TYPES:
            return self.function_name(name)
        if kind in LAYER_TYPES:
            return self.layer_arn(name)
        if kind == "AWS::SQS::Queue":
            # On the local endpoint when there is one: the JavaScript SDK sends a call on a queue to
            # its URL's host (useQueueUrlAsEndpoint), not to AWS_ENDPOINT_URL, as boto3 does.
            base = self.queue_endpoint or f"https://sqs.{self.region}.amazonaws.com"
            return f"{base}/{self.account_id}/{self._physical_name(name)}"
        if kind == "AWS::SNS::Topic":
            return self._arn("sns", self._physical_name(name))
        return self._physical_name(name)

    def get_att(self, name: str, attribute: str) -> Any:
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"Fn::GetAtt on '{name}', which is not a resource of this template")
        kind = resource.get("Type")
        physical = self._physical_name(name)
        if kind in FUNCTION_TYPES and attribute == "Arn":
            return self.function_arn(name)
        if kind == "AWS::DynamoDB::Table" and attribute == "StreamArn":
            return self._arn("dynamodb", f"table/{physical}{LOCAL_STREAM}")
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return self.ref(name)
        if kind == "AWS::IAM::Role" and attribute == "Arn":  # IAM's ARNs have no region
            role = (resource.get("Properties") or {}).get("RoleName") or name
            return f"arn:aws:iam::{self.account_id}:role/{self.resolve(role)}"
        if attribute in ("Arn", "TopicArn"):
            return self._arn(_ARN_SERVICES.get(kind) or str(kind).split("::")[-2].lower(), physical)
        return physical  # QueueName, TopicName, Name, ...: the resource's name

    # -- names --------------------------------------------------------------------------------

    def function_name(self, logical_id: str) -> str:
        properties = self.resources[logical_id].get("Properties") or {}
        name = self.resolve(properties.get("FunctionName", logical_id))
        return str(name)

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name(logical_id)}"

    def layer_arn(self, logical_id: str) -> str:
        properties = self.resources[logical_id].get("Properties") or {}
        name = self.resolve(properties.get("LayerName", logical_id))
        return f"arn:aws:lambda:{self.region}:{self.account_id}:layer:{name}:1"

    def _physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        property_name = _NAME_PROPERTIES.get(resource.get("Type"))
        properties = resource.get("Properties") or {}
        if property_name and property_name in properties:
            return str(self.resolve(properties[property_name]))
        if resource.get("Type") == "AWS::SQS::Queue" and self.resolve(properties.get("FifoQueue", False)) in (
            True,
            "true",
        ):
            return logical_id + ".fifo"  # CloudFormation names a FIFO queue so, as SQS requires
        if resource.get("Type") == "AWS::S3::Bucket":
            return logical_id.lower()  # bucket names are lower case (CloudFormation's add the stack's name)
        return logical_id

    def _arn(self, service: str, resource: str) -> str:
        if service == "s3":
            return f"arn:aws:s3:::{resource}"
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


# -- the functions ----------------------------------------------------------------------------


def _expect_list(name: str, argument: Any, length: int | None = None) -> list:
    if not isinstance(argument, list) or (length is not None and len(argument) != length):
        count = f"a list of {length}" if length else "a list"
        raise TemplateError(f"{name} takes {count}, got {json.dumps(argument, default=str)}")
    return argument


def _ref(stack: Stack, argument: Any) -> Any:
    if not isinstance(argument, str):
        raise TemplateError(f"Ref takes a name, got {argument!r}")
    return stack.ref(argument)


def _get_att(stack: Stack, argument: Any) -> Any:
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    name, attribute = _expect_list("Fn::GetAtt", argument, 2)
    return stack.get_att(stack.resolve(name), stack.resolve(attribute))


def _sub(stack: Stack, argument: Any) -> str:
    variables: dict = {}
    if isinstance(argument, list):
        text, variables = _expect_list("Fn::Sub", argument, 2)
        variables = stack.resolve(variables)
    else:
        text = argument
    if not isinstance(text, str):
        raise TemplateError(f"Fn::Sub takes a string, got {text!r}")

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name and name not in stack.parameters:
            return str(stack.get_att(*name.split(".", 1)))
        return _text(stack.ref(name))

    return _SUB_VARIABLE.sub(replace, text)


def _text(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _join(stack: Stack, argument: Any) -> str:
    delimiter, items = _expect_list("Fn::Join", argument, 2)
    items = stack.resolve(items)
    return str(delimiter).join(_text(item) for item in _expect_list("Fn::Join", items))


def _select(stack: Stack, argument: Any) -> Any:
    index, items = _expect_list("Fn::Select", argument, 2)
    index, items = int(stack.resolve(index)), stack.resolve(items)
    if not 0 <= index < len(items):
        raise TemplateError(f"Fn::Select index {index} is out of range for a list of {len(items)}")
    return items[index]


def _split(stack: Stack, argument: Any) -> list:
    delimiter, text = _expect_list("Fn::Split", argument, 2)
    return str(stack.resolve(text)).split(delimiter)


def _if(stack: Stack, argument: Any) -> Any:
    name, when_true, when_false = _expect_list("Fn::If", argument, 3)
    return stack.resolve(when_true if stack.condition(name) else when_false)


def _equals(stack: Stack, argument: Any) -> bool:
    left, right = (stack.resolve(v) for v in _expect_list("Fn::Equals", argument, 2))
    return str(left) == str(right) if not isinstance(left, list) else left == right


def _and(stack: Stack, argument: Any) -> bool:
    return all(_boolean(stack, v, "Fn::And") for v in _expect_list("Fn::And", argument))


def _or(stack: Stack, argument: Any) -> bool:
    return any(_boolean(stack, v, "Fn::Or") for v in _expect_list("Fn::Or", argument))


def _not(stack: Stack, argument: Any) -> bool:
    return not _boolean(stack, _expect_list("Fn::Not", argument, 1)[0], "Fn::Not")


def _boolean(stack: Stack, value: Any, name: str) -> bool:
    result = stack.resolve(value)
    if not isinstance(result, bool):
        raise TemplateError(f"{name} takes conditions, got {result!r}")
    return result


def _condition(stack: Stack, argument: Any) -> bool:
    return stack.condition(argument)


def _find_in_map(stack: Stack, argument: Any) -> Any:
    names = [stack.resolve(v) for v in _expect_list("Fn::FindInMap", argument)[:3]]
    table: Any = stack.mappings
    for name in names:
        if not isinstance(table, dict) or name not in table:
            raise TemplateError(f"Fn::FindInMap found no '{name}' in Mappings ({' > '.join(map(str, names))})")
        table = table[name]
    return table


def _base64(stack: Stack, argument: Any) -> str:
    return base64.b64encode(str(stack.resolve(argument)).encode()).decode()


def _get_azs(stack: Stack, argument: Any) -> list:
    region = stack.resolve(argument) or stack.region
    return [f"{region}{zone}" for zone in "abc"]


def _import_value(stack: Stack, argument: Any) -> Any:
    raise TemplateError(
        "Fn::ImportValue reads an export of another stack, which does not exist locally; "
        "pass the value as a parameter instead (--parameter-overrides)"
    )


def _unsupported(name: str):
    def refuse(stack: Stack, argument: Any) -> Any:
        raise TemplateError(f"{name} is not supported by lambdahost")

    return refuse


_FUNCTIONS = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Fn::Not": _not,
    "Condition": _condition,
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": _base64,
    "Fn::GetAZs": _get_azs,
    "Fn::ImportValue": _import_value,
    "Fn::Cidr": _unsupported("Fn::Cidr"),
    "Fn::Transform": _unsupported("Fn::Transform"),
    "Fn::Length": _unsupported("Fn::Length"),
    "Fn::ToJsonString": _unsupported("Fn::ToJsonString"),
}
