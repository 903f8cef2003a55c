"""What an environment's isolation costs a cold start (issue 29): the cold start of this checkout,
whose environments each have a process namespace, a /proc, a /dev of their own and the host's
state hidden, beside that of an earlier commit without them, in alternating rounds of the same
run (this machine is shared and noisy: the ratio is the figure, not the milliseconds).

    python bench/isolation.py [--before REV] [--rounds 5] [--count 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import HELLO, ROOT, percentile

# Before environments had processes of their own.
BEFORE = "dad7ac3"

MEASURE = """
import json, sys, time
from lambdahost import FunctionConfig, Host

config = FunctionConfig(name="hello", handler="lambda_function.lambda_handler", code_dir=sys.argv[1])
first, init = [], []
with Host() as host:
    host.add_function(config)
    host.invoke("hello")  # the fork-server is up; from here each cold start is one fork
    for _ in range(int(sys.argv[2])):
        host.add_function(config)  # replaces the function: its environments are recycled
        started = time.perf_counter()
        result = host.invoke("hello")
        first.append((time.perf_counter() - started) * 1000)
        init.append(result.init_duration_ms)
print(json.dumps([first, init]))
"""


def measure(source: Path, count: int) -> tuple[list[float], list[float]]:
    ran = subprocess.run(
        [sys.executable, "-c", MEASURE, str(HELLO), str(count)],
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(ran.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=100, help="cold starts a round")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", folder, options.before], check=True)
        try:
            trees = {"isolated (this checkout)": ROOT / "src", f"before ({options.before})": Path(folder) / "src"}
            samples = {name: ([], []) for name in trees}
            for _ in range(options.rounds):
                for name, source in trees.items():
                    first, init = measure(source, options.count)
                    samples[name][0].extend(first)
                    samples[name][1].extend(init)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", folder], check=True)
    print(f"{'cold start, p50 (ms)':28} {'first response':>15} {'Init Duration':>15}")
    for name, (first, init) in samples.items():
        print(f"{name:28} {percentile(first, 0.5):15.2f} {percentile(init, 0.5):15.2f}")
    (isolated_first, isolated_init), (before_first, before_init) = samples.values()
    ratio_first = percentile(isolated_first, 0.5) / percentile(before_first, 0.5)
    ratio_init = percentile(isolated_init, 0.5) / percentile(before_init, 0.5)
    print(f"{'ratio':28} {ratio_first:15.2f} {ratio_init:15.2f}")


if __name__ == "__main__":
    main()
