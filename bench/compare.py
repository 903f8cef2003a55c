"""This tree's engine throughput against another commit's, in alternating runs.

Run: .venv/bin/python bench/compare.py REV [--pairs 6] [--seconds 2]
  REV is checked out in a temporary git worktree; each pair runs its throughput loop (the one of
  bench/engine.py: 1, 2, 4 and 8 environments) and then this tree's, in fresh processes with the
  same interpreter. On a shared machine whose speed moves by tens of percent within minutes, only
  runs made in turn compare fairly: the summary gives each side's median, and how many pairs the
  change won. Prints figures only; nothing here passes or fails.
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

from common import ROOT

ENVIRONMENTS = (1, 2, 4, 8)
RUN = """
import asyncio, json, sys
sys.path.insert(0, {bench!r})
from engine import _throughput
print(json.dumps([asyncio.run(_throughput(n, {seconds})) for n in {environments}]))
"""


def run(src: Path, seconds: float) -> list[tuple[float, float]]:
    """(rate, host CPU per invocation) at each number of environments, with ``src`` imported."""
    code = RUN.format(bench=str(ROOT / "bench"), seconds=seconds, environments=ENVIRONMENTS)
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rev", help="the commit to compare with")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0, help="per number of environments and run")
    options = parser.parse_args()
    runs: dict[str, list] = {"base": [], "this": []}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "-q", "--detach", str(base), options.rev], check=True)
        try:
            for pair in range(1, options.pairs + 1):
                for name, src in (("base", base / "src"), ("this", ROOT / "src")):
                    figures = run(src, options.seconds)
                    runs[name].append(figures)
                    cells = "  ".join(
                        f"{n}: {rate:6.0f}/s {cpu:4.0f} us"
                        for n, (rate, cpu) in zip(ENVIRONMENTS, figures, strict=True)
                    )
                    print(f"pair {pair} {name:<4}  {cells}", flush=True)
        finally:
            subprocess.run([*git, "remove", "--force", str(base)], check=True)
    print()
    for index, environments in enumerate(ENVIRONMENTS):
        rates = {name: [figures[index][0] for figures in runs[name]] for name in runs}
        cpus = {name: [figures[index][1] for figures in runs[name]] for name in runs}
        won = sum(mine > theirs for mine, theirs in zip(rates["this"], rates["base"], strict=True))
        print(
            f"{environments} environments: invocations/s {_change(rates)}, host CPU per invocation (us) "
            f"{_change(cpus)}; this tree faster in {won} of {options.pairs} pairs"
        )


def _change(figures: dict[str, list[float]]) -> str:
    """The two medians and how far this tree's is from the base's."""
    base, this = statistics.median(figures["base"]), statistics.median(figures["this"])
    return f"{base:.0f} -> {this:.0f} ({this / base - 1:+.0%})"


if __name__ == "__main__":
    main()
