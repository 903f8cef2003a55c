"""Execution environments: warm reuse, init once, suppressed init, resets, idle reclaim."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import pytest

from conftest import task_root
from lambdahost import AsyncHost, FunctionConfig, Host
from lambdahost.testing import eventually
from server import WHO

pytestmark = pytest.mark.both_loops

COUNTER = (
    WHO
    + """

imports = 0
imports += 1
calls = 0


def handler(event, context):
    global calls
    calls += 1
    path = os.path.join(os.environ["TMPDIR"], "note.txt")
    existed = os.path.exists(path)
    with open(path, "a") as f:
        f.write("x")
    return {"imports": imports, "calls": calls, "tmp_file_existed": existed, "pid": who(),
            "cwd": os.getcwd(), "tmpdir": os.environ["TMPDIR"]}
"""
)


def test_warm_environment_keeps_globals_and_tmp_files(host: Host, make_function) -> None:
    function = make_function(COUNTER)
    first = json.loads(host.invoke(function.name).payload)
    second = json.loads(host.invoke(function.name).payload)
    assert (first["imports"], first["calls"], first["tmp_file_existed"]) == (1, 1, False)
    assert (second["imports"], second["calls"], second["tmp_file_existed"]) == (1, 2, True)
    assert first["pid"] == second["pid"]
    assert first["cwd"] == task_root(function.code_dir)
    if sys.platform == "linux":  # /tmp is the environment's own (ephemeral.py)
        assert first["tmpdir"] == "/tmp"
    else:
        assert Path(first["tmpdir"]).is_relative_to(host.state_dir)


def test_cold_start_reports_init_duration_and_warm_does_not(host: Host, make_function) -> None:
    function = make_function(COUNTER)
    cold = host.invoke(function.name)
    warm = host.invoke(function.name)
    assert cold.init_duration_ms is not None and "\tInit Duration: " in cold.log
    assert cold.log.startswith("INIT_START Runtime Version: python:")
    assert warm.init_duration_ms is None and "Init Duration" not in warm.log
    assert cold.log_stream_name == warm.log_stream_name


def test_suppressed_init_retries_inside_the_next_invoke(host: Host, make_function, tmp_path: Path) -> None:
    flag = tmp_path / "ready"
    function = make_function(f"""
        import os
        if not os.path.exists({str(flag)!r}):
            raise ConnectionError("database not reachable")

        def handler(event, context):
            return "initialised"
    """)
    failed = host.invoke(function.name)
    assert failed.function_error == "Unhandled"
    assert json.loads(failed.payload) == {
        "errorMessage": "database not reachable",
        "errorType": "ConnectionError",
        "requestId": "",
        "stackTrace": json.loads(failed.payload)["stackTrace"],
    }
    assert "Phase: init\tStatus: error\tError Type: ConnectionError" in failed.log
    assert "Phase: invoke\tStatus: error\tError Type: ConnectionError" in failed.log
    assert failed.log.index("Phase: init") < failed.log.index("START RequestId") < failed.log.index("Phase: invoke")
    assert "Status: error\tError Type: ConnectionError\t" in failed.log.splitlines()[-1]

    flag.touch()
    recovered = host.invoke(function.name)
    assert recovered.function_error is None
    assert recovered.payload == b'"initialised"'
    assert "INIT_START" in recovered.log and "Phase: invoke" not in recovered.log.split("INIT_START")[0]


def test_timeout_kills_environment_and_reports_sandbox_timedout(host: Host, make_function) -> None:
    function = make_function(
        """
        import time
        calls = 0

        def handler(event, context):
            global calls
            calls += 1
            if event.get("sleep"):
                print("about to sleep")
                time.sleep(60)
            return calls
    """,
        timeout=1,
    )
    assert host.invoke(function.name).payload == b"1"
    started = time.monotonic()
    result = host.invoke(function.name, {"sleep": True})
    elapsed = time.monotonic() - started
    assert elapsed < 10, "the environment was not stopped at its deadline"
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    lines = result.log.splitlines()
    assert lines[1] == "about to sleep"
    assert lines[2].endswith(f" {result.request_id} Task timed out after 1.00 seconds")
    assert lines[-1].endswith("\tStatus: timeout\t")
    after = host.invoke(function.name)
    assert after.payload == b"1", "a fresh process must serve the next invocation"
    assert after.init_duration_ms is not None


def test_each_invocation_times_out_at_its_own_deadline(tmp_path: Path, run) -> None:
    """Each wait has its own deadline: the init's (10 s) must not let a cold invocation run past
    its own 1 s, and an earlier invocation's must not cut the next one short."""
    (tmp_path / "app.py").write_text(
        "import time\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return 'done'\n"
    )

    async def scenario() -> list:
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=tmp_path, timeout=1))
            started = time.monotonic()
            cold = await host.invoke("f", {"sleep": 60})
            cold_elapsed = time.monotonic() - started
            first = await host.invoke("f", {"sleep": 0.4})  # its deadline: 1 s from now
            second = await host.invoke("f", {"sleep": 60})  # its own: 1 s after the first ended
            return [cold.error_type, cold_elapsed, first.payload, second.error_type, second.duration_ms]

    cold_type, cold_elapsed, first_payload, second_type, second_ms = run(scenario())
    assert cold_type == "Sandbox.Timedout"
    assert cold_elapsed < 10, "the cold invocation ran on to the init's deadline"
    assert first_payload == b'"done"'
    assert second_type == "Sandbox.Timedout"
    assert second_ms >= 1000, "the invocation was timed out at the deadline of the one before it"


def test_remaining_time_counts_down_to_the_deadline(host: Host, make_function) -> None:
    function = make_function(
        """
        import time

        def handler(event, context):
            first = context.get_remaining_time_in_millis()
            time.sleep(0.2)
            return [first, context.get_remaining_time_in_millis()]
    """,
        timeout=5,
    )
    first, second = json.loads(host.invoke(function.name).payload)
    assert 4000 < first <= 5000
    assert 100 <= first - second < 1000


def test_idle_environments_are_reclaimed(tmp_path: Path, loop_factory) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(WHO + "def handler(event, context):\n    return who()\n")
    with Host(state_dir=tmp_path / "state", loop_factory=loop_factory, idle_timeout=0.3) as host:
        host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=code))
        first = host.invoke("f")
        time.sleep(0.2)
        assert host.invoke("f").payload == first.payload  # within the idle time: still warm
        eventually(
            lambda: host.invoke("f", qualifier="$LATEST").payload != first.payload,
            "the idle environment was reclaimed",
            timeout=10,
            every=0.5,
        )


def test_replacing_a_function_recycles_its_environments(host: Host, make_function) -> None:
    function = make_function("def handler(event, context):\n    return 'v1'\n")
    assert host.invoke(function.name).payload == b'"v1"'
    (function.code_dir / "app.py").write_text("def handler(event, context):\n    return 'v2'\n")
    host.add_function(function)
    assert host.invoke(function.name).payload == b'"v2"'


def test_init_past_its_limit_is_retried_inside_the_invoke(tmp_path: Path, loop_factory) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(
        "import os, time\n"
        "slow = not os.path.exists(os.path.join(os.environ['TMPDIR'], 'warmed'))\n"
        "open(os.path.join(os.environ['TMPDIR'], 'warmed'), 'w').close()\n"
        "if slow:\n"
        "    time.sleep(30)\n"
        "def handler(event, context):\n"
        "    return 'ready'\n"
    )
    with Host(state_dir=tmp_path / "state", loop_factory=loop_factory, init_timeout=0.5) as host:
        host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=code, timeout=5))
        started = time.monotonic()
        result = host.invoke("f")
        assert time.monotonic() - started < 5, "the init phase was not stopped at its limit"
    assert result.payload == b'"ready"', "the suppressed init in the invoke phase found /tmp warmed"
    assert "INIT_REPORT Init Duration: " in result.log and "\tPhase: init\tStatus: timeout" in result.log
    assert result.log.index("Phase: init\tStatus: timeout") < result.log.index("START RequestId")


def test_a_cancelled_invocation_never_answers_the_next_one(tmp_path: Path, run) -> None:
    """Cancelling a caller (a server shutting down) resets the environment it was waiting on."""
    (tmp_path / "app.py").write_text(
        "import time\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return event['n']\n"
    )

    async def scenario() -> list[bytes]:
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="slow", handler="app.handler", code_dir=tmp_path))
            first = asyncio.ensure_future(host.invoke("slow", {"sleep": 0.5, "n": 1}))
            await asyncio.sleep(0.2)
            first.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await first
            second = await host.invoke("slow", {"sleep": 0.6, "n": 2})
            return [second.payload, b"Init Duration" in second.log.encode()]

    assert run(scenario()) == [b"2", True]


def test_a_cold_start_cancelled_while_forking_leaves_no_error_behind(tmp_path: Path, run) -> None:
    """The fork-server's answer for a spawn whose caller is gone is dropped, not an error in the
    loop, and the host goes on starting environments."""
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 'ok'\n")

    async def scenario() -> tuple[list, list[bytes]]:
        errors = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            for name in ("warm", "cold"):
                host.add_function(FunctionConfig(name=name, handler="app.handler", code_dir=tmp_path))
            await host.invoke("warm")  # the fork-server is up
            for turns in range(4):
                cold = asyncio.ensure_future(host.invoke("cold"))
                for _ in range(turns):
                    await asyncio.sleep(0)
                cold.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await cold
            await asyncio.sleep(0.3)  # the fork-server's answers arrive
            payloads = [(await host.invoke(name)).payload for name in ("warm", "cold")]
        return errors, payloads

    errors, payloads = run(scenario())
    assert errors == []
    assert payloads == [b'"ok"', b'"ok"']
