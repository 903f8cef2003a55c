"""The warm path on an idle machine and on a busy one (issue 30 §5): in alternating rounds of one
run, with and without CPU-bound neighbours that this script starts itself (one per CPU, each a
Python process spinning in a loop).

- a warm invocation through the Python API ``Host``, one at a time: p50, p99, and the host's CPU
  time per invocation (all its threads);
- one environment's throughput through ``AsyncHost``, on uvloop (the loop ``serve`` runs);
- a socket round trip between two sleeping processes: the machine's floor in each condition.

    python bench/busy.py [--rounds 3] [--count 3000] [--seconds 2]

Prints figures only; nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import uvloop

from common import EVENT, neighbours, percentile
from engine import HELLO_CONFIG, round_trips, warm_invocations
from lambdahost import AsyncHost, FunctionConfig


def warm(count: int) -> tuple[float, float, float]:
    """p50 and p99 of a warm invocation (µs), and the host's CPU per invocation (µs)."""
    samples, cpu = warm_invocations(count, EVENT.read_bytes())
    return percentile(samples, 0.5), percentile(samples, 0.99), cpu


async def one_environment(seconds: float) -> float:
    """Invocations a second, one caller at a time through the event loop."""
    async with AsyncHost() as host:
        host.add_function(FunctionConfig(name="hello", **HELLO_CONFIG))
        await host.invoke("hello")
        done, deadline = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            await host.invoke("hello")
            done += 1
        return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=2.0)
    options = parser.parse_args()
    figures: dict[str, dict[str, list[float]]] = {"idle": {}, "busy": {}}
    for _ in range(options.rounds):
        for condition in ("idle", "busy"):
            with neighbours(condition == "busy"):
                p50, p99, cpu = warm(options.count)
                rate = uvloop.run(one_environment(options.seconds))
                trips = round_trips(options.count)
            for name, value in (
                ("warm invoke p50 (us)", p50),
                ("warm invoke p99 (us)", p99),
                ("host CPU per invocation (us)", cpu),
                ("one environment, uvloop (/s)", rate),
                ("socket round trip p50 (us)", percentile(trips, 0.5)),
            ):
                figures[condition].setdefault(name, []).append(value)
    print(f"{'median of ' + str(options.rounds) + ' rounds':34} {'idle':>10} {'busy':>10} {'busy/idle':>10}")
    for name in figures["idle"]:
        idle, busy = statistics.median(figures["idle"][name]), statistics.median(figures["busy"][name])
        print(f"{name:34} {idle:10.1f} {busy:10.1f} {busy / idle:9.2f}x")
    print(f"(neighbours: {os.cpu_count()} CPU-bound processes; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
