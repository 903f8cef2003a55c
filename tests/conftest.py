from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from lambdahost import FunctionConfig, Host
from server import free_port


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    with Host(state_dir=tmp_path / "state") as host:
        yield host


@pytest.fixture
def make_function(host: Host, tmp_path: Path):
    """Write ``code`` as ``app.py`` in a fresh folder and add a function running it."""
    counter = iter(range(1000))

    def make(code: str, handler: str = "app.handler", name: str | None = None, **config) -> FunctionConfig:
        name = name or f"fn{next(counter)}"
        code_dir = tmp_path / name
        code_dir.mkdir()
        (code_dir / "app.py").write_text(textwrap.dedent(code))
        function = FunctionConfig(name=name, handler=handler, code_dir=code_dir, **config)
        host.add_function(function)
        return function

    return make


@pytest.fixture
def moto(monkeypatch):
    """A moto server (Kinesis, DynamoDB Streams, SQS) on a free port: its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1").list_streams()
            break
        except Exception:
            assert time.monotonic() < deadline, "moto did not start"
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(10)
