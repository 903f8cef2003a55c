"""Failures the platform reports: exits, crashes, kills, memory, payload limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path

import pytest

from lambdahost import AsyncHost, FunctionConfig, Host, InvalidRequestContentException, RequestEntityTooLargeException
from lambdahost.testing import eventually

pytestmark = pytest.mark.both_loops

CRASHER = """
import ctypes, os, signal, sys

def handler(event, context):
    how = event["how"]
    print("before", how)
    if how == "sys.exit":
        sys.exit(3)
    if how == "os._exit":
        os._exit(0)
    if how == "segfault":
        ctypes.string_at(0)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "abort":
        os.abort()
    return "survived"
"""


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("sys.exit", "Runtime exited with error: exit status 3"),
        ("os._exit", "Runtime exited without providing a reason"),
        ("segfault", "Runtime exited with error: signal: segmentation fault"),
        ("kill", "Runtime exited with error: signal: killed"),
        ("abort", "Runtime exited with error: signal: aborted"),
    ],
)
def test_process_exit_is_reported_as_runtime_exit_error(host: Host, make_function, how: str, message: str) -> None:
    function = make_function(CRASHER)
    result = host.invoke(function.name, {"how": how})
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: {message}",
    }
    lines = result.log.splitlines()
    assert f"before {how}" in lines
    assert f"RequestId: {result.request_id} Error: {message}" in lines
    assert "Runtime.ExitError" in lines
    assert lines[-1].endswith("\tStatus: error\tError Type: Runtime.ExitError\t")
    assert host.invoke(function.name, {"how": "nothing"}).payload == b'"survived"'


def test_memory_past_the_limit_is_out_of_memory_and_the_host_keeps_serving(host: Host, make_function) -> None:
    function = make_function(
        """
        def handler(event, context):
            if event.get("hog"):
                hoard = []
                while True:
                    hoard.append(bytearray(16 * 1024 * 1024))
            return "fine"
    """,
        memory_size=128,
    )
    result = host.invoke(function.name, {"hog": True})
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: signal: killed",
    }
    assert result.max_memory_used_mb == 128
    assert "Max Memory Used: 128 MB" in result.log
    assert host.invoke(function.name).payload == b'"fine"'


def test_max_memory_used_is_the_real_peak_not_the_configured_size(host: Host, make_function) -> None:
    function = make_function(
        """
        held = []

        def handler(event, context):
            if event.get("grow"):
                held.append(bytearray(80 * 1024 * 1024))
                for i in range(0, len(held[-1]), 4096):
                    held[-1][i] = 1
            return len(held)
    """,
        memory_size=512,
    )
    small = host.invoke(function.name)
    assert 1 <= small.max_memory_used_mb < 80
    grown = host.invoke(function.name, {"grow": True})
    assert small.max_memory_used_mb + 70 <= grown.max_memory_used_mb < 512
    assert f"Max Memory Used: {grown.max_memory_used_mb} MB" in grown.log


def test_request_larger_than_6_mb_is_refused(host: Host, make_function) -> None:
    function = make_function("def handler(event, context):\n    return len(event)\n")
    big = json.dumps("x" * 6_291_456)
    with pytest.raises(RequestEntityTooLargeException) as caught:
        host.invoke(function.name, big)
    assert caught.value.status == 413
    assert caught.value.message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    assert host.invoke(function.name, json.dumps("x" * 6_000_000)).payload == b"6000000"


def test_response_larger_than_6_mb_is_a_function_error(host: Host, make_function) -> None:
    function = make_function("def handler(event, context):\n    return 'x' * event['size']\n")
    result = host.invoke(function.name, {"size": 6_291_556})
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    assert len(host.invoke(function.name, {"size": 6_291_554}).payload) == 6_291_556


def test_payload_that_is_not_json_is_refused(host: Host, make_function) -> None:
    function = make_function("def handler(event, context):\n    return event\n")
    with pytest.raises(InvalidRequestContentException, match="^Could not parse request body into json"):
        host.invoke(function.name, b"{not json")
    assert host.invoke(function.name, b"").payload == b"{}"
    with pytest.raises(InvalidRequestContentException, match="nested too deeply to read$"):
        host.invoke(function.name, b"[" * 100_000)  # never a RecursionError out of the host


@pytest.mark.parametrize(
    ("payload", "event"),
    [
        (b'{"n": NaN}', "{'n': nan}"),
        (b'{"n": 123456789012345678901234567890}', "{'n': 123456789012345678901234567890}"),
        ('{"s": "\u00e9"}'.encode("utf-16"), "{'s': '\u00e9'}"),
        (b'"\\ud800"', "'\\ud800'"),
    ],
)
def test_payload_that_python_reads_is_accepted(host: Host, make_function, payload: bytes, event: str) -> None:
    """What Python's json takes and a strict parser refuses still reaches the handler as Python reads it."""
    function = make_function("def handler(event, context):\n    return repr(event)\n")
    assert json.loads(host.invoke(function.name, payload).payload) == event


def test_environments_that_exit_at_once_are_each_reported(tmp_path, run) -> None:
    """Many environments whose init exits the process: the fork-server's "spawned" and "exited"
    messages for one child can arrive together, and each invocation still gets its ExitError."""
    (tmp_path / "app.py").write_text("import os\nos._exit(3)\n")

    async def scenario() -> list:
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="gone", handler="app.handler", code_dir=tmp_path))
            results = []
            for _ in range(3):
                results += await asyncio.gather(*(host.invoke("gone") for _ in range(64)), return_exceptions=True)
            return results

    results = run(scenario())
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {r.error_type for r in results} == {"Runtime.ExitError"}
    assert all(b"Runtime exited with error: exit status 3" in r.payload for r in results)


FILLER = """
import os

def handler(event, context):
    path = "/tmp/filler"  # as functions write it: the path, not TMPDIR
    try:
        with open(path, "ab") as out:
            for _ in range(event["mb"]):
                out.write(b"x" * 1024 * 1024)
    except OSError as exc:
        return {"error": exc.strerror, "size": os.path.getsize(path)}
    return {"size": os.path.getsize(path)}
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ephemeral storage is limited with Linux mount namespaces")
def test_the_temporary_folder_holds_the_ephemeral_storage_size_and_no_more(host: Host, make_function) -> None:
    default = make_function(FILLER, memory_size=256, timeout=30)  # 512 MB, Lambda's default (writing it takes time)
    assert json.loads(host.invoke(default.name, {"mb": 500}).payload) == {"size": 500 * 2**20}
    full = json.loads(host.invoke(default.name, {"mb": 20}).payload)  # the same environment: its files stay
    assert full == {"error": "No space left on device", "size": 512 * 2**20}
    larger = make_function(FILLER, memory_size=256, ephemeral_storage=1024, timeout=30)
    assert json.loads(host.invoke(larger.name, {"mb": 520}).payload) == {"size": 520 * 2**20}


def _namespaces_held() -> int:
    """Mount namespaces this process's fork-servers keep open for their environments' folders."""
    held = 0
    for forkserver in _forkservers():
        for fd in Path(f"/proc/{forkserver}/fd").iterdir():
            with contextlib.suppress(OSError):
                held += os.readlink(fd).startswith("mnt:[")
    return held


def _forkservers() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == os.getpid() and b"forkserver.main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="ephemeral storage is limited with Linux mount namespaces")
def test_the_temporary_folder_survives_a_reset_and_goes_with_its_environment(host: Host, make_function) -> None:
    function = make_function(
        """
        import os, time

        def handler(event, context):
            path = "/tmp/kept"
            existed = os.path.exists(path)
            open(path, "w").close()
            if event.get("hang"):
                time.sleep(10)
            return {"existed": existed}
        """,
        timeout=1,
    )
    first = json.loads(host.invoke(function.name).payload)
    assert first["existed"] is False
    assert host.invoke(function.name, {"hang": True}).error_type == "Sandbox.Timedout"  # a reset: a new process
    assert json.loads(host.invoke(function.name).payload)["existed"] is True, "/tmp is not cleared by a reset"
    assert _namespaces_held() == 1, "the fork-server holds the environment's namespaces"
    host.remove_function(function.name)  # the environment is closed for good
    eventually(lambda: _namespaces_held() == 0, "the closed environment's tmpfs was let go", timeout=10)


ISOLATED = """
import os, tempfile, time

def handler(event, context):
    with open("/tmp/scratch", "w") as out:
        out.write(context.aws_request_id)
    time.sleep(0.5)  # long enough for the other invocation to write its own
    with open("/tmp/scratch") as back:
        return {"read": back.read(), "listing": os.listdir("/tmp"), "tempdir": tempfile.gettempdir()}
"""


@pytest.mark.skipif(sys.platform != "linux", reason="/tmp is each environment's own with Linux mount namespaces")
def test_tmp_is_each_environments_own(tmp_path: Path, run) -> None:
    """Two environments writing the same /tmp path each read back their own file; the machine's
    /tmp gets neither, and what it holds is not theirs to see (the code folder, bound in, is)."""
    (tmp_path / "app.py").write_text(ISOLATED)
    machines = Path("/tmp") / f"lambdahost-test-{os.getpid()}"
    machines.write_text("the machine's")

    async def scenario() -> list:
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(FunctionConfig(name="scratch", handler="app.handler", code_dir=tmp_path))
            return await asyncio.gather(host.invoke("scratch"), host.invoke("scratch"))

    try:
        results = run(scenario())
    finally:
        machines.unlink()
    answers = [json.loads(result.payload) for result in results]
    assert [answer["read"] for answer in answers] == [result.request_id for result in results]
    for answer in answers:
        assert "scratch" in answer["listing"] and machines.name not in answer["listing"]
        assert answer["tempdir"] == "/tmp"
    assert not Path("/tmp/scratch").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="/tmp is each environment's own with Linux mount namespaces")
def test_code_in_tmp_itself_keeps_the_machines_tmp(host: Host) -> None:
    """A code folder that is /tmp cannot be hidden under the environment's own: /tmp stays the
    machine's there, and TMPDIR alone is the limited folder."""
    module = Path("/tmp") / f"lambdahost_in_tmp_{os.getpid()}.py"
    module.write_text("import os\ndef handler(event, context):\n    return os.environ['TMPDIR']\n")
    try:
        host.add_function(FunctionConfig(name="intmp", handler=f"{module.stem}.handler", code_dir=Path("/tmp")))
        tmpdir = json.loads(host.invoke("intmp").payload)
    finally:
        module.unlink()
    assert tmpdir != "/tmp" and Path(tmpdir).is_relative_to(host.state_dir)


def test_an_exit_during_init_names_the_request_it_answers(host: Host, make_function) -> None:
    """A module that exits while imported: the answer is Runtime.ExitError with the request id
    in its message, as for an exit inside the handler (issue 28: AWS's message carries it)."""
    function = make_function("import sys\nsys.exit(2)\n\ndef handler(event, context):\n    return 1\n")
    result = host.invoke(function.name, {})
    assert json.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 2",
    }


def test_the_runtime_ends_as_an_interpreter_ends(host: Host, make_function) -> None:
    """A handler that exits: the atexit functions it registered run, as when awslambdaric's
    interpreter exits (issue 28); and the REPORT of a crash or a timeout gives the memory the
    process reached, not a placeholder."""
    function = make_function(
        """
        import atexit, sys, time

        def handler(event, context):
            atexit.register(print, "atexit ran")
            hoard = bytearray(80 * 1024 * 1024)
            hoard[::4096] = b"x" * len(hoard[::4096])
            if event.get("sleep"):
                time.sleep(30)
            sys.exit(4)
        """,
        memory_size=512,
        timeout=1,
    )
    exited = host.invoke(function.name, {})
    assert "atexit ran" in exited.log.splitlines()
    assert exited.max_memory_used_mb >= 80, exited.log
    timed_out = host.invoke(function.name, {"sleep": True})
    assert timed_out.error_type == "Sandbox.Timedout" and timed_out.max_memory_used_mb >= 80
