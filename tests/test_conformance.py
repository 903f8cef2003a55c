"""The conformance corpus: each folder under conformance/ holds a handler and what AWS's Python
runtime answers and logs for it (see runtime-semantics reference §1-§6)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from conftest import task_root
from lambdahost import FunctionConfig, Host

CASES = sorted(Path(__file__).parent.glob("conformance/*/expected.json"))
ERROR_KEYS = ["errorMessage", "errorType", "requestId", "stackTrace"]
PLACEHOLDERS = {
    "{TIMESTAMP}": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z",
    "{MS}": r"\d+\.\d{2}",
}


def fill(value, names: dict[str, str]):
    if isinstance(value, str):
        for name, text in names.items():
            value = value.replace(name, text)
        return value
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    return value


def line_pattern(expected: str, names: dict[str, str]) -> re.Pattern:
    pattern = re.escape(fill(expected, names))
    for name, regex in PLACEHOLDERS.items():
        pattern = pattern.replace(re.escape(name), regex)
    return re.compile(pattern)


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.parent.name)
def test_conformance(case: Path, host: Host) -> None:
    spec = json.loads(case.read_text())
    name = case.parent.name
    options = {"runtime": spec["runtime"]} if "runtime" in spec else {}
    host.add_function(FunctionConfig(name=name, handler=spec["handler"], code_dir=case.parent, **options))

    result = host.invoke(name, spec.get("event", {}))

    names = {"{CODE_DIR}": task_root(case.parent.resolve()), "{REQUEST_ID}": result.request_id}
    assert result.function_error == spec.get("function_error")
    if "payload" in spec:
        assert result.payload.decode() == spec["payload"]
    if "payload_base64" in spec:
        assert result.payload == base64.b64decode(spec["payload_base64"])
        assert result.content_type == spec["content_type"]
    if "error" in spec:
        body = json.loads(result.payload)
        assert list(body) == ERROR_KEYS
        expected = fill(spec["error"], names)
        if expected["stackTrace"] == "{ANY}":
            assert isinstance(body["stackTrace"], list) and body["stackTrace"]
            expected["stackTrace"] = body["stackTrace"]
        assert body == expected
    lines = result.log.split("\n")
    position = 0
    for expected_line in spec.get("log_lines", []):
        pattern = line_pattern(expected_line, names)
        matches = [i for i in range(position, len(lines)) if pattern.fullmatch(lines[i])]
        assert matches, f"no log line after line {position} matches {expected_line!r} in:\n{result.log}"
        position = matches[0] + 1
    for absent in spec.get("log_absent", []):
        assert absent not in result.log
