from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
import uvloop

from lambdahost import FunctionConfig, Host, eventloop
from lambdahost.testing import eventually
from server import free_port

T = TypeVar("T")


LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}

_COVERS_VAR = """
import os, tempfile
from lambdahost.runtime import ephemeral
code = tempfile.mkdtemp()
ephemeral.limit(ephemeral.TMP, 1, ephemeral._top_level([code, ephemeral.__file__]), task_root=code)
print(os.path.ismount(ephemeral.TASK))
"""


def _code_at_var_task() -> bool:
    """Whether this machine lets an environment see its code at /var/task (a mount namespace)."""
    probe = subprocess.run([sys.executable, "-c", _COVERS_VAR], capture_output=True, text=True)
    return probe.stdout.strip() == "True"


CODE_AT_VAR_TASK = _code_at_var_task()


def task_root(code_dir: Path) -> str:
    """The path a function sees its code at: /var/task, as on Lambda, where the machine allows."""
    return "/var/task" if CODE_AT_VAR_TASK else str(code_dir)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``pytest.mark.both_loops``: each test that runs a host runs on both loops lambdahost may
    run on. For the engine's behaviour (lifecycle, deadlines, crashes): a difference between
    them once let ``serve`` run environments with no deadline at all while the suite, on the
    other loop, saw nothing wrong."""
    if metafunc.definition.get_closest_marker("both_loops") and "loop_factory" in metafunc.fixturenames:
        metafunc.parametrize("loop_factory", list(LOOPS.values()), ids=list(LOOPS))


@pytest.fixture
def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop of the test's hosts: lambdahost's own choice, as users get it (but see
    ``both_loops``)."""
    return eventloop.new_event_loop


@pytest.fixture
def run(loop_factory) -> Callable[[Coroutine[Any, Any, T]], T]:
    """``asyncio.run`` on the test's loop."""

    def run(main: Coroutine[Any, Any, T]) -> T:
        loop = loop_factory()
        try:
            return loop.run_until_complete(main)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    return run


@pytest.fixture
def host(tmp_path: Path, loop_factory) -> Iterator[Host]:
    with Host(state_dir=tmp_path / "state", loop_factory=loop_factory) as host:
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
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")
    eventually(kinesis.list_streams, "moto answers", ignoring=(Exception,))
    yield endpoint
    process.terminate()
    process.wait(10)
