"""Layers through the Lambda API, on a real ``lambdahost serve`` process driven by boto3: publish,
attach to a function, import from it, list, delete, and find it all again after a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


USES_SHARED_LAYER = """
Resources:
  Greeter:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: src, Handler: handler.main, Layers: [{layer}]}}
"""


def _invoke_cli(project, cache, **env) -> subprocess.CompletedProcess:
    variables = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    variables.update(
        {"XDG_CACHE_HOME": str(cache), "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    )
    variables.update({"AWS_EC2_METADATA_DISABLED": "true", **env})
    command = [str(Path(sys.executable).parent / "lambdahost"), "invoke", "Greeter"]
    return subprocess.run(command, cwd=project, env=variables, capture_output=True, text=True, timeout=120)


def test_a_layer_deployed_in_aws_is_downloaded_once_and_cached(server, tmp_path) -> None:
    """A layer the template names by ARN and does not hold is fetched as ``sam local`` fetches it:
    GetLayerVersionByArn with the caller's credentials, then its Content.Location. Here the AWS
    account is another lambdahost (``AWS_ENDPOINT_URL_LAMBDA`` points botocore at it, as it would
    at any endpoint). Once cached, no credentials and no network are needed."""
    published = _publish(server.client(), "shared", "from the account")
    project = write_project(tmp_path / "app", USES_SHARED_LAYER.format(layer=published["LayerVersionArn"]), "")
    (project / "src" / "handler.py").write_text(HANDLER.replace('.split("/.layers/")[1]', ""))
    cache = tmp_path / "cache"

    without = _invoke_cli(project, cache)
    assert "no AWS credentials to download it with (Greeter)" in without.stderr
    assert "No module named 'greeting'" in without.stdout + without.stderr

    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    fetched = _invoke_cli(project, cache, AWS_ENDPOINT_URL_LAMBDA=server.endpoint, **credentials)
    assert fetched.returncode == 0, fetched.stderr
    answer = json.loads(fetched.stdout)
    assert answer["greeting"] == "from the account"
    folder = cache / "lambdahost" / "layers" / "us-east-1" / "123456789012" / "shared" / "1"
    assert answer["where"] == str(folder / "python" / "greeting.py")

    server.stop()  # the account is gone: the cached version is enough
    again = _invoke_cli(project, cache)
    assert again.returncode == 0 and json.loads(again.stdout)["greeting"] == "from the account"
    assert "not emulated" not in again.stderr


def test_a_layer_aws_does_not_know_is_skipped_with_its_reason(server, tmp_path) -> None:
    missing = f"{ARN}nothing:3"
    project = write_project(tmp_path / "app", USES_SHARED_LAYER.format(layer=missing), "")
    (project / "src" / "handler.py").write_text("def main(event, context):\n    return 'ran'\n")
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    result = _invoke_cli(project, tmp_path / "cache", AWS_ENDPOINT_URL_LAMBDA=server.endpoint, **credentials)
    assert result.returncode == 0 and json.loads(result.stdout) == "ran"
    assert f"layer {missing}, not in the template: AWS answered ResourceNotFoundException (Greeter)" in result.stderr
