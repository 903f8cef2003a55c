"""Run with `pytest`: lambdahost's plugin serves template.yaml (the queue, and the mapping that
polls it) and the `lambdahost` fixture talks to it."""

import json
from pathlib import Path

from lambdahost.testing import eventually

EVENT = json.loads((Path(__file__).parent.parent / "events" / "sqs.json").read_text())


def test_a_message_that_cannot_be_read_is_reported(lambdahost):
    answer = lambdahost.invoke("__ID__", EVENT)
    assert answer.payload == {"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}


def test_a_message_sent_to_the_queue_reaches_the_function(lambdahost):
    lambdahost.send_message("Orders", json.dumps({"id": "o-7", "item": "lamp", "quantity": 1}))
    eventually(lambda: lambdahost.logs("__ID__", contains="order o-7"), "the message reached the function")
