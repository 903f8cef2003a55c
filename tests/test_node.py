"""Node.js functions. The corpus under node_conformance/ holds a handler per case and what AWS's
Node.js runtime answers and logs for it; each case's expected.json names its source in AWS's
runtime interface client (aws-lambda-nodejs-runtime-interface-client; version 4 for nodejs24.x)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest

from lambdahost import FunctionConfig, Host, LoggingConfig
from lambdahost.testing import eventually

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="no Node.js on this machine")

CASES = sorted(Path(__file__).parent.glob("node_conformance/*/expected.json"))
PLACEHOLDERS = {
    "{TIMESTAMP}": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z",
    "{MS}": r"\d+\.\d{2}",
    "{ANYTHING}": r".*",
}


def _pattern(expected: str, request_id: str) -> re.Pattern:
    pattern = re.escape(expected.replace("{REQUEST_ID}", request_id))
    for name, regex in PLACEHOLDERS.items():
        pattern = pattern.replace(re.escape(name), regex)
    return re.compile(pattern, re.DOTALL)


def _logging(spec: dict) -> dict:
    if spec.get("log_format") == "JSON":
        return {"logging": LoggingConfig(log_format="JSON", application_log_level="INFO")}
    return {}


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.parent.name)
def test_node_conformance(case: Path, host: Host) -> None:
    spec = json.loads(case.read_text())
    name = case.parent.name
    runtime = spec.get("runtime", "nodejs20.x")
    host.add_function(
        FunctionConfig(name=name, handler=spec["handler"], code_dir=case.parent, runtime=runtime, **_logging(spec))
    )

    result = host.invoke(name, spec.get("event", {}))

    assert result.function_error == spec.get("function_error"), result.payload
    if "payload" in spec:
        assert result.payload.decode() == spec["payload"].replace("{REQUEST_ID}", result.request_id)
    if "error" in spec:
        body, expected = json.loads(result.payload), dict(spec["error"])
        assert list(body) == list(expected)
        if expected.get("trace") == "{ANY}":
            assert isinstance(body["trace"], list) and body["trace"], body
            expected["trace"] = body["trace"]
        if expected["errorMessage"].startswith("{STARTS}"):
            assert body["errorMessage"].startswith(expected["errorMessage"].removeprefix("{STARTS}")), body
            expected["errorMessage"] = body["errorMessage"]
        assert body == {
            key: value.replace("{REQUEST_ID}", result.request_id) if isinstance(value, str) else value
            for key, value in expected.items()
        }
        if "trace_first" in spec:
            assert body["trace"][0] == spec["trace_first"]
    lines = result.log.split("\n")
    position = 0
    for expected_line in spec.get("log_lines", []):
        pattern = _pattern(expected_line, result.request_id)
        matches = [i for i in range(position, len(lines)) if pattern.fullmatch(lines[i])]
        assert matches, f"no log line after line {position} matches {expected_line!r} in:\n{result.log}"
        position = matches[0] + 1
    for absent in spec.get("log_absent", []):
        assert absent not in result.log


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_a_runtime_that_ends_after_its_answer_is_replaced_for_the_next_invocation(host: Host, tmp_path: Path) -> None:
    """After an unhandled rejection AWS's runtime posts the error and exits (status 128): the next
    invocation starts a new runtime, whether or not the exit was seen before it arrived."""
    code = _write(
        tmp_path / "code",
        {
            "index.mjs": "let count = 0;\n"
            "export const handler = async (event) => {\n"
            "  count += 1;\n"
            "  if (event.reject) Promise.reject(new Error('unseen'));\n"
            "  await new Promise((resolve) => setTimeout(resolve, 20));\n"
            "  return count;\n"
            "};\n"
        },
    )
    host.add_function(FunctionConfig(name="fragile", handler="index.handler", code_dir=code, runtime="nodejs20.x"))
    failed = host.invoke("fragile", {"reject": True})
    assert json.loads(failed.payload)["errorType"] == "Runtime.UnhandledPromiseRejection"
    after = host.invoke("fragile", {})
    assert (after.function_error, after.payload) == (None, b"1"), "a new runtime: its count starts again"
    assert host.invoke("fragile", {}).payload == b"2"


def test_layers_node_modules_are_on_node_path_and_the_environment_is_lambdas(host: Host, tmp_path: Path) -> None:
    """NODE_PATH as Lambda's bootstrap sets it (/opt/nodejs/node20/node_modules, /opt/nodejs/node_modules,
    ..., /var/task), AWS_EXECUTION_ENV, and Node started with the heap sized to the memory."""
    layer = _write(
        tmp_path / "layer",
        {
            "nodejs/node_modules/greeting/index.js": "module.exports = (name) => `hello ${name}`;\n",
            "nodejs/node20/node_modules/versioned/index.js": "module.exports = 'node20 only';\n",
        },
    )
    code = _write(
        tmp_path / "code",
        {
            "index.js": "const greeting = require('greeting');\n"
            "exports.handler = async () => ({\n"
            "  greeting: greeting('ada'),\n"
            "  versioned: require('versioned'),\n"
            "  env: process.env.AWS_EXECUTION_ENV,\n"
            "  nodePath: process.env.NODE_PATH.split(':').slice(-1)[0],\n"
            "  argv: process.execArgv,\n"
            "});\n"
        },
    )
    host.add_function(
        FunctionConfig(
            name="layered",
            handler="index.handler",
            code_dir=code,
            runtime="nodejs20.x",
            layers=(layer,),
            memory_size=256,
        )
    )
    result = json.loads(host.invoke("layered", {}).payload)
    assert result["greeting"] == "hello ada" and result["versioned"] == "node20 only"
    assert result["env"] == "AWS_Lambda_nodejs20.x"
    assert result["nodePath"] in ("/var/task", str(code))
    assert result["argv"] == [
        "--expose-gc",
        "--max-http-header-size",
        "81920",
        "--max-semi-space-size=12",
        "--max-old-space-size=231",
    ]


def test_a_stack_trace_names_var_task_and_var_runtime_not_the_machines_folders(host: Host) -> None:
    """As on Lambda, where a trace reads file:///var/task/index.mjs and file:///var/runtime/...:
    the code at /var/task, lambdahost's runtime at /var/runtime (where the machine allows)."""
    from conftest import CODE_AT_VAR_TASK

    if not CODE_AT_VAR_TASK:
        pytest.skip("this machine allows no mount namespace: the real paths show")
    case = Path(__file__).parent / "node_conformance" / "thrown_error"
    host.add_function(FunctionConfig(name="traced", handler="index.handler", code_dir=case, runtime="nodejs20.x"))
    trace = json.loads(host.invoke("traced", {}).payload)["trace"]
    assert trace[1] == "    at handler (file:///var/task/index.mjs:2:17)"
    assert any("file:///var/runtime/bootstrap.mjs:" in line for line in trace), trace
    assert not any(str(case) in line or "lambdahost/runtime" in line for line in trace), trace


def test_a_handler_that_never_returns_times_out(host: Host, tmp_path: Path) -> None:
    code = _write(tmp_path / "code", {"index.mjs": "export const handler = async () => { for (;;) {} };\n"})
    host.add_function(
        FunctionConfig(name="spins", handler="index.handler", code_dir=code, runtime="nodejs20.x", timeout=1)
    )
    result = host.invoke("spins", {})
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload)["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.log


def test_the_closest_node_runs_a_runtime_whose_own_is_missing_and_says_so(tmp_path: Path, monkeypatch, caplog) -> None:
    """Only this machine's Node is found (an nvm folder beside it names no other version): a
    runtime of another major version runs on it, with a warning."""
    from lambdahost.sandbox.node import NodeResolver

    monkeypatch.setenv("NVM_DIR", str(tmp_path / "nvm"))
    resolver = NodeResolver(tmp_path / "node.json")
    installed = resolver.resolve(f"nodejs{_installed_major()}.x")
    other = "nodejs18.x" if _installed_major() != 18 else "nodejs20.x"
    with caplog.at_level("WARNING", logger="lambdahost"):
        assert NodeResolver(tmp_path / "node.json").resolve(other) == installed
    assert f"No Node.js {other[6:8]} found; running {other} functions on Node.js" in caplog.text


def _installed_major() -> int:
    import subprocess

    return int(
        subprocess.run(["node", "-p", "process.versions.node"], capture_output=True, text=True).stdout.split(".")[0]
    )


MIXED_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: NodeAuth
        Authorizers:
          NodeAuth:
            FunctionArn: !GetAtt Authorizer.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {Headers: [Authorization]}
  Authorizer:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: auth, Handler: index.handler, Runtime: nodejs22.x}
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders
      Handler: app.handler
      Runtime: python3.11
      Events:
        List: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /orders, Method: get}}
"""


def test_a_node_authorizer_in_front_of_a_python_function_and_boto3_on_both(tmp_path: Path) -> None:
    """A SAM application that mixes the two runtimes, served; and a Node.js function made and
    invoked through the Lambda API with boto3, from a zip."""
    from server import api_server, zipped

    project = _write(
        tmp_path / "project",
        {
            "template.yaml": MIXED_TEMPLATE,
            "auth/index.mjs": "export const handler = async (event) => ({\n"
            "  isAuthorized: event.headers.authorization === 'let-me-in',\n"
            "  context: { runtime: process.env.AWS_EXECUTION_ENV },\n"
            "});\n",
            "orders/app.py": "import json\n"
            "def handler(event, context):\n"
            "    authorizer = event['requestContext']['authorizer']['lambda']\n"
            "    return {'statusCode': 200, 'body': json.dumps(authorizer)}\n",
        },
    )
    server = api_server(project)
    try:
        allowed = server.request("GET", "/orders", headers={"Authorization": "let-me-in"})
        refused = server.request("GET", "/orders", headers={"Authorization": "nope"})
        lambda_client = server.client()
        lambda_client.create_function(
            FunctionName="made-by-boto3",
            Runtime="nodejs20.x",
            Role="arn:aws:iam::123456789012:role/lambda",
            Handler="index.handler",
            Code={"ZipFile": zipped({"index.mjs": "export const handler = async (e) => ({ doubled: e.n * 2 });\n"})},
        )
        invoked = server.invoke("made-by-boto3", {"n": 21})
    finally:
        server.stop()
    assert allowed.status == 200 and json.loads(allowed.body) == {"runtime": "AWS_Lambda_nodejs22.x"}
    assert refused.status == 403
    assert invoked.payload == {"doubled": 42} and invoked.function_error is None
    assert "INIT_START Runtime Version: nodejs:" in invoked.log


STREAMING_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Streamer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: index.handler
      Runtime: nodejs20.x
      Timeout: 30
      FunctionUrlConfig: {AuthType: NONE, InvokeMode: RESPONSE_STREAM}
"""

# Writes a part, then waits until the caller has seen it (a file the test writes into the code
# folder): a response held back until the function ends would never let it finish.
STREAMING_HANDLER = """
import { existsSync, rmSync } from 'node:fs';
const signal = `${process.env.LAMBDA_TASK_ROOT}/seen`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  rmSync(signal, { force: true });
  const stream = event.plain ? responseStream : awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'content-type': 'text/plain', 'x-streamed': 'yes' },
    cookies: ['flavour=oat'],
  });
  stream.write('first part;');
  while (!existsSync(signal)) await sleep(20);
  if (event.fail) throw new Error('failed midway');
  stream.write('second part');
  stream.end();
});
"""


def test_a_streaming_handler_streams_through_its_function_url_and_invoke_with_response_stream(
    tmp_path: Path,
) -> None:
    """awslambda.streamifyResponse and HttpResponseStream.from (aws-lambda-nodejs-runtime-interface-client
    src/HttpResponseStream.js: a JSON prelude, then eight zero bytes): through a RESPONSE_STREAM
    function URL the prelude's status, headers and cookies, then each part as it is written; through
    InvokeWithResponseStream (boto3) PayloadChunks as they are written, and a failure midway ends
    the stream with InvokeComplete's error."""
    import http.client

    from server import api_server

    project = _write(tmp_path / "project", {"template.yaml": STREAMING_TEMPLATE, "src/index.mjs": STREAMING_HANDLER})
    seen = project / "src" / "seen"
    server = api_server(project)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.api_port, timeout=30)
        connection.request("GET", "/lambda-url/Streamer/")
        response = connection.getresponse()
        status, headers = response.status, dict(response.getheaders())
        first = response.read1()
        seen.touch()
        rest = response.read()
        connection.close()

        stream = server.client().invoke_with_response_stream(
            FunctionName="Streamer", Payload=json.dumps({"plain": True})
        )
        events = iter(stream["EventStream"])
        first_chunk = next(events)["PayloadChunk"]["Payload"]
        seen.touch()
        streamed = [first_chunk, *(event["PayloadChunk"]["Payload"] for event in events if "PayloadChunk" in event)]

        failing = server.client().invoke_with_response_stream(
            FunctionName="Streamer", Payload=json.dumps({"plain": True, "fail": True})
        )
        failed_events = iter(failing["EventStream"])
        partial = next(failed_events)["PayloadChunk"]["Payload"]
        seen.touch()
        [complete] = [event["InvokeComplete"] for event in failed_events if "InvokeComplete" in event]
    finally:
        server.stop()
    assert status == 201 and headers["x-streamed"] == "yes" and headers["set-cookie"] == "flavour=oat"
    assert headers["transfer-encoding"] == "chunked" and headers["content-type"] == "text/plain"
    assert (first, rest) == (b"first part;", b"second part")
    assert streamed == [b"first part;", b"second part"]
    assert partial == b"first part;"
    assert complete["ErrorCode"] == "Unhandled"
    assert json.loads(complete["ErrorDetails"])["errorMessage"] == "failed midway"


def test_the_console_makes_a_node_function_with_the_lambda_consoles_first_code(tmp_path: Path) -> None:
    """As the Lambda console does: index.mjs with an async handler, index.handler; its Test answers."""
    import httpx

    from server import Server

    server = Server(tmp_path, "--api-port", "0").start()
    try:
        api, headers = server.endpoint + "/console/api/functions", {"X-Lambdahost-Console": "1"}
        assert "nodejs20.x" in httpx.get(api, headers=headers).json()["runtimes"]
        created = httpx.post(api, json={"name": "first-node", "runtime": "nodejs20.x"}, headers=headers)
        files = httpx.get(f"{api}/first-node/files", headers=headers).json()
        tested = httpx.post(f"{api}/first-node/test", json={"event": '{"key1": "value1"}'}, headers=headers).json()
    finally:
        server.stop()
    assert created.status_code == 201
    assert files["handler"] == "index.handler" and list(files["files"]) == ["index.mjs"]
    assert "export const handler = async (event) => {" in files["files"]["index.mjs"]
    assert tested["functionError"] is None
    assert json.loads(tested["payload"]) == {"statusCode": 200, "body": '"Hello from Lambda!"'}


def test_a_package_json_is_installed_once_and_found_by_import_and_require(
    host: Host, tmp_path: Path, monkeypatch
) -> None:
    """A code folder with package.json and no node_modules: its dependencies are installed into the
    shared cache once (npm install; npm ci with a lock file), and an ES module imports them as a
    CommonJS module requires them. (The dependency is a local tarball: no network needed.)"""
    import subprocess

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    vendor = _write(
        tmp_path / "vendor",
        {
            "package.json": '{"name": "greeter", "version": "1.0.0", "main": "index.js"}',
            "index.js": "module.exports = (name) => `hello ${name}`;\n",
        },
    )
    subprocess.run(["npm", "pack", "--silent"], cwd=vendor, check=True, capture_output=True)
    tarball = vendor / "greeter-1.0.0.tgz"
    manifest = json.dumps({"name": "app", "version": "1.0.0", "dependencies": {"greeter": f"file:{tarball}"}})
    esm = _write(
        tmp_path / "esm",
        {
            "package.json": manifest,
            "index.mjs": "import greet from 'greeter';\nexport const handler = async () => greet('esm');\n",
        },
    )
    cjs = _write(
        tmp_path / "cjs",
        {
            "package.json": manifest,
            "index.js": "const greet = require('greeter');\nexports.handler = async () => greet('cjs');\n",
        },
    )
    locked = _write(tmp_path / "locked", {"package.json": manifest, "index.js": (cjs / "index.js").read_text()})
    subprocess.run(["npm", "install", "--package-lock-only", "--silent"], cwd=locked, check=True, capture_output=True)
    host.add_function(FunctionConfig(name="esm", handler="index.handler", code_dir=esm, runtime="nodejs20.x"))
    host.add_function(FunctionConfig(name="cjs", handler="index.handler", code_dir=cjs, runtime="nodejs20.x"))
    host.add_function(FunctionConfig(name="locked", handler="index.handler", code_dir=locked, runtime="nodejs20.x"))
    assert host.invoke("esm", {}).payload == b'"hello esm"'
    assert host.invoke("cjs", {}).payload == b'"hello cjs"'
    assert host.invoke("locked", {}).payload == b'"hello cjs"'
    installed = list((tmp_path / "cache" / "lambdahost" / "packages").glob("nodejs*-*"))
    assert len(installed) == 2, "the same manifest installed once; the locked one (npm ci) apart"
    assert not (esm / "node_modules").exists(), "the project's folder is left as it was"


def test_a_function_added_or_changed_gets_a_runtime_started_ahead(tmp_path: Path, run) -> None:
    """Node cannot be forked warm as Python is: as a Node.js function is added (or its code
    changes), a runtime is started ahead, waiting to load the handler, so that the invocation
    after an edit only imports it. Seen from the handler: Node had been up since before it was
    asked for; and the spare is replaced after a cold start takes it."""
    from lambdahost import AsyncHost

    code = _write(tmp_path / "code", {"index.mjs": "export const handler = async () => process.uptime();\n"})
    config = FunctionConfig(name="ahead", handler="index.handler", code_dir=code, runtime="nodejs20.x")

    async def scenario() -> tuple[float, float, str]:
        async with AsyncHost(state_dir=tmp_path / "state") as host:
            host.add_function(config)
            await asyncio.sleep(1.0)
            first = await host.invoke("ahead")
            await asyncio.sleep(1.0)
            concurrent = await asyncio.gather(*(host.invoke("ahead") for _ in range(2)))
            return float(first.payload), min(float(r.payload) for r in concurrent), first.log

    first, scaled_out, log = run(scenario())
    assert first >= 0.9, "Node started as the function was added, a second before the invocation"
    assert scaled_out >= 0.9, "a new spare, started after the first cold start took the old one"
    assert "INIT_START" in log and "Init Duration" in log


ESBUILD_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello-world/
      Handler: app.lambdaHandler
      Runtime: nodejs20.x
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        Minify: true
        Target: es2020
        Sourcemap: true
        EntryPoints: [app.ts]
"""

TYPESCRIPT_HANDLER = """import { greeting } from './greeting';

type Event = { name?: string; fail?: boolean };

export const lambdaHandler = async (event: Event): Promise<{ statusCode: number; body: string }> => {
    if (event.fail) {
        throw new Error('failed in TypeScript');
    }
    return { statusCode: 200, body: JSON.stringify({ message: greeting(event.name ?? 'world') }) };
};
"""


def test_a_typescript_function_sam_builds_with_esbuild_runs_with_its_source_maps(host: Host, tmp_path: Path) -> None:
    """Metadata BuildMethod esbuild (sam init's TypeScript hello world): bundled as sam build
    bundles it, once per change of its sources; with Sourcemap, a stack trace names the .ts line."""
    from lambdahost.template import load_project

    project = _write(
        tmp_path / "project",
        {
            "template.yaml": ESBUILD_TEMPLATE,
            "hello-world/app.ts": TYPESCRIPT_HANDLER,
            "hello-world/greeting.ts": "export const greeting = (name: string): string => `hello ${name}`;\n",
        },
    )
    [definition] = load_project(project / "template.yaml").functions.values()
    host.add_function(definition.config)
    answer = host.invoke("HelloWorldFunction", {"name": "ts"})
    failed = host.invoke("HelloWorldFunction", {"fail": True})
    assert json.loads(json.loads(answer.payload)["body"]) == {"message": "hello ts"}
    trace = json.loads(failed.payload)["trace"]
    assert trace[0] == "Error: failed in TypeScript"
    assert "app.ts:7" in trace[1], trace
    assert not (project / "hello-world" / "app.js").exists(), "the project's folder is left as it was"


def test_memory_past_the_functions_size_is_runtime_out_of_memory(host: Host, tmp_path: Path) -> None:
    """Memory Node holds outside its heap (a Buffer) past the memory size: the environment is
    stopped and the answer is Runtime.OutOfMemory, its REPORT's Max Memory Used the memory size."""
    code = _write(
        tmp_path / "code",
        {
            "index.mjs": "const held = [];\n"
            "export const handler = async () => {\n"
            "  for (;;) { held.push(Buffer.alloc(16 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 5)); }\n"
            "};\n"
        },
    )
    host.add_function(
        FunctionConfig(name="greedy", handler="index.handler", code_dir=code, runtime="nodejs20.x", timeout=30)
    )
    result = host.invoke("greedy", {})
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload)["errorType"] == "Runtime.OutOfMemory"
    assert result.max_memory_used_mb == 128


def test_async_invocation_and_an_sqs_trigger_reach_a_node_function(tmp_path: Path) -> None:
    """Event invocations and an event source mapping, as for Python: the handler sees the events."""
    from server import Server

    project = _write(
        tmp_path / "project",
        {
            "template.yaml": "Transform: AWS::Serverless-2016-10-31\n"
            "Resources:\n"
            "  Jobs: {Type: AWS::SQS::Queue}\n"
            "  Worker:\n"
            "    Type: AWS::Serverless::Function\n"
            "    Properties:\n"
            "      CodeUri: src\n"
            "      Handler: index.handler\n"
            "      Runtime: nodejs20.x\n"
            "      Events:\n"
            "        Queue: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn, BatchSize: 1}}\n",
            "src/index.mjs": "export const handler = async (event) => {\n"
            "  console.log('seen', JSON.stringify(event.Records ? event.Records.map((r) => r.body) : event));\n"
            "};\n",
        },
    )
    server = Server(project, "--api-port", "0").start()
    try:
        server.client().invoke(FunctionName="Worker", InvocationType="Event", Payload=b'{"job": "async"}')
        sqs = server.aws_client("sqs")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="Jobs")["QueueUrl"], MessageBody="from the queue")

        def both_seen() -> list[str]:
            lines = server.logs("Worker", "seen")
            return lines if all(any(part in line for line in lines) for part in ("async", "from the queue")) else []

        lines = eventually(both_seen, "the async invocation and the queue's message were seen")
    finally:
        server.stop()
    assert any('seen {"job":"async"}' in line for line in lines), lines
    assert any('seen ["from the queue"]' in line for line in lines), lines


def test_snapstart_is_refused_for_node_as_aws_refuses_it(host: Host, tmp_path: Path) -> None:
    from lambdahost import InvalidParameterValueException

    code = _write(tmp_path / "code", {"index.mjs": "export const handler = async () => 1;\n"})
    with pytest.raises(InvalidParameterValueException, match="SnapStart is not supported for runtime nodejs20.x"):
        host.add_function(
            FunctionConfig(name="snappy", handler="index.handler", code_dir=code, runtime="nodejs20.x", snap_start=True)
        )


def test_on_a_machine_without_node_a_node_function_fails_its_init_and_the_rest_runs(
    host: Host, tmp_path: Path, monkeypatch
) -> None:
    """A template that mixes runtimes still serves its Python functions where Node.js is missing
    (here: no Node found anywhere it is looked for); the Node.js function's invocation says why."""
    from lambdahost.sandbox import node

    monkeypatch.setattr(node, "_candidates", list)
    host.add_function(
        FunctionConfig(
            name="js",
            handler="index.handler",
            code_dir=Path(__file__).parent / "node_conformance" / "async_mjs",
            runtime="nodejs22.x",
        )
    )
    code = _write(tmp_path / "py", {"app.py": "def handler(event, context):\n    return 'python runs'\n"})
    host.add_function(FunctionConfig(name="py", handler="app.handler", code_dir=code, runtime="python3.11"))
    failed = json.loads(host.invoke("js", {}).payload)
    assert failed["errorType"] == "Runtime.Unsupported"
    assert failed["errorMessage"].endswith("nodejs22.x functions run on Node.js, and none was found on this machine")
    assert host.invoke("py", {}).payload == b'"python runs"'


def test_the_aws_sdk_the_runtime_includes_is_there_without_a_package_json(tmp_path: Path) -> None:
    """Lambda's Node.js runtimes include the AWS SDK for JavaScript v3: a handler that imports
    @aws-sdk/client-sqs with no package.json runs unchanged, against the local AWS."""
    from server import Server

    project = _write(
        tmp_path / "project",
        {
            "template.yaml": "Transform: AWS::Serverless-2016-10-31\n"
            "Resources:\n"
            "  Inbox: {Type: AWS::SQS::Queue, Properties: {QueueName: inbox}}\n"
            "  Lister:\n"
            "    Type: AWS::Serverless::Function\n"
            "    Properties: {CodeUri: src, Handler: index.handler, Runtime: nodejs20.x}\n",
            "src/index.mjs": "import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';\n"
            "const sqs = new SQSClient({});\n"
            "export const handler = async () =>\n"
            "  (await sqs.send(new ListQueuesCommand({}))).QueueUrls.map((url) => url.split('/').pop());\n",
        },
    )
    server = Server(project, "--api-port", "0").start()
    try:
        listed = server.invoke("Lister")
    finally:
        server.stop()
    assert listed.function_error is None, listed.payload
    assert listed.payload == ["inbox"]
    assert not (project / "src" / "node_modules").exists() and not (project / "src" / "package.json").exists()
