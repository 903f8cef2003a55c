"""--debug-port: an environment waits for a debugger, a real debugpy client attaches over the
Debug Adapter Protocol, a breakpoint in the handler is hit, and no timeout fires while it waits."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lambdahost import FunctionConfig, Host
from lambdahost.testing import eventually
from server import free_port

pytest.importorskip("debugpy")

HANDLER = """\
import time

def handler(event, context):
    answer = event["n"] * 2
    return {"answer": answer, "remaining": context.get_remaining_time_in_millis()}
"""
BREAKPOINT_LINE = 5  # the return


class DebugClient:
    """The few Debug Adapter Protocol requests an IDE makes to attach, set a breakpoint and go on."""

    def __init__(self, port: int) -> None:
        self._socket = eventually(
            lambda: socket.create_connection(("127.0.0.1", port), timeout=30),
            "something listens on the debug port",
            ignoring=(OSError,),
        )
        self._reader = self._socket.makefile("rb")
        self._seq = 0

    def request(self, command: str, **arguments) -> None:
        self._seq += 1
        body = json.dumps({"seq": self._seq, "type": "request", "command": command, "arguments": arguments})
        self._socket.sendall(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())

    def wait_for(self, kind: str, name: str) -> dict:
        """The next message that is the event or response ``name``."""
        while True:
            length = 0
            while line := self._reader.readline().strip():
                header, _, value = line.partition(b":")
                if header.strip().lower() == b"content-length":
                    length = int(value)
            message = json.loads(self._reader.read(length))
            if message["type"] == kind and name in (message.get("event"), message.get("command")):
                return message

    def attach_and_break(self, source: Path, line: int) -> None:
        self.request("initialize", adapterID="lambdahost-test", clientID="test", pathFormat="path")
        self.request("attach", justMyCode=False)
        self.wait_for("event", "initialized")
        self.request("setBreakpoints", source={"path": str(source)}, breakpoints=[{"line": line}])
        self.wait_for("response", "setBreakpoints")
        self.request("configurationDone")

    def close(self) -> None:
        self._socket.close()


def test_a_breakpoint_is_hit_and_no_timeout_fires_while_stopped(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HANDLER)
    port = free_port()
    with Host(state_dir=tmp_path / "state", debug_port=port) as host:
        host.add_function(FunctionConfig(name="debugged", handler="app.handler", code_dir=tmp_path, timeout=1))
        results = []
        invocation = threading.Thread(target=lambda: results.append(host.invoke("debugged", {"n": 21})))
        invocation.start()
        client = DebugClient(port)
        try:
            client.attach_and_break(tmp_path / "app.py", BREAKPOINT_LINE)
            stopped = client.wait_for("event", "stopped")
            assert stopped["body"]["reason"] == "breakpoint"
            time.sleep(1.5)  # past the function's 1 s timeout, stopped at the breakpoint
            client.request("continue", threadId=stopped["body"]["threadId"])
            invocation.join(30)
        finally:
            client.close()
    [result] = results
    assert result.function_error is None, result.payload
    body = json.loads(result.payload)
    assert body["answer"] == 42 and body["remaining"] == 0  # its deadline passed; nothing killed it
    assert "waiting for a debugger on 127.0.0.1" in result.log


def test_invoke_on_the_command_line_waits_for_the_debugger(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: ., Handler: app.handler, Runtime: python3.11}\n"
    )
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "lambdahost"),
        "invoke",
        "--payload",
        '{"n": 4}',
        "--debug-port",
        str(port),
    ]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    client = DebugClient(port)
    try:
        client.attach_and_break(tmp_path / "app.py", BREAKPOINT_LINE)
        stopped = client.wait_for("event", "stopped")
        client.request("continue", threadId=stopped["body"]["threadId"])
        out, err = process.communicate(timeout=30)
    finally:
        client.close()
        process.kill()
    assert process.returncode == 0, err.decode()
    assert json.loads(out)["answer"] == 8
    assert f"Fn will wait for a debugger on 127.0.0.1:{port}" in err.decode()
