"""Run with `pytest`: lambdahost's plugin serves template.yaml and the `lambdahost` fixture talks to it."""

import json
from pathlib import Path

EVENT = json.loads((Path(__file__).parent.parent / "events" / "event.json").read_text())


def test_the_function_says_hello(lambdahost):
    answer = lambdahost.invoke("__NAME__", EVENT)
    assert answer.function_error is None
    assert answer.payload == {"statusCode": 200, "body": '"Hello from Lambda!"'}
    assert "REPORT RequestId:" in answer.log
