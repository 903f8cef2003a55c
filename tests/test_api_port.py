"""The API port speaks HTTP/1.1 as clients expect: keep-alive and its end, pipelining, HTTP/1.0,
``Expect: 100-continue``, HEAD, bodiless statuses, requests that are not HTTP, and a graceful stop.
Raw sockets against a real ``lambdahost serve``, so that every byte on the wire is checked."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from server import Server, api_server, write_project

TEMPLATE = """
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Events:
        Any: {Type: HttpApi, Properties: {Path: "/{proxy+}", Method: ANY}}
"""
CODE = """
import json, time

def handler(event, context):
    path = event["rawPath"]
    if path == "/sleep":
        time.sleep(2)
    if path == "/empty":
        return {"statusCode": 204, "body": "dropped"}
    if path == "/inject":
        return {"statusCode": 200, "headers": {"x-a": "1\\r\\nx-injected: yes"}, "body": "x"}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"path": path, "protocol": event["requestContext"]["http"]["protocol"],
                            "body": event.get("body")}),
    }
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = api_server(write_project(tmp_path_factory.mktemp("api-port"), TEMPLATE, CODE))
    yield server
    server.stop()


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.api_port), timeout=30)


class Reader:
    """Responses off a socket, one at a time: (status line, headers by lowercase name, body)."""

    def __init__(self, connection: socket.socket) -> None:
        self.file = connection.makefile("rb")

    def response(self, head: bool = False) -> tuple[str, dict[str, str], bytes]:
        status = self.file.readline().decode().rstrip("\r\n")
        headers = {}
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.lower()] = value.strip()
        length = 0 if head else int(headers.get("content-length", 0))
        return status, headers, self.file.read(length)

    def at_end(self) -> bool:
        return self.file.read(1) == b""


def get(path: str, *extra: str, version: str = "1.1") -> bytes:
    return "\r\n".join([f"GET {path} HTTP/{version}", "host: localhost", *extra, "", ""]).encode()


def test_keep_alive_serves_many_requests_on_one_connection(api) -> None:
    with connect(api) as connection:
        reader = Reader(connection)
        for n in range(3):
            connection.sendall(get(f"/n/{n}"))
            status, headers, body = reader.response()
            assert status == "HTTP/1.1 200 OK"
            assert json.loads(body)["path"] == f"/n/{n}"
            assert headers["content-length"] == str(len(body)) and "date" in headers
            assert "connection" not in headers


def test_pipelined_requests_are_answered_in_order(api) -> None:
    with connect(api) as connection:
        connection.sendall(b"".join(get(f"/p/{n}") for n in range(5)))
        reader = Reader(connection)
        assert [json.loads(reader.response()[2])["path"] for _ in range(5)] == [f"/p/{n}" for n in range(5)]


def test_more_pipelined_requests_than_it_holds_are_all_answered(api) -> None:
    """Past 16 waiting the connection stops reading, and reads on once they are answered."""
    with connect(api) as connection:
        connection.sendall(b"".join(get(f"/many/{n}") for n in range(40)))
        reader = Reader(connection)
        assert [json.loads(reader.response()[2])["path"] for _ in range(40)] == [f"/many/{n}" for n in range(40)]


def test_a_client_that_goes_away_mid_request_leaves_the_port_serving(api) -> None:
    with connect(api) as gone:
        gone.sendall(get("/sleep"))
        time.sleep(0.2)  # the request is with the function
    with connect(api) as connection:
        reader = Reader(connection)
        for n in range(2):
            connection.sendall(get(f"/after/{n}"))
            status, _, body = reader.response()
            assert status == "HTTP/1.1 200 OK" and json.loads(body)["path"] == f"/after/{n}"
        time.sleep(2)  # the abandoned invocation has ended by now, and its answer went nowhere
        connection.sendall(get("/later"))
        status, _, body = reader.response()
        assert status == "HTTP/1.1 200 OK" and json.loads(body)["path"] == "/later"


def test_connection_close_and_http_1_0_end_the_connection(api) -> None:
    with connect(api) as connection:
        connection.sendall(get("/bye", "connection: close"))
        reader = Reader(connection)
        status, headers, _ = reader.response()
        assert status == "HTTP/1.1 200 OK" and headers["connection"] == "close"
        assert reader.at_end()
    with connect(api) as connection:
        connection.sendall(get("/old", version="1.0"))
        reader = Reader(connection)
        _, headers, body = reader.response()
        assert json.loads(body)["protocol"] == "HTTP/1.0" and headers["connection"] == "close"
        assert reader.at_end()


def test_expect_100_continue_is_answered_before_the_body_is_sent(api) -> None:
    with connect(api) as connection:
        connection.sendall(
            b"POST /upload HTTP/1.1\r\nhost: localhost\r\ncontent-type: text/plain\r\n"
            b"content-length: 5\r\nexpect: 100-continue\r\n\r\n"
        )
        reader = Reader(connection)
        assert reader.file.readline() == b"HTTP/1.1 100 Continue\r\n" and reader.file.readline() == b"\r\n"
        connection.sendall(b"hello")
        status, _, body = reader.response()
        assert status == "HTTP/1.1 200 OK" and json.loads(body)["body"] == "hello"


def test_head_sends_the_length_but_no_body(api) -> None:
    with connect(api) as connection:
        connection.sendall(get("/h").replace(b"GET", b"HEAD", 1) + get("/after"))
        reader = Reader(connection)
        status, headers, _ = reader.response(head=True)
        assert status == "HTTP/1.1 200 OK" and int(headers["content-length"]) > 0
        assert json.loads(reader.response()[2])["path"] == "/after", "no body bytes came between the two"


def test_a_204_has_neither_body_nor_length(api) -> None:
    with connect(api) as connection:
        connection.sendall(get("/empty") + get("/after"))
        reader = Reader(connection)
        status, headers, _ = reader.response()
        assert status == "HTTP/1.1 204 No Content" and "content-length" not in headers
        assert json.loads(reader.response()[2])["path"] == "/after"


def test_a_header_that_would_split_the_response_is_malformed(api) -> None:
    with connect(api) as connection:
        connection.sendall(get("/inject"))
        status, headers, body = Reader(connection).response()
    assert status == "HTTP/1.1 500 Internal Server Error" and "x-injected" not in headers
    assert json.loads(body) == {"message": "Internal Server Error"}


def test_what_is_not_http_gets_a_400_and_the_connection_ends(api) -> None:
    with connect(api) as connection:
        connection.sendall(b"HELLO THERE\r\n\r\n")
        reader = Reader(connection)
        status, headers, body = reader.response()
        assert status == "HTTP/1.1 400 Bad Request" and headers["connection"] == "close"
        assert body == b"Invalid HTTP request."
        assert reader.at_end()


def test_an_idle_keep_alive_connection_is_closed_after_five_seconds(api) -> None:
    with connect(api) as connection:
        connection.sendall(get("/once"))
        reader = Reader(connection)
        assert reader.response()[0] == "HTTP/1.1 200 OK"
        answered = time.monotonic()
        assert reader.at_end()
        assert 4.5 <= time.monotonic() - answered <= 15


def test_a_stop_lets_a_request_in_flight_finish(tmp_path) -> None:
    server = api_server(write_project(tmp_path, TEMPLATE, CODE))
    outcome = {}

    def call() -> None:
        with connect(server) as connection:
            connection.sendall(get("/sleep"))
            outcome["response"] = Reader(connection).response()

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(1.0)
    assert server.stop() in (0, -15)
    thread.join(30)
    status, headers, body = outcome["response"]
    assert status == "HTTP/1.1 200 OK" and json.loads(body)["path"] == "/sleep"
    assert headers["connection"] == "close"
