"""An HttpApi route through lambdahost, beside serverless-offline and a plain uvicorn app.

Run: .venv/bin/python bench/gateway.py [--quick] [--rounds N] [--serverless-dir DIR] [--busy] [--runtime R]
  --busy: with a CPU-bound neighbour per CPU, started here, for the whole run (a busy machine).
  --runtime: the function's (python3.11 by default; nodejs20.x: the same handler in JavaScript).
  wrk (apt-get install wrk) drives all three with 1, 8 and 32 connections. serverless-offline is
  measured when DIR holds node_modules with serverless@3 and serverless-offline@13
  (npm install serverless@3 serverless-offline@13). Prints figures and ratios; never fails on time.

The servers take turns, round after round, each started afresh: on a shared machine whose speed
moves by tens of percent within minutes, one run of each says little, and a ratio is only fair
between runs made close together. The summary gives the median of each figure over the rounds,
and the lowest and highest of the ratios taken round by round. Beside each rate stands the CPU
time the server spent per request (its whole process tree): what each request costs the machine,
whichever of the server's processes pays it. After it stand the share of one CPU taken by the
server's busiest thread, and the share of the machine left idle: a server whose one thread is on
the CPU all the time while the machine idles is bound by that thread, not by the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from common import neighbours

LAMBDAHOST = str(Path(sys.executable).parent / "lambdahost")
# The same handler in each language (--runtime): its file, and its text.
HANDLERS = {
    "python": ("app.py", 'def handler(event, context):\n    return {"statusCode": 200, "body": "hello"}\n'),
    "nodejs": ("app.mjs", 'export const handler = async () => ({ statusCode: 200, body: "hello" });\n'),
}
TEMPLATE = """
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: {runtime}
      Events:
        Hello: {{Type: HttpApi, Properties: {{Path: /hello, Method: GET}}}}
"""
SERVERLESS = """
service: bench
frameworkVersion: '3'
provider: {{name: aws, runtime: {runtime}, region: us-east-1}}
plugins: [serverless-offline]
functions:
  hello:
    handler: app.handler
    events: [{{httpApi: {{path: /hello, method: get}}}}]
"""
UVICORN_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_served(url: str, process: subprocess.Popen, seconds: float = 60) -> float:
    """The time of the first request answered (ms): the function's cold start, as a server
    that has just started serves it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {url}")
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", url], capture_output=True, text=True
        ).stdout.split()
        if out and out[0] == "200":
            return float(out[1]) * 1000
        time.sleep(0.2)
    raise RuntimeError(f"nothing served at {url}")


def wrk(url: str, connections: int, seconds: int) -> tuple[float, str, str]:
    out = subprocess.run(
        ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors[1]} failed requests at {url}")
    return rate, re.search(r"50%\s+([\d.]+\w+)", out)[1], re.search(r"99%\s+([\d.]+\w+)", out)[1]


def process_tree(root_pid: int) -> set[int]:
    """A process and all its descendants."""
    pids, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        for child in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                for found in child.read_text().split():
                    if int(found) not in pids:
                        pids.add(int(found))
                        frontier.append(int(found))
    return pids


def stat_seconds(stat: Path) -> float:
    """User and system time from a ``/proc`` stat file: a process's (all its threads) or a thread's."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User and system time of one process, all its threads (not its children)."""
    return stat_seconds(Path(f"/proc/{pid}/stat"))


def cpu_seconds(root_pid: int) -> float:
    """User and system time of a process and its living descendants, all their threads."""
    total = 0.0
    for pid in process_tree(root_pid):
        with contextlib.suppress(OSError):  # one that exited in between
            total += process_cpu_seconds(pid)
    return total


def thread_seconds(root_pid: int) -> dict[tuple[int, str], float]:
    """User and system time of every thread of a process and its descendants, by (pid, thread id)."""
    seconds = {}
    for pid in process_tree(root_pid):
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            with contextlib.suppress(OSError):  # one that ended in between
                seconds[(pid, stat.parent.name)] = stat_seconds(stat)
    return seconds


def machine_idle() -> tuple[int, int]:
    """The machine's idle and total CPU time so far, in clock ticks (``/proc/stat``)."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return ticks[3] + ticks[4], sum(ticks)


def memory_kb(root_pid: int) -> tuple[int, int]:
    """RSS and PSS of a process and all its descendants."""
    rss = pss = 0
    for pid in process_tree(root_pid):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def measure(name: str, argv: list[str], port: int, work: Path, seconds: int, results: dict, env=None) -> None:
    """Start a server, load it with wrk at 1, 8 and 32 connections, read its memory, stop it;
    each figure is appended to ``results[(name, connections or "pss")]``."""
    process = subprocess.Popen(
        argv, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/hello"
    try:
        first = wait_until_served(url, process)
        results.setdefault((name, "first"), []).append(first)
        print(f"{name:<20} first request (a cold start): {first:8.1f} ms")
        wrk(url, 8, 1)  # warm up: environments, imports, JIT
        for connections in (1, 8, 32):
            cpu, threads = cpu_seconds(process.pid), thread_seconds(process.pid)
            idle_then, total_then = machine_idle()
            started = time.monotonic()
            rate, p50, p99 = wrk(url, connections, seconds)
            elapsed = time.monotonic() - started
            cpu = (cpu_seconds(process.pid) - cpu) / (rate * seconds) * 1e6
            after = thread_seconds(process.pid)
            busiest = max((after[key] - spent for key, spent in threads.items() if key in after), default=0) / elapsed
            idle_now, total_now = machine_idle()
            idle = (idle_now - idle_then) / (total_now - total_then)
            results.setdefault((name, connections), []).append(rate)
            results.setdefault((name, f"cpu {connections}"), []).append(cpu)
            results.setdefault((name, f"thread {connections}"), []).append(busiest * 100)
            print(
                f"{name:<20} {connections:>2} connections: {rate:8.0f} requests/s   p50 {p50:>8}   p99 {p99:>8}"
                f"   CPU {cpu:5.0f} us per request   busiest thread {busiest:4.0%} of a CPU"
                f"   machine idle {idle:4.0%}"
            )
        rss, pss = memory_kb(process.pid)
        results.setdefault((name, "pss"), []).append(pss)
        print(f"{name:<20} memory after 32 connections: RSS {rss / 1024:7.1f} MB   PSS {pss / 1024:7.1f} MB")
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs, one round")
    parser.add_argument("--rounds", type=int, help="turns each server takes (default 3; 1 with --quick)")
    parser.add_argument("--serverless-dir", type=Path, help="folder whose node_modules has serverless-offline")
    parser.add_argument("--busy", action="store_true", help="a CPU-bound neighbour per CPU throughout")
    parser.add_argument("--runtime", default="python3.11", help="the function's runtime: python3.11, nodejs20.x, ...")
    options = parser.parse_args()
    seconds = 2 if options.quick else 5
    rounds = options.rounds or (1 if options.quick else 3)
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        servers = prepare(work, options.serverless_dir, options.runtime)
        with neighbours(options.busy):
            for turn in range(1, rounds + 1):
                print(f"-- round {turn} of {rounds}")
                shutil.rmtree(work / "state", ignore_errors=True)  # each round's lambdahost starts afresh
                for name, argv, port, env in servers:
                    measure(name, argv, port, work, seconds, results, env)
    summarize(results, [name for name, *_ in servers])


def prepare(work: Path, serverless_dir: Path | None, runtime: str) -> list[tuple[str, list[str], int, dict | None]]:
    """Write the handler and each server's project into ``work``; the servers to measure, each
    as (name, command, port, environment)."""
    name, handler = HANDLERS["nodejs" if runtime.startswith("nodejs") else "python"]
    (work / name).write_text(handler)
    (work / "template.yaml").write_text(textwrap.dedent(TEMPLATE).format(runtime=runtime))
    (work / "uvicorn_app.py").write_text(UVICORN_APP)
    port = free_port()
    ours = [LAMBDAHOST, "serve", "--port", str(free_port()), "--api-port", str(port), "--no-watch"]
    servers = [("lambdahost", [*ours, "--state-dir", str(work / "state")], port, None)]
    port = free_port()
    plain = [sys.executable, "-m", "uvicorn", "uvicorn_app:app", "--port", str(port), "--log-level", "warning"]
    servers.append(("plain uvicorn", plain, port, None))
    if serverless_dir and (serverless_dir / "node_modules" / ".bin" / "serverless").exists():
        (work / "serverless.yml").write_text(textwrap.dedent(SERVERLESS).format(runtime=runtime))
        (work / "node_modules").symlink_to(serverless_dir / "node_modules")
        env = {
            **os.environ,
            "SLS_TELEMETRY_DISABLED": "1",
            "SLS_NOTIFICATIONS_MODE": "off",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        serverless = str(serverless_dir / "node_modules" / ".bin" / "serverless")
        port = free_port()
        offline = [serverless, "offline", "--httpPort", str(port), "--lambdaPort", str(free_port())]
        servers.append(("serverless-offline", [*offline, "--noPrependStageInUrl"], port, env))
    else:
        print("serverless-offline not measured: give --serverless-dir (see the docstring)")
    return servers


def summarize(results: dict, names: list[str]) -> None:
    """Medians over the rounds, and lambdahost's ratio to each peer: the ratio of the medians,
    and the lowest and highest ratio within one round. CPU per request is the server's whole
    process tree (lambdahost's environments, serverless-offline's Python), wrk aside."""
    print()
    labels = {key: f"{key:>2} connections (requests/s)" for key in (1, 8, 32)}
    labels |= {f"cpu {key}": f"CPU per request at {key:>2} (us)" for key in (1, 8, 32)}
    labels |= {f"thread {key}": f"busiest thread at {key:>2} (%)" for key in (1, 8, 32)}
    labels["pss"] = "memory after 32 (PSS, MB)"
    labels["first"] = "first request, cold (ms)"
    for key, what in labels.items():
        scale = 1 / 1024 if key == "pss" else 1
        medians = "   ".join(f"{name} {statistics.median(results[(name, key)]) * scale:.0f}" for name in names)
        print(f"{what:<28} median: {medians}")
        if str(key).startswith("thread"):
            continue  # a share of one CPU, no cost: a ratio would say nothing
        ours = results[("lambdahost", key)]
        for name in names[1:]:
            theirs = results[(name, key)]
            ratios = [mine / other for mine, other in zip(ours, theirs, strict=True)]
            print(
                f"{'':<28} lambdahost / {name} = {statistics.median(ours) / statistics.median(theirs):.2f}"
                f"   (round by round {min(ratios):.2f} to {max(ratios):.2f})"
            )


if __name__ == "__main__":
    main()
