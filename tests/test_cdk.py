"""A CDK app's cloud assembly (``tests/cdk_project``, made by ``cdk synth``) runs as it is: the
stack's template is found in ``cdk.out``, each asset is its local folder, functions answer to
their construct's path, and the stack's event source mapping, URL and alias work."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from lambdahost.testing import eventually
from server import LAMBDAHOST, api_server

CDK_PROJECT = Path(__file__).parent / "cdk_project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CDK_PROJECT, tmp_path / "app"))


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LAMBDAHOST, *args], cwd=folder, capture_output=True, text=True, timeout=120)


def test_a_cloud_assembly_is_found_and_its_functions_answer_to_their_construct_path(project: Path) -> None:
    listed = _cli(project, "list")
    assert listed.returncode == 0, listed.stderr
    assert "Worker11F36D0F" in listed.stdout and "python3.12" in listed.stdout
    assert "not emulated" not in listed.stderr, "a CDK stack's roles, policies and metadata need no emulating"
    for name in ("Worker", "ShopStack/Worker", "Worker11F36D0F"):
        invoked = _cli(project, "invoke", name, "--payload", '{"rawPath": "/x"}')
        assert invoked.returncode == 0, invoked.stderr
        body = json.loads(json.loads(invoked.stdout)["body"])
        assert body == {"greeting": "hello from cdk", "path": "/x", "layer": "helpers from a layer"}, "its layer asset"
    assert (project / ".lambdahost").is_dir() and not (project / "cdk.out" / ".lambdahost").exists()


def test_the_stacks_queue_mapping_url_and_alias_work_under_serve(project: Path) -> None:
    server = api_server(project)
    try:
        sqs = server.aws_client("sqs")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="JobsDF1CC2D4")["QueueUrl"], MessageBody="job-1")
        eventually(
            lambda: 'QUEUE ["job-1"]' in server.log() + _cli(project, "logs", "Worker11F36D0F").stdout,
            "the queue's message reached the function",
        )
        url = httpx.get(f"http://127.0.0.1:{server.api_port}/lambda-url/Worker11F36D0F/hi", timeout=30)
        assert url.json() == {"greeting": "hello from cdk", "path": "/hi", "layer": "helpers from a layer"}
        aliases = server.client().list_aliases(FunctionName="Worker11F36D0F")["Aliases"]
        assert [(a["Name"], a["FunctionVersion"]) for a in aliases] == [("live", "1")]
    finally:
        server.stop()
