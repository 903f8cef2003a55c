"""A Serverless Framework service (``tests/serverless_project/serverless.yml``) runs as it is:
variables, the provider's settings under each function's, and each event served end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from lambdahost.testing import eventually
from server import LAMBDAHOST, api_server

SERVICE = Path(__file__).parent / "serverless_project"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("SHOP_OUT", str(out))
    monkeypatch.setenv("SHOP_GREETING", "howdy")
    return Path(shutil.copytree(SERVICE, tmp_path / "service"))


def test_functions_are_named_and_set_as_the_framework_does(project: Path) -> None:
    listed = subprocess.run(
        [LAMBDAHOST, "list", "--parameter-overrides", "stage=prod"], cwd=project, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert rows == [
        ["hello", "shop-prod-hello", "handler.hello", "python3.11", "1024", "MB", "10", "s"],
        ["worker", "shop-prod-worker", "handler.record", "python3.11", "256", "MB", "10", "s"],
    ], "the Framework's names and default memory; ${opt:stage} from --parameter-overrides"
    assert listed.stderr.strip() == "lambdahost: not emulated here, so ignored: alb event (worker)"


def test_each_event_of_the_service_is_served(project: Path, tmp_path: Path) -> None:
    server = api_server(project, "--async-delay-scale", "0.01")
    try:
        api = f"http://127.0.0.1:{server.api_port}"
        hello = httpx.get(f"{api}/hello/ann", timeout=30).json()
        assert hello == {"message": "howdy, ann", "stage": "dev", "table": "shop-dev-items"}
        assert httpx.get(f"{api}/legacy/hello", timeout=30).json()["message"] == "howdy, you"
        sqs = server.aws_client("sqs")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="Jobs")["QueueUrl"], MessageBody="job-1")
        server.aws_client("sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:alerts", Message="alert-1")
        server.aws_client("s3").put_object(Bucket="shop-uploads", Key="incoming/photo.jpg", Body=b"x")
        server.aws_client("s3").put_object(Bucket="shop-uploads", Key="elsewhere/skipped.jpg", Body=b"x")
        received = tmp_path / "out" / "worker.jsonl"
        eventually(
            lambda: received.exists() and len(received.read_text().splitlines()) >= 3, "the three events arrived"
        )
        time.sleep(0.5)
    finally:
        server.stop()
    events = [json.loads(line) for line in received.read_text().splitlines()]
    sources = sorted(e["Records"][0].get("eventSource") or e["Records"][0].get("EventSource") for e in events)
    assert sources == ["aws:s3", "aws:sns", "aws:sqs"], "the s3 rule kept the other key out"


def test_file_variables_are_read_and_unread_sources_say_so(tmp_path: Path) -> None:
    """``${file(./config.yml):path}`` reads a JSON or YAML file beside the service, as the
    Framework does; a source lambdahost cannot read (SSM, CloudFormation outputs) is named, with
    the way out (a default)."""
    from lambdahost.template import TemplateError, load_project

    (tmp_path / "src").mkdir()
    (tmp_path / "config.yml").write_text("limits: {orders: 5}\nregion: ${opt:region, 'eu-west-1'}\n")
    (tmp_path / "names.json").write_text('{"table": "orders"}')
    service = """
service: files
provider:
  name: aws
  runtime: python3.12
  environment:
    LIMIT: ${file(./config.yml):limits.orders}
    TABLE: ${file(./names.json):table}
    REGION: ${file(./config.yml):region}
    SECRET: %s
functions:
  hello: {handler: src/app.handler}
"""
    (tmp_path / "serverless.yml").write_text(service % "${ssm:/files/secret, 'local'}")
    environment = load_project(tmp_path / "serverless.yml").find("hello").config.environment
    assert (environment["LIMIT"], environment["TABLE"], environment["REGION"], environment["SECRET"]) == (
        "5",
        "orders",
        "eu-west-1",
        "local",
    )
    (tmp_path / "serverless.yml").write_text(service % "${ssm:/files/secret}")
    with pytest.raises(TemplateError, match=r"\$\{ssm:/files/secret\} reads ssm, which lambdahost does not"):
        load_project(tmp_path / "serverless.yml")
    (tmp_path / "serverless.yml").write_text(service % "${file(./missing.yml):x}")
    with pytest.raises(TemplateError, match=r"\$\{file\(./missing.yml\)\}: cannot read .*missing.yml"):
        load_project(tmp_path / "serverless.yml")
