"""Every deadline holds, on every loop and through every entry point: a handler that sleeps, one
that spins, one that ignores SIGTERM and one that forks children are all stopped at their
timeout with ``Sandbox.Timedout``, and ``serve`` stops on SIGTERM whatever they are doing."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lambdahost import AsyncHost, FunctionConfig
from lambdahost.sandbox.process import EnvironmentProcess, TimedOut
from lambdahost.testing import eventually
from server import LAMBDAHOST, WHO, Server, alive, running, write_project

pytestmark = pytest.mark.both_loops

STUCK = (
    WHO
    + """
import signal, subprocess, time

def handler(event, context):
    how = event.get("how")
    if how == "sleep":
        time.sleep(60)
    elif how == "spin":
        while True:
            pass
    elif how == "ignore-sigterm":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        time.sleep(60)
    elif how == "fork":
        child = subprocess.Popen(["sleep", "300"])
        print(f"child {who(child.pid)}", flush=True)
        time.sleep(60)
    return os.getpid()
"""
)
KINDS = ["sleep", "spin", "ignore-sigterm", "fork"]
TEMPLATE = """
Resources:
  Stuck:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler, Timeout: 1}
  Slow:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler, Timeout: 60}
"""


def _tree(pid: int) -> set[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        found.add(current := todo.pop())
        todo += children.get(current, [])
    return found


def _children_started(log: str) -> list[str]:
    return re.findall(r"^child (\d+:\d+)$", log, re.M)


def test_a_deadline_that_has_passed_or_is_under_a_millisecond_away_times_the_wait_out(run) -> None:
    """uvloop keeps time in whole milliseconds: a timer for a time already past, or due within
    the millisecond, is not the timer asyncio's loop gives. Neither may leave a wait unbounded."""

    async def scenario() -> list[str]:
        process = EnvironmentProcess(None, lambda output: None)  # nothing spawned: no frame will come
        outcomes = []
        for deadline in (time.monotonic() - 1, time.monotonic(), time.monotonic() + 0.0004, time.monotonic() + 0.02):
            try:
                await asyncio.wait_for(process.receive(deadline), 5)
            except TimedOut:
                outcomes.append("timed out")
            except asyncio.TimeoutError:
                outcomes.append("never timed out")
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await process.receive(started + 0.05)
        outcomes.append("on time" if time.monotonic() - started >= 0.05 else "early")
        return outcomes

    assert run(scenario()) == ["timed out"] * 4 + ["on time"]


def test_every_stuck_handler_is_timed_out_through_the_python_api(tmp_path: Path, run) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text(STUCK)

    async def scenario():
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(
                FunctionConfig(name="stuck", handler="app.handler", code_dir=tmp_path / "code", timeout=1)
            )
            results = []
            for _ in range(5):  # 5 rounds of each kind, 8 invocations at a time
                results += await asyncio.gather(*(host.invoke("stuck", {"how": how}) for how in KINDS * 2))
            after = await host.invoke("stuck")
            return results, after

    results, after = run(scenario())
    for result in results:
        assert result.error_type == "Sandbox.Timedout", result.payload
        assert json.loads(result.payload)["errorMessage"] == (
            f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"
        )
        assert 1000 <= result.duration_ms < 2000
        assert result.log.splitlines()[-1].endswith("\tStatus: timeout\t")
    assert after.function_error is None and after.init_duration_ms is not None, "a fresh environment answers next"
    children = [pid for result in results for pid in _children_started(result.log)]
    assert len(children) == 10
    assert not [child for child in children if running(child)], "a timed-out handler's children are killed with it"


def test_every_stuck_handler_is_timed_out_by_lambdahost_invoke(tmp_path: Path) -> None:
    project = write_project(tmp_path, TEMPLATE, STUCK)
    for how in KINDS:
        started = time.monotonic()
        ran = subprocess.run(
            [LAMBDAHOST, "invoke", "Stuck", "--payload", json.dumps({"how": how})],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.monotonic() - started < 10, f"{how}: the invocation was not stopped at its deadline"
        assert ran.returncode != 0
        assert json.loads(ran.stdout)["errorType"] == "Sandbox.Timedout"
        assert "Task timed out after 1.00 seconds" in ran.stderr
        assert not any(running(child) for child in _children_started(ran.stderr))


def test_every_stuck_handler_is_timed_out_under_serve_then_sigterm_leaves_nothing(tmp_path: Path) -> None:
    """Through serve (on uvloop, as users run it) and boto3: each kind 20 times."""
    project = write_project(tmp_path, TEMPLATE, STUCK)
    server = Server(project, "--api-port", "0", "--no-watch").start()
    try:
        client = server.client(retries=0, timeout=30)

        def invoke(how: str) -> tuple[float, dict, str]:
            started = time.monotonic()
            response = client.invoke(FunctionName="Stuck", Payload=json.dumps({"how": how}), LogType="Tail")
            elapsed = time.monotonic() - started
            return elapsed, response, base64.b64decode(response["LogResult"]).decode()

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(invoke, KINDS * 20))
        for elapsed, response, log in answers:
            assert response["FunctionError"] == "Unhandled"
            assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"
            assert elapsed < 2.0, "every answer comes within the timeout and a second"
            assert "\tStatus: timeout\t" in log
        healthy = client.invoke(FunctionName="Stuck", Payload=b"{}")
        assert "FunctionError" not in healthy and isinstance(json.loads(healthy["Payload"].read()), int)

        tree = _tree(server.process.pid)
        assert len(tree) > 2, "serve, its fork-server and environments"
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(10)
        assert time.monotonic() - started < 10
        assert not [pid for pid in tree if alive(pid)], "nothing of serve's process tree is left"
    finally:
        server.stop()
    assert "Traceback" not in server.log()


def test_sigterm_stops_serve_within_its_grace_period_whatever_the_environments_do(tmp_path: Path) -> None:
    """In-flight invocations get the grace period (here 1 s), then their environments are killed."""
    project = write_project(tmp_path, TEMPLATE, STUCK)
    server = Server(project, "--api-port", "0", "--no-watch", "--grace-period", "1").start()
    try:
        client = server.client(retries=0, timeout=60)
        ended = []

        def invoke(how: str) -> None:
            with contextlib.suppress(Exception):  # the server stops under it: any answer, or none, will do
                client.invoke(FunctionName="Slow", Payload=json.dumps({"how": how}))
            ended.append(how)

        callers = [threading.Thread(target=invoke, args=(how,)) for how in KINDS]
        for caller in callers:
            caller.start()
        # serve, a fork-server, the environments:
        eventually(lambda: len(_tree(server.process.pid)) >= 2 + len(KINDS), "the invocations started")
        time.sleep(0.5)
        tree = _tree(server.process.pid)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(15)
        assert time.monotonic() - started < 1 + 5, "serve outlived its grace period"
        for caller in callers:
            caller.join(10)
        assert sorted(ended) == sorted(KINDS), "every caller got its answer or its connection closed"
        assert not [pid for pid in tree if alive(pid)], "nothing of serve's process tree is left"
    finally:
        server.stop()
