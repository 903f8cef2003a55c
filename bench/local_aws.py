"""The local AWS's costs: what it adds to ``serve``'s start, its memory, and a handler's DynamoDB
``put_item`` through lambdahost's endpoint beside the same call against a moto server alone.

Run: .venv/bin/python bench/local_aws.py [--rounds 5] [--calls 300]
  - start: milliseconds from ``lambdahost serve`` to its Lambda API answering, for a template
    with a table, with and without the local AWS (``--no-local-aws``), and until the table
    answers a call through the endpoint;
  - memory: the local AWS process's RSS and PSS, after the calls;
  - put_item: one function times its own put_item calls (perf_counter around each), against
    lambdahost's endpoint, then against a moto server started for the purpose.
Rounds alternate the two sides. Prints figures only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from common import percentile
from gateway import free_port, memory_kb, process_tree, stop, wait_until_served

TEMPLATE = """
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  Writer:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler, Timeout: 300, MemorySize: 512}
"""
HANDLER = """
import time, boto3

def handler(event, context):
    table = boto3.resource("dynamodb", endpoint_url=event["endpoint"]).Table("Items")
    table.put_item(Item={"id": "warm"})
    took = []
    for n in range(event["calls"]):
        started = time.perf_counter()
        table.put_item(Item={"id": str(n), "value": "x" * 100})
        took.append((time.perf_counter() - started) * 1000)
    return took
"""
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "local", "aws_secret_access_key": "local"}


def serve(work: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from lambdahost.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--api-port",
        "0",
        "--no-watch",
    ]
    process = subprocess.Popen(
        [*command, *extra], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    return process, port


def start_ms(work: Path, *extra: str) -> tuple[float, float | None]:
    """(ms until the Lambda API answers, ms until the table answers through the endpoint or None)."""
    started = time.perf_counter()
    process, port = serve(work, *extra)
    try:
        wait_until_served(f"http://127.0.0.1:{port}/2015-03-31/functions/", process, seconds=60)
        api = (time.perf_counter() - started) * 1000
        if extra:
            return api, None
        boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", **CREDENTIALS).describe_table(
            TableName="Items"
        )
        return api, (time.perf_counter() - started) * 1000
    finally:
        stop(process)


def put_items(work: Path, calls: int, moto_url: str) -> tuple[list[float], list[float], tuple[int, int]]:
    process, port = serve(work)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_served(f"{endpoint}/2015-03-31/functions/", process, seconds=60)
        client = boto3.client("lambda", endpoint_url=endpoint, **CREDENTIALS)
        boto3.client("dynamodb", endpoint_url=moto_url, **CREDENTIALS).create_table(
            TableName="Items",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        results = {}
        for name, url in (("lambdahost", endpoint), ("moto", moto_url)):
            answer = client.invoke(FunctionName="Writer", Payload=json.dumps({"endpoint": url, "calls": calls}))
            results[name] = json.loads(answer["Payload"].read())
        emulator = next(pid for pid in process_tree(process.pid) if b"localaws.emulator" in _cmdline(pid))
        return results["lambdahost"], results["moto"], memory_kb(emulator)
    finally:
        stop(process)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "template.yaml").write_text(TEMPLATE)
        (work / "app.py").write_text(HANDLER)
        with_aws, without, table = [], [], []
        for _ in range(options.rounds):
            api, ready = start_ms(work)
            with_aws.append(api)
            table.append(ready)
            without.append(start_ms(work, "--no-local-aws")[0])
        print(f"serve start, ms to the Lambda API (median of {options.rounds}, alternating)")
        ready = percentile(table, 0.5)
        print(f"  with the local AWS     {percentile(with_aws, 0.5):7.0f}   (the table answering: {ready:.0f})")
        print(f"  --no-local-aws         {percentile(without, 0.5):7.0f}")
        print(f"  difference             {percentile(with_aws, 0.5) - percentile(without, 0.5):+7.0f}")

        moto_port = free_port()
        moto = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-p", str(moto_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            moto_url = f"http://127.0.0.1:{moto_port}"
            wait_until_served(f"{moto_url}/moto-api/", moto, seconds=60)
            through, alone, (rss, pss) = put_items(work, options.calls, moto_url)
        finally:
            stop(moto)
        print(f"\nput_item from a handler, ms ({options.calls} calls each)")
        for name, samples in (("through lambdahost", through), ("moto alone", alone)):
            print(f"  {name:<20} p50 {percentile(samples, 0.5):6.2f}   p99 {percentile(samples, 0.99):6.2f}")
        print(f"  ratio p50            {percentile(through, 0.5) / percentile(alone, 0.5):6.2f}x")
        print(f"\nlocal AWS process after the calls: RSS {rss / 1024:.0f} MB, PSS {pss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
