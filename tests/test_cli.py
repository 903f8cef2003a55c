"""The lambdahost command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lambdahost.model import limits
from server import Server, write_project

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LAMBDAHOST = [str(Path(sys.executable).parent / "lambdahost")]


def run(*args: str, cwd: Path, input: str | None = None, check: bool = False) -> subprocess.CompletedProcess:
    result = subprocess.run([*LAMBDAHOST, *args], cwd=cwd, input=input, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}")
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(
        textwrap.dedent("""
        import json, os

        def handler(event, context):
            print("handling", json.dumps(event))
            if event.get("fail"):
                raise ValueError("asked to fail")
            return {"echo": event, "stage": os.environ.get("STAGE")}

        def other(event, context):
            return "other"
    """)
    )
    (folder / "template.yaml").write_text(
        textwrap.dedent("""
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          Stage: {Type: String, Default: dev}
        Resources:
          EchoFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Environment: {Variables: {STAGE: !Ref Stage}}
          OtherFunction:
            Type: AWS::Serverless::Function
            Properties: {FunctionName: other-fn, CodeUri: src, Handler: app.other, MemorySize: 256, Timeout: 9}
    """)
    )
    return folder


def test_init_then_invoke_the_console_default_function(tmp_path: Path) -> None:
    created = run("init", "my-function", cwd=tmp_path, check=True)
    assert "my-function" in created.stdout
    folder = tmp_path / "my-function"
    assert "def lambda_handler(event, context):" in (folder / "lambda_function.py").read_text()
    assert json.loads((folder / "events" / "event.json").read_text()) == {
        "key1": "value1",
        "key2": "value2",
        "key3": "value3",
    }
    result = run("invoke", "-e", "events/event.json", cwd=folder, check=True)
    assert json.loads(result.stdout) == {"statusCode": 200, "body": '"Hello from Lambda!"'}
    lines = result.stderr.splitlines()
    assert lines[0].startswith("INIT_START Runtime Version: ")
    assert any(line.startswith("START RequestId: ") for line in lines)
    assert lines[-1].startswith("REPORT RequestId: ")
    assert "\x1b[" not in result.stderr, "no colour when stderr is not a terminal"
    assert run("invoke", "my-function", cwd=folder, check=True).returncode == 0, "by function name too"
    again = run("init", "my-function", cwd=tmp_path)  # (the project, its state beside it, unchanged)
    assert again.returncode == 0 and "is there already" in again.stdout


def test_sam_hello_world_runs_unchanged(tmp_path: Path) -> None:
    folder = EXAMPLES / "sam-hello-world"
    result = run(
        "invoke", "HelloWorldFunction", "-e", "events/event.json", "--state-dir", str(tmp_path), cwd=folder, check=True
    )
    assert json.loads(result.stdout) == {"statusCode": 200, "body": '{"message": "hello world"}'}


def test_event_from_payload_and_stdin(project: Path) -> None:
    by_payload = run("invoke", "EchoFunction", "--payload", '{"a": 1}', cwd=project, check=True)
    assert json.loads(by_payload.stdout) == {"echo": {"a": 1}, "stage": "dev"}
    by_stdin = run("invoke", "EchoFunction", "-e", "-", cwd=project, input='{"b": 2}', check=True)
    assert json.loads(by_stdin.stdout)["echo"] == {"b": 2}
    assert 'handling {"b": 2}' in by_stdin.stderr


def test_function_error_exits_non_zero_with_the_error_body(project: Path) -> None:
    result = run("invoke", "EchoFunction", "--payload", '{"fail": true}', cwd=project)
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "asked to fail")
    assert "[ERROR] ValueError: asked to fail" in result.stderr


def test_parameter_overrides_and_env_vars_file(project: Path) -> None:
    result = run("invoke", "EchoFunction", "--parameter-overrides", "Stage=prod", cwd=project, check=True)
    assert json.loads(result.stdout)["stage"] == "prod"
    (project / "env.json").write_text('{"EchoFunction": {"STAGE": "from-file"}}')
    result = run("invoke", "EchoFunction", "--env-vars", "env.json", cwd=project, check=True)
    assert json.loads(result.stdout)["stage"] == "from-file"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["invoke", "EchoFunction", "--payload", "{not json"],
            "Error: the event in --payload is not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        (["invoke", "Nope"], "Error: no function 'Nope' in template.yaml; it has: EchoFunction, OtherFunction"),
        (["invoke"], "Error: the template has 2 functions; name one of: EchoFunction, OtherFunction"),
        (
            ["invoke", "EchoFunction", "-e", "missing.json"],
            "Error: cannot read the event file missing.json: No such file or directory",
        ),
        (
            ["invoke", "EchoFunction", "--parameter-overrides", "Nope=1"],
            "Error: {template}: --parameter-overrides names Nope, which the template does not declare",
        ),
    ],
)
def test_bad_input_gets_one_clear_line(project: Path, args: list[str], message: str) -> None:
    result = run(*args, cwd=project)
    assert result.returncode != 0
    assert result.stderr.strip() == message.format(template=project / "template.yaml")
    assert result.stdout == ""


def test_missing_template_is_an_error(tmp_path: Path) -> None:
    result = run("invoke", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"Error: {tmp_path}: no template here: looked for template.yaml, template.yml, template.json, "
        ".aws-sam/build/template.yaml, serverless.yml, serverless.yaml and cdk.out/ "
        "(run cdk synth, or give one with -t)"
    )


BROKEN = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler, Runtime: cobol85}
"""


@pytest.mark.parametrize("command", [["serve", "--port", "0", "--api-port", "0"], ["invoke", "Fn"], ["list"]])
def test_a_template_error_is_one_line_and_exit_status_2_under_every_command(tmp_path: Path, command) -> None:
    (tmp_path / "template.yaml").write_text(BROKEN)
    result = run(*command, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Error: {tmp_path / 'template.yaml'}:5: Fn.Runtime: 1 validation error detected: Value 'cobol85' at "
        "'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[{', '.join(limits.lambda_runtimes())}]"
    ), "one line, never a traceback"


UNEMULATED = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler, VpcConfig: {SubnetIds: [subnet-1]}}
  Orders:
    Type: AWS::Serverless::StateMachine
  Refunds:
    Type: AWS::Serverless::StateMachine
  Role:
    Type: AWS::IAM::Role
"""


def test_what_is_not_emulated_is_said_in_one_line_and_strict_refuses_it(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(UNEMULATED)
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")
    listed = run("list", cwd=tmp_path, check=True)
    said = "not emulated here, so ignored: VpcConfig (Fn); AWS::Serverless::StateMachine (Orders, Refunds)"
    assert listed.stderr.strip() == f"lambdahost: {said}", "roles and the like need no emulating"
    invoked = run("invoke", "Fn", cwd=tmp_path, check=True)
    assert f"lambdahost: {said}" in invoked.stderr and invoked.stdout.strip() == "1"
    refused = run("invoke", "Fn", "--strict", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"Error: {tmp_path / 'template.yaml'}: not emulated here (--strict): VpcConfig (Fn); "
        "AWS::Serverless::StateMachine (Orders, Refunds)"
    )


def test_serve_without_a_template_says_what_it_looked_for(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*LAMBDAHOST, "serve", "--port", "0", "--api-port", "0"], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        first = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(30)
    assert first.strip() == (
        f"lambdahost: {tmp_path}: no template here: looked for template.yaml, template.yml, template.json, "
        ".aws-sam/build/template.yaml, serverless.yml, serverless.yaml and cdk.out/ "
        "(run cdk synth, or give one with -t); "
        "serving the Lambda API alone"
    )


def test_list_shows_the_functions(project: Path) -> None:
    result = run("list", cwd=project, check=True)
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["RESOURCE", "FUNCTION", "NAME", "HANDLER", "RUNTIME", "MEMORY", "TIMEOUT"]
    assert rows[1][:3] == ["EchoFunction", "EchoFunction", "app.handler"]
    assert rows[2] == ["OtherFunction", "other-fn", "app.other", rows[2][3], "256", "MB", "9", "s"]


def test_logs_reads_what_invocations_wrote(project: Path) -> None:
    run("invoke", "EchoFunction", "--payload", '{"first": 1}', cwd=project, check=True)
    run("invoke", "other-fn", cwd=project, check=True)
    logs = run("logs", "EchoFunction", cwd=project, check=True).stdout.splitlines()
    assert any(line.endswith('handling {"first": 1}') for line in logs)
    assert all(line[:4].isdigit() and line[23] == "Z" for line in logs)
    assert not any("other" in line for line in logs)
    filtered = run("logs", "EchoFunction", "--filter", "handling", cwd=project, check=True).stdout.splitlines()
    assert len(filtered) == 1
    assert run("logs", "EchoFunction", "--since", "1h", cwd=project, check=True).stdout.splitlines() == logs
    bad = run("logs", "EchoFunction", "--since", "yesterday", cwd=project)
    assert "--since takes a number and a unit" in bad.stderr


def test_logs_follow_prints_new_lines(project: Path) -> None:
    run("invoke", "EchoFunction", cwd=project, check=True)
    follower = subprocess.Popen(
        [*LAMBDAHOST, "logs", "EchoFunction", "-f"],
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        run("invoke", "EchoFunction", "--payload", '{"followed": true}', cwd=project, check=True)
        deadline = time.monotonic() + 20
        seen = ""
        while "followed" not in seen:
            assert time.monotonic() < deadline, f"the new line never arrived: {seen!r}"
            seen += follower.stdout.readline()
    finally:
        follower.terminate()
        follower.wait(10)


def test_hot_reload_needs_no_build_step(project: Path) -> None:
    assert json.loads(run("invoke", "other-fn", cwd=project, check=True).stdout) == "other"
    source = project / "src" / "app.py"
    source.write_text(source.read_text().replace('return "other"', 'return "changed"'))
    assert json.loads(run("invoke", "other-fn", cwd=project, check=True).stdout) == "changed"


def test_a_property_no_function_has_is_said(tmp_path: Path) -> None:
    """A typo a deploy would refuse: said in the line of what is not emulated."""
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: ., Handler: app.handler, Timout: 30}\n"
    )
    listed = run("list", cwd=tmp_path, check=True)
    assert listed.stderr.strip() == (
        "lambdahost: not emulated here, so ignored: Timout, a property AWS::Serverless::Function does not have (Fn)"
    )


def test_invoke_goes_through_a_running_serve_and_its_warm_environments(tmp_path: Path) -> None:
    """With a ``serve`` running on the project's state folder, ``invoke`` asks it (its warm
    environment answers the second time: no INIT_START), and says so."""
    code = "COUNT = 0\ndef handler(event, context):\n    global COUNT\n    COUNT += 1\n    return COUNT\n"
    template = textwrap.dedent("""
        Resources:
          Counter:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler}
    """)
    project = write_project(tmp_path, template, code)
    server = Server(project, "--api-port", "0").start()
    try:
        first, second = run("invoke", cwd=project, check=True), run("invoke", "Counter", cwd=project, check=True)
        missing = run("invoke", "--qualifier", "9", cwd=project)  # the serve's refusal, in its words
    finally:
        server.stop()
    assert first.stderr.startswith(f"lambdahost: invoked through the serve on {server.endpoint}")
    assert "INIT_START" in first.stderr and "INIT_START" not in second.stderr
    assert (first.stdout, second.stdout) == ("1\n", "2\n"), "the same warm environment"
    assert missing.returncode != 0 and missing.stderr.startswith("Error: ResourceNotFoundException: ")
    alone = run("invoke", cwd=project, check=True)  # no serve any more: a host of its own
    assert "through the serve" not in alone.stderr and alone.stdout == "1\n"


def _imported_by(*args: str, cwd: Path) -> set[str]:
    """The modules a command imports (``python -X importtime`` names each one on stderr)."""
    command = [sys.executable, "-X", "importtime", "-m", "lambdahost", *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=True)
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def test_list_answers_from_the_index_until_the_template_or_the_command_line_changes(project: Path) -> None:
    """The names are kept in the state folder (``template/index.py``): a second ``list`` reads
    no template, and one edit of the template, or other parameter overrides, is seen at once."""
    assert "yaml" in _imported_by("list", cwd=project)
    assert "yaml" not in _imported_by("list", cwd=project), "the index is current: no template read"
    template = project / "template.yaml"
    template.write_text(template.read_text().replace("MemorySize: 256", "MemorySize: 512"))
    assert "512 MB" in run("list", cwd=project, check=True).stdout
    renamed = template.read_text().replace("FunctionName: other-fn", "FunctionName: !Sub 'other-${Stage}'")
    template.write_text(renamed)
    assert "other-dev" in run("list", cwd=project, check=True).stdout
    assert "other-prod" in run("list", "--parameter-overrides", "Stage=prod", cwd=project, check=True).stdout
    assert "other-dev" in run("list", cwd=project, check=True).stdout


def test_invoke_through_a_serve_reads_no_template(project: Path) -> None:
    server = Server(project, "--api-port", "0").start()
    try:
        run("list", cwd=project, check=True)
        imported = _imported_by("invoke", "other-fn", cwd=project)
    finally:
        server.stop()
    assert "yaml" not in imported and "asyncio" not in imported, "the serve's warm environment, asked over HTTP"


def test_serve_on_port_0_takes_a_free_port_and_says_which(project: Path) -> None:
    """What it prints, and announces to ``invoke`` beside it, is the port it took, not 0."""
    serving = subprocess.Popen(
        [*LAMBDAHOST, "serve", "--port", "0", "--api-port", "0", "--no-watch"],
        cwd=project,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = next(line for line in serving.stderr if "Lambda API on" in line)
        endpoint = line.split("Lambda API on ", 1)[1].split()[0]
        assert not endpoint.endswith(":0")
        invoked = run("invoke", "other-fn", cwd=project, check=True)
    finally:
        serving.terminate()
        serving.wait(30)
    assert invoked.stderr.startswith(f"lambdahost: invoked through the serve on {endpoint}")
    assert invoked.stdout == '"other"\n'
