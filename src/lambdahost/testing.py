"""A running ``lambdahost serve`` for a project's integration tests: started on free ports with a
state folder of its own, with clients that talk to it. The pytest plugin (``pytest_plugin.py``)
hands one to tests as the ``lambdahost`` fixture; it works without pytest too::

    with LocalLambda("path/to/project") as local:
        print(local.invoke("HelloWorldFunction", {"name": "me"}).payload)

It runs ``serve`` as its own process, as a developer runs it, so what a test sees is what the
project's users see: the Lambda API (boto3, the AWS CLI), API Gateway and function URLs on the
API port, the local AWS services behind the same endpoint, and the triggers.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Invocation:
    """A synchronous invocation's answer, as boto3's ``invoke`` gives it, decoded."""

    status_code: int
    payload: Any  # the response, read as JSON; its text when it is not JSON
    function_error: str | None  # "Unhandled" when the function failed
    log: str  # the end of its log (START ... REPORT), as LogType=Tail gives it
    executed_version: str


@dataclass(frozen=True)
class HttpResponse:
    """An answer of the API port (API Gateway, function URLs)."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LocalLambda:
    """``lambdahost serve`` for the project in ``project`` (its template found there as the command
    line finds it, or ``template``), with ``args`` added to its command line (a later option wins:
    ``--api-port 0`` serves no API port). ``watch``: reload code and template as they change."""

    def __init__(
        self,
        project: str | os.PathLike = ".",
        *,
        template: str | os.PathLike | None = None,
        args: Sequence[str] = (),
        state_dir: str | os.PathLike | None = None,
        region: str | None = None,
        watch: bool = False,
        output: str | os.PathLike | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.project = Path(project).resolve()
        self.region = region or "us-east-1"
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="lambdahost-test-"))
        self.port, self.api_port = free_port(), free_port()  # (set either before ``start`` to choose)
        self._options = [
            *(() if watch else ("--no-watch",)),
            *(("--template", str(template)) if template else ()),
            *(("--region", region) if region else ()),
            *args,
        ]
        self._startup_timeout = startup_timeout
        self.output = Path(output) if output else self.state_dir / "serve.log"  # what serve printed
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        """The Lambda API (and the console, and the local AWS services): ``--endpoint-url``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """API Gateway's routes and the function URLs."""
        return f"http://127.0.0.1:{self.api_port}"

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> LocalLambda:
        """Start ``serve`` and wait until it answers; its own output in the error if it cannot."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "lambdahost", "serve", "--port", str(self.port)),
                    *("--api-port", str(self.api_port), "--state-dir", str(self.state_dir), *self._options),
                ],
                cwd=self.project,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its lines in the file as it prints them
            )
        deadline = time.monotonic() + self._startup_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"lambdahost serve stopped as it started:\n{self.output.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"lambdahost serve did not answer in time:\n{self.output.read_text()}") from None
                time.sleep(0.02)

    def stop(self) -> int | None:
        """Stop ``serve`` as Ctrl-C would (SIGTERM, then SIGKILL after 30 s); its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> LocalLambda:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- clients ------------------------------------------------------------------------------

    def client(self, service: str = "lambda", **config: Any):
        """A boto3 client of ``service`` (``lambda``, ``dynamodb``, ``s3``, ``sqs``, ...) that talks
        to this ``serve``: the Lambda API, or the local AWS behind the same endpoint."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=900, **config),
        )

    def invoke(self, function: str, event: Any = None, qualifier: str | None = None) -> Invocation:
        """Invoke ``function`` (name, logical id or ARN) with ``event`` (anything JSON can hold)."""
        options = {"Qualifier": qualifier} if qualifier else {}
        payload = json.dumps(event if event is not None else {})
        answer = self.client().invoke(FunctionName=function, Payload=payload, LogType="Tail", **options)
        body = answer["Payload"].read()
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = body.decode(errors="replace")
        return Invocation(
            status_code=answer["StatusCode"],
            payload=decoded,
            function_error=answer.get("FunctionError"),
            log=base64.b64decode(answer.get("LogResult", "")).decode(errors="replace"),
            executed_version=answer.get("ExecutedVersion", ""),
        )

    def logs(self, function: str, contains: str | None = None) -> list[str]:
        """The lines ``function`` has logged so far (its log group, all streams), oldest first."""
        query = urllib.parse.urlencode({"filter": contains} if contains else {})
        answer = self._call("GET", f"/console/api/functions/{urllib.parse.quote(function)}/logs?{query}")
        return [event["message"] for event in answer["events"]]

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> HttpResponse:
        """An HTTP request to the API port: an API Gateway route or a function URL (``path``
        starts with ``/``). ``body``: bytes, text, or anything JSON can hold."""
        if body is None or isinstance(body, (bytes, str)):
            data = body.encode() if isinstance(body, str) else body
        else:
            data = json.dumps(body).encode()
            headers = {"content-type": "application/json", **(headers or {})}
        request = urllib.request.Request(self.api_url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=900) as response:
                return HttpResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, dict(error.headers), error.read())

    # -- triggers -----------------------------------------------------------------------------

    def send_message(self, queue: str, body: str, **attributes: Any) -> dict:
        """Send a message to one of the template's queues (its logical id or name)."""
        path = f"/_lambdahost/sqs/{urllib.parse.quote(queue)}/messages"
        return self._call("POST", path, {"MessageBody": body, **attributes})

    def publish(self, topic: str, message: str, **attributes: Any) -> dict:
        """Publish to one of the template's SNS topics (its logical id, name or ARN)."""
        return self._call("POST", "/_lambdahost/sns/publish", {"Topic": topic, "Message": message, **attributes})

    def put_event(self, source: str, detail_type: str, detail: Any, bus: str = "default") -> dict:
        """Put an EventBridge event, for the template's rules."""
        entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": bus}
        return self._call("POST", "/_lambdahost/events/put", {"Entries": [entry]})

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        """One of lambdahost's own calls; its error, in the words lambdahost answered, if it fails."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}") from None


def eventually(
    check: Callable[[], T],
    what: str = "the condition",
    timeout: float = 30.0,
    every: float = 0.05,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``check`` until it returns something true, and return that.

    What a trigger causes (a queue's message, an S3 notification, a retry) happens a moment
    after the call that caused it, and how long a moment depends on how busy the machine is: a
    test asks again instead of sleeping a guessed time. Raises ``AssertionError`` naming ``what``
    and the last answer after ``timeout`` seconds; an exception of ``ignoring`` counts as a
    false answer (a server that is not listening yet).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if answer := check():
                return answer
        except ignoring as error:
            answer = error  # type: ignore[assignment]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {timeout:g} s (last: {answer!r})")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
