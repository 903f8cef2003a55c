"""Hostile and careless input against a real ``lambdahost serve``: every answer is a 4xx that
says what is wrong (never a 500), and the server carries on (issue 29)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdahost.api.model import _operations
from server import Server, write_project

TEMPLATE = """
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler}
"""
CODE = "def handler(event, context):\n    return event\n"

# Any JSON value, nested a little: what a careless or hostile client may put in any member.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
# Each operation that takes a request body (not an invocation's payload), at a path naming
# things that exist (or not).
OPERATIONS = [
    (method, pattern.pattern, operation)
    for method, pattern, operation in _operations()
    if "payload" not in operation.input_shape.serialization
]


def _path(pattern: str) -> str:
    """A concrete path for an operation's pattern: the function Echo, a layer, an alias..."""
    return re.sub(r"\[\^/\]\+|\.\+", "Echo", pattern.replace("\\", "")).removesuffix("/?")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(write_project(tmp_path_factory.mktemp("hostile"), TEMPLATE, CODE), "--api-port", "0").start()
    yield running
    running.stop()


def _alive(server) -> None:
    answer = httpx.get(f"{server.endpoint}/2015-03-31/functions/Echo", timeout=30)
    assert answer.status_code == 200, answer.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_body_of_any_shape_gets_a_500(server, data) -> None:
    """Bodies whose members are any JSON at all, on every operation that takes one."""
    method, pattern, operation = data.draw(st.sampled_from(OPERATIONS))
    members = [name for name, shape in operation.input_shape.members.items() if "location" not in shape.serialization]
    body = data.draw(st.dictionaries(st.sampled_from(members), JSON, max_size=4)) if members else {}
    answer = httpx.request(method, server.endpoint + _path(pattern), json=body, timeout=30)
    assert answer.status_code < 500, (operation.name, body, answer.text)
    if answer.status_code >= 400:
        error = answer.json()
        assert error.get("message") or error.get("Message"), answer.text


def test_deeply_nested_json_is_refused_on_every_route(server) -> None:
    nested = '{"a":' * 5000 + "1" + "}" * 5000
    for method, pattern, operation in OPERATIONS:
        answer = httpx.request(method, server.endpoint + _path(pattern), content=nested, timeout=30)
        if answer.status_code == 404 and "No Lambda operation" in answer.text:
            continue  # an operation lambdahost does not serve
        assert answer.status_code == 400, (operation.name, answer.text)
        assert answer.headers["x-amzn-ErrorType"].startswith("InvalidRequestContentException"), operation.name
    _alive(server)


@pytest.mark.parametrize(
    ("path", "body", "member"),
    [
        (
            "/2015-03-31/functions/Echo/aliases",
            {"Name": "a", "FunctionVersion": "$LATEST", "RoutingConfig": {"AdditionalVersionWeights": {"1": {}}}},
            "RoutingConfig.AdditionalVersionWeights.1",
        ),
        ("/2017-03-31/tags/arn:aws:lambda:us-east-1:123456789012:function:Echo", {"Tags": ["ab"]}, "Tags"),
        ("/2015-03-31/functions/Echo/policy", {"StatementId": "s", "Action": 5, "Principal": "*"}, "Action"),
        (
            "/2015-03-31/event-source-mappings",
            {"FunctionName": 7, "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q"},
            "FunctionName",
        ),
    ],
)
def test_a_member_of_the_wrong_type_is_named(server, path: str, body: dict, member: str) -> None:
    """The classes issue 29 found answering 500: each is AWS's InvalidRequestContentException,
    naming the member (the botocore model gives its type)."""
    answer = httpx.post(server.endpoint + path, json=body, timeout=30)
    assert answer.status_code == 400 and answer.headers["x-amzn-ErrorType"].startswith("InvalidRequestContent")
    assert f"{member} must be" in answer.json()["message"]


def test_wrong_types_in_a_configuration_update_are_named(server) -> None:
    for body, member in (({"Environment": [1]}, "Environment"), ({"Timeout": "3"}, "Timeout")):
        answer = httpx.put(f"{server.endpoint}/2015-03-31/functions/Echo/configuration", json=body, timeout=30)
        assert answer.status_code == 400 and f"{member} must be" in answer.json()["message"]
    answer = httpx.put(
        f"{server.endpoint}/2019-09-25/functions/Echo/event-invoke-config",
        json={"MaximumRetryAttempts": {}, "DestinationConfig": {"OnFailure": {"Destination": 5}}},
        timeout=30,
    )
    assert answer.status_code == 400 and "must be" in json.loads(answer.text)["message"]
    _alive(server)


CONSOLE = {"x-lambdahost-console": "1"}
CONSOLE_CALLS = [
    ("POST", "/functions"),
    ("PUT", "/functions/Echo/configuration"),
    ("PUT", "/functions/Echo/concurrency"),
    ("PUT", "/functions/Echo/event-invoke-config"),
    ("PUT", "/functions/Echo/files"),
    ("PUT", "/functions/Echo/test-events/saved"),
    ("POST", "/functions/Echo/test"),
    ("POST", "/functions/Echo/versions"),
    ("POST", "/functions/Echo/aliases"),
]


# each call finds one of its own members of the wrong type
WRONG = {"files": "x", "event": 5, "name": [1], "description": 5, "MemorySize": "x"}
WRONG |= {"ReservedConcurrentExecutions": "x", "MaximumRetryAttempts": "x"}


@pytest.mark.parametrize(("method", "path"), CONSOLE_CALLS)
@pytest.mark.parametrize("body", ["not json", "[1]", '{"a":' * 5000, json.dumps(WRONG)])
def test_the_consoles_calls_answer_bad_bodies_in_json(server, method: str, path: str, body: str) -> None:
    answer = httpx.request(method, f"{server.endpoint}/console/api{path}", content=body, headers=CONSOLE, timeout=30)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["message"]


@pytest.mark.parametrize("query", ["metrics?minutes=abc", "logs?since=abc", "logs?after=x", "logs?since=1e400"])
def test_the_consoles_queries_answer_bad_numbers_in_json(server, query: str) -> None:
    answer = httpx.get(f"{server.endpoint}/console/api/functions/Echo/{query}", timeout=30)
    assert answer.status_code == 400 and "must be a whole number" in answer.json()["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_lambdahost/sns/publish", "not json"),
        ("/_lambdahost/sns/publish", '{"Message": "m"}'),
        ("/_lambdahost/events/put", '{"Entries": "x"}'),
        ("/_lambdahost/events/put", '{"Entries": [{"Source": "s"}]}'),
        ("/_lambdahost/sqs/Jobs/messages", "{}"),
        ("/_lambdahost/sqs/Jobs/messages", '{"a":' * 5000),
    ],
)
def test_lambdahosts_own_calls_answer_bad_bodies_with_400(tmp_path, path: str, body: str) -> None:
    template = TEMPLATE + "  Jobs: {Type: AWS::SQS::Queue}\n"
    running = Server(write_project(tmp_path, template, CODE), "--api-port", "0", "--no-local-aws").start()
    try:
        answer = httpx.post(running.endpoint + path, content=body, timeout=30)
        assert answer.status_code == 400 and answer.json()["message"], answer.text
        _alive(running)
    finally:
        running.stop()


def _zip(entries: list[tuple[str, bytes]], understate: bool = False) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    raw = buffer.getvalue()
    if understate:  # the first entry's header says it is smaller than it is
        raw = raw.replace(b"0123456789abcdef", b"0123456789abcdeX", 1)
    return raw


@pytest.mark.parametrize(
    "archive",
    [
        _zip([("link", b"/etc"), ("link/passwd", b"x")]),  # a path through an entry that is a file
        _zip([("app", b"a file"), ("app/app.py", b"x")]),  # a file, then a folder of the same name
        _zip([("app.py", b"0123456789abcdef" * 4)], understate=True),  # content its header does not check out
    ],
    ids=["through-a-file", "file-then-folder", "bad-content"],
)
def test_a_zip_that_cannot_be_unpacked_is_refused_and_leaves_nothing(server, archive: bytes) -> None:
    import base64

    answer = httpx.post(
        f"{server.endpoint}/2015-03-31/functions",
        json={
            "FunctionName": "zipped",
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Handler": "app.handler",
            "Code": {"ZipFile": base64.b64encode(archive).decode()},
        },
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"].startswith("Could not unzip uploaded file.")
    assert not list(server.state_dir.rglob("*.partial")), "nothing of it is kept"
    _alive(server)


def test_a_body_past_lambdas_limit_is_413_on_the_api_port(tmp_path) -> None:
    """7 MB and 10 MB bodies through API Gateway routes: 413, as API Gateway answers (issue 29),
    not a 500; and the connection's next request is answered."""
    from server import free_port

    template = """
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Events: {Api: {Type: HttpApi, Properties: {Path: /echo, Method: POST}}}
"""
    port = free_port()
    code = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
    running = Server(write_project(tmp_path, template, code), "--api-port", str(port)).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for megabytes in (7, 10):
                answer = client.post("/echo", content=b"x" * (megabytes * 1024 * 1024))
                assert (answer.status_code, answer.json()) == (413, {"message": "Request Entity Too Large"})
            assert client.post("/echo", content=b"small").text == "ok"
    finally:
        running.stop()
