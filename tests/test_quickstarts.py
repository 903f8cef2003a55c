"""``lambdahost init``'s quick starts, and the pytest plugin their tests use: each project is made
by the command line and its own tests run with pytest, in a process of their own, against the
``lambdahost serve`` the plugin starts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lambdahost.quickstarts import NODE_QUICKSTARTS, QUICKSTARTS
from server import LAMBDAHOST


def init(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LAMBDAHOST, "init", *args], cwd=folder, capture_output=True, text=True, timeout=60)


def run_tests(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )


MADE = [(quickstart, ()) for quickstart in QUICKSTARTS] + [
    (quickstart, ("--runtime", "nodejs20.x")) for quickstart in NODE_QUICKSTARTS
]


@pytest.mark.parametrize(("quickstart", "runtime"), MADE, ids=[f"{q}{'-'.join(('', *r[1:]))}" for q, r in MADE])
def test_each_quick_start_passes_its_own_tests(tmp_path: Path, quickstart: str, runtime: tuple[str, ...]) -> None:
    made = init(tmp_path, "my-project", "--template", quickstart, "--no-interactive", *runtime)
    assert made.returncode == 0, made.stderr
    assert f"from the {quickstart} quick start" in made.stdout
    project = tmp_path / "my-project"
    assert {"template.yaml", "README.md", "events", "tests", "pytest.ini"} <= {p.name for p in project.iterdir()}
    tested = run_tests(project)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout


def test_init_again_leaves_its_project_and_says_what_to_run(tmp_path: Path) -> None:
    first, again = init(tmp_path, "hello"), init(tmp_path, "hello")
    assert first.returncode == again.returncode == 0, again.stderr
    assert "is there already" in again.stdout
    # the commands it suggests work in this shell, activated or not: the script's own path
    found = shutil.which("lambdahost")
    command = "lambdahost" if found and Path(found).resolve() == Path(LAMBDAHOST).resolve() else LAMBDAHOST
    assert f"Try it:  cd hello && {command} invoke -e events/event.json" in again.stdout
    (tmp_path / "hello" / "lambda_function.py").write_text("def lambda_handler(event, context):\n    return 1\n")
    changed = init(tmp_path, "hello")
    assert changed.returncode != 0 and changed.stderr.strip() == "Error: 'hello' already exists and is not empty"


def test_a_quick_start_that_does_not_exist_is_named_with_those_that_do(tmp_path: Path) -> None:
    refused = init(tmp_path, "x", "--template", "flask")
    assert refused.returncode != 0
    assert refused.stderr.strip() == f"Error: no quick start 'flask': there are {', '.join(QUICKSTARTS)}"
    python_only = init(tmp_path, "x", "--template", "powertools-api", "--runtime", "nodejs22.x")
    assert python_only.returncode != 0
    assert python_only.stderr.strip() == (
        "Error: the powertools-api quick start is a Python project; for nodejs22.x there are "
        + ", ".join(NODE_QUICKSTARTS)
    )


PLUGIN_TEST = """
import pytest


def test_a_server_of_its_own(lambdahost_fresh, lambdahost):
    assert lambdahost_fresh.endpoint != lambdahost.endpoint
    assert lambdahost_fresh.invoke("hello", {"a": 1}).payload["statusCode"] == 200


def test_the_clients_and_the_logs(lambda_client, aws_client, lambdahost):
    names = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]
    assert names == ["hello"]
    aws_client("sqs").create_queue(QueueName="scratch")
    assert aws_client("sqs").list_queues()["QueueUrls"][0].endswith("/scratch")
    request_id = lambdahost.invoke("hello").log.split("RequestId: ")[1].split()[0]
    assert f"REPORT RequestId: {request_id}" in "\\n".join(lambdahost.logs("hello"))


def test_an_unknown_function(lambdahost, lambda_client):
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambdahost.invoke("nothing")
"""


def test_the_plugins_other_fixtures(tmp_path: Path) -> None:
    assert init(tmp_path, "hello").returncode == 0
    (tmp_path / "hello" / "tests" / "test_plugin.py").write_text(PLUGIN_TEST)
    tested = run_tests(tmp_path / "hello")
    assert tested.returncode == 0 and "4 passed" in tested.stdout, tested.stdout + tested.stderr
