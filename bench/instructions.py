"""Instructions the serving process runs per API request, counted by callgrind.

Run: .venv/bin/python bench/instructions.py [--requests 2000]
  Needs valgrind (apt-get install valgrind). Starts ``lambdahost serve`` on bench/gateway.py's
  project under callgrind with counting off, warms the route up, then counts what the process
  (all its threads; environments aside) runs while eight keep-alive connections send the given
  number of requests. Unlike requests per second on a shared machine, whose speed moves by tens
  of percent, the count repeats to within a fraction of a percent: it shows whether a change to
  the request path does less, though not what a wake-up or a cache miss costs. Prints a figure;
  nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import gateway

CONNECTIONS = 8


async def _send(port: int, requests: int) -> None:
    """``requests`` GETs of the route over one keep-alive connection, each answer checked."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port
    for _ in range(requests):
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        body = await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200") or body != b"hello":
            raise RuntimeError(f"unexpected answer: {head!r} {body!r}")
    writer.close()


def load(port: int, requests: int) -> None:
    async def all_connections() -> None:
        await asyncio.gather(*(_send(port, requests // CONNECTIONS) for _ in range(CONNECTIONS)))

    asyncio.run(all_connections())


def control(process: subprocess.Popen, *options: str) -> None:
    subprocess.run(["callgrind_control", *options, str(process.pid)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    requests = parser.parse_args().requests // CONNECTIONS * CONNECTIONS
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "app.py").write_text(gateway.HANDLER)
        (work / "template.yaml").write_text(textwrap.dedent(gateway.TEMPLATE))
        port, out = gateway.free_port(), work / "callgrind.out"
        serve = [str(Path(sys.executable).parent / "lambdahost"), "serve", "--no-watch", "--state-dir", "state"]
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *serve]
            + ["--port", str(gateway.free_port()), "--api-port", str(port)],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            gateway.wait_until_served(f"http://127.0.0.1:{port}/hello", process, seconds=300)
            control(process, "-i", "on")
            load(port, 400)  # warm: every environment started, every path taken once
            control(process, "-z")  # counts from zero
            load(port, requests)
            control(process, "-d")  # written to callgrind.out.1
        finally:
            gateway.stop(process)
        total = int(re.search(r"^summary: (\d+)", (work / "callgrind.out.1").read_text(), re.M).group(1))
    per_request = total / requests / 1000
    print(f"{requests} requests over {CONNECTIONS} connections: {per_request:.1f}k instructions per request")


if __name__ == "__main__":
    main()
