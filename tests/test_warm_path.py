"""The sync Host's warm path: a warm environment answers through one blocking exchange, without
the event loop. It must give exactly what the loop path gives, failures included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdahost import Host
from lambdahost.sandbox.environment import Environment
from lambdahost.testing import eventually

pytestmark = pytest.mark.both_loops

WORKER = """
import os, sys, time

calls = 0

def handler(event, context):
    global calls
    calls += 1
    how = event.get("how")
    if how == "sleep":
        time.sleep(30)
    if how == "sys.exit":
        sys.exit(3)
    if how == "kill":
        os.kill(os.getpid(), 9)
    if how == "print":
        for n in range(4000):
            print(f"line {n:04d} " + "x" * 100)
    if how == "echo":
        return {"length": len(event["data"]), "calls": calls}
    return {"calls": calls}
"""


@pytest.fixture
def host(tmp_path: Path, loop_factory) -> Iterator[Host]:
    """A Host whose warm invocations never give the loop a turn (``make_function`` adds to it)."""
    with Host(state_dir=tmp_path / "state", loop_factory=loop_factory) as host:
        host.loop_turn_interval = 3600
        yield host


@pytest.fixture
def worker(host: Host, make_function, monkeypatch: pytest.MonkeyPatch) -> str:
    """A function with one warm environment, which from now on refuses the loop's invoke:
    anything that does not take the warm path fails the test."""
    function = make_function(WORKER, timeout=2)
    assert "Init Duration" in host.invoke(function.name, {}).log  # cold: through the loop
    loop_invoke = Environment.invoke

    async def invoke(environment: Environment, invocation):
        assert not environment.warm, "a warm environment was invoked through the loop"
        return await loop_invoke(environment, invocation)

    monkeypatch.setattr(Environment, "invoke", invoke)
    return function.name


def test_warm_invocations_reuse_the_environment_and_write_the_same_log(host: Host, worker: str) -> None:
    results = [host.invoke(worker, {}) for _ in range(3)]
    assert [json.loads(r.payload)["calls"] for r in results] == [2, 3, 4]
    for result in results:
        lines = result.log.splitlines()
        assert lines[0] == f"START RequestId: {result.request_id} Version: $LATEST"
        assert lines[1] == f"END RequestId: {result.request_id}"
        assert lines[2].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")
        assert "Init Duration" not in lines[2]
    assert {r.log_stream_name for r in results} == {results[0].log_stream_name}
    stored = host.logs.query(worker, request_id=results[1].request_id)
    assert [e.message for e in stored] == results[1].log.splitlines()


def test_a_warm_timeout_is_sandbox_timedout_and_the_next_call_starts_fresh(host: Host, worker: str) -> None:
    result = host.invoke(worker, {"how": "sleep"})
    assert result.error_type == "Sandbox.Timedout"
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 2.00 seconds",
    }
    assert 2000 <= result.duration_ms < 3000
    assert "Status: timeout" in result.log.splitlines()[-1]
    after = host.invoke(worker, {})
    assert json.loads(after.payload) == {"calls": 1}
    assert "Init Duration" in after.log


@pytest.mark.parametrize(
    ("how", "message"),
    [("sys.exit", "exit status 3"), ("kill", "signal: killed")],
)
def test_a_warm_exit_is_runtime_exit_error(host: Host, worker: str, how: str, message: str) -> None:
    result = host.invoke(worker, {"how": how})
    assert json.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: {message}",
    }
    assert json.loads(host.invoke(worker, {}).payload) == {"calls": 1}


def test_a_warm_call_carries_large_payloads_and_output_whole(host: Host, worker: str) -> None:
    data = "d" * (5 * 1024 * 1024)  # far past a socket buffer: sent while the runtime reads
    result = host.invoke(worker, {"how": "echo", "data": data})
    assert json.loads(result.payload) == {"length": len(data), "calls": 2}
    printed = host.invoke(worker, {"how": "print"})  # ~440 KB: far past a pipe's 64 KB
    lines = printed.log.splitlines()
    assert lines[1:4001] == [f"line {n:04d} " + "x" * 100 for n in range(4000)]
    assert lines[4001] == f"END RequestId: {printed.request_id}"


def test_the_loop_keeps_turning_between_warm_calls(tmp_path: Path, make_function, loop_factory) -> None:
    """An Event invocation queued before a run of warm calls is delivered during it."""
    function = make_function(WORKER)
    with Host(state_dir=tmp_path / "default", loop_factory=loop_factory) as host:
        host.add_function(function)
        host.invoke(function.name, {})
        queued = host.invoke(function.name, {"how": "queued"}, invocation_type="Event")

        def ran_among_warm_calls() -> list:
            for _ in range(100):
                host.invoke(function.name, {})
            return host.logs.query(function.name, request_id=queued.request_id, contains="END RequestId")

        eventually(ran_among_warm_calls, "the queued invocation ran")
