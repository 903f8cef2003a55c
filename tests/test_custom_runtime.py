"""Custom runtimes (provided.al2023) through each environment's Runtime API: AWS's own runtime
interface client, a shell script with curl, and the protocol's error answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lambdahost import FunctionConfig, Host
from server import WHO

pytestmark = pytest.mark.both_loops


def _bootstrap(folder: Path, script: str) -> None:
    path = folder / "bootstrap"
    path.write_text(textwrap.dedent(script).lstrip())
    path.chmod(0o755)


@pytest.fixture
def ric(tmp_path: Path) -> Path:
    """A function whose bootstrap runs AWS's runtime interface client (awslambdaric from PyPI)."""
    folder = tmp_path / "ric"
    folder.mkdir()
    _bootstrap(
        folder,
        f"""
        #!/bin/sh
        exec {sys.executable} -m awslambdaric "$_HANDLER"
    """,
    )
    (folder / "app.py").write_text(
        WHO
        + textwrap.dedent("""
        import os, time

        def handler(event, context):
            print("ric says hello")
            if event.get("fail"):
                raise KeyError("missing")
            if event.get("sleep"):
                time.sleep(event["sleep"])
            return {"event": event, "remaining": context.get_remaining_time_in_millis(),
                    "request": context.aws_request_id, "api": os.environ["AWS_LAMBDA_RUNTIME_API"],
                    "arn": context.invoked_function_arn, "pid": who()}
    """)
    )
    return folder


def test_the_runtime_api_answers_only_requests_that_name_it(host: Host, ric: Path) -> None:
    """A web page reaching it through DNS rebinding could take the function's events."""
    (ric / "probe.py").write_text(
        textwrap.dedent("""
        import json, os, urllib.error, urllib.request

        def handler(event, context):
            url = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation/next"
            try:
                urllib.request.urlopen(urllib.request.Request(url, headers={"Host": event["host"]}), timeout=5)
            except urllib.error.HTTPError as error:
                return [error.code, json.loads(error.read())["errorType"]]
    """)
    )
    host.add_function(FunctionConfig(name="probe", handler="probe.handler", code_dir=ric, runtime="provided.al2023"))
    foreign = host.invoke("probe", {"host": "evil.example"})
    assert json.loads(foreign.payload) == [403, "AccessDeniedException"]
    own = host.invoke("probe", {"host": "127.0.0.1"})  # heard: its invocation is still running
    assert json.loads(own.payload) == [403, "InvalidStateTransition"]


def test_awslambdaric_runs_python_handlers_through_the_runtime_api(host: Host, ric: Path) -> None:
    host.add_function(
        FunctionConfig(
            name="ric", handler="app.handler", code_dir=ric, runtime="provided.al2023", timeout=5, memory_size=256
        )
    )
    first = host.invoke("ric", {"n": 1})
    assert first.function_error is None, first.payload
    body = json.loads(first.payload)
    assert body["event"] == {"n": 1}
    assert body["request"] == first.request_id
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ric"
    assert 3000 < body["remaining"] <= 5000
    assert body["api"].startswith("127.0.0.1:")
    assert "ric says hello" in first.log.splitlines()
    assert first.log.startswith("INIT_START Runtime Version: provided:al2023.local")
    assert first.init_duration_ms is not None and 1 <= first.max_memory_used_mb < 256

    second = host.invoke("ric", {"n": 2})
    assert json.loads(second.payload)["pid"] == body["pid"], "warm: the same runtime process answers"
    assert second.init_duration_ms is None

    failed = host.invoke("ric", {"fail": True})
    assert failed.function_error == "Unhandled"
    error = json.loads(failed.payload)
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'missing'")
    assert error["requestId"] == failed.request_id and error["stackTrace"]


def test_custom_runtime_timeout_and_init_error(host: Host, ric: Path) -> None:
    host.add_function(
        FunctionConfig(name="ric", handler="app.handler", code_dir=ric, runtime="provided.al2023", timeout=1)
    )
    result = host.invoke("ric", {"sleep": 30})
    assert json.loads(result.payload)["errorType"] == "Sandbox.Timedout"
    assert json.loads(host.invoke("ric", {"n": 3}).payload)["event"] == {"n": 3}, "a fresh runtime after the reset"

    host.add_function(
        FunctionConfig(name="broken", handler="nomodule.handler", code_dir=ric, runtime="provided.al2023")
    )
    broken = host.invoke("broken")
    body = json.loads(broken.payload)
    assert broken.function_error == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'nomodule': No module named 'nomodule'"
    assert "Phase: init\tStatus: error\tError Type: Runtime.ImportModuleError" in broken.log


def test_shell_bootstrap_with_curl(host: Host, tmp_path: Path) -> None:
    folder = tmp_path / "shell"
    folder.mkdir()
    _bootstrap(
        folder,
        """
        #!/bin/sh
        set -eu
        . "$LAMBDA_TASK_ROOT/$(echo "$_HANDLER" | cut -d. -f1).sh"
        while true; do
          HEADERS="$(mktemp)"
          EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
          REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")
          curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" \\
            -d "$RESPONSE" > /dev/null
        done
    """,
    )
    (folder / "function.sh").write_text(
        textwrap.dedent("""
        handler () {
          EVENT_DATA=$1
          echo "$EVENT_DATA" 1>&2
          echo "Echoing request: '$EVENT_DATA'"
        }
    """)
    )
    host.add_function(
        FunctionConfig(name="shell", handler="function.handler", code_dir=folder, runtime="provided.al2023")
    )
    for index in range(3):
        result = host.invoke("shell", {"index": index})
        assert result.function_error is None
        assert result.payload == f"Echoing request: '{{\"index\": {index}}}'".encode()
        assert f'{{"index": {index}}}' in result.log.splitlines()


def test_runtime_api_answers_protocol_errors(host: Host, tmp_path: Path) -> None:
    """A Python bootstrap (standard library only) that breaks the protocol on purpose first."""
    folder = tmp_path / "probe"
    folder.mkdir()
    _bootstrap(
        folder,
        f"""
        #!{sys.executable}
        import json, os, urllib.request, urllib.error
        api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/"

        def call(method, path, body=None, headers=None):
            request = urllib.request.Request(api + path, data=body, method=method, headers=headers or {{}})
            try:
                with urllib.request.urlopen(request) as response:
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers), error.read()

        while True:
            status, headers, event = call("GET", "invocation/next")
            request_id = headers["Lambda-Runtime-Aws-Request-Id"]
            wrong = call("POST", "invocation/not-the-id/response", b"{{}}")
            again = call("GET", "invocation/next")
            unknown = call("GET", "nowhere")
            report = {{"wrong": [wrong[0], json.loads(wrong[2])],
                      "again": [again[0], json.loads(again[2])["errorType"]], "unknown": unknown[0],
                      "deadline": headers["Lambda-Runtime-Deadline-Ms"],
                      "trace": headers["Lambda-Runtime-Trace-Id"], "type": headers["Content-Type"]}}
            if json.loads(event).get("fail"):
                call("POST", f"invocation/{{request_id}}/error", json.dumps({{"errorMessage": "bad", "errorType":
                     "Custom.Failure"}}).encode(), {{"Lambda-Runtime-Function-Error-Type": "Custom.Failure"}})
            else:
                call("POST", f"invocation/{{request_id}}/response", json.dumps(report).encode(),
                     {{"Content-Type": "application/json"}})
    """,
    )
    host.add_function(FunctionConfig(name="probe", handler="none", code_dir=folder, runtime="provided.al2"))
    report = json.loads(host.invoke("probe").payload)
    assert report["wrong"] == [400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}]
    assert report["again"] == [403, "InvalidStateTransition"]
    assert report["unknown"] == 404
    assert report["deadline"].isdigit() and report["trace"].startswith("Root=1-")
    assert report["type"] == "application/json"
    failed = host.invoke("probe", {"fail": True})
    assert failed.function_error == "Unhandled"
    assert json.loads(failed.payload) == {"errorMessage": "bad", "errorType": "Custom.Failure"}


def test_missing_bootstrap_is_an_invalid_entrypoint(host: Host, tmp_path: Path) -> None:
    host.add_function(FunctionConfig(name="empty", handler="x.y", code_dir=tmp_path, runtime="provided.al2023"))
    result = host.invoke("empty")
    body = json.loads(result.payload)
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"] == f"RequestId:  Error: Couldn't find valid bootstrap(s): [{tmp_path}/bootstrap]"
    assert os.path.exists(tmp_path)


def test_closing_the_host_ends_the_runtime_apis_connections(tmp_path: Path) -> None:
    """A runtime waits in ``invocation/next`` (a new connection for each call, as urllib makes)
    when the host closes: its connection must end with the host, not be left pending for Python
    to report as it exits."""
    _bootstrap(
        tmp_path,
        f"""
        #!{sys.executable}
        import os, urllib.request
        api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
        while True:
            with urllib.request.urlopen(api + "next") as response:
                request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            urllib.request.urlopen(urllib.request.Request(api + request_id + "/response", data=b"1")).close()
    """,
    )
    script = f"""
from lambdahost import FunctionConfig, Host
for round in range(5):
    with Host(state_dir={str(tmp_path / "state")!r}) as host:
        host.add_function(FunctionConfig(name="loop", runtime="provided.al2023", handler="none",
                                         code_dir={str(tmp_path)!r}))
        assert host.invoke("loop").payload == b"1"
"""
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert "Task was destroyed" not in finished.stderr


def test_a_deep_recursion_error_reaches_the_caller_through_awslambdaric(host: Host, ric: Path) -> None:
    """awslambdaric sends a RecursionError's stack as the X-Ray error cause header, hundreds of
    KB long; the Runtime API takes it as Lambda's does (up to 1 MiB), so the caller gets the
    error, not Runtime.ExitError from a dropped connection."""
    (ric / "deep.py").write_text("def handler(event, context):\n    return handler(event, context)\n")
    host.add_function(FunctionConfig(name="deep", handler="deep.handler", code_dir=ric, runtime="provided.al2023"))
    result = host.invoke("deep", {})
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload)["errorType"] == "RecursionError"


STREAMING_RUNTIME = """
import base64, json, os, socket, time, urllib.request

api = os.environ["AWS_LAMBDA_RUNTIME_API"]
host, port = api.split(":")
seen = os.path.join(os.environ["LAMBDA_TASK_ROOT"], "seen")
while True:
    with urllib.request.urlopen(f"http://{api}/2018-06-01/runtime/invocation/next") as answer:
        request_id, event = answer.headers["Lambda-Runtime-Aws-Request-Id"], json.loads(answer.read())
    post = socket.create_connection((host, int(port)))
    post.sendall(
        f"POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\\r\\nHost: {api}\\r\\n"
        "Lambda-Runtime-Function-Response-Mode: streaming\\r\\nTransfer-Encoding: chunked\\r\\n"
        "Content-Type: text/plain\\r\\n"
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\\r\\n\\r\\n".encode()
    )
    post.sendall(b"5\\r\\nfirst\\r\\n")
    while not os.path.exists(seen):
        time.sleep(0.02)
    os.remove(seen)
    if event.get("fail"):
        error = base64.b64encode(json.dumps({"errorType": "Midway", "errorMessage": "it broke"}).encode()).decode()
        trailers = f"Lambda-Runtime-Function-Error-Type: Midway\\r\\nLambda-Runtime-Function-Error-Body: {error}"
        post.sendall(f"0\\r\\n{trailers}\\r\\n\\r\\n".encode())
    else:
        post.sendall(b"6\\r\\nsecond\\r\\n0\\r\\n\\r\\n")
    post.recv(65536)
    post.close()
"""


def test_a_custom_runtimes_streamed_response_reaches_the_caller_as_it_is_written(tmp_path: Path) -> None:
    """The Runtime API's response streaming (Lambda-Runtime-Function-Response-Mode: streaming,
    chunked, an error in trailers): through InvokeWithResponseStream each part arrives as the
    runtime sends it (it waits until the caller has seen the first), and a failure midway ends
    the stream with InvokeComplete's error."""
    from server import Server

    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Streamer:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: src, Handler: none, Runtime: provided.al2023, Timeout: 30}\n"
    )
    (project / "src" / "runtime.py").write_text(STREAMING_RUNTIME)
    _bootstrap(project / "src", f'#!/bin/sh\nexec {sys.executable} "$LAMBDA_TASK_ROOT/runtime.py"\n')
    seen = project / "src" / "seen"
    server = Server(project, "--api-port", "0").start()
    try:
        events = iter(server.client().invoke_with_response_stream(FunctionName="Streamer")["EventStream"])
        first = next(events)["PayloadChunk"]["Payload"]
        seen.touch()
        rest = [event["PayloadChunk"]["Payload"] for event in events if "PayloadChunk" in event]
        failing = iter(
            server.client().invoke_with_response_stream(FunctionName="Streamer", Payload=b'{"fail": true}')[
                "EventStream"
            ]
        )
        partial = next(failing)["PayloadChunk"]["Payload"]
        seen.touch()
        [complete] = [event["InvokeComplete"] for event in failing if "InvokeComplete" in event]
    finally:
        server.stop()
    assert (first, rest) == (b"first", [b"second"])
    assert partial == b"first"
    assert complete["ErrorCode"] == "Unhandled"
    assert json.loads(complete["ErrorDetails"]) == {"errorType": "Midway", "errorMessage": "it broke"}
