"""Layers through the Lambda API, on a real ``lambdahost serve`` process driven by boto3: publish,
attach to a function, import from it, list, delete, and find it all again after a restart."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from server import ROLE, Server, write_project, zipped

TEMPLATE = """
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.plain}
"""
PLAIN = "def plain(event, context):\n    return 1\n"
ARN = "arn:aws:lambda:us-east-1:123456789012:layer:"
HANDLER = """
import greeting

def main(event, context):
    return {"greeting": greeting.HELLO, "where": greeting.__file__.split("/.layers/")[1]}
"""


@pytest.fixture
def server(tmp_path):
    running = Server(write_project(tmp_path / "project", TEMPLATE, PLAIN), "--api-port", "0").start()
    yield running
    running.stop()


def _publish(client, name: str, hello: str, **options) -> dict:
    content = zipped({"python/greeting.py": f"HELLO = {hello!r}\n"})
    return client.publish_layer_version(LayerName=name, Content={"ZipFile": content}, **options)


def _greeting(client, function: str) -> dict:
    return json.loads(client.invoke(FunctionName=function)["Payload"].read())


def test_a_published_layer_is_importable_from_a_function(server) -> None:
    client = server.client()
    first = _publish(client, "greetings", "hello", CompatibleRuntimes=["python3.11"], Description="v1")
    assert (first["LayerArn"], first["LayerVersionArn"], first["Version"]) == (
        f"{ARN}greetings",
        f"{ARN}greetings:1",
        1,
    )
    assert first["Description"] == "v1" and first["CompatibleRuntimes"] == ["python3.11"]
    assert first["Content"]["CodeSize"] > 0 and first["Content"]["CodeSha256"]

    code = zipped({"handler.py": HANDLER})
    created = client.create_function(
        FunctionName="greeter",
        Runtime="python3.11",
        Role=ROLE,
        Handler="handler.main",
        Code={"ZipFile": code},
        Layers=[first["LayerVersionArn"]],
    )
    assert created["Layers"] == [{"Arn": f"{ARN}greetings:1", "CodeSize": first["Content"]["CodeSize"]}]
    assert _greeting(client, "greeter") == {"greeting": "hello", "where": "greetings/1/python/greeting.py"}

    second = _publish(client, "greetings", "bonjour")
    assert second["Version"] == 2
    updated = client.update_function_configuration(FunctionName="greeter", Layers=[second["LayerVersionArn"]])
    assert [layer["Arn"] for layer in updated["Layers"]] == [f"{ARN}greetings:2"]
    assert _greeting(client, "greeter")["greeting"] == "bonjour"  # a fresh environment, the new layer

    removed = client.update_function_configuration(FunctionName="greeter", Layers=[])
    assert "Layers" not in removed
    body = json.loads(client.invoke(FunctionName="greeter")["Payload"].read())
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_reading_listing_and_deleting_layer_versions(server) -> None:
    client = server.client()
    _publish(client, "alpha", "a1", CompatibleRuntimes=["python3.11"], CompatibleArchitectures=["x86_64"])
    _publish(client, "alpha", "a2", CompatibleRuntimes=["python3.12"], LicenseInfo="MIT")
    _publish(client, "beta", "b1", CompatibleRuntimes=["python3.11"])

    got = client.get_layer_version(LayerName="alpha", VersionNumber=2)
    assert (got["Version"], got["LicenseInfo"], got["CompatibleRuntimes"]) == (2, "MIT", ["python3.12"])
    assert client.get_layer_version(LayerName=f"{ARN}alpha", VersionNumber=1)["Version"] == 1
    assert client.get_layer_version_by_arn(Arn=f"{ARN}beta:1")["LayerArn"] == f"{ARN}beta"

    versions = client.list_layer_versions(LayerName="alpha")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]  # newest first
    filtered = client.list_layer_versions(LayerName="alpha", CompatibleRuntime="python3.11")["LayerVersions"]
    assert [v["Version"] for v in filtered] == [1]

    layers = client.list_layers()["Layers"]
    assert [(layer["LayerName"], layer["LatestMatchingVersion"]["Version"]) for layer in layers] == [
        ("alpha", 2),
        ("beta", 1),
    ]
    matching = client.list_layers(CompatibleRuntime="python3.11")["Layers"]
    assert [(layer["LayerName"], layer["LatestMatchingVersion"]["Version"]) for layer in matching] == [
        ("alpha", 1),
        ("beta", 1),
    ]
    assert client.list_layers(CompatibleArchitecture="arm64")["Layers"] == []

    client.delete_layer_version(LayerName="alpha", VersionNumber=2)
    client.delete_layer_version(LayerName="alpha", VersionNumber=2)  # again: still a success
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_layer_version(LayerName="alpha", VersionNumber=2)
    assert [v["Version"] for v in client.list_layer_versions(LayerName="alpha")["LayerVersions"]] == [1]
    assert _publish(client, "alpha", "a3")["Version"] == 3  # a deleted number is never given again


def test_bad_layer_references_get_awss_errors(server) -> None:
    client = server.client(validate=False)  # boto3 would refuse some of these itself; the server must too
    layer = _publish(client, "real", "x")
    code = {"ZipFile": zipped({"handler.py": HANDLER})}

    def create(layers: list[str]) -> ClientError:
        with pytest.raises(ClientError) as caught:
            client.create_function(
                FunctionName="bad", Runtime="python3.11", Role=ROLE, Handler="handler.main", Code=code, Layers=layers
            )
        return caught.value

    missing = create([f"{ARN}real:7"])
    assert missing.response["Error"]["Code"] == "InvalidParameterValueException"
    assert missing.response["Error"]["Message"] == f"Layer version {ARN}real:7 does not exist."
    other_account = create(["arn:aws:lambda:us-east-1:999999999999:layer:real:1"])
    assert other_account.response["Error"]["Code"] == "InvalidParameterValueException"
    malformed = create([f"{ARN}real"])  # no version
    assert malformed.response["Error"]["Code"] == "ValidationException"
    too_many = create([layer["LayerVersionArn"]] * 6)
    assert too_many.response["Error"]["Message"] == "Cannot reference more than 5 layers."
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="bad")  # nothing was created on the way

    with pytest.raises(client.exceptions.InvalidParameterValueException, match="Could not unzip"):
        client.publish_layer_version(LayerName="broken", Content={"ZipFile": b"not a zip"})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_layer_version(LayerName="nothing", VersionNumber=1)


def test_layers_and_their_functions_outlive_the_host(server) -> None:
    client = server.client()
    layer = _publish(client, "kept", "still here")
    client.create_function(
        FunctionName="keeper",
        Runtime="python3.11",
        Role=ROLE,
        Handler="handler.main",
        Code={"ZipFile": zipped({"handler.py": HANDLER})},
        Layers=[layer["LayerVersionArn"]],
    )
    client.delete_layer_version(LayerName="kept", VersionNumber=1)  # its functions keep it, as on AWS
    server.stop()

    restarted = Server(server.folder, "--api-port", "0", state_dir=server.state_dir).start()
    try:
        client = restarted.client()
        assert _greeting(client, "keeper")["greeting"] == "still here"
        configuration = client.get_function_configuration(FunctionName="keeper")
        assert [entry["Arn"] for entry in configuration["Layers"]] == [f"{ARN}kept:1"]
        assert client.list_layer_versions(LayerName="kept")["LayerVersions"] == []
        assert _publish(client, "kept", "again")["Version"] == 2
    finally:
        restarted.stop()
