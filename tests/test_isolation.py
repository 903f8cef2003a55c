"""What an environment can leave behind or reach (issue 29): nothing it started outlives the host."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from conftest import CODE_AT_VAR_TASK
from server import Server, alive, write_project

TEMPLATE = """
Resources:
  Spawner:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler}
"""
CODE = """
import subprocess

def handler(event, context):
    # a process in a session (and process group) of its own, as a daemonizing library starts one
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    return child.pid
"""


def test_a_process_in_a_session_of_its_own_ends_with_a_killed_host(tmp_path: Path) -> None:
    """``kill -9`` of serve: its fork-servers see the host gone and end every process the
    environments started, one that left their session too (the fork-server is their subreaper)."""
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--api-port", "0").start()
    try:
        pid = json.loads(server.client().invoke(FunctionName="Spawner")["Payload"].read())
        assert alive(pid)
    finally:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} outlived the host"
        time.sleep(0.05)


@pytest.mark.skipif(not CODE_AT_VAR_TASK, reason="this machine allows no mount namespace for an environment")
def test_a_process_left_behind_ends_with_its_environment(host, make_function) -> None:
    """An environment closed for good (here: its function's code replaced) ends what it started,
    one in a session of its own too, which a kill of its process group misses; the environment's
    mount namespace names them."""
    function = make_function(CODE)
    pid = json.loads(host.invoke(function.name).payload)
    assert alive(pid)
    host.add_function(function)  # its environments are retired: closed for good
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} outlived its environment"
        time.sleep(0.05)
