"""This tree's engine throughput, or its API route, against another commit's, in alternating runs.

Run: .venv/bin/python bench/compare.py REV [--route] [--uvloop] [--pairs 6] [--seconds 2]
  REV is checked out in a temporary git worktree; each pair runs its throughput loop (the one of
  bench/engine.py: 1, 2, 4 and 8 environments, on asyncio's loop or with --uvloop on the loop
  serve runs) and then this tree's, in fresh processes with the same interpreter. With --route
  each side runs ``lambdahost serve`` on bench/gateway.py's project
  instead, and wrk loads its HttpApi route with 1, 8 and 32 connections (the CPU figure is then the
  serving process's, environments aside). On a shared machine whose speed moves by tens of percent
  within minutes, only runs made in turn compare fairly: the summary gives each side's median, and
  how many pairs the change won. Prints figures only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import gateway
from common import ROOT

ENVIRONMENTS = (1, 2, 4, 8)
CONNECTIONS = (1, 8, 32)
RUN = """
import asyncio, json, sys, uvloop
sys.path.insert(0, {bench!r})
from engine import _throughput
print(json.dumps([{loop}.run(_throughput(n, {seconds})) for n in {environments}]))
"""


def run(src: Path, seconds: float, loop: str = "asyncio") -> list[tuple[float, float]]:
    """(rate, host CPU per invocation) at each number of environments, with ``src`` imported,
    on ``loop`` (asyncio or uvloop)."""
    code = RUN.format(bench=str(ROOT / "bench"), seconds=seconds, environments=ENVIRONMENTS, loop=loop)
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def run_route(src: Path, seconds: float) -> list[tuple[float, float]]:
    """(requests/s, the serving process's CPU per request) at each number of connections, with
    ``src`` imported by ``lambdahost serve``."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "app.py").write_text(gateway.HANDLER)
        (work / "template.yaml").write_text(gateway.TEMPLATE)
        port = gateway.free_port()
        serve = [sys.executable, "-c", "from lambdahost.cli import main; main()", "serve", "--no-watch"]
        serve += ["--port", str(gateway.free_port()), "--api-port", str(port), "--state-dir", str(work / "state")]
        process = subprocess.Popen(
            serve,
            cwd=work,
            env={**os.environ, "PYTHONPATH": str(src)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/hello"
        try:
            gateway.wait_until_served(url, process)
            gateway.wrk(url, 8, 1)  # warm up
            figures = []
            for connections in CONNECTIONS:
                cpu = gateway.process_cpu_seconds(process.pid)
                rate = gateway.wrk(url, connections, round(seconds))[0]
                figures.append((rate, (gateway.process_cpu_seconds(process.pid) - cpu) / (rate * round(seconds)) * 1e6))
            return figures
        finally:
            gateway.stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rev", help="the commit to compare with")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0, help="per number of environments and run")
    parser.add_argument("--route", action="store_true", help="serve's HttpApi route under wrk instead")
    parser.add_argument("--uvloop", action="store_true", help="the engine on uvloop, the loop serve runs")
    options = parser.parse_args()
    measure, levels, unit = (run_route, CONNECTIONS, "connections")
    if not options.route:
        levels, unit = ENVIRONMENTS, "environments"

        def measure(src: Path, seconds: float) -> list[tuple[float, float]]:
            return run(src, seconds, "uvloop" if options.uvloop else "asyncio")

    runs: dict[str, list] = {"base": [], "this": []}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "-q", "--detach", str(base), options.rev], check=True)
        try:
            for pair in range(1, options.pairs + 1):
                for name, src in (("base", base / "src"), ("this", ROOT / "src")):
                    figures = measure(src, options.seconds)
                    runs[name].append(figures)
                    cells = "  ".join(
                        f"{n}: {rate:6.0f}/s {cpu:4.0f} us" for n, (rate, cpu) in zip(levels, figures, strict=True)
                    )
                    print(f"pair {pair} {name:<4}  {cells}", flush=True)
        finally:
            subprocess.run([*git, "remove", "--force", str(base)], check=True)
    print()
    for index, level in enumerate(levels):
        rates = {name: [figures[index][0] for figures in runs[name]] for name in runs}
        cpus = {name: [figures[index][1] for figures in runs[name]] for name in runs}
        won = sum(mine > theirs for mine, theirs in zip(rates["this"], rates["base"], strict=True))
        print(
            f"{level} {unit}: per second {_change(rates)}, host CPU each (us) "
            f"{_change(cpus)}; this tree faster in {won} of {options.pairs} pairs"
        )


def _change(figures: dict[str, list[float]]) -> str:
    """The two medians and how far this tree's is from the base's."""
    base, this = statistics.median(figures["base"]), statistics.median(figures["this"])
    return f"{base:.0f} -> {this:.0f} ({this / base - 1:+.0%})"


if __name__ == "__main__":
    main()
