"""A function's dependencies, as ``sam build`` would package them, with no build step: its
``requirements.txt`` installed for its own runtime, once, into a shared cache; and nothing else
of this machine's packages."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest

from lambdahost import FunctionConfig, Host, InvalidParameterValueException
from lambdahost.sandbox.interpreter import InterpreterResolver
from server import LAMBDAHOST

VERSION = "import tomli\ndef handler(event, context):\n    return tomli.__version__\n"


def _function(folder: Path, name: str, runtime: str, requirements: str, code: str = VERSION) -> FunctionConfig:
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(code)
    (folder / "requirements.txt").write_text(requirements)
    return FunctionConfig(name=name, handler="app.handler", code_dir=folder, runtime=runtime)


def test_two_runtimes_each_see_their_own_version_of_a_package_and_a_second_start_installs_nothing(
    tmp_path: Path, caplog
) -> None:
    try:
        InterpreterResolver(strict=True).resolve("python3.12")
    except InvalidParameterValueException:
        pytest.skip("no python3.12 interpreter on this machine")
    functions = [
        _function(tmp_path / "new", "new", "python3.12", "tomli==2.0.1\n"),
        _function(tmp_path / "old", "old", "python3.11", "tomli==2.2.1\n"),
    ]
    for start in ("first", "second"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="lambdahost"), Host(state_dir=tmp_path / start) as host:
            for function in functions:
                host.add_function(function)
            assert json.loads(host.invoke("new").payload) == "2.0.1"
            assert json.loads(host.invoke("old").payload) == "2.2.1"
        installs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("installing")]
        if start == "second":
            assert installs == [], "the cache serves the second start, with no network"


def test_the_machines_own_packages_are_not_a_functions_and_the_error_says_where_one_belongs(
    host: Host, tmp_path: Path
) -> None:
    """httpx is installed beside lambdahost, not in the function: on Lambda it would be missing."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("import httpx\ndef handler(event, context):\n    return 'found'\n")
    host.add_function(FunctionConfig(name="leaky", handler="app.handler", code_dir=code))
    result = host.invoke("leaky")
    assert result.error_type == "Runtime.ImportModuleError"
    assert json.loads(result.payload)["errorMessage"] == "Unable to import module 'app': No module named 'httpx'"
    assert f"Add the package that provides it to {code / 'requirements.txt'}" in result.log


def test_a_failed_install_is_one_clear_error_and_the_function_is_not_added(host: Host, tmp_path: Path) -> None:
    function = _function(tmp_path / "broken", "broken", "python3.11", "no-such-package-for-lambdahost==0.0.1\n")
    with pytest.raises(InvalidParameterValueException) as caught:
        host.add_function(function)
    message = caught.value.message
    assert message.startswith(f"the requirements of broken ({tmp_path / 'broken' / 'requirements.txt'})")
    assert "could not be installed for python3.11" in message and "no-such-package-for-lambdahost" in message
    with pytest.raises(Exception, match="broken"):
        host.invoke("broken")


def test_lambdahost_build_installs_ahead_and_sam_builds_output_is_used_as_sam_uses_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text(VERSION)
    (project / "src" / "requirements.txt").write_text("tomli==2.0.2\n")
    (project / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.11}\n"
    )
    built = _cli(project, "build")
    assert built.returncode == 0, built.stderr
    requirements = project / "src" / "requirements.txt"
    assert built.stdout.startswith(f"Fn: the requirements of Fn ({requirements}) for python3.11: ")
    assert _cli(project, "build").stdout.split(": ")[-1].startswith("kept in "), "a second build finds it kept"
    assert json.loads(_cli(project, "invoke", "Fn").stdout) == "2.0.2"

    # sam build's output: the built template and its function folder, dependencies inside.
    output = project / ".aws-sam" / "build"
    (output / "Fn").mkdir(parents=True)
    (output / "Fn" / "app.py").write_text("import vendored\ndef handler(event, context):\n    return vendored.WHERE\n")
    (output / "Fn" / "vendored.py").write_text("WHERE = 'built'\n")
    (output / "Fn" / "requirements.txt").write_text("no-such-package-for-lambdahost==0.0.1\n")  # installed by sam
    (output / "template.yaml").write_text(
        (project / "template.yaml").read_text().replace("CodeUri: src", "CodeUri: Fn")
    )
    invoked = _cli(project, "invoke", "Fn")
    assert json.loads(invoked.stdout) == "built", invoked.stderr
    assert (project / ".lambdahost").is_dir() and not (output / ".lambdahost").exists(), (
        "the state stays with the project"
    )


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LAMBDAHOST, *args], cwd=folder, capture_output=True, text=True, timeout=300)


def test_a_template_naming_powertools_public_layer_gets_the_package(tmp_path: Path) -> None:
    layer = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7"
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        f"    Properties: {{CodeUri: src, Handler: app.handler, Runtime: python3.11, Layers: [{layer}]}}\n"
    )
    (project / "src" / "app.py").write_text(
        "from aws_lambda_powertools.utilities.parser import BaseModel, parse\n"
        "class Order(BaseModel):\n    id: int\n"
        "def handler(event, context):\n    return parse(event=event, model=Order).id\n"
    )
    invoked = _cli(project, "invoke", "--payload", '{"id": 7}')
    assert invoked.returncode == 0, invoked.stderr
    assert invoked.stdout.strip() == "7" and "not emulated" not in invoked.stderr
