"""What the handler sees: environment variables, the context object, sys.path and layers."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from conftest import CODE_AT_VAR_TASK, task_root
from lambdahost import FunctionConfig, Host, InvalidParameterValueException, InvalidRequestContentException
from lambdahost.model import limits
from lambdahost.sandbox.interpreter import InterpreterResolver
from server import WHO

pytestmark = pytest.mark.both_loops

DUMP = """
import os, resource, sys

def handler(event, context):
    return {
        "env": dict(os.environ),
        "path": sys.path[:6],
        "files": resource.getrlimit(resource.RLIMIT_NOFILE),
        "batch": os.sched_getscheduler(0) == os.SCHED_BATCH if hasattr(os, "SCHED_BATCH") else None,
    }
"""

CONTEXT = """
def handler(event, context):
    cc = context.client_context
    return {
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "memory_type": type(context.memory_limit_in_mb).__name__,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "remaining_type": type(context.get_remaining_time_in_millis()).__name__,
        "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
        "client_context": None if cc is None else [cc.custom, cc.env, cc.client.installation_id, cc.client.app_title],
        "repr": repr(context),
    }
"""


def test_lambda_environment_variables(host: Host, make_function) -> None:
    function = make_function(DUMP, name="envdump", memory_size=256, environment={"GREETING": "hi", "TZ": ":UTC"})
    result = host.invoke(function.name)
    env = json.loads(result.payload)["env"]
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "envdump"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/envdump"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == result.log_stream_name
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{function.runtime}"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["LAMBDA_TASK_ROOT"] == task_root(function.code_dir)
    assert Path(env["LAMBDA_RUNTIME_DIR"], "bootstrap.py").is_file()
    assert env["TZ"] == ":UTC"
    assert env["LANG"] == "en_US.UTF-8"
    # Lineage: the recursive loop counter, 0 for a chain's first invocation, as recorded from Lambda
    # (DataDog/datadog-lambda-java#89: "Root=1-46105bdf-...;Parent=240a548a42a88af4;Sampled=0;Lineage=12326a9d:0")
    trace_id = r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=[0-9a-f]{8}:0"
    assert re.fullmatch(trace_id, env["_X_AMZN_TRACE_ID"])
    assert env["GREETING"] == "hi"
    # As awslambdaric's environment has them (issue 28), with this machine's paths for Lambda's
    task = task_root(function.code_dir)
    assert env["PWD"] == task and env["LD_LIBRARY_PATH"].split(":")[-2:] == [task, f"{task}/lib"]
    assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2000"
    assert json.loads(result.payload)["files"] == [1024, 1024], "Lambda's file descriptor quota"
    if sys.platform == "linux":
        assert json.loads(result.payload)["batch"], "an environment yields to the host's serving thread"
    second = json.loads(host.invoke(function.name).payload)["env"]
    assert second["_X_AMZN_TRACE_ID"] != env["_X_AMZN_TRACE_ID"], "the trace id is per invocation"


def test_host_credentials_are_passed_only_when_configured(tmp_path: Path, monkeypatch, loop_factory) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(DUMP)
    config = FunctionConfig(name="f", handler="app.handler", code_dir=code)
    for passed in (False, True):
        with Host(
            state_dir=tmp_path / f"state{passed}", loop_factory=loop_factory, pass_aws_credentials=passed
        ) as host:
            host.add_function(config)
            env = json.loads(host.invoke("f").payload)["env"]
        assert ("AWS_ACCESS_KEY_ID" in env) is passed
        assert ("AWS_SECRET_ACCESS_KEY" in env) is passed
        assert env["HOME"] != str(Path.home())


def test_context_attributes_have_the_real_types(host: Host, make_function) -> None:
    function = make_function(CONTEXT, name="ctx", memory_size=512)
    client_context = json.dumps({"custom": {"a": 1}, "env": {"b": 2}, "client": {"installation_id": "i-1"}})
    result = host.invoke(function.name, {}, client_context=client_context)
    ctx = json.loads(result.payload)
    assert ctx["aws_request_id"] == result.request_id
    assert ctx["log_group_name"] == "/aws/lambda/ctx"
    assert ctx["log_stream_name"] == result.log_stream_name
    assert ctx["function_name"] == "ctx"
    assert (ctx["memory_limit_in_mb"], ctx["memory_type"]) == ("512", "str")
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ctx"
    assert ctx["remaining_type"] == "int"
    assert ctx["identity"] == [None, None]
    assert ctx["client_context"] == [{"a": 1}, {"b": 2}, "i-1", None]
    assert ctx["repr"].startswith(f"LambdaContext([aws_request_id={result.request_id},log_group_name=/aws/lambda/ctx,")
    assert ctx["repr"].endswith(",tenant_id=None])")
    qualified = json.loads(host.invoke("ctx", qualifier="$LATEST").payload)
    assert qualified["invoked_function_arn"].endswith(":function:ctx:$LATEST")


def test_bad_client_context_is_a_runtime_error(host: Host, make_function) -> None:
    function = make_function(CONTEXT)
    result = host.invoke(function.name, {}, client_context="{not json")
    body = json.loads(result.payload)
    assert body["errorType"] == "Runtime.LambdaContextUnmarshalError"
    assert body["errorMessage"].startswith("Unable to parse Client Context JSON: ")


def test_client_context_with_a_nul_is_refused_before_the_environment(host: Host, make_function) -> None:
    """JSON never holds a raw NUL, and the frames to the runtime cannot carry one: the request is
    refused, and the warm environment is untouched."""
    function = make_function(CONTEXT)
    stream = host.invoke(function.name, {}).log_stream_name
    with pytest.raises(InvalidRequestContentException, match="valid Base64-encoded JSON object"):
        host.invoke(function.name, {}, client_context='{"custom": "a\x00b"}')
    after = host.invoke(function.name, {})
    assert (after.function_error, after.init_duration_ms, after.log_stream_name) == (None, None, stream)


def test_remaining_time_is_clamped_at_zero() -> None:
    from lambdahost.runtime.context import LambdaContext

    assert LambdaContext("id", 0, "arn").get_remaining_time_in_millis() == 0


def test_layers_are_on_sys_path_like_opt_python(host: Host, make_function, tmp_path: Path) -> None:
    first, second = tmp_path / "layer1", tmp_path / "layer2"
    (first / "python").mkdir(parents=True)
    (first / "python" / "shared.py").write_text("WHO = 'layer1'\nONLY_IN_1 = True\n")
    site = second / "python" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    site.mkdir(parents=True)
    (site / "shared.py").write_text("WHO = 'layer2'\n")
    function = make_function(
        """
        import shared, sys

        def handler(event, context):
            return {"who": shared.WHO, "path": sys.path[:5]}
    """,
        layers=[first, second],
    )
    result = json.loads(host.invoke(function.name).payload)
    assert result["who"] == "layer2", "a later layer wins, as when extracted over the earlier one in /opt"
    assert result["path"][0] == task_root(function.code_dir)
    assert result["path"][1:5] == [
        str(site),
        str(second / "python"),
        str(first / "python" / "lib" / site.parent.name / "site-packages"),
        str(first / "python"),
    ]


WRAPPED = (
    WHO
    + """
import sys

def handler(event, context):
    print("inside the wrapper")
    return {"wrapped_by": os.environ.get("WRAPPED_BY"), "pid": who(), "request": context.aws_request_id,
            "instrumented": os.environ.get("INSTRUMENTED")}
"""
)


def test_an_exec_wrapper_from_a_layer_starts_the_runtime(host: Host, make_function, tmp_path: Path) -> None:
    layer = tmp_path / "wrapper-layer"
    layer.mkdir()
    wrapper = layer / "wrapper.sh"
    (layer / "instrument").mkdir()  # how an instrumenting layer gets in: PYTHONPATH and a sitecustomize
    (layer / "instrument" / "sitecustomize.py").write_text("import os\nos.environ['INSTRUMENTED'] = 'yes'\n")
    wrapper.write_text(f'#!/bin/sh\nexport WRAPPED_BY="$0"\nexport PYTHONPATH={layer / "instrument"}\nexec "$@"\n')
    wrapper.chmod(0o755)
    function = make_function(WRAPPED, layers=[layer], environment={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrapper.sh"})
    first = host.invoke(function.name)
    second = host.invoke(function.name)
    body, again = json.loads(first.payload), json.loads(second.payload)
    assert body["wrapped_by"] == str(wrapper), "what the wrapper sets reaches the handler"
    assert body["instrumented"] == "yes", "the interpreter it starts honours its PYTHONPATH"
    assert body["request"] == first.request_id and again["pid"] == body["pid"], "a warm environment, as usual"
    assert "inside the wrapper" in first.log and first.init_duration_ms is not None


@pytest.mark.parametrize(
    ("make", "message", "status"),
    [(None, "/opt/nope.sh: does not exist", 127), (0o644, "nope.sh: is not an executable", 126)],
)
def test_a_broken_exec_wrapper_is_an_exit_error(
    host: Host, make_function, tmp_path: Path, make: int | None, message: str, status: int
) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    if make is not None:
        (layer / "nope.sh").write_text('#!/bin/sh\nexec "$@"\n')
        (layer / "nope.sh").chmod(make)
    function = make_function(WRAPPED, layers=[layer], environment={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/nope.sh"})
    result = host.invoke(function.name)
    assert result.error_type == "Runtime.ExitError"
    assert f"Runtime exited with error: exit status {status}" in json.loads(result.payload)["errorMessage"]
    assert message in result.log


def test_user_pythonpath_replaces_the_layer_dirs(host: Host, make_function, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    function = make_function(DUMP, environment={"PYTHONPATH": str(extra)})
    path = json.loads(host.invoke(function.name).payload)["path"]
    assert path[:2] == [task_root(function.code_dir), str(extra)]


PYTHON_VARIABLES = """
import sys, warnings

def handler(event, context):
    return {
        "hash": hash("lambda"),
        "bytecode": sys.dont_write_bytecode,
        "warnings": [f[0] for f in warnings.filters if f[2] is DeprecationWarning][:1],
        "path": sys.path[1],
    }
"""


def test_the_functions_python_variables_are_honoured(host: Host, make_function) -> None:
    """The interpreter reads the function's PYTHON* variables as Lambda's does (awslambdaric's
    interpreter is not started with -E): PYTHONHASHSEED in an interpreter of its own, the others
    in the forked one; a relative PYTHONPATH is the task root's."""
    import subprocess

    variables = {
        "PYTHONHASHSEED": "7",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONWARNINGS": "error::DeprecationWarning",
        "PYTHONPATH": "vendor",
    }
    function = make_function(PYTHON_VARIABLES, environment=variables)
    seen = json.loads(host.invoke(function.name).payload)
    expected = subprocess.run(
        [sys.executable, "-c", "print(hash('lambda'))"], env={"PYTHONHASHSEED": "7"}, capture_output=True, text=True
    )
    assert seen["hash"] == int(expected.stdout), "the seed given, not the server's random one"
    assert seen["bytecode"] is True and seen["warnings"] == ["error"]
    assert seen["path"] == f"{task_root(function.code_dir)}/vendor"

    forked = make_function(PYTHON_VARIABLES, environment={k: v for k, v in variables.items() if k != "PYTHONHASHSEED"})
    seen = json.loads(host.invoke(forked.name).payload)
    assert seen["bytecode"] is True and seen["warnings"] == ["error"]


def _available(runtime: str) -> bool:
    try:
        InterpreterResolver(strict=True).resolve(runtime)
        return True
    except InvalidParameterValueException:
        return False


def test_missing_runtime_falls_back_to_the_closest_with_a_warning_or_is_refused_when_strict(
    tmp_path: Path, caplog, loop_factory
) -> None:
    missing = next((r for r in limits.PYTHON_RUNTIMES if not _available(r)), None)
    if missing is None:
        pytest.skip("every Python runtime has an interpreter here")
    minor = int(missing.rsplit(".", 1)[1])
    available = [int(r.rsplit(".", 1)[1]) for r in limits.PYTHON_RUNTIMES if _available(r)]
    closest = min(available, key=lambda m: (abs(m - minor), -m))
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("import sys\ndef handler(e, c):\n    return list(sys.version_info[:2])\n")
    config = FunctionConfig(name="f", handler="app.handler", code_dir=code, runtime=missing)
    with Host(state_dir=tmp_path / "lenient", loop_factory=loop_factory) as host:
        host.add_function(config)
        assert json.loads(host.invoke("f").payload) == [3, closest]
    assert any(f"No {missing} interpreter found" in r.getMessage() for r in caplog.records)
    with (
        Host(state_dir=tmp_path / "strict", loop_factory=loop_factory, strict_runtimes=True) as host,
        pytest.raises(InvalidParameterValueException, match=f"Runtime {missing} needs a {missing} interpreter"),
    ):
        host.add_function(config)


@pytest.mark.parametrize("runtime", limits.PYTHON_RUNTIMES)
def test_each_available_runtime_runs_on_its_own_interpreter(tmp_path: Path, runtime: str, loop_factory) -> None:
    if not _available(runtime):
        pytest.skip(f"no {runtime} interpreter on this machine")
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(
        "import sys, boto3, snapshot_restore_py\n"
        "def fail():\n"
        "    raise KeyError('k')\n"
        "def handler(event, context):\n"
        "    if event.get('fail'):\n"
        "        fail()\n"
        "    region = boto3.client('sts', region_name='eu-west-1').meta.region_name\n"
        "    return {'version': 'python%d.%d' % sys.version_info[:2], 'text': 'h\u00e9', 'boto3': region}\n"
    )
    with Host(state_dir=tmp_path / "state", loop_factory=loop_factory, strict_runtimes=True) as host:
        host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=code, runtime=runtime))
        ok = host.invoke("f")
        failed = host.invoke("f", {"fail": True})
    assert json.loads(ok.payload)["version"] == runtime
    assert json.loads(ok.payload)["boto3"] == "eu-west-1", "boto3 is there, as Lambda's runtime includes it"
    ascii_only = runtime in ("python3.9", "python3.10", "python3.11")  # before 3.12, AWS escapes non-ASCII
    assert (b"\\u00e9" in ok.payload) is ascii_only
    assert json.loads(failed.payload)["errorType"] == "KeyError"
    # AWS's shape on every version: no caret lines under the code (Python 3.13 would add them)
    assert json.loads(failed.payload)["stackTrace"] == [
        f'  File "{task_root(code)}/app.py", line 6, in handler\n    fail()\n',
        f"  File \"{task_root(code)}/app.py\", line 3, in fail\n    raise KeyError('k')\n",
    ]
    assert f"INIT_START Runtime Version: {runtime.replace('python', 'python:')}.local" in ok.log


def test_configured_interpreter_is_resolved_to_its_real_binary(tmp_path: Path, loop_factory) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("import sys\ndef handler(e, c):\n    return sys.executable\n")
    runtime = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    shim = tmp_path / "shim"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    shim.chmod(0o755)
    with Host(state_dir=tmp_path / "state", loop_factory=loop_factory, interpreters={runtime: str(shim)}) as host:
        host.add_function(FunctionConfig(name="f", handler="app.handler", code_dir=code, runtime=runtime))
        executable = json.loads(host.invoke("f").payload)
    assert executable != str(shim)
    assert Path(executable).resolve() == Path(sys.executable).resolve()


def test_a_python38_function_runs_on_the_closest_interpreter_with_the_deprecation_date(
    tmp_path: Path, caplog, loop_factory
) -> None:
    """Lambda still runs python3.8 functions it has; lambdahost's runtime needs python3.9 at least."""
    (tmp_path / "app.py").write_text("import sys\ndef handler(e, c):\n    return list(sys.version_info[:2])\n")
    config = FunctionConfig(name="old", handler="app.handler", code_dir=tmp_path, runtime="python3.8")
    with Host(state_dir=tmp_path / "state", loop_factory=loop_factory) as host:
        host.add_function(config)
        version = json.loads(host.invoke("old").payload)
    assert version[0] == 3 and version[1] >= 9
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("python3.8 is deprecated since 2024-10-14") for m in messages)


@pytest.mark.skipif(not CODE_AT_VAR_TASK, reason="this machine allows no mount namespace for an environment")
def test_the_code_is_at_var_task(host: Host, make_function) -> None:
    """As on Lambda: the code at /var/task (``__file__``, tracebacks, a data file opened by its
    absolute path), beside the machine's /var as it was."""
    function = make_function(
        """
        import json, os

        def handler(event, context):
            machine = sorted(n for n in os.listdir("/var") if n != "task")
            return {"file": __file__, "data": json.load(open("/var/task/data.json")), "var": machine}
        """
    )
    (function.code_dir / "data.json").write_text('{"model": "small"}')
    seen = json.loads(host.invoke(function.name).payload)
    assert seen["file"] == "/var/task/app.py" and seen["data"] == {"model": "small"}
    assert seen["var"] == sorted(os.listdir("/var")), "the machine's /var is still there"


@pytest.mark.skipif(not CODE_AT_VAR_TASK, reason="this machine allows no mount namespace for an environment")
def test_the_layers_are_gathered_at_opt(host: Host, make_function, tmp_path: Path) -> None:
    """As Lambda extracts the layers into /opt, in order: a binary of one layer at /opt/bin, a
    file both hold is the later one's, and folders both hold are merged (overlayfs)."""
    first, second = tmp_path / "tools", tmp_path / "settings"
    (first / "bin").mkdir(parents=True)
    (first / "bin" / "tool").write_text("#!/bin/sh\necho tool ran\n")
    (first / "bin" / "tool").chmod(0o755)
    (first / "config.json").write_text('{"from": "tools"}')
    (second / "bin").mkdir(parents=True)
    (second / "bin" / "other").write_text("#!/bin/sh\necho other\n")
    (second / "config.json").write_text('{"from": "settings"}')
    function = make_function(
        """
        import json, os, subprocess

        def handler(event, context):
            ran = subprocess.run(["/opt/bin/tool"], capture_output=True, text=True).stdout.strip()
            return {"ran": ran, "config": json.load(open("/opt/config.json")), "bin": sorted(os.listdir("/opt/bin"))}
        """,
        layers=[first, second],
    )
    seen = json.loads(host.invoke(function.name).payload)
    assert seen == {"ran": "tool ran", "config": {"from": "settings"}, "bin": ["other", "tool"]}


def test_the_trace_id_is_each_invocations_for_python_and_child_processes(host: Host, make_function) -> None:
    """_X_AMZN_TRACE_ID is set per invocation without setenv (which grew an environment ~140
    bytes an invocation: bench/memory.py): os.environ and the C environment a child process
    inherits agree, even after the handler set the variable itself."""
    function = make_function(
        """
        import os, subprocess

        def handler(event, context):
            seen = os.environ["_X_AMZN_TRACE_ID"]
            child = subprocess.run(["printenv", "_X_AMZN_TRACE_ID"], capture_output=True, text=True).stdout.strip()
            if event.get("overwrite"):
                os.environ["_X_AMZN_TRACE_ID"] = "set by the handler"
            return [seen, child]
        """
    )
    first = json.loads(host.invoke(function.name, {"overwrite": True}).payload)
    second = json.loads(host.invoke(function.name).payload)
    third = json.loads(host.invoke(function.name).payload)
    for seen, child in (first, second, third):
        assert seen == child and seen.startswith("Root=1-")
    assert len({first[0], second[0], third[0]}) == 3
