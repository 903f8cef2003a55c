"""DNS rebinding: a web page whose name now resolves to 127.0.0.1 is, to the browser, the same
origin as before, so only the ``Host`` header gives it away. The console, the Lambda API and
``/_lambdahost`` answer only requests that name this server."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import boto3
import httpx
import pytest

from lambdahost.api.exposure import HostCheck
from lambdahost.testing import eventually
from server import ROLE, Server, write_project, zipped

TEMPLATE = """
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Events:
        FromJobs:
          Type: SQS
          Properties: {Queue: !GetAtt Jobs.Arn, BatchSize: 1}
"""
# Leaves a mark (a file) where the event, or an SQS message's body, says: proof that it ran.
CODE = """
import json

def handler(event, context):
    for record in event.get("Records", [event]):
        body = json.loads(record["body"]) if "body" in record else record
        if "mark" in body:
            open(body["mark"], "a").close()
    return "ran"
"""


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:3001", True),
        ("127.0.0.1", True),
        ("localhost:3001", True),
        ("LocalHost.:3001", True),
        ("app.localhost:3001", True),  # browsers keep *.localhost on loopback
        ("[::1]:3001", True),
        ("192.168.1.20:3001", True),  # an address is what the browser connected to, never a rebound name
        ("devbox:3001", True),  # allowed explicitly
        ("evil.example:3001", False),
        ("evil.example", False),
        ("localhost.evil.example:3001", False),
        ("127.0.0.1.nip.io:3001", False),
        ("[evil.example]:3001", False),
        (None, True),  # HTTP/1.0 without a Host: no browser's
    ],
)
def test_which_host_names_are_answered(host: str | None, allowed: bool) -> None:
    refusal = HostCheck("127.0.0.1", ["devbox"]).refusal(host)
    assert (refusal is None) is allowed
    if refusal is not None:
        assert refusal.status == 403 and refusal.code == "AccessDeniedException"
        assert f"Host '{host}' is not a name this server answers to" in refusal.message


def _invoke_request(mark: Path) -> tuple[str, bytes, dict]:
    return "/2015-03-31/functions/Hello/invocations", json.dumps({"mark": str(mark)}).encode(), {}


def _create_function_request(name: str) -> tuple[str, bytes, dict]:
    body = {
        "FunctionName": name,
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": base64.b64encode(zipped({"app.py": CODE})).decode()},
    }
    return "/2015-03-31/functions", json.dumps(body).encode(), {"Content-Type": "application/json"}


def test_a_foreign_host_is_refused_and_changes_nothing_while_loopback_names_work(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", TEMPLATE, CODE)
    server = Server(project, "--api-port", "0", "--no-watch").start()
    port = server.port
    try:

        def requests(tag: str) -> list[tuple[str, bytes, dict]]:
            """The console's create, CreateFunction, Invoke and an SQS send through /_lambdahost."""
            return [
                (
                    "/console/api/functions",
                    json.dumps({"name": f"console-{tag}"}).encode(),
                    {"X-Lambdahost-Console": "1"},
                ),
                _create_function_request(f"api-{tag}"),
                _invoke_request(tmp_path / f"invoked-{tag}"),
                (
                    "/_lambdahost/sqs/Jobs/messages",
                    json.dumps({"MessageBody": json.dumps({"mark": str(tmp_path / f"queued-{tag}")})}).encode(),
                    {},
                ),
            ]

        for name in ("evil.example", "rebound.attacker.test"):
            for origin in (None, f"http://{name}:{port}"):
                headers = {"Host": f"{name}:{port}"} | ({"Origin": origin} if origin else {})
                for path, body, extra in requests("foreign"):
                    refused = httpx.post(server.endpoint + path, content=body, headers={**extra, **headers})
                    assert refused.status_code == 403, (path, refused.text)
                    assert refused.headers["x-amzn-ErrorType"] == "AccessDeniedException"
                    assert f"--allow-host {name}" in refused.json()["message"]
                assert httpx.get(server.endpoint + "/", headers=headers).status_code == 403, "the console page too"

        for name, tag in (("127.0.0.1", "address"), ("localhost", "localhost")):
            for path, body, extra in requests(tag):
                answered = httpx.post(server.endpoint + path, content=body, headers={**extra, "Host": f"{name}:{port}"})
                assert answered.status_code < 300, (path, answered.text)
        client = boto3.client(
            "lambda",
            endpoint_url=f"http://localhost:{port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        names = {f["FunctionName"] for f in client.list_functions()["Functions"]}
        assert {"console-address", "console-localhost", "api-address", "api-localhost"} <= names
        assert not any("foreign" in n for n in names), "nothing was created through a foreign Host"
        eventually(
            lambda: (tmp_path / "queued-localhost").exists() and (tmp_path / "queued-address").exists(),
            "the messages sent through loopback names were delivered",
        )
        time.sleep(1)  # a message queued through a foreign Host would have been delivered by now too
        assert (tmp_path / "invoked-localhost").exists() and (tmp_path / "invoked-address").exists()
        assert not (tmp_path / "invoked-foreign").exists() and not (tmp_path / "queued-foreign").exists()
    finally:
        server.stop()


def test_a_name_allowed_explicitly_is_answered(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", TEMPLATE, CODE)
    server = Server(project, "--api-port", "0", "--no-watch", "--allow-host", "devbox.internal").start()
    try:
        path, body, _ = _invoke_request(tmp_path / "invoked")
        headers = {"Host": f"devbox.internal:{server.port}"}
        assert httpx.post(server.endpoint + path, content=body, headers=headers).status_code == 200
        assert (tmp_path / "invoked").exists()
        other = httpx.post(server.endpoint + path, content=body, headers={"Host": f"other.internal:{server.port}"})
        assert other.status_code == 403
    finally:
        server.stop()
