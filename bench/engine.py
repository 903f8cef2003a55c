"""Engine benchmarks: warm overhead, cold start, throughput, timeouts, memory (the command line as
a whole process: bench/cli.py).

Run: .venv/bin/python bench/engine.py [--quick]
Prints figures only; nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import uvloop

from common import EVENT, HELLO, percentile, summary
from lambdahost import AsyncHost, FunctionConfig, Host

sys.path.insert(0, str(HELLO))
import lambda_function  # noqa: E402  (the same handler, called in-process, as the floor)

HELLO_CONFIG = dict(handler="lambda_function.lambda_handler", code_dir=HELLO)


def warm_overhead(count: int) -> None:
    payload = EVENT.read_bytes()
    event = json.loads(payload)
    floor = []
    for _ in range(count):
        started = time.perf_counter()
        lambda_function.lambda_handler(event, None)
        floor.append((time.perf_counter() - started) * 1e6)
    samples, cpu = warm_invocations(count, payload)
    print(f"warm invoke, Python API (us)        {summary(samples)}")
    print(f"  host CPU per warm invocation: {cpu:.1f} us (all of the host's threads; steadier than wall time)")
    print(f"in-process call, the floor (us)     {summary(floor)}")
    print(f"  overhead p50: {percentile(samples, 0.5) - percentile(floor, 0.5):.1f} us")
    print(f"warm invoke, AsyncHost (us)         {summary(asyncio.run(_async_warm(payload, count)))}")
    print(f"socket round trip, 2 processes (us) {summary(round_trips(count))}  (the machine's floor)")


def warm_invocations(count: int, payload: bytes) -> tuple[list[float], float]:
    """Warm invocations through the Python API, one at a time: each one's time (µs), and the
    host's CPU time per invocation (µs; all its threads)."""
    with Host() as host:
        host.add_function(FunctionConfig(name="hello", **HELLO_CONFIG))
        host.invoke("hello", payload)
        samples = []
        cpu = time.process_time()
        for _ in range(count):
            started = time.perf_counter()
            host.invoke("hello", payload)
            samples.append((time.perf_counter() - started) * 1e6)
        return samples, (time.process_time() - cpu) / count * 1e6


async def _async_warm(payload: bytes, count: int) -> list[float]:
    """The same warm invocation through the event loop, one at a time."""
    async with AsyncHost() as host:
        host.add_function(FunctionConfig(name="hello", **HELLO_CONFIG))
        await host.invoke("hello", payload)
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            await host.invoke("hello", payload)
            samples.append((time.perf_counter() - started) * 1e6)
        return samples


def round_trips(count: int) -> list[float]:
    """A bare request and answer between two Python processes over a socket pair: what any
    host-to-environment call costs on this machine before either side does any work."""
    ours, theirs = socket.socketpair()
    child = os.fork()
    if child == 0:
        ours.close()
        while data := theirs.recv(1 << 16):
            theirs.sendall(data)
        os._exit(0)
    theirs.close()
    message = b"x" * 300
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        ours.sendall(message)
        ours.recv(1 << 16)
        samples.append((time.perf_counter() - started) * 1e6)
    ours.close()
    os.waitpid(child, 0)
    return samples


def cold_start(count: int) -> None:
    first_response, init = [], []
    with Host() as host:
        config = FunctionConfig(name="hello", **HELLO_CONFIG)
        host.add_function(config)
        host.invoke("hello")  # the fork-server is up; from here each cold start is one fork
        for _ in range(count):
            host.add_function(config)  # replaces the function: its environments are recycled
            started = time.perf_counter()
            result = host.invoke("hello")
            first_response.append((time.perf_counter() - started) * 1000)
            init.append(result.init_duration_ms)
    print(f"cold start to first response (ms)   {summary(first_response)}")
    print(f"  of which Init Duration (ms)       {summary(init)}  (new environment + handler import)")


async def _throughput(environments: int, seconds: float) -> tuple[float, float]:
    """Invocations per second with ``environments`` callers in turn, and the host's CPU time per
    invocation in microseconds (all its threads; steadier than the rate on a shared machine)."""
    async with AsyncHost() as host:
        host.add_function(FunctionConfig(name="hello", **HELLO_CONFIG))
        await asyncio.gather(*(host.invoke("hello") for _ in range(environments)))
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await host.invoke("hello")
                done += 1

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(environments)))
        return done / (time.perf_counter() - started), (time.process_time() - cpu) / done * 1e6


def throughput(seconds: float) -> None:
    """On asyncio's own loop, and on uvloop (the loop ``lambdahost serve`` runs)."""
    for environments in (1, 2, 4, 8):
        rate, cpu = asyncio.run(_throughput(environments, seconds))
        on_uvloop, _ = uvloop.run(_throughput(environments, seconds))
        print(
            f"throughput, {environments} environments       {rate:9.0f} invocations/s"
            f"   on uvloop {on_uvloop:9.0f} invocations/s   host CPU {cpu:5.0f} us per invocation"
        )


def timeout_promptness(count: int) -> None:
    """How long after the deadline a timed-out caller gets Sandbox.Timedout."""
    late = []
    with tempfile.TemporaryDirectory() as folder, Host() as host:
        Path(folder, "app.py").write_text("import time\ndef handler(event, context):\n    time.sleep(60)\n")
        host.add_function(FunctionConfig(name="sleepy", handler="app.handler", code_dir=folder, timeout=1))
        for _ in range(count):
            result = host.invoke("sleepy")
            assert result.error_type == "Sandbox.Timedout"
            late.append(result.duration_ms - 1000)
    print(f"timeout answered after deadline (ms) {summary(late)}")


def memory(environments: int) -> None:
    async def scenario() -> tuple[int, int]:
        async with AsyncHost() as host:
            host.add_function(FunctionConfig(name="hello", **HELLO_CONFIG))
            results = await asyncio.gather(*(host.invoke("hello", '{"hold": 1}') for _ in range(environments)))
            assert len({r.log_stream_name for r in results}) == environments
            rss = pss = 0
            for environment in host.invoker.environments("hello"):
                pid = environment._process.pid
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            return rss, pss

    rss, pss = asyncio.run(scenario())
    print(
        f"memory of {environments} warm environments     RSS {rss / 1024:7.1f} MB   "
        f"PSS {pss / 1024:7.1f} MB (PSS splits pages shared with the fork-server)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    quick = parser.parse_args().quick
    warm_overhead(2000 if quick else 20000)
    cold_start(50 if quick else 300)
    throughput(1.0 if quick else 3.0)
    timeout_promptness(3 if quick else 10)
    memory(32)


if __name__ == "__main__":
    main()
