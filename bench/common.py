"""Helpers shared by the benchmarks: percentiles and a fixed-width table."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "examples" / "hello"
EVENT = HELLO / "events" / "event.json"


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summary(samples: Sequence[float]) -> str:
    p50, p99, mean = percentile(samples, 0.5), percentile(samples, 0.99), statistics.fmean(samples)
    return f"p50 {p50:9.1f}   p99 {p99:9.1f}   mean {mean:9.1f}"


def time_command(command: list[str], runs: int, cwd: Path | None = None) -> list[float]:
    """Wall-clock milliseconds of whole runs of a command (after one warm-up run, which leaves
    bytecode caches written: any value of PYTHONDONTWRITEBYTECODE, even "0", stops that)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def python() -> str:
    return sys.executable


@contextlib.contextmanager
def neighbours(busy: bool) -> Iterator[None]:
    """One CPU-bound process per CPU, for the length of the block, when ``busy``."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1) if busy
    ]
    try:
        time.sleep(0.3 if busy else 0)  # (let them take the CPUs)
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
