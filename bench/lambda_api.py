"""The Lambda API over HTTP: a real ``lambdahost serve``, driven by boto3 and by wrk.

Run: .venv/bin/python bench/lambda_api.py [--quick]     (wrk: apt-get install wrk)
Prints latency (p50/p99) and throughput at concurrency 1, 8 and 32; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

from common import HELLO, percentile, summary

LAMBDAHOST = str(Path(sys.executable).parent / "lambdahost")
PATH = "/2015-03-31/functions/hello/invocations"
WRK_SCRIPT = 'wrk.method = "POST"\nwrk.body = \'{"key1": "value1"}\'\n'


def start_server(state: str) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [LAMBDAHOST, "serve", "--port", str(port), "--state-dir", state, "--no-watch"],
        cwd=HELLO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("lambdahost serve did not start")


def client(port: int):
    config = Config(retries={"max_attempts": 1}, max_pool_connections=64)
    return boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=config,
    )


def boto3_latency(port: int, count: int) -> None:
    lambda_client = client(port)
    for _ in range(50):
        lambda_client.invoke(FunctionName="hello", Payload=b"{}")
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        lambda_client.invoke(FunctionName="hello", Payload=b"{}")["Payload"].read()
        samples.append((time.perf_counter() - started) * 1000)
    print(f"boto3, 1 client, latency (ms)        {summary(samples)}")


def boto3_throughput(port: int, clients: int, seconds: float) -> None:
    done, latencies = [0], []
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker() -> None:
        own = client(port)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            own.invoke(FunctionName="hello", Payload=b"{}")["Payload"].read()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            done[0] += len(mine)
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = done[0] / (time.perf_counter() - started)
    print(
        f"boto3, {clients:2d} clients: {rate:7.0f} invocations/s   latency p50 {percentile(latencies, 0.5):6.2f} ms"
        f"   p99 {percentile(latencies, 0.99):6.2f} ms"
    )


def wrk(port: int, connections: int, seconds: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}{PATH}",
        ],
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)[1]
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)[1]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    note = f"   ({errors[1]} non-2xx)" if errors else ""
    print(f"wrk,   {connections:2d} connections: {rate:7.0f} invocations/s   latency p50 {p50:>8}   p99 {p99:>8}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    quick = parser.parse_args().quick
    seconds = 2 if quick else 5
    with tempfile.TemporaryDirectory() as state:
        process, port = start_server(state)
        try:
            boto3_latency(port, 300 if quick else 2000)
            for clients in (1, 8, 32):
                boto3_throughput(port, clients, seconds)
            if shutil.which("wrk"):
                for connections in (1, 8, 32):
                    wrk(port, connections, seconds)
            else:
                print("wrk is not installed: raw HTTP figures skipped (apt-get install wrk)")
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
