"""The running host: the AWS CLI, SigV4, exposure rules, hot reload and clean shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from lambdahost.testing import eventually
from server import LAMBDAHOST, Server, free_port, sigv4_headers, write_project

TEMPLATE = """
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Timeout: 10
  Shell:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: shell
      Handler: function.handler
      Runtime: provided.al2023
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        textwrap.dedent("""
        import time

        def handler(event, context):
            time.sleep(event.get("sleep", 0))
            return {"greeting": "hello", "event": event}
    """)
    )
    (tmp_path / "shell").mkdir()
    bootstrap = tmp_path / "shell" / "bootstrap"
    bootstrap.write_text(
        textwrap.dedent("""
        #!/bin/sh
        while true; do
          HEADERS="$(mktemp)"
          EVENT=$(curl -sS -D "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
          ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$ID/response" \\
            -d "{\\"shell\\": $EVENT}" > /dev/null
        done
    """).lstrip()
    )
    bootstrap.chmod(0o755)
    (tmp_path / "template.yaml").write_text(textwrap.dedent(TEMPLATE))
    return tmp_path


def aws(*args: str, endpoint: str, cwd: Path, key: str = "test", secret: str = "test") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    command = [str(Path(sys.executable).parent / "aws"), "--endpoint-url", endpoint, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_aws_cli_invoke(project: Path) -> None:
    server = Server(project).start()
    try:
        result = aws(
            "lambda",
            "invoke",
            "--function-name",
            "Hello",
            "--payload",
            '{"from": "cli"}',
            "--log-type",
            "Tail",
            "out.json",
            endpoint=server.endpoint,
            cwd=project,
        )
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["StatusCode"] == 200 and summary["ExecutedVersion"] == "$LATEST"
        assert json.loads((project / "out.json").read_text()) == {"greeting": "hello", "event": {"from": "cli"}}
        listed = aws("lambda", "list-functions", endpoint=server.endpoint, cwd=project)
        assert {f["FunctionName"] for f in json.loads(listed.stdout)["Functions"]} == {"Hello", "Shell"}
        missing = aws("lambda", "invoke", "--function-name", "Nope", "out.json", endpoint=server.endpoint, cwd=project)
        assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
    finally:
        server.stop()


def test_custom_runtime_through_the_server(project: Path) -> None:
    server = Server(project).start()
    try:
        response = server.client().invoke(FunctionName="Shell", Payload=b'{"n": 1}')
        assert json.loads(response["Payload"].read()) == {"shell": {"n": 1}}
    finally:
        server.stop()


def test_sigv4_verification_with_configured_credentials(project: Path) -> None:
    server = Server(project, "--credentials", "AKIDLOCAL:s3cret").start()
    try:
        good = server.client(key="AKIDLOCAL", secret="s3cret")
        assert (
            json.loads(
                good.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:Hello", Payload=b"{}")[
                    "Payload"
                ].read()
            )["greeting"]
            == "hello"
        )
        assert good.list_functions()["Functions"]
        with pytest.raises(Exception) as wrong_secret:
            server.client(key="AKIDLOCAL", secret="guess").invoke(FunctionName="Hello")
        assert wrong_secret.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert wrong_secret.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        with pytest.raises(Exception) as unknown_key:
            server.client(key="AKIDOTHER", secret="s3cret").list_functions()
        assert unknown_key.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert (
            unknown_key.value.response["Error"]["Message"] == "The security token included in the request is invalid."
        )
        cli = aws(
            "lambda",
            "invoke",
            "--function-name",
            "Hello",
            "out.json",
            endpoint=server.endpoint,
            cwd=project,
            key="AKIDLOCAL",
            secret="s3cret",
        )
        assert cli.returncode == 0, cli.stderr
    finally:
        server.stop()


def test_aws_iam_urls_and_routes_verify_signatures_with_configured_credentials(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        """
        Resources:
          Private:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              FunctionUrlConfig: {AuthType: AWS_IAM}
              Events:
                Rest: {Type: Api, Properties: {Path: /private, Method: GET, Auth: {Authorizer: AWS_IAM}}}
        """,
        """
        def handler(event, context):
            context_ = event["requestContext"]
            caller = context_["authorizer"]["iam"] if "authorizer" in context_ else context_["identity"]
            return {"statusCode": 200, "body": caller["accessKey"]}
        """,
    )
    api_port = free_port()
    server = Server(tmp_path, "--credentials", "AKIDLOCAL:s3cret", "--api-port", str(api_port), "--no-watch").start()
    try:
        url = f"http://127.0.0.1:{api_port}/lambda-url/Private/"
        good = httpx.get(url, headers=sigv4_headers("GET", url, "AKIDLOCAL", "s3cret"))
        assert (good.status_code, good.text) == (200, "AKIDLOCAL")
        for key, secret in (("AKIDLOCAL", "guess"), ("AKIDOTHER", "s3cret")):
            refused = httpx.get(url, headers=sigv4_headers("GET", url, key, secret))
            assert refused.status_code == 403, (key, secret)
            assert refused.headers["x-amzn-errortype"] == "AccessDeniedException"
        assert httpx.get(url).status_code == 403
        route = f"http://127.0.0.1:{api_port}/private"
        signed = httpx.get(route, headers=sigv4_headers("GET", route, "AKIDLOCAL", "s3cret", "execute-api"))
        assert (signed.status_code, signed.text) == (200, "AKIDLOCAL")
        wrong = httpx.get(route, headers=sigv4_headers("GET", route, "AKIDLOCAL", "guess", "execute-api"))
        assert wrong.status_code == 403
        assert wrong.json()["message"].startswith("The request signature we calculated does not match")
        unknown = httpx.get(route, headers=sigv4_headers("GET", route, "AKIDOTHER", "s3cret", "execute-api"))
        assert unknown.json() == {"message": "The security token included in the request is invalid."}
    finally:
        server.stop()


def test_other_addresses_need_credentials(project: Path) -> None:
    refused = subprocess.run(
        [LAMBDAHOST, "serve", "--host", "0.0.0.0", "--port", "0"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode != 0
    assert "serving on 0.0.0.0 opens your functions to the network: add --credentials KEY:SECRET" in refused.stderr


def test_saved_code_is_served_by_the_next_invocation(project: Path) -> None:
    server = Server(project).start()
    try:
        client = server.client()
        assert json.loads(client.invoke(FunctionName="Hello")["Payload"].read())["greeting"] == "hello"
        source = project / "src" / "app.py"
        source.write_text(source.read_text().replace('"hello"', '"bonjour"'))
        eventually(
            lambda: json.loads(client.invoke(FunctionName="Hello")["Payload"].read())["greeting"] == "bonjour",
            "the saved change was served",
            timeout=15,
        )
        # (the lines of 50 ms go out together)
        eventually(lambda: "Hello:$LATEST OK" in server.log(), "each invocation is logged to the terminal", timeout=5)
    finally:
        server.stop()


def test_sigterm_lets_in_flight_invocations_finish(project: Path) -> None:
    server = Server(project).start()
    outcome = {}

    def call():
        outcome["response"] = server.client().invoke(FunctionName="Hello", Payload=b'{"sleep": 2}')

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(1.0)
    # uvicorn shuts down gracefully, then re-raises the signal, as a SIGTERM'd process should end.
    assert server.stop() in (0, -15)
    thread.join(30)
    assert json.loads(outcome["response"]["Payload"].read())["event"] == {"sleep": 2}


def test_credentials_from_the_environment_stay_off_the_command_line(project: Path, monkeypatch) -> None:
    """LAMBDAHOST_CREDENTIALS guards the host as --credentials does, and ps (the process's
    command line) shows no secret (issue 29)."""
    monkeypatch.setenv("LAMBDAHOST_CREDENTIALS", "AKIDLOCAL:s3cret")
    server = Server(project).start()
    try:
        assert b"s3cret" not in Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
        assert server.client(key="AKIDLOCAL", secret="s3cret").list_functions()["Functions"]
        with pytest.raises(Exception) as refused:
            server.client(key="AKIDLOCAL", secret="guess").list_functions()
        assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        server.stop()
