"""Function URLs made through the Lambda API (boto3) on a real ``lambdahost serve``, then called
over HTTP on its API port: unqualified and alias URLs, AWS_IAM, CORS, updates and deletes."""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError

from server import ROLE, api_server, sigv4_headers, write_project, zipped

TEMPLATE = """
Resources:
  Templated:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler}
"""
CODE = """
import os

def handler(event, context):
    return {"statusCode": 200, "body": os.environ.get("WHICH", "latest") + " " + event["rawPath"]}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = api_server(write_project(tmp_path_factory.mktemp("urls"), TEMPLATE, CODE))
    yield running
    running.stop()


def test_a_function_url_made_with_boto3_serves_http(server) -> None:
    client = server.client()
    client.create_function(
        FunctionName="web",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zipped({"app.py": CODE})},
    )
    created = client.create_function_url_config(FunctionName="web", AuthType="NONE")
    assert created["FunctionUrl"] == f"http://127.0.0.1:{server.api_port}/lambda-url/web/"
    assert (created["AuthType"], created["InvokeMode"]) == ("NONE", "BUFFERED")
    response = httpx.get(created["FunctionUrl"] + "hello/there", timeout=30)
    assert (response.status_code, response.text) == (200, "latest /hello/there")

    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_function_url_config(FunctionName="web", AuthType="NONE")
    client.update_function_url_config(
        FunctionName="web", AuthType="AWS_IAM", Cors={"AllowOrigins": ["https://app.example"]}
    )
    got = client.get_function_url_config(FunctionName="web")
    assert got["AuthType"] == "AWS_IAM" and got["Cors"]["AllowOrigins"] == ["https://app.example"]
    assert got["LastModifiedTime"] >= got["CreationTime"]
    unsigned = httpx.get(created["FunctionUrl"], timeout=30)
    assert unsigned.status_code == 403
    signed = httpx.get(
        created["FunctionUrl"], headers=sigv4_headers("GET", created["FunctionUrl"], "AKID", "s", "lambda")
    )
    assert signed.status_code == 200

    client.delete_function_url_config(FunctionName="web")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_url_config(FunctionName="web")
    assert httpx.get(created["FunctionUrl"], timeout=30).status_code == 403  # AWS's answer for no URL


def test_an_alias_has_a_url_of_its_own(server) -> None:
    client = server.client()
    code = {"ZipFile": zipped({"app.py": CODE})}
    client.create_function(
        FunctionName="aliased",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code=code,
        Environment={"Variables": {"WHICH": "version one"}},
        Publish=True,
    )
    client.update_function_configuration(FunctionName="aliased", Environment={"Variables": {"WHICH": "later"}})
    client.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")
    live = client.create_function_url_config(FunctionName="aliased", Qualifier="live", AuthType="NONE")
    assert live["FunctionUrl"].endswith("/lambda-url/aliased:live/") and live["FunctionArn"].endswith(":aliased:live")
    assert httpx.get(live["FunctionUrl"], timeout=30).text == "version one /"
    assert [
        c["FunctionArn"].rsplit(":", 1)[1]
        for c in client.list_function_url_configs(FunctionName="aliased")["FunctionUrlConfigs"]
    ] == ["live"]

    for qualifier, code_name in (("1", "ValidationException"), ("nope", "ResourceNotFoundException")):
        with pytest.raises(ClientError) as caught:
            server.client(validate=False).create_function_url_config(
                FunctionName="aliased", Qualifier=qualifier, AuthType="NONE"
            )
        assert caught.value.response["Error"]["Code"] == code_name
    with pytest.raises(ClientError) as caught:
        server.client(validate=False).create_function_url_config(FunctionName="aliased", AuthType="OPEN")
    assert caught.value.response["Error"]["Code"] == "ValidationException"

    # Deleting the alias deletes its URL and its policy with it, as on AWS.
    client.add_permission(
        FunctionName="aliased",
        Qualifier="live",
        StatementId="public",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    client.delete_alias(FunctionName="aliased", Name="live")
    assert httpx.get(live["FunctionUrl"], timeout=30).status_code == 403
    client.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")
    assert client.list_function_url_configs(FunctionName="aliased")["FunctionUrlConfigs"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="aliased", Qualifier="live")


def test_a_template_functions_own_url_stays_the_templates(server) -> None:
    client = server.client()
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="declare its FunctionUrlConfig"):
        client.create_function_url_config(FunctionName="Templated", AuthType="NONE")
    assert (
        json.loads(client.invoke(FunctionName="Templated", Payload=b'{"rawPath": "/x"}')["Payload"].read())["body"]
        == "latest /x"
    )
