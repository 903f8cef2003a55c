"""A real ``lambdahost serve`` process for tests, and clients for it."""

from __future__ import annotations

import io
import os
import sys
import textwrap
import zipfile
from pathlib import Path

import boto3
from botocore.config import Config

from lambdahost.testing import LocalLambda, free_port

LAMBDAHOST = str(Path(sys.executable).parent / "lambdahost")


def write_project(folder: Path, template: str, code: str) -> Path:
    """A SAM project in ``folder``: the template, and ``code`` as ``src/app.py`` (both dedented)."""
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "src" / "app.py").write_text(textwrap.dedent(code))
    (folder / "template.yaml").write_text(textwrap.dedent(template))
    return folder


def sigv4_headers(method: str, url: str, key: str, secret: str, service: str = "lambda") -> dict[str, str]:
    """The headers botocore adds to sign a bodiless request with SigV4."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url)
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers)


ROLE = "arn:aws:iam::123456789012:role/lambda-role"  # what CreateFunction is given in the tests
# A template's table, for tests of the local AWS: more resources may follow it.
ITEMS_TABLE = """
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
"""


def zipped(files: dict[str, str]) -> bytes:
    """A zip archive of ``files`` (name -> text), as Code.ZipFile and Content.ZipFile take one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has ended: only its parent has not read its status)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # (gone between the open and the read)
        return False


# A process as a handler names it, for a test to find from outside: its process namespace and its
# pid in it (an environment's processes have pids of their own namespace, as on Lambda).
WHO = """
import os

def who(pid=None):
    return f"{os.stat('/proc/self/ns/pid').st_ino}:{pid or os.getpid()}"
"""


def running(identity: str) -> bool:
    """Whether the process a handler named with ``who`` still runs."""
    namespace, pid = map(int, identity.split(":"))
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}/ns/pid").st_ino != namespace:
                    continue
                with open(f"/proc/{entry}/status") as status:
                    nspid = next(line for line in status if line.startswith("NSpid:"))
            except (OSError, StopIteration):
                continue
            if int(nspid.split()[-1]) == pid and alive(int(entry)):
                return True
    return False


class Server(LocalLambda):
    """``lambdahost serve`` for a test: the plugin's ``LocalLambda``, watching for changes, with its
    state beside the project and its output in ``serve-PORT.log`` there; ``args`` last."""

    def __init__(self, folder: Path, *args: str, state_dir: Path | None = None) -> None:
        super().__init__(folder, args=args, state_dir=state_dir or folder / ".lambdahost", watch=True)
        self.output = folder / f"serve-{self.port}.log"
        self.folder = folder
        self.args = args

    def client(
        self, retries: int = 1, key: str = "test", secret: str = "test", timeout: int = 60, validate: bool = True
    ):
        config = Config(
            retries={"max_attempts": retries, "mode": "standard"}, read_timeout=timeout, parameter_validation=validate
        )
        return boto3.client(
            "lambda",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=config,
        )

    def aws_client(self, service: str):
        """A client of another AWS service, through the same endpoint (the local AWS behind it)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def log(self) -> str:
        return self.output.read_text()


def api_server(folder: Path, *args: str) -> Server:
    """A started ``lambdahost serve`` with an API port of its own, as ``api_port``."""
    api_port = free_port()
    server = Server(folder, "--api-port", str(api_port), "--no-watch", *args).start()
    server.api_port = api_port
    return server
