"""Run with `pytest`: lambdahost's plugin serves template.yaml (Powertools' public layer is given
its package) and the `lambdahost` fixture talks to it."""

import json
from pathlib import Path

EVENT = json.loads((Path(__file__).parent.parent / "events" / "hello.json").read_text())


def test_the_routes_through_api_gateway(lambdahost):
    assert lambdahost.request("GET", "/hello").json() == {"message": "hello, world"}
    assert lambdahost.request("GET", "/hello/you").json() == {"message": "hello, you"}


def test_an_event_and_its_structured_log(lambdahost):
    answer = lambdahost.invoke("__ID__", EVENT)
    assert json.loads(answer.payload["body"]) == {"message": "hello, lambda"}
    logged = [json.loads(line) for line in lambdahost.logs("__ID__", contains='"greeting"')]
    assert logged[-1]["visitor"] == "lambda" and logged[-1]["service"] == "__NAME__"
