"""Several environments in parallel; reserved concurrency and the host-wide limit throttle."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lambdahost import AsyncHost, FunctionConfig, InvalidParameterValueException, TooManyRequestsException
from server import WHO

pytestmark = pytest.mark.both_loops

SLOW = (
    WHO
    + """
import time

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": who(), "stream": context.log_stream_name}
"""
)


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "app.py").write_text(SLOW)
    return folder


async def _gather(host: AsyncHost, name: str, count: int, sleep: float) -> list:
    calls = [host.invoke(name, {"sleep": sleep}) for _ in range(count)]
    return await asyncio.gather(*calls, return_exceptions=True)


def test_parallel_invocations_run_in_separate_environments(tmp_path: Path, code: Path, run) -> None:
    async def scenario():
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="slow", handler="app.handler", code_dir=code))
            loop = asyncio.get_running_loop()
            started = loop.time()
            results = await _gather(host, "slow", 4, 1.0)
            elapsed = loop.time() - started
            again = await _gather(host, "slow", 4, 0)
            return results, elapsed, again

    results, elapsed, again = run(scenario())
    bodies = [json.loads(r.payload) for r in results]
    assert len({b["pid"] for b in bodies}) == 4
    assert len({b["stream"] for b in bodies}) == 4, "one log stream per environment"
    assert elapsed < 3.5, "four 1-second invocations should overlap, not queue"
    assert {json.loads(r.payload)["pid"] for r in again} == {b["pid"] for b in bodies}, "all four stay warm"


def test_reserved_concurrency_throttles_with_the_real_reason(tmp_path: Path, code: Path, run) -> None:
    async def scenario():
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="slow", handler="app.handler", code_dir=code, reserved_concurrency=2))
            host.add_function(FunctionConfig(name="off", handler="app.handler", code_dir=code, reserved_concurrency=0))
            results = await _gather(host, "slow", 3, 0.5)
            off = await _gather(host, "off", 1, 0)
            return results, off

    results, off = run(scenario())
    throttled = [r for r in results if isinstance(r, TooManyRequestsException)]
    assert len(throttled) == 1 and len(results) - len(throttled) == 2
    assert throttled[0].reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert throttled[0].status == 429
    assert throttled[0].body() == {
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
        "Type": "User",
        "message": "Rate Exceeded.",
    }
    assert isinstance(off[0], TooManyRequestsException)


def test_host_wide_limit_throttles_unreserved_functions(tmp_path: Path, code: Path, run) -> None:
    async def scenario():
        async with AsyncHost(state_dir=tmp_path / "state", concurrency_limit=20) as host:
            host.add_function(FunctionConfig(name="a", handler="app.handler", code_dir=code, reserved_concurrency=17))
            host.add_function(FunctionConfig(name="b", handler="app.handler", code_dir=code))
            return await _gather(host, "b", 4, 0.5)

    results = run(scenario())
    throttled = [r for r in results if isinstance(r, TooManyRequestsException)]
    assert len(throttled) == 1, "3 of 20 are unreserved"
    assert throttled[0].reason == "ConcurrentInvocationLimitExceeded"


def test_reservations_keep_a_minimum_unreserved(tmp_path: Path, code: Path, run) -> None:
    async def scenario():
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="a", handler="app.handler", code_dir=code, reserved_concurrency=901))

    with pytest.raises(InvalidParameterValueException, match=r"below its minimum value of \[100\]"):
        run(scenario())
