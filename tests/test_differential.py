"""The differential harness: every handler of the conformance corpus run twice, by lambdahost's
Python runtime and by AWS's own runtime interface client (``awslambdaric``, the one Lambda's
Python images run) through lambdahost's Runtime API as a custom runtime. The answers must be
the same, except for the differences ``KNOWN`` lists, each with its reason (and
docs/architecture.md lists them too)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from lambdahost import FunctionConfig, Host

CASES = sorted(p.parent for p in Path(__file__).parent.glob("conformance/*/app.py"))
# case -> why lambdahost's answer differs from awslambdaric's
KNOWN: dict[str, str] = {}


def _answer(result) -> dict:
    """What a caller sees: the error flag and the payload (a stack trace's lines hold the paths
    each runtime imports from, so only its length is compared)."""
    answer = {"function_error": result.function_error, "content_type": result.content_type}
    try:
        body = json.loads(result.payload)
    except ValueError:
        return {**answer, "raw": result.payload}
    if isinstance(body, dict) and "errorType" in body:
        body["errorMessage"] = body["errorMessage"].replace(result.request_id, "{REQUEST_ID}")
        body.pop("requestId", None)  # each runtime's own request
    if isinstance(body, dict) and "stackTrace" in body:
        body["stackTrace"] = len(body["stackTrace"])
    return {**answer, "payload": result.payload if not isinstance(body, dict) or "errorType" not in body else body}


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_lambdahost_answers_as_awslambdaric_does(case: Path, host: Host, tmp_path: Path) -> None:
    expected = case / "expected.json"  # (a case without one is checked here only)
    spec = json.loads(expected.read_text()) if expected.exists() else {"handler": "app.handler"}
    runtime = spec.get("runtime", "python3.11")
    host.add_function(FunctionConfig(name="ours", handler=spec["handler"], code_dir=case, runtime=runtime))
    theirs_dir = Path(shutil.copytree(case, tmp_path / case.name, ignore=shutil.ignore_patterns("__pycache__")))
    bootstrap = theirs_dir / "bootstrap"
    # AWS_EXECUTION_ENV: what the runtime's JSON encoder reads (non-ASCII kept from python3.12)
    bootstrap.write_text(
        f'#!/bin/sh\nexport AWS_EXECUTION_ENV=AWS_Lambda_{runtime}\nexec {sys.executable} -m awslambdaric "$_HANDLER"\n'
    )
    bootstrap.chmod(0o755)
    host.add_function(
        FunctionConfig(name="theirs", handler=spec["handler"], code_dir=theirs_dir, runtime="provided.al2023")
    )
    event = spec.get("event", {})
    mine, aws = _answer(host.invoke("ours", event)), _answer(host.invoke("theirs", event))
    if case.name in KNOWN:
        assert mine != aws, f"{case.name} is listed as different, and is not: {KNOWN[case.name]}"
    else:
        assert mine == aws
