"""The command line as a developer runs it in a terminal (issue 30): whole processes, in
alternating rounds of one run, medians beside python-lambda-local's and a bare interpreter's, on
an idle machine and on a busy one (a CPU-bound neighbour per CPU, started here).

- ``invoke`` alone (a host of its own: fork-server, environment, the function's import);
- ``invoke`` with a ``serve`` running on the same state folder (through it, warm);
- ``list`` (reading the template);
- ``serve`` from its start to its first answer on the Lambda API port.

    python bench/cli.py [--rounds 10]     (pip install -e '.[bench]' for python-lambda-local)
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from common import EVENT, HELLO, neighbours, percentile, python

BIN = Path(python()).parent
LAMBDAHOST = str(BIN / "lambdahost")


def run_ms(command: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return (time.perf_counter() - started) * 1000


def serve_ready_ms(state: str) -> float:
    """From ``serve``'s start to its first answer (ListFunctions) on the Lambda API port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [LAMBDAHOST, "serve", "--port", str(port), "--api-port", "0", "--state-dir", state, "--no-watch"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=HELLO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:  # an answer, not only a connection (the port listens before the app serves)
                urllib.request.urlopen(f"http://127.0.0.1:{port}/2015-03-31/functions/", timeout=5).read()
                return (time.perf_counter() - started) * 1000
            except OSError:
                time.sleep(0.002)
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    peer = shutil.which("python-lambda-local", path=str(BIN))
    alone, served = tempfile.mkdtemp(), tempfile.mkdtemp()
    commands = {
        "lambdahost invoke": [LAMBDAHOST, "invoke", "-e", str(EVENT), "--state-dir", alone],
        "lambdahost invoke (through serve)": [LAMBDAHOST, "invoke", "-e", str(EVENT), "--state-dir", served],
        "lambdahost list": [LAMBDAHOST, "list", "--state-dir", alone],
        "bare interpreter": [python(), "-c", "pass"],
    }
    if peer:
        commands["python-lambda-local"] = [peer, "-f", "lambda_handler", "-t", "3", "lambda_function.py", str(EVENT)]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [LAMBDAHOST, "serve", "--port", str(port), "--api-port", "0", "--state-dir", served, "--no-watch"],
        cwd=HELLO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    names = [*commands, "lambdahost serve, ready"]
    samples: dict[str, dict[str, list[float]]] = {"idle": {n: [] for n in names}, "busy": {n: [] for n in names}}
    try:
        time.sleep(2)  # (serving)
        for command in commands.values():  # a warm-up run each: bytecode caches written
            run_ms(command, cwd=HELLO)
        for _ in range(rounds):
            for condition, taken in samples.items():
                with neighbours(condition == "busy"):
                    for name, command in commands.items():
                        taken[name].append(run_ms(command, cwd=HELLO))
                    taken["lambdahost serve, ready"].append(serve_ready_ms(tempfile.mkdtemp()))
    finally:
        server.terminate()
        server.wait(30)
    medians = {c: {name: percentile(values, 0.5) for name, values in taken.items()} for c, taken in samples.items()}
    print(f"{'whole process, median of ' + str(rounds) + ' (ms)':40} {'idle':>8} {'busy':>8}")
    for name in names:
        print(f"{name:40} {medians['idle'][name]:8.1f} {medians['busy'][name]:8.1f}")
    if peer:
        idle, busy = (medians[c]["lambdahost invoke"] / medians[c]["python-lambda-local"] for c in ("idle", "busy"))
        print(f"{'lambdahost invoke / python-lambda-local':40} {idle:7.2f}x {busy:7.2f}x  (target 0.6x)")


if __name__ == "__main__":
    main()
