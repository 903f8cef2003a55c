"""lambdahost's pytest plugin (entry point ``pytest11``, so installing lambdahost installs it):
a project's integration tests against its own template, run by a real ``lambdahost serve``,
with no Docker::

    def test_hello(lambdahost):
        answer = lambdahost.invoke("HelloWorldFunction", {"name": "me"})
        assert answer.payload["statusCode"] == 200

The fixtures:

- ``lambdahost``: one ``serve`` of the project for the whole session (``testing.LocalLambda``):
  ``invoke``, ``logs``, ``request`` (API Gateway, function URLs), ``send_message``, ``publish``,
  ``put_event``, ``client(service)``, ``endpoint``, ``api_url``;
- ``lambdahost_fresh``: the same, started for one test alone, with state of its own;
- ``lambda_client``: a boto3 Lambda client of the session's ``serve``;
- ``aws_client``: ``aws_client("dynamodb")``, a boto3 client of the local AWS behind it;
- ``lambdahost_project``: the project's folder (the ``lambdahost_project`` ini option, relative
  to the rootdir, else the rootdir); override the fixture to choose it in code.

``lambdahost_args`` (ini) adds arguments to ``serve``'s command line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .testing import LocalLambda


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("lambdahost_project", "folder of the project's template, relative to the rootdir")
    parser.addini("lambdahost_args", "more arguments for lambdahost serve", type="args", default=[])


@pytest.fixture(scope="session")
def lambdahost_project(pytestconfig: pytest.Config) -> Path:
    return pytestconfig.rootpath / (pytestconfig.getini("lambdahost_project") or ".")


def _serve(project: Path, config: pytest.Config, state: Path) -> LocalLambda:
    return LocalLambda(project, args=config.getini("lambdahost_args"), state_dir=state)


@pytest.fixture(scope="session")
def lambdahost(lambdahost_project: Path, pytestconfig: pytest.Config, tmp_path_factory) -> Iterator[LocalLambda]:
    with _serve(lambdahost_project, pytestconfig, tmp_path_factory.mktemp("lambdahost")) as local:
        yield local


@pytest.fixture
def lambdahost_fresh(lambdahost_project: Path, pytestconfig: pytest.Config, tmp_path: Path) -> Iterator[LocalLambda]:
    with _serve(lambdahost_project, pytestconfig, tmp_path / "lambdahost") as local:
        yield local


@pytest.fixture(scope="session")
def lambda_client(lambdahost: LocalLambda):
    return lambdahost.client("lambda")


@pytest.fixture(scope="session")
def aws_client(lambdahost: LocalLambda) -> Callable:
    return lambdahost.client
