"""The Lambda API served by a real ``lambdahost serve`` process, driven by boto3."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from server import ROLE, Server, write_project, zipped

TEMPLATE = """
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.echo
  Fails:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.fails
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.slow
      ReservedConcurrentExecutions: 1
      Timeout: 10
"""

CODE = """
import time

def echo(event, context):
    print("echo", event)
    cc = context.client_context
    return {"event": event, "arn": context.invoked_function_arn, "version": context.function_version,
            "custom": cc.custom if cc else None}

def fails(event, context):
    raise RuntimeError("nope")

def slow(event, context):
    time.sleep(event.get("sleep", 1))
    return "slept"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    running = Server(write_project(folder, TEMPLATE, CODE)).start()
    yield running
    running.stop()


@pytest.fixture
def client(server):
    return server.client()


# -- Invoke -------------------------------------------------------------------------------------


def test_invoke_returns_payload_version_and_log_tail(client) -> None:
    response = client.invoke(FunctionName="Echo", Payload=b'{"a": 1}', LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    body = json.loads(response["Payload"].read())
    assert body["event"] == {"a": 1}
    log = base64.b64decode(response["LogResult"]).decode()
    assert "echo {'a': 1}" in log and "REPORT RequestId: " in log


@pytest.mark.parametrize(
    "name",
    [
        "Echo",
        "Echo:$LATEST",
        "123456789012:function:Echo",
        "arn:aws:lambda:us-east-1:123456789012:function:Echo",
        "arn:aws:lambda:us-east-1:123456789012:function:Echo:$LATEST",
    ],
)
def test_every_name_form_reaches_the_function(client, name: str) -> None:
    body = json.loads(client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    expected = "arn:aws:lambda:us-east-1:123456789012:function:Echo" + (":$LATEST" if "$LATEST" in name else "")
    assert body["arn"] == expected


def test_function_error_is_200_with_the_error_header(client) -> None:
    response = client.invoke(FunctionName="Fails")
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    body = json.loads(response["Payload"].read())
    assert (body["errorType"], body["errorMessage"]) == ("RuntimeError", "nope")


def test_client_context_reaches_the_handler(client) -> None:
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    body = json.loads(client.invoke(FunctionName="Echo", ClientContext=context)["Payload"].read())
    assert body["custom"] == {"k": "v"}


def test_dry_run_and_event_invocation_types(client) -> None:
    assert client.invoke(FunctionName="Echo", InvocationType="DryRun")["StatusCode"] == 204
    assert client.invoke(FunctionName="Echo", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202


@pytest.mark.parametrize(
    ("call", "code", "status", "message"),
    [
        (
            {"FunctionName": "Nope"},
            "ResourceNotFoundException",
            404,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope",
        ),
        (
            {"FunctionName": "Echo", "Qualifier": "7"},
            "ResourceNotFoundException",
            404,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Echo:7",
        ),
        (
            {"FunctionName": "Echo:live", "Qualifier": "other"},
            "InvalidParameterValueException",
            400,
            "The derived qualifier from the function name does not match the specified qualifier.",
        ),
        ({"FunctionName": "Echo", "Payload": b"{not json"}, "InvalidRequestContentException", 400, None),
        (
            {"FunctionName": "Echo", "Payload": b'"' + b"x" * 6_291_456 + b'"'},
            "RequestEntityTooLargeException",
            413,
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
        ),
    ],
)
def test_invoke_errors_have_awss_code_status_and_message(client, call, code, status, message) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke(**call)
    error = caught.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    if message:
        assert error["Error"]["Message"] == message


def test_throttled_invoke_is_429_with_the_reason(server) -> None:
    client = server.client(retries=1)
    started = threading.Event()

    def occupy():
        started.set()
        client.invoke(FunctionName="Slow", Payload=b'{"sleep": 2}')

    thread = threading.Thread(target=occupy)
    thread.start()
    started.wait()
    time.sleep(0.5)  # (the invocation is in its handler)
    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.invoke(FunctionName="Slow", Payload=b'{"sleep": 0}')
    thread.join()
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


# -- control plane ------------------------------------------------------------------------------


def test_create_invoke_update_and_delete_a_function(client) -> None:
    code = zipped({"handler.py": "def main(event, context):\n    return 'v1'\n"})
    created = client.create_function(
        FunctionName="made",
        Runtime="python3.11",
        Role=ROLE,
        Handler="handler.main",
        Code={"ZipFile": code},
        Timeout=5,
        Environment={"Variables": {"AB": "1"}},
    )
    assert created["State"] == "Pending" and created["Version"] == "$LATEST"  # settled by the next call
    assert created["CodeSha256"] == base64.b64encode(__import__("hashlib").sha256(code).digest()).decode()
    assert created["CodeSize"] == len(code)
    client.get_waiter("function_active_v2").wait(FunctionName="made")
    assert json.loads(client.invoke(FunctionName="made")["Payload"].read()) == "v1"

    updated = client.update_function_code(
        FunctionName="made", ZipFile=zipped({"handler.py": "def main(e, c):\n    return 'v2'\n"})
    )
    assert updated["CodeSha256"] != created["CodeSha256"] and updated["RevisionId"] != created["RevisionId"]
    client.get_waiter("function_updated_v2").wait(FunctionName="made")
    assert json.loads(client.invoke(FunctionName="made")["Payload"].read()) == "v2"

    configured = client.update_function_configuration(FunctionName="made", MemorySize=256, Timeout=9)
    assert (configured["MemorySize"], configured["Timeout"]) == (256, 9)
    assert client.get_function_configuration(FunctionName="made")["MemorySize"] == 256
    got = client.get_function(FunctionName="made")
    assert got["Configuration"]["Environment"] == {"Variables": {"AB": "1"}}

    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_function(
            FunctionName="made", Runtime="python3.11", Role=ROLE, Handler="h.m", Code={"ZipFile": code}
        )
    assert client.delete_function(FunctionName="made")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="made")


def test_a_deprecated_runtime_runs_but_takes_no_new_function_once_lambda_refuses_them(client) -> None:
    """python3.8 no longer takes new functions (from 2025-02-28); python3.9 still does until its
    date (Lambda's runtime table). The message is AWS's, as CloudFormation and the CLI have shown it."""
    code = zipped({"h.py": "import sys\ndef m(e, c):\n    return list(sys.version_info[:2])\n"})
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.create_function(
            FunctionName="old38", Runtime="python3.8", Role=ROLE, Handler="h.m", Code={"ZipFile": code}
        )
    assert caught.value.response["Error"]["Message"] == (
        "The runtime parameter of python3.8 is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use a supported runtime while creating or updating functions."
    )
    client.create_function(FunctionName="old39", Runtime="python3.9", Role=ROLE, Handler="h.m", Code={"ZipFile": code})
    assert json.loads(client.invoke(FunctionName="old39")["Payload"].read())[0] == 3
    client.delete_function(FunctionName="old39")


def test_bad_configuration_gets_awss_validation_message(server) -> None:
    client = server.client(validate=False)  # boto3 would refuse these itself; the server must too
    code = zipped({"h.py": "def m(e, c):\n    return 1\n"})
    with pytest.raises(ClientError) as caught:
        client.create_function(
            FunctionName="bad-memory",
            Runtime="python3.11",
            Role=ROLE,
            Handler="h.m",
            Code={"ZipFile": code},
            MemorySize=64,
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Value '64' at 'memorySize' failed to satisfy constraint" in caught.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="Could not unzip uploaded file"):
        client.create_function(
            FunctionName="bad-zip", Runtime="python3.11", Role=ROLE, Handler="h.m", Code={"ZipFile": b"not a zip"}
        )


def test_list_functions_pages(client) -> None:
    code = zipped({"h.py": "def m(e, c):\n    return 1\n"})
    for index in range(3):
        client.create_function(
            FunctionName=f"paged-{index}", Runtime="python3.11", Role=ROLE, Handler="h.m", Code={"ZipFile": code}
        )
    first = client.list_functions(MaxItems=2)
    assert len(first["Functions"]) == 2 and "NextMarker" in first
    names = [f["FunctionName"] for page in client.get_paginator("list_functions").paginate() for f in page["Functions"]]
    assert {"Echo", "Fails", "Slow", "paged-0", "paged-1", "paged-2"} <= set(names)
    assert len(names) == len(set(names))


def test_versions_are_immutable_snapshots_and_aliases_route_traffic(client, server) -> None:
    client.create_function(
        FunctionName="versioned",
        Runtime="python3.11",
        Role=ROLE,
        Handler="h.m",
        Code={"ZipFile": zipped({"h.py": "def m(e, c):\n    return 'one'\n"})},
    )
    one = client.publish_version(FunctionName="versioned", Description="first")
    assert one["Version"] == "1" and one["FunctionArn"].endswith(":versioned:1")
    assert client.publish_version(FunctionName="versioned")["Version"] == "1", "unchanged: no new version"
    client.update_function_code(FunctionName="versioned", ZipFile=zipped({"h.py": "def m(e, c):\n    return 'two'\n"}))
    two = client.publish_version(FunctionName="versioned")
    assert two["Version"] == "2"
    versions = [v["Version"] for v in client.list_versions_by_function(FunctionName="versioned")["Versions"]]
    assert versions == ["$LATEST", "1", "2"]

    one_result = client.invoke(FunctionName="versioned", Qualifier="1")
    assert json.loads(one_result["Payload"].read()) == "one" and one_result["ExecutedVersion"] == "1"

    alias = client.create_alias(
        FunctionName="versioned",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    assert alias["AliasArn"].endswith(":versioned:live")
    seen = {client.invoke(FunctionName="versioned:live")["ExecutedVersion"] for _ in range(40)}
    assert seen == {"1", "2"}, "a 50% weight sends traffic to both versions"

    client.update_alias(FunctionName="versioned", Name="live", FunctionVersion="2", RoutingConfig={})
    result = client.invoke(FunctionName="versioned", Qualifier="live")
    assert (json.loads(result["Payload"].read()), result["ExecutedVersion"]) == ("two", "2")
    assert client.get_alias(FunctionName="versioned", Name="live")["FunctionVersion"] == "2"
    through = client.get_function(FunctionName="versioned", Qualifier="live")["Configuration"]
    assert (through["Version"], through["FunctionArn"][-15:]) == ("2", ":versioned:live"), "the alias's ARN"
    assert [a["Name"] for a in client.list_aliases(FunctionName="versioned")["Aliases"]] == ["live"]
    with pytest.raises(client.exceptions.ResourceConflictException, match="Alias already exists"):
        client.create_alias(FunctionName="versioned", Name="live", FunctionVersion="1")
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="cannot be greater than 1"):
        client.create_alias(
            FunctionName="versioned",
            Name="two-weights",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "$LATEST": 0.1}},
        )
    # AWS's answers, as LocalStack's provider gives them (held to AWS-recorded snapshots) and issue 28 found
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.update_alias(
            FunctionName="versioned", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}}
        )
    assert caught.value.response["Error"]["Message"] == (
        "Invalid function version 2. Function version 2 is already included in routing configuration."
    )
    unvalidated = server.client(validate=False)  # boto3 would refuse the weight itself
    with pytest.raises(ClientError) as caught:
        unvalidated.update_alias(
            FunctionName="versioned", Name="live", RoutingConfig={"AdditionalVersionWeights": {"1": 1.5}}
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '{1=1.5}' at 'routingConfig.additionalVersionWeights' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, "
        "Member must have value greater than or equal to 0.0, Member must not be null]"
    )
    client.delete_alias(FunctionName="versioned", Name="live")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Cannot find alias arn"):
        client.get_alias(FunctionName="versioned", Name="live")
    client.delete_function(FunctionName="versioned", Qualifier="1")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="versioned", Qualifier="1")


def test_a_deleted_versions_number_is_never_given_again(client) -> None:
    def publish(text: str) -> str:
        client.update_function_code(
            FunctionName="numbered", ZipFile=zipped({"h.py": f"def m(e, c):\n    return {text!r}\n"})
        )
        return client.publish_version(FunctionName="numbered")["Version"]

    client.create_function(
        FunctionName="numbered", Runtime="python3.11", Role=ROLE, Handler="h.m", Code={"ZipFile": zipped({"h.py": ""})}
    )
    assert (publish("one"), publish("two")) == ("1", "2")
    client.delete_function(FunctionName="numbered", Qualifier="2")
    assert publish("three") == "3"
    client.delete_function(FunctionName="numbered")


def test_template_functions_keep_their_versions_and_aliases_across_restarts(tmp_path) -> None:
    project = write_project(tmp_path / "project", TEMPLATE, CODE.replace('"echo", event', '"echo one", event'))
    first = Server(project, "--api-port", "0").start()
    try:
        client = first.client()
        version = client.publish_version(FunctionName="Echo", Description="the first")["Version"]
        client.create_alias(FunctionName="Echo", Name="live", FunctionVersion=version)
    finally:
        first.stop()
    (project / "src" / "app.py").write_text(CODE.replace('"echo", event', '"echo two", event'))

    second = Server(project, "--api-port", "0", state_dir=first.state_dir).start()
    try:
        client = second.client()
        live = client.invoke(FunctionName="Echo", Qualifier="live", LogType="Tail")
        assert live["ExecutedVersion"] == version
        assert "echo one" in base64.b64decode(live["LogResult"]).decode(), "the version is the code published"
        latest = client.invoke(FunctionName="Echo", LogType="Tail")
        assert "echo two" in base64.b64decode(latest["LogResult"]).decode(), "$LATEST is the template's code"
        versions = client.list_versions_by_function(FunctionName="Echo")["Versions"]
        assert [(v["Version"], v["Description"]) for v in versions][1:] == [(version, "the first")]
        assert client.publish_version(FunctionName="Echo")["Version"] == str(int(version) + 1)
    finally:
        second.stop()


def test_template_functions_publish_versions_too(client, server) -> None:
    version = client.publish_version(FunctionName="Echo")
    result = client.invoke(FunctionName="Echo", Qualifier=version["Version"], Payload=b"{}")
    body = json.loads(result["Payload"].read())
    assert body["version"] == version["Version"] and result["ExecutedVersion"] == version["Version"]


def test_concurrency_settings(client) -> None:
    assert client.get_function_concurrency(FunctionName="Echo").get("ReservedConcurrentExecutions") is None
    client.put_function_concurrency(FunctionName="Echo", ReservedConcurrentExecutions=5)
    assert client.get_function_concurrency(FunctionName="Echo")["ReservedConcurrentExecutions"] == 5
    assert client.get_function(FunctionName="Echo")["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    client.delete_function_concurrency(FunctionName="Echo")
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(FunctionName="Echo")
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="permitted on Lambda functions only"):
        client.put_function_concurrency(FunctionName="Echo:1", ReservedConcurrentExecutions=1)
    settings = client.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000


def test_event_invoke_config_lifecycle(client) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="doesn't have an EventInvokeConfig"):
        client.get_function_event_invoke_config(FunctionName="Echo")
    put = client.put_function_event_invoke_config(FunctionName="Echo", MaximumRetryAttempts=1)
    assert put["FunctionArn"].endswith(":function:Echo:$LATEST") and put["MaximumRetryAttempts"] == 1
    updated = client.update_function_event_invoke_config(FunctionName="Echo", MaximumEventAgeInSeconds=120)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 120)
    listed = client.list_function_event_invoke_configs(FunctionName="Echo")["FunctionEventInvokeConfigs"]
    assert len(listed) == 1
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="destination for itself"):
        client.put_function_event_invoke_config(
            FunctionName="Echo",
            DestinationConfig={"OnSuccess": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:Echo"}},
        )
    client.delete_function_event_invoke_config(FunctionName="Echo")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_event_invoke_config(FunctionName="Echo")


def test_tags(client) -> None:
    """AWS's answers as issue 28 recorded them against AWS (and as LocalStack's provider, checked
    by its AWS-recorded snapshots, gives them): no tags on a version or alias ARN, at most 50, and
    a tag change is a new RevisionId."""
    arn = "arn:aws:lambda:us-east-1:123456789012:function:Echo"
    deployed = {  # what a deploy of the template leaves on the function (CloudFormation's, SAM's)
        "aws:cloudformation:logical-id": "Echo",
        "aws:cloudformation:stack-name": "lambdahost",
        "lambda:createdBy": "SAM",
    }
    assert client.list_tags(Resource=arn)["Tags"] == deployed
    before = client.get_function(FunctionName="Echo")["Configuration"]["RevisionId"]
    client.tag_resource(Resource=arn, Tags={"team": "core", "env": "dev"})
    assert client.get_function(FunctionName="Echo")["Configuration"]["RevisionId"] != before
    client.untag_resource(Resource=arn, TagKeys=["env"])
    assert client.list_tags(Resource=arn)["Tags"] == {"team": "core", **deployed}
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.tag_resource(Resource=arn + ":$LATEST", Tags={"a": "b"})
    assert caught.value.response["Error"]["Message"] == (
        "Tags on function aliases and versions are not supported. Please specify a function ARN."
    )
    with pytest.raises(
        client.exceptions.InvalidParameterValueException,
        match="TagResource operation: Number of tags exceeds resource tag limit.$",
    ):
        client.tag_resource(Resource=arn, Tags={f"k{n}": "v" for n in range(50)})
    assert client.list_tags(Resource=arn)["Tags"] == {"team": "core", **deployed}, "a refused tagging changes nothing"


def test_publish_on_create_and_update_answers_the_new_version(client) -> None:
    """Publish=True answers the version just published and its qualified ARN, not $LATEST (issue 28,
    from AWS's recorded answers); deleting a version that does not exist answers 204, as AWS does."""
    code = zipped({"h.py": "def m(e, c):\n    return 1\n"})
    created = client.create_function(
        FunctionName="published", Runtime="python3.11", Role=ROLE, Handler="h.m", Code={"ZipFile": code}, Publish=True
    )
    assert created["Version"] == "1" and created["FunctionArn"].endswith(":function:published:1")
    updated = client.update_function_code(
        FunctionName="published", ZipFile=zipped({"h.py": "def m(e, c):\n    return 2\n"}), Publish=True
    )
    assert updated["Version"] == "2" and updated["FunctionArn"].endswith(":function:published:2")
    assert client.delete_function(FunctionName="published", Qualifier="9")["ResponseMetadata"]["HTTPStatusCode"] == 204
    client.delete_function(FunctionName="published")


def test_invoke_with_response_stream(client) -> None:
    """A Python function's result arrives as one PayloadChunk, then InvokeComplete; a function
    error ends the stream with its error code and body."""
    response = client.invoke_with_response_stream(FunctionName="Echo", Payload=b'{"a": 1}', LogType="Tail")
    assert (response["StatusCode"], response["ExecutedVersion"]) == (200, "$LATEST")
    events = list(response["EventStream"])
    assert [next(iter(e)) for e in events] == ["PayloadChunk", "InvokeComplete"]
    assert json.loads(events[0]["PayloadChunk"]["Payload"])["event"] == {"a": 1}
    assert "REPORT RequestId:" in base64.b64decode(events[1]["InvokeComplete"]["LogResult"]).decode()

    failed = list(client.invoke_with_response_stream(FunctionName="Fails", Payload=b"{}")["EventStream"])
    [complete] = [e["InvokeComplete"] for e in failed]
    assert complete["ErrorCode"] == "Unhandled"
    assert json.loads(complete["ErrorDetails"])["errorMessage"] == "nope"
    assert "LogResult" not in complete

    assert client.invoke_with_response_stream(FunctionName="Echo", InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke_with_response_stream(FunctionName="Nope")


def test_resource_based_policy_statements(client) -> None:
    added = client.add_permission(
        FunctionName="Echo",
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount="123456789012",
    )
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "s3-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Echo",
        "Condition": {
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
        },
    }
    client.add_permission(FunctionName="Echo", StatementId="account", Action="lambda:*", Principal="210987654321")
    policy = json.loads(client.get_policy(FunctionName="Echo")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s3-invoke", "account"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}
    with pytest.raises(client.exceptions.ResourceConflictException, match="already exists"):
        client.add_permission(FunctionName="Echo", StatementId="account", Action="lambda:*", Principal="*")

    client.remove_permission(FunctionName="Echo", StatementId="s3-invoke")
    client.remove_permission(FunctionName="Echo", StatementId="account")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="Echo")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Statement account is not found"):
        client.remove_permission(FunctionName="Echo", StatementId="account")


def test_permissions_and_destinations_are_refused_as_aws_refuses_them(client) -> None:
    """AWS's refusals: a principal that is no service, account, IAM ARN or ``*`` (its message, as
    recorded in public CLI transcripts); a stale RevisionId; a destination that is no queue, topic,
    function or event bus, refused with the whole configuration named (the message a CloudFormation
    deploy logged from AWS, found in a public deploy log)."""
    with pytest.raises(client.exceptions.InvalidParameterValueException) as invalid:
        client.add_permission(FunctionName="Echo", StatementId="x", Action="lambda:InvokeFunction", Principal="bob")
    assert invalid.value.response["Error"]["Message"] == (
        "The provided principal was invalid. Please check the principal and try again."
    )
    for principal in ("alexa-appkit.amazon.com", "arn:aws:iam::210987654321:role/caller"):
        client.add_permission(
            FunctionName="Echo", StatementId="ok", Action="lambda:InvokeFunction", Principal=principal
        )
        client.remove_permission(FunctionName="Echo", StatementId="ok")
    with pytest.raises(client.exceptions.PreconditionFailedException):
        client.add_permission(
            FunctionName="Echo", StatementId="x", Action="lambda:*", Principal="*", RevisionId="stale"
        )
    current = client.get_function(FunctionName="Echo")["Configuration"]["RevisionId"]
    client.add_permission(FunctionName="Echo", StatementId="x", Action="lambda:*", Principal="*", RevisionId=current)
    with pytest.raises(client.exceptions.PreconditionFailedException):
        client.remove_permission(FunctionName="Echo", StatementId="x", RevisionId="stale")
    client.remove_permission(FunctionName="Echo", StatementId="x")

    bucket = "arn:aws:s3:::failed-events"
    with pytest.raises(client.exceptions.InvalidParameterValueException) as destination:
        client.put_function_event_invoke_config(
            FunctionName="Echo", DestinationConfig={"OnFailure": {"Destination": bucket}}
        )
    assert destination.value.response["Error"]["Message"] == (
        f"The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination={bucket})) "
        "is invalid."
    )
    accepted = client.put_function_event_invoke_config(
        FunctionName="Echo",
        DestinationConfig={
            "OnSuccess": {"Destination": "arn:aws:events:us-east-1:123456789012:event-bus/default"},
            "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failed"},
        },
    )
    assert accepted["DestinationConfig"]["OnFailure"]["Destination"].endswith(":failed")
    client.delete_function_event_invoke_config(FunctionName="Echo")


def test_settings_kept_for_deploy_tools(client) -> None:
    """Recursion, runtime management and code signing: nothing local acts on them, but tools
    that read and write them (Terraform reads them with every function) get AWS's answers."""
    assert client.get_function_recursion_config(FunctionName="Echo")["RecursiveLoop"] == "Terminate"
    assert client.put_function_recursion_config(FunctionName="Echo", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert client.get_function_recursion_config(FunctionName="Echo")["RecursiveLoop"] == "Allow"

    runtime = client.get_runtime_management_config(FunctionName="Echo")
    assert (runtime["UpdateRuntimeOn"], runtime["FunctionArn"]) == (
        "Auto",
        "arn:aws:lambda:us-east-1:123456789012:function:Echo",
    )
    manual = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef"
    client.put_runtime_management_config(FunctionName="Echo", UpdateRuntimeOn="Manual", RuntimeVersionArn=manual)
    assert client.get_runtime_management_config(FunctionName="Echo")["RuntimeVersionArn"] == manual
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.put_runtime_management_config(FunctionName="Echo", UpdateRuntimeOn="Manual")

    assert client.get_function_code_signing_config(FunctionName="Echo") | {"ResponseMetadata": None} == {
        "CodeSigningConfigArn": "",
        "FunctionName": "Echo",
        "ResponseMetadata": None,
    }
    client.put_function_recursion_config(FunctionName="Echo", RecursiveLoop="Terminate")
    client.put_runtime_management_config(FunctionName="Echo", UpdateRuntimeOn="Auto")


def test_a_function_arn_of_another_region_is_not_reachable(client) -> None:
    """AWS's answer as issue 28 recorded it against AWS: 404, naming both regions."""
    arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:Echo"
    for call in (lambda: client.invoke(FunctionName=arn), lambda: client.get_function(FunctionName=arn)):
        with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
            call()
        assert caught.value.response["Error"]["Message"] == (
            "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')"
        )
    assert client.get_function(FunctionName=arn.replace("ap-southeast-1", "us-east-1"))["Configuration"]


def test_a_function_arn_of_another_account_is_access_denied(client) -> None:
    """Another account's function needs a resource-based policy, which nothing here has: AWS's
    AccessDeniedException, worded as in recorded AWS answers (public CLI transcripts), with the
    operation's IAM action."""
    arn = "arn:aws:lambda:us-east-1:210987654321:function:Echo"
    for call, action in (
        (lambda: client.invoke(FunctionName=arn), "InvokeFunction"),
        (lambda: client.get_function(FunctionName=arn), "GetFunction"),
        (lambda: client.get_function_configuration(FunctionName=arn), "GetFunctionConfiguration"),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        error = caught.value.response["Error"]
        assert (error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
            "AccessDeniedException",
            403,
        )
        assert error["Message"] == (
            f"User: arn:aws:iam::123456789012:root is not authorized to perform: lambda:{action} on resource: "
            f"{arn} because no resource-based policy allows the lambda:{action} action"
        )


def test_listed_configurations_carry_what_aws_lists(client) -> None:
    """ListFunctions and ListVersionsByFunction entries carry no State, LastUpdateStatus or
    RuntimeVersionConfig, and list $LATEST by its qualified ARN (issue 28, from AWS's recorded
    answers); GetFunction keeps them."""
    listed = next(f for f in client.list_functions()["Functions"] if f["FunctionName"] == "Echo")
    assert not {"State", "LastUpdateStatus", "RuntimeVersionConfig"} & set(listed)
    assert listed["FunctionArn"].endswith(":function:Echo")
    latest = client.list_versions_by_function(FunctionName="Echo")["Versions"][0]
    assert latest["Version"] == "$LATEST" and latest["FunctionArn"].endswith(":function:Echo:$LATEST")
    assert not {"State", "LastUpdateStatus"} & set(latest)
    got = client.get_function(FunctionName="Echo")["Configuration"]
    assert got["State"] == "Active" and got["LastUpdateStatus"] == "Successful"


def test_a_role_is_checked_on_update_and_latest_takes_no_policy(server) -> None:
    """As AWS answers (issue 28, from its recorded answers): UpdateFunctionConfiguration checks the
    Role as CreateFunction does; AddPermission refuses the $LATEST qualifier."""
    client = server.client(validate=False)
    with pytest.raises(ClientError) as caught:
        client.update_function_configuration(FunctionName="Echo", Role="not-a-role")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Value 'not-a-role' at 'role' failed to satisfy constraint" in caught.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.add_permission(
            FunctionName="Echo",
            Qualifier="$LATEST",
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
        )
    assert caught.value.response["Error"]["Message"] == "We currently do not support adding policies for $LATEST."


def test_every_lambda_runtime_is_taken_and_one_not_run_here_says_so_when_invoked(client) -> None:
    """Issue 28: AWS's full list of runtimes (botocore's model) is accepted, retired ones refused
    for new functions with AWS's text; a runtime lambdahost has no runtime for yet is created, and
    invoking it fails with an error that names it."""
    code = zipped({"handler.rb": "def handler(event:, context:) = 1\n"})
    created = client.create_function(
        FunctionName="ruby", Runtime="ruby3.3", Role=ROLE, Handler="handler.handler", Code={"ZipFile": code}
    )
    assert created["Runtime"] == "ruby3.3"
    answer = client.invoke(FunctionName="ruby")
    assert answer["FunctionError"] == "Unhandled"
    body = json.loads(answer["Payload"].read())
    assert body["errorType"] == "Runtime.Unsupported" and "ruby3.3" in body["errorMessage"]
    client.delete_function(FunctionName="ruby")
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.create_function(
            FunctionName="old", Runtime="python2.7", Role=ROLE, Handler="h.m", Code={"ZipFile": code}
        )
    assert caught.value.response["Error"]["Message"].startswith(
        "The runtime parameter of python2.7 is no longer supported"
    )


def test_a_malformed_qualifier_is_a_validation_error_not_a_missing_function(server) -> None:
    """Issue 28, from AWS's recorded answers: the API model's pattern and length are checked
    (400 ValidationException) before anything is looked up (404)."""
    client = server.client(validate=False)  # boto3 would refuse these itself
    for qualifier, constraint in (
        ("bad!", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"),
        ("q" * 129, "Member must have length less than or equal to 128"),
    ):
        with pytest.raises(ClientError) as caught:
            client.invoke(FunctionName="Echo", Qualifier=qualifier)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        message = f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy constraint: "
        assert caught.value.response["Error"]["Message"] == message + constraint
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="Echo", Qualifier="nine")


def test_code_locations_download_the_code(tmp_path) -> None:
    """GetFunction's Code.Location and a layer's Content.Location are URLs that download a zip
    with no signature, as AWS's presigned S3 URLs do, even where the API checks signatures; the
    uploaded zip comes back byte for byte (its CodeSha256); a template function's folder is zipped."""
    import hashlib
    import io
    import urllib.request
    import zipfile

    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--api-port", "0", "--credentials", "AKID:s3cret").start()
    try:
        client = server.client(key="AKID", secret="s3cret")
        uploaded = zipped({"handler.py": "def main(e, c):\n    return 'made'\n"})
        client.create_function(
            FunctionName="made", Runtime="python3.11", Role=ROLE, Handler="handler.main", Code={"ZipFile": uploaded}
        )
        made = urllib.request.urlopen(client.get_function(FunctionName="made")["Code"]["Location"]).read()
        assert made == uploaded

        layer = client.publish_layer_version(LayerName="shared", Content={"ZipFile": uploaded})
        content = urllib.request.urlopen(layer["Content"]["Location"]).read()
        assert base64.b64encode(hashlib.sha256(content).digest()).decode() == layer["Content"]["CodeSha256"]

        echo = client.get_function(FunctionName="Echo")["Code"]["Location"]
        assert "app.py" in zipfile.ZipFile(io.BytesIO(urllib.request.urlopen(echo).read())).namelist()
        with pytest.raises(urllib.error.HTTPError) as refused:  # the same path without its signature
            urllib.request.urlopen(echo.split("?")[0])
        assert refused.value.code == 403
    finally:
        server.stop()


def test_a_change_is_in_progress_for_a_while_and_refuses_another(tmp_path) -> None:
    """AWS's function states, with ``--settle-time`` standing for the seconds AWS takes. The
    answers' shapes and messages are AWS's, as recorded in public CLI outputs and LocalStack's
    AWS-validated tests (tests/aws/services/lambda_/test_lambda_api.py): a new function is
    ``Pending`` ("The function is being created.", ``Creating``) and cannot be invoked; an update
    is ``InProgress`` (same reason) and another change meanwhile is a ResourceConflictException.
    boto3's waiters see them settle."""
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--api-port", "0", "--settle-time", "0.5").start()
    try:
        client = server.client()
        code = zipped({"handler.py": "def main(event, context):\n    return 'made'\n"})
        created = client.create_function(
            FunctionName="made", Runtime="python3.11", Role=ROLE, Handler="handler.main", Code={"ZipFile": code}
        )
        assert (created["State"], created["StateReason"], created["StateReasonCode"]) == (
            "Pending",
            "The function is being created.",
            "Creating",
        )
        assert "LastUpdateStatus" not in created
        with pytest.raises(client.exceptions.ResourceConflictException) as pending:
            client.invoke(FunctionName="made")
        assert pending.value.response["Error"]["Message"] == (
            "The operation cannot be performed at this time. The function is currently in the following state: Pending"
        )
        client.get_waiter("function_active_v2").wait(FunctionName="made", WaiterConfig={"Delay": 1})
        assert client.get_function(FunctionName="made")["Configuration"]["State"] == "Active"
        assert json.loads(client.invoke(FunctionName="made")["Payload"].read()) == "made"

        updated = client.update_function_configuration(FunctionName="made", MemorySize=256)
        assert (updated["State"], updated["LastUpdateStatus"], updated["LastUpdateStatusReasonCode"]) == (
            "Active",
            "InProgress",
            "Creating",
        )
        arn = "arn:aws:lambda:us-east-1:123456789012:function:made"
        for change in (
            lambda: client.update_function_configuration(FunctionName="made", MemorySize=512),
            lambda: client.publish_version(FunctionName="made"),
        ):
            with pytest.raises(client.exceptions.ResourceConflictException) as conflict:
                change()
            assert conflict.value.response["Error"]["Message"] == (
                f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"
            )
        assert json.loads(client.invoke(FunctionName="made")["Payload"].read()) == "made", "an update invokes"
        client.get_waiter("function_updated_v2").wait(FunctionName="made", WaiterConfig={"Delay": 1})
        settled = client.get_function_configuration(FunctionName="made")
        assert (settled["LastUpdateStatus"], settled["MemorySize"]) == ("Successful", 256)
        assert client.publish_version(FunctionName="made")["Version"] == "1"
    finally:
        server.stop()


def test_architectures_are_one_of_lambdas_two(server) -> None:
    """Exactly one architecture, x86_64 or arm64 (the API model's list of one, issue 28)."""
    client = server.client(validate=False)  # botocore would refuse two before sending
    code = zipped({"h.py": "def m(e, c):\n    return 1\n"})
    made = client.create_function(
        FunctionName="armed",
        Runtime="python3.12",
        Role=ROLE,
        Handler="h.m",
        Code={"ZipFile": code},
        Architectures=["arm64"],
    )
    assert made["Architectures"] == ["arm64"]
    assert client.get_function_configuration(FunctionName="armed")["Architectures"] == ["arm64"]
    for wrong in (["x86_64", "arm64"], ["sparc"]):
        with pytest.raises(client.exceptions.ClientError, match="ValidationException.*architectures"):
            client.create_function(
                FunctionName="wrong",
                Runtime="python3.12",
                Role=ROLE,
                Handler="h.m",
                Code={"ZipFile": code},
                Architectures=wrong,
            )
    client.delete_function(FunctionName="armed")


def test_a_name_too_long_is_a_validation_error_and_layer_lists_are_there(client) -> None:
    """A function name over 64 characters is a ValidationException (400), not a 404; a layer
    version's compatible runtimes and architectures are answered as [] when none were given
    (issue 28, from AWS's recorded answers)."""
    with pytest.raises(client.exceptions.ClientError, match="ValidationException.*less than or equal to 64"):
        client.get_function(FunctionName="f" * 65)
    layer = client.publish_layer_version(LayerName="plain", Content={"ZipFile": zipped({"python/x.py": ""})})
    assert (layer["CompatibleRuntimes"], layer["CompatibleArchitectures"]) == ([], [])
    got = client.get_layer_version(LayerName="plain", VersionNumber=layer["Version"])
    assert (got["CompatibleRuntimes"], got["CompatibleArchitectures"]) == ([], [])
