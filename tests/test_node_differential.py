"""The Node.js corpus run twice: by lambdahost's Node.js runtime, and by AWS's own runtime interface
client (``aws-lambda-ric`` on npm) as a custom runtime on lambdahost's Runtime API. The answers
must be the same, except for the differences ``KNOWN`` lists, each with its reason.

aws-lambda-ric builds a native client as it installs (autoconf, cmake and a C++ compiler), so it
is not part of the test set-up: give its folder in LAMBDAHOST_NODE_RIC (``npm install
aws-lambda-ric`` there), or the tests say they were skipped and why."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lambdahost import FunctionConfig, Host, LoggingConfig

RIC = Path(os.environ.get("LAMBDAHOST_NODE_RIC", "/work/ric")) / "node_modules" / "aws-lambda-ric" / "bin" / "index.mjs"
pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="no Node.js on this machine"),
    pytest.mark.skipif(not RIC.is_file(), reason="aws-lambda-ric is not installed (LAMBDAHOST_NODE_RIC)"),
]
CASES = sorted(p.parent for p in Path(__file__).parent.glob("node_conformance/*/expected.json"))
# case -> why lambdahost's answer differs from aws-lambda-ric's
KNOWN = {
    "node24_callback_refused": "nodejs24.x runs the client's version 4, which refuses callback handlers; npm's "
    "aws-lambda-ric is version 3",
    "node24_context": "nodejs24.x runs the client's version 4 (no callback members, xRayTraceId); npm's "
    "aws-lambda-ric is version 3",
    "never_settles": "npm's aws-lambda-ric 3.3.0 answers null; the client's repository reports Runtime.NodeJsExit "
    "since July 2025 (commit 1ab9990), which lambdahost follows (UNCONFIRMED: which of the two Lambda's managed "
    "runtimes run today)",
}


def _answer(result, name: str) -> dict:
    """What a caller sees, with the function's name and the request id taken out; of an error, its
    type, message and whether it has a trace (the trace's frames are each runtime's own files)."""
    payload = result.payload.decode().replace(result.request_id, "{REQUEST_ID}").replace(name, "{NAME}")
    answer = {"function_error": result.function_error}
    try:
        body = json.loads(payload)
    except ValueError:
        return {**answer, "raw": payload}
    if isinstance(body, dict) and "errorType" in body:
        message = body.get("errorMessage", "").split("\nRequire stack:")[0]  # (the stack names the loader's file)
        return {**answer, "errorType": body["errorType"], "errorMessage": message, "trace": bool(body.get("trace"))}
    return {**answer, "payload": body}


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_lambdahost_answers_as_aws_lambda_ric_does(case: Path, host: Host, tmp_path: Path) -> None:
    spec = json.loads((case / "expected.json").read_text())
    runtime = spec.get("runtime", "nodejs20.x")
    logging = {"logging": LoggingConfig(log_format="JSON")} if spec.get("log_format") == "JSON" else {}
    host.add_function(FunctionConfig(name="ours", handler=spec["handler"], code_dir=case, runtime=runtime, **logging))
    theirs_dir = Path(shutil.copytree(case, tmp_path / case.name))
    bootstrap = theirs_dir / "bootstrap"
    bootstrap.write_text(
        f'#!/bin/sh\nexport AWS_EXECUTION_ENV=AWS_Lambda_{runtime}\nexec {shutil.which("node")} {RIC} "$_HANDLER"\n'
    )
    bootstrap.chmod(0o755)
    host.add_function(
        FunctionConfig(
            name="theirs", handler=spec["handler"], code_dir=theirs_dir, runtime="provided.al2023", **logging
        )
    )
    event = spec.get("event", {})
    mine, aws = _answer(host.invoke("ours", event), "ours"), _answer(host.invoke("theirs", event), "theirs")
    if case.name in KNOWN:
        assert mine != aws, f"{case.name} is listed as different, and is not: {KNOWN[case.name]}"
    else:
        assert mine == aws
