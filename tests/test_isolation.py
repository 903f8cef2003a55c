"""What an environment can leave behind or reach (issue 29): nothing it started outlives the host."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import CODE_AT_VAR_TASK
from lambdahost.testing import eventually
from server import WHO, Server, running, write_project

TEMPLATE = """
Resources:
  Spawner:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler}
"""
CODE = (
    WHO
    + """
import subprocess

def handler(event, context):
    # a process in a session (and process group) of its own, as a daemonizing library starts one
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    return who(child.pid)
"""
)


def test_a_process_in_a_session_of_its_own_ends_with_a_killed_host(tmp_path: Path) -> None:
    """``kill -9`` of serve: its fork-servers see the host gone and end every process the
    environments started, one that left their session too (the fork-server is their subreaper)."""
    server = Server(write_project(tmp_path, TEMPLATE, CODE), "--api-port", "0").start()
    try:
        pid = json.loads(server.client().invoke(FunctionName="Spawner")["Payload"].read())
        assert running(pid)
    finally:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
    eventually(lambda: not running(pid), f"process {pid} ended with the host", timeout=10)


@pytest.mark.skipif(not CODE_AT_VAR_TASK, reason="this machine allows no mount namespace for an environment")
def test_a_process_left_behind_ends_with_its_environment(host, make_function) -> None:
    """An environment closed for good (here: its function's code replaced) ends what it started,
    one in a session of its own too, which a kill of its process group misses; the environment's
    mount namespace names them."""
    function = make_function(CODE)
    pid = json.loads(host.invoke(function.name).payload)
    assert running(pid)
    host.add_function(function)  # its environments are retired: closed for good
    eventually(lambda: not running(pid), f"process {pid} ended with its environment", timeout=10)


RESET = CODE.replace(
    "    return who(child.pid)",
    """    if event.get("hang"):
        time.sleep(10)
    return who(child.pid)""",
).replace("import subprocess", "import subprocess, time")


@pytest.mark.skipif(not CODE_AT_VAR_TASK, reason="this machine allows no namespaces for an environment")
def test_what_a_handler_started_ends_with_a_reset(host, make_function) -> None:
    """A timeout resets the environment: its runtime is killed and, with its process namespace,
    everything it started, one in a session of its own too; the next invocation starts anew in
    the same environment (its /tmp kept) with a namespace of its own again."""
    function = make_function(RESET, timeout=1)
    before = json.loads(host.invoke(function.name).payload)
    timed_out = host.invoke(function.name, {"hang": True})
    assert timed_out.error_type == "Sandbox.Timedout"
    eventually(lambda: not running(before), f"process {before} ended with the reset", timeout=10)
    after = json.loads(host.invoke(function.name).payload)
    assert running(after) and after.split(":")[0] != before.split(":")[0]


# What a function can reach of the machine, from inside its handler (issue 29): each answer the
# probe gives is what one of the peers below sees.
NEIGHBOURS = """
Resources:
  Keeper:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: keeper, Handler: app.handler}
  Prober:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler}
"""
KEEPER = """
import os

def handler(event, context):
    with open("/tmp/private.txt", "w") as private:
        private.write(event["secret"])
    return os.listdir("/tmp")
"""
PROBER = """
import ctypes, glob, os

def read(path):
    try:
        with open(path, "rb") as file:
            return file.read().decode(errors="replace")
    except OSError as exc:
        return type(exc).__name__

def handler(event, context):
    libc = ctypes.CDLL(None, use_errno=True)
    return {
        "processes": sorted(int(entry) for entry in os.listdir("/proc") if entry.isdigit()),
        "others_tmp": [read(path) for path in glob.glob("/proc/*/root/tmp/private.txt")],
        "command_lines": [read(path) for path in glob.glob("/proc/*/cmdline")],
        "environments": [read(path) for path in glob.glob("/proc/*/environ")],
        "state": {path: read(path) for path in event["state"]},
        "keeper_code": read(event["keeper_code"]),
        "own_code": read("/var/task/app.py")[:12],
        "unmount_tmp": libc.umount2(b"/tmp", 2) == 0,
        "devices": sorted(os.listdir("/dev")),
    }
"""


@pytest.mark.skipif(not CODE_AT_VAR_TASK, reason="this machine allows no namespaces for an environment")
def test_an_environment_sees_neither_another_nor_the_host(tmp_path: Path) -> None:
    """From inside a handler, beside a warm environment of another function that keeps a secret in
    its /tmp, under a serve whose --credentials secret is on its command line: its own processes
    only (pid 1, its init, and 2, its runtime), so no other /proc/<pid>/root and no command line
    of the host's; not the state folder nor the other function's code, while its own is there;
    no way to unmount what covers them; and no disk in /dev."""
    project = write_project(tmp_path, NEIGHBOURS, PROBER)
    (project / "keeper").mkdir()
    (project / "keeper" / "app.py").write_text(KEEPER)
    server = Server(project, "--api-port", "0", "--credentials", "AKID:hush-hush").start()
    try:
        client = server.client(key="AKID", secret="hush-hush")
        secret = "the keeper's own"
        client.invoke(FunctionName="Keeper", Payload=json.dumps({"secret": secret}))  # warm, /tmp written
        state = [str(server.state_dir / name) for name in ("state.db", "logs.db")]
        event = {"state": state, "keeper_code": str(project / "keeper" / "app.py")}
        seen = json.loads(client.invoke(FunctionName="Prober", Payload=json.dumps(event))["Payload"].read())
    finally:
        server.stop()
    assert seen["processes"] == [1, 2]
    assert secret not in json.dumps(seen["others_tmp"])
    assert seen["command_lines"] and not [line for line in seen["command_lines"] if "hush-hush" in line]
    assert not [variables for variables in seen["environments"] if "hush-hush" in variables]
    assert set(seen["state"].values()) == {"FileNotFoundError"}, seen["state"]
    assert seen["keeper_code"] == "FileNotFoundError"
    assert seen["own_code"] == PROBER[:12]
    assert seen["unmount_tmp"] is False
    assert seen["devices"] == ["fd", "full", "null", "random", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]


def test_no_secret_on_a_command_line(tmp_path: Path, monkeypatch) -> None:
    """From outside: with the secret in LAMBDAHOST_CREDENTIALS, no process of serve's (the host,
    its fork-servers, its environments) shows it to ``ps``."""
    monkeypatch.setenv("LAMBDAHOST_CREDENTIALS", "AKID:hush-hush")
    project = write_project(tmp_path, TEMPLATE, "def handler(event, context):\n    return 1\n")
    server = Server(project, "--api-port", "0").start()
    try:
        assert server.client(key="AKID", secret="hush-hush").invoke(FunctionName="Spawner")["StatusCode"] == 200
        listed = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    finally:
        server.stop()
    assert "lambdahost" in listed and "hush-hush" not in listed
