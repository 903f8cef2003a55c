"""Run with `pytest`: lambdahost's plugin serves template.yaml and the `lambdahost` fixture talks to it."""

import json
from pathlib import Path

EVENT = json.loads((Path(__file__).parent.parent / "events" / "scheduled.json").read_text())


def test_the_rules_scheduled_event(lambdahost):
    assert lambdahost.invoke("__ID__", EVENT).payload == {"ran": "Scheduled Event"}


def test_the_schedulers_input(lambdahost):
    answer = lambdahost.invoke("__ID__", {"job": "cleanup"})
    assert answer.payload == {"ran": "cleanup"}
    assert "running cleanup with" in answer.log
