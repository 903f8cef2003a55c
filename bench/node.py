"""Node.js functions through the Python API: a cold start (a new environment: Node's start, the
handler's import), the cold start after an edit (a runtime started ahead) and a warm invocation,
beside a bare ``node -e 0`` (the floor of any Node process) and the handler called in-process by
Node itself. The route beside serverless-offline: ``bench/gateway.py --runtime nodejs20.x``.

    python bench/node.py [--count 50]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import percentile, summary
from lambdahost import AsyncHost, FunctionConfig, Host

HANDLER = "export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify('Hello from Lambda!') });\n"
IN_PROCESS = """
import { handler } from './index.mjs';
const samples = [];
for (let i = 0; i < COUNT; i++) {
  const started = process.hrtime.bigint();
  await handler({});
  samples.push(Number(process.hrtime.bigint() - started) / 1000);
}
samples.sort((a, b) => a - b);
console.log(samples[Math.floor(samples.length / 2)]);
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50)
    count = parser.parse_args().count
    node = shutil.which("node")
    if node is None:
        raise SystemExit("Node.js is needed")
    code = Path(tempfile.mkdtemp())
    (code / "index.mjs").write_text(HANDLER)
    bare = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run([node, "-e", "0"], check=True)
        bare.append((time.perf_counter() - started) * 1000)
    (code / "floor.mjs").write_text(IN_PROCESS.replace("COUNT", str(count * 100)))
    floor = float(subprocess.run([node, "floor.mjs"], cwd=code, check=True, capture_output=True, text=True).stdout)
    first, init, edited, edited_init, warm = [], [], [], [], []
    with Host() as host:
        config = FunctionConfig(name="hello", handler="index.handler", code_dir=code, runtime="nodejs20.x")
        host.add_function(config)
        host.invoke("hello")
        for _ in range(count):
            host.add_function(config)  # replaces the function: its environments are recycled
            started = time.perf_counter()
            result = host.invoke("hello")
            first.append((time.perf_counter() - started) * 1000)
            init.append(result.init_duration_ms)
        for _ in range(count * 20):
            started = time.perf_counter()
            host.invoke("hello")
            warm.append((time.perf_counter() - started) * 1e6)
    asyncio.run(_after_an_edit(config, count, edited, edited_init))
    print(f"cold start to first response (ms)   {summary(first)}")
    print(f"  of which Init Duration (ms)       {summary(init)}  (Node's start and the handler's import)")
    print(f"after an edit, a moment later (ms)  {summary(edited)}  (a runtime started ahead as the function changed)")
    print(f"  of which Init Duration (ms)       {summary(edited_init)}  (the handler's import)")
    print(f"node -e 0, a whole process (ms)     {summary(bare)}")
    print(f"warm invoke, Host (us)              {summary(warm)}")
    print(f"the handler called by Node (us)     p50 {floor:9.1f}")
    print(f"  warm overhead p50: {percentile(warm, 0.5) - floor:.1f} us")


async def _after_an_edit(config: FunctionConfig, count: int, first: list, init: list) -> None:
    """The invocation that follows an edit a moment later (serve's loop runs meanwhile)."""
    async with AsyncHost() as host:
        for _ in range(count):
            host.add_function(config)
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            result = await host.invoke("hello")
            first.append((time.perf_counter() - started) * 1000)
            init.append(result.init_duration_ms)


if __name__ == "__main__":
    main()
