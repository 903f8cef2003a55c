"""An environment's memory over many warm invocations (issue 29): its resident set after 1,000
invocations and after many more, with a handler that returns None. A leak in the runtime shows
as growth; Python's own objects are checked flat by the runtime's tests.

    python bench/memory.py [--invocations 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from lambdahost import FunctionConfig, Host


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invocations", type=int, default=100_000)
    total = parser.parse_args().invocations
    code = Path(tempfile.mkdtemp())
    (code / "app.py").write_text("def handler(event, context):\n    return None\n")
    with Host() as host:
        host.add_function(FunctionConfig(name="none", handler="app.handler", code_dir=code))
        started = time.perf_counter()
        marks = {}
        for count in range(1, total + 1):
            host.invoke("none")
            if count in (1_000, 10_000, total) or count % 50_000 == 0:
                (environment,) = host._host.invoker.environments("none")  # (the blocking Host wraps one)
                marks[count] = rss_kb(environment._process.pid)
        seconds = time.perf_counter() - started
    print(f"{total:,} warm invocations in {seconds:.1f} s")
    for count, kb in sorted(marks.items()):
        print(f"  RSS after {count:>7,}: {kb / 1024:7.2f} MB  ({kb - marks[1_000]:+,} KB since 1,000)")


if __name__ == "__main__":
    main()
