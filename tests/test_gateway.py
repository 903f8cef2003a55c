"""API Gateway routes and function URLs, served by a real process and called over real HTTP:
a FastAPI app behind Mangum, Powertools resolvers, and AWS's answers when things go wrong."""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lambdahost.testing import eventually
from server import Server, free_port, sigv4_headers

PROJECT = Path(__file__).parent / "gateway_project"


SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
POOL = "us-east-1_Example"  # the template's Cognito user pool


@pytest.fixture(scope="module")
def issuer():
    """An OpenID issuer on 127.0.0.1 that publishes SIGNING_KEY's public half: discovery, its
    JWKS, and the same keys where a Cognito user pool publishes them."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    keys = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_port}"
            body = {
                "/.well-known/openid-configuration": json.dumps({"issuer": base, "jwks_uri": f"{base}/keys"}).encode(),
                "/keys": keys,
                f"/{POOL}/.well-known/jwks.json": keys,
            }.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gateway")
    shutil.copytree(PROJECT, folder, dirs_exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def gateway(project, issuer):
    api_port = free_port()
    server = Server(
        project,
        "--api-port",
        str(api_port),
        "--no-watch",
        "--parameter-overrides",
        f"JwtIssuer={issuer}",
        "--aws-endpoint-url",
        issuer,
    ).start()
    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as client:
        eventually(lambda: client.get("/"), "the API port answers", ignoring=(httpx.TransportError,))
        yield client
    server.stop()


def echo(gateway: httpx.Client, path: str, **options) -> dict:
    response = gateway.request(options.pop("method", "GET"), path, **options)
    assert response.status_code == 200, response.text
    return json.loads(response.text)


# -- a FastAPI application behind Mangum, as a REST API and as an HTTP API ---------------------


@pytest.mark.parametrize("prefix", ["/rest", "/http"])
def test_fastapi_path_and_query_parameters(gateway, prefix: str) -> None:
    response = gateway.get(f"{prefix}/items/42", params={"q": "search term"})
    assert response.status_code == 200
    assert response.json() == {"item_id": 42, "q": "search term"}
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("prefix", ["/rest", "/http"])
def test_fastapi_json_body_and_status(gateway, prefix: str) -> None:
    response = gateway.post(f"{prefix}/items", json={"name": "widget", "price": 3.5})
    assert response.status_code == 201
    assert response.json() == {"created": {"name": "widget", "price": 3.5}}


@pytest.mark.parametrize("prefix", ["/rest", "/http"])
def test_fastapi_binary_download(gateway, prefix: str) -> None:
    response = gateway.get(f"{prefix}/image", headers={"accept": "image/png"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


@pytest.mark.parametrize("prefix", ["/rest", "/http"])
def test_fastapi_cookies_both_ways(gateway, prefix: str) -> None:
    response = gateway.get(f"{prefix}/cookies", headers={"cookie": "session=abc; theme=dark"})
    assert response.json() == {"seen": {"session": "abc", "theme": "dark"}}
    assert sorted(c.split(";")[0] for c in response.headers.get_list("set-cookie")) == ["first=1", "second=2"]


@pytest.mark.parametrize("prefix", ["/rest", "/http"])
def test_fastapi_headers_and_error_statuses(gateway, prefix: str) -> None:
    seen = gateway.get(f"{prefix}/headers", headers={"user-agent": "tester/1.0", "x-custom": "yes"}).json()
    assert seen == {"agent": "tester/1.0", "custom": "yes"}
    missing = gateway.get(f"{prefix}/missing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no such thing"})
    teapot = gateway.get(f"{prefix}/teapot")
    assert (teapot.status_code, teapot.headers["x-tea"]) == (418, "earl grey")


# -- Powertools resolvers -----------------------------------------------------------------------


def test_powertools_rest_resolver(gateway) -> None:
    response = gateway.get("/pt-rest/hello/ada", params={"lang": "fr"})
    assert (response.status_code, response.json()) == (200, {"hello": "ada", "query": "fr"})
    posted = gateway.post("/pt-rest/echo", content=b'{"x": 1}', headers={"content-type": "application/json"})
    assert (posted.status_code, posted.json()) == (202, {"x": 1})


def test_powertools_http_resolver(gateway) -> None:
    response = gateway.get("/pt-http/hello/grace", headers={"cookie": "a=1; b=2"})
    assert (response.status_code, response.json()) == (200, {"hello": "grace", "cookies": ["a=1", "b=2"]})


# -- the events -------------------------------------------------------------------------------


def test_rest_event_shape(gateway) -> None:
    event = echo(
        gateway, "/raw/one%2Btwo/deeper/path/?plus=test+alias@x&m=1&m=2", headers={"X-Repeat": "a", "x-lower": "b"}
    )
    assert event["resource"] == "/raw/{first}/{rest+}"
    assert event["path"] == "/raw/one%2Btwo/deeper/path/"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"first": "one%2Btwo", "rest": "deeper/path"}
    assert event["queryStringParameters"] == {"plus": "test alias@x", "m": "2"}
    assert event["multiValueQueryStringParameters"] == {"plus": ["test alias@x"], "m": ["1", "2"]}
    assert event["headers"]["X-Repeat"] == "a" and event["multiValueHeaders"]["X-Repeat"] == ["a"]
    assert event["headers"]["x-lower"] == "b", "REST events keep the client's casing of header names"
    assert event["stageVariables"] is None and event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "Prod" and context["path"] == "/Prod/raw/one%2Btwo/deeper/path/"
    assert context["resourcePath"] == "/raw/{first}/{rest+}" and context["httpMethod"] == "GET"
    assert context["identity"]["sourceIp"] == "127.0.0.1" and context["accountId"] == "123456789012"
    assert isinstance(context["requestTimeEpoch"], int) and context["requestTime"].endswith(" +0000")
    bare = echo(gateway, "/raw")
    assert bare["queryStringParameters"] is None and bare["pathParameters"] is None


def test_source_ip_is_the_peer_not_a_forwarded_header(gateway) -> None:
    event = echo(gateway, "/raw", headers={"x-forwarded-for": "203.0.113.9"})
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    port = int(gateway.base_url.port)
    assert (event["headers"]["X-Forwarded-Port"], event["headers"]["X-Forwarded-Proto"]) == (str(port), "http")
    plain = echo(gateway, "/raw2/1")
    assert plain["headers"]["x-forwarded-for"] == "127.0.0.1" and plain["headers"]["x-forwarded-proto"] == "http"


def test_the_trace_header_is_the_invocations_trace(gateway) -> None:
    root = "Root=1-5759e988-bd862e3fe1be46a994272793"
    carried = echo(gateway, "/raw?mode=trace", headers={"x-amzn-trace-id": root})
    assert carried["header"] == root
    assert re.fullmatch(re.escape(root) + r";Parent=[0-9a-f]{16};Sampled=0;Lineage=[0-9a-f]{8}:0", carried["env"])
    for path in ("/raw?mode=trace", "/raw2?mode=trace", "/lambda-url/Raw/?mode=trace"):
        fresh = echo(gateway, path)
        assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", fresh["header"]), path
        assert fresh["env"].startswith(fresh["header"] + ";Parent="), path


def test_http_api_event_shape(gateway) -> None:
    event = echo(
        gateway,
        "/raw2/7",
        params=[("a", "1"), ("a", "2"), ("b", "x y")],
        headers={"cookie": "c1=v1; c2=v2", "x-dup": "one"},
    )
    assert event["version"] == "2.0" and event["routeKey"] == "GET /raw2/{id}"
    assert event["rawPath"] == "/raw2/7" and event["rawQueryString"] == "a=1&a=2&b=x+y"
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"] and event["headers"]["x-dup"] == "one"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["pathParameters"] == {"id": "7"}
    context = event["requestContext"]
    assert context["http"]["method"] == "GET" and context["http"]["path"] == "/raw2/7"
    assert context["routeKey"] == "GET /raw2/{id}" and context["stage"] == "$default"
    assert "body" not in event and event["isBase64Encoded"] is False


def test_binary_request_bodies_arrive_base64(gateway) -> None:
    data = bytes(range(256))
    rest = echo(gateway, "/raw", method="POST", content=data, headers={"content-type": "application/octet-stream"})
    assert rest["isBase64Encoded"] is True and base64.b64decode(rest["body"]) == data
    text = echo(gateway, "/raw", method="POST", content=b'{"a": 1}', headers={"content-type": "application/json"})
    assert text["isBase64Encoded"] is False and text["body"] == '{"a": 1}'
    http = echo(gateway, "/raw2", method="POST", content=data, headers={"content-type": "image/jpeg"})
    assert http["isBase64Encoded"] is True and base64.b64decode(http["body"]) == data


def test_http_api_payload_1_0(gateway) -> None:
    event = echo(gateway, "/raw1", params={"k": "v"})
    assert event["version"] == "1.0" and event["resource"] == "/raw1"
    assert event["requestContext"]["stage"] == "$default"
    assert event["multiValueQueryStringParameters"] == {"k": ["v"]}


# -- responses and failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status", "body"),
    [
        ("plain", 200, b"plain text"),
        ("string-status", 201, b"created"),
        ("no-status", 200, b"no status"),
        ("bad-status", 502, b'{"message": "Internal server error"}'),
        ("extra-key", 502, b'{"message": "Internal server error"}'),
        ("bare-string", 502, b'{"message": "Internal server error"}'),
        ("raise", 502, b'{"message": "Internal server error"}'),
    ],
)
def test_rest_responses_and_malformed_ones(gateway, mode: str, status: int, body: bytes) -> None:
    response = gateway.get("/raw", params={"mode": mode})
    assert (response.status_code, response.content) == (status, body)
    if status == 502:
        assert response.headers["content-type"] == "application/json"


def test_rest_header_merging_and_base64(gateway) -> None:
    merged = gateway.get("/raw", params={"mode": "merge"})
    assert merged.headers["test-multi"] == "value-multi, value-solo"
    assert merged.headers["solo"] == "true" and merged.headers["content-type"] == "application/json"
    encoded = gateway.get("/raw", params={"mode": "binary"}, headers={"accept": "text/html"})
    assert encoded.content == base64.b64encode(b"\x00\x01binary"), "not a binary Accept type: left as base64"
    decoded = gateway.get("/raw", params={"mode": "binary"}, headers={"accept": "application/octet-stream"})
    assert decoded.content == b"\x00\x01binary"


@pytest.mark.parametrize(
    ("mode", "status", "body", "content_type"),
    [
        ("object", 200, b'{"hello":"world"}', "application/json"),
        ("list", 200, b'["hello",3,true]', "application/json"),
        ("number", 200, b"3", "application/json"),
        ("big-number", 200, b'{"id":18446744073709551616,"ratio":0.1}', "application/json"),
        ("text", 200, b"hello", "application/json"),
        ("string-status", 201, b"created", "application/json"),
        ("binary", 200, b"\x00\x01binary", "application/octet-stream"),
        ("raise", 500, b'{"message": "Internal Server Error"}', "application/json"),
    ],
)
def test_http_api_responses(gateway, mode: str, status: int, body: bytes, content_type: str) -> None:
    response = gateway.get("/raw2", params={"mode": mode})
    assert (response.status_code, response.content) == (status, body)
    assert response.headers["content-type"] == content_type


def test_http_api_cookies_become_set_cookie_headers(gateway) -> None:
    response = gateway.get("/raw2", params={"mode": "v2-cookies"})
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]


def test_unknown_routes(gateway) -> None:
    response = gateway.get("/no/such/route")
    assert response.status_code == 404 and response.json() == {"message": "Not Found"}, "HTTP APIs are served here"
    wrong_method = gateway.delete("/pt-http/hello/x")
    assert wrong_method.status_code in (403, 404)


def test_integration_timeouts(gateway) -> None:
    rest = gateway.get("/raw-slow", params={"mode": "sleep"})
    assert (rest.status_code, rest.json()) == (504, {"message": "Endpoint request timed out"})
    http = gateway.get("/raw2-slow", params={"mode": "sleep"})
    assert (http.status_code, http.json()) == (503, {"message": "Service Unavailable"})


def test_concurrent_requests_run_in_parallel_environments(gateway) -> None:
    results = []

    def call():
        results.append(gateway.get("/raw", params={"mode": "sleep"}).status_code)

    threads = [threading.Thread(target=call) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 4
    assert time.monotonic() - started < 7, "four 2-second requests should overlap"


# -- authorizers and CORS -------------------------------------------------------------------------


def test_rest_token_authorizer(gateway) -> None:
    assert gateway.get("/secured").json() == {"message": "Unauthorized"}
    assert gateway.get("/secured").status_code == 401
    denied = gateway.get("/secured", headers={"authorization": "deny"})
    assert (denied.status_code, denied.json()) == (403, {"message": "User is not authorized to access this resource"})
    raised = gateway.get("/secured", headers={"authorization": "raise"})
    assert raised.status_code == 401
    allowed = gateway.get("/secured", headers={"authorization": "allow"})
    assert allowed.status_code == 200
    authorizer = json.loads(allowed.text)["requestContext"]["authorizer"]
    assert authorizer == {"principalId": "ada", "user": "ada", "level": 3}
    assert gateway.get("/open").status_code == 200, "Auth: {Authorizer: NONE} opts out"


def test_rest_authorizer_results_are_cached(gateway, project: Path) -> None:
    calls = project / "raw" / "authorizer-calls"  # the authorizer writes them in its code folder
    calls.write_text("")
    for _ in range(3):
        assert gateway.get("/secured", headers={"authorization": "allow"}).status_code == 200
    assert calls.read_text().splitlines().count("allow") <= 1, "ReauthorizeEvery: 300 caches the policy"
    for _ in range(2):
        assert gateway.get("/guarded", headers={"authorization": "allow"}).status_code == 200
    assert calls.read_text().splitlines().count("allow") >= 2, "ReauthorizeEvery: 0 asks every time"


def test_http_api_simple_authorizer(gateway) -> None:
    assert gateway.get("/http-secured").status_code == 401
    denied = gateway.get("/http-secured", headers={"authorization": "deny"})
    assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"})
    allowed = gateway.get("/http-secured", headers={"authorization": "allow", "origin": "https://app.example"})
    assert allowed.status_code == 200
    assert json.loads(allowed.text)["requestContext"]["authorizer"] == {"lambda": {"user": "ada"}}
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["access-control-expose-headers"] == "x-exposed"


def _jwt(key=SIGNING_KEY, algorithm: str = "RS256", **claims) -> str:
    """A token signed as the issuer signs them (by default)."""
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": "k1"})


def _forgeries(**claims) -> dict[str, str]:
    """Tokens with the right claims that the issuer did not sign."""
    genuine = _jwt(**claims).split(".")
    tampered = json.loads(base64.urlsafe_b64decode(genuine[1] + "=" * (-len(genuine[1]) % 4)))
    tampered["sub"] = "mallory"
    payload = base64.urlsafe_b64encode(json.dumps(tampered).encode()).decode().rstrip("=")
    return {
        "another key": _jwt(rsa.generate_private_key(public_exponent=65537, key_size=2048), **claims),
        "unsigned": jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"}),
        "an HMAC with the public key": _jwt(b"k" * 32, "HS256", **claims),
        "a changed payload": f"{genuine[0]}.{payload}.{genuine[2]}",
    }


def test_http_api_jwt_authorizer(gateway, issuer) -> None:
    good = {"iss": issuer, "aud": "orders-app", "sub": "ada", "exp": time.time() + 600}
    allowed = gateway.get("/http-jwt", headers={"authorization": "Bearer " + _jwt(**good, scope="orders/read x")})
    assert allowed.status_code == 200, allowed.text
    jwt = json.loads(allowed.text)["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "ada" and jwt["claims"]["exp"] == str(good["exp"])
    assert jwt["scopes"] == ["orders/read", "x"]
    refused = {
        "no token": None,
        "not a JWT": "Bearer abc",
        "expired": _jwt(**{**good, "exp": time.time() - 1}, scope="orders/read"),
        "other issuer": _jwt(**{**good, "iss": "https://elsewhere"}, scope="orders/read"),
        "other audience": _jwt(**{**good, "aud": ["another-app"]}, scope="orders/read"),
        **_forgeries(**good, scope="orders/read"),
    }
    for why, token in refused.items():
        response = gateway.get("/http-jwt", headers={"authorization": token} if token else {})
        assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"}), why
    scopeless = gateway.get("/http-jwt", headers={"authorization": _jwt(**good, scope="orders/write")})
    assert (scopeless.status_code, scopeless.json()) == (403, {"message": "Forbidden"})


def test_rest_cognito_user_pool_authorizer(gateway) -> None:
    token = _jwt(sub="grace", email="grace@example.com", **{"cognito:groups": ["admins"]}, exp=time.time() + 60)
    allowed = gateway.get("/pooled", headers={"Authorization": token})
    assert allowed.status_code == 200, allowed.text
    claims = json.loads(allowed.text)["requestContext"]["authorizer"]["claims"]
    assert (claims["sub"], claims["email"], claims["cognito:groups"]) == ("grace", "grace@example.com", "[admins]")
    assert gateway.get("/pooled").status_code == 401
    expired = gateway.get("/pooled", headers={"Authorization": _jwt(sub="grace", exp=time.time() - 5)})
    assert (expired.status_code, expired.json()) == (401, {"message": "Unauthorized"})
    for why, forged in _forgeries(sub="grace", exp=time.time() + 60).items():
        refused = gateway.get("/pooled", headers={"Authorization": forged})
        assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"}), why


def test_jwt_signatures_can_be_ignored_and_unreachable_keys_refuse(tmp_path) -> None:
    """--ignore-jwt-signature takes a made-up token; without it, an issuer whose keys cannot be
    fetched gets every token refused, and the log says why and what to do."""
    shutil.copytree(PROJECT, tmp_path, dirs_exist_ok=True)
    made_up = _jwt(rsa.generate_private_key(public_exponent=65537, key_size=2048), sub="grace", exp=time.time() + 60)
    nowhere = f"http://127.0.0.1:{free_port()}"  # where no Cognito answers
    for flag, status in (("--ignore-jwt-signature", 200), ("--no-watch", 401)):
        api_port = free_port()
        server = Server(
            tmp_path, "--api-port", str(api_port), "--no-watch", "--aws-endpoint-url", nowhere, flag
        ).start()
        try:
            for _ in range(2):  # the second is refused at once: no second fetch, no second warning
                response = httpx.get(
                    f"http://127.0.0.1:{api_port}/pooled", headers={"Authorization": made_up}, timeout=30
                )
                assert response.status_code == status, response.text
        finally:
            server.stop()
    assert server.log().count(f"cannot check JWT signatures: fetching {nowhere}/{POOL}/.well-known/jwks.json") == 1
    assert "--ignore-jwt-signature" in server.log()


def test_cors_preflight(gateway) -> None:
    rest = gateway.options(
        "/secured", headers={"origin": "https://app.example", "access-control-request-method": "GET"}
    )
    assert rest.status_code == 200
    assert rest.headers["access-control-allow-origin"] == "https://app.example"
    assert rest.headers["access-control-allow-headers"] == "Content-Type,Authorization"
    assert rest.headers["access-control-max-age"] == "300"
    assert set(rest.headers["access-control-allow-methods"].split(",")) == {"GET", "OPTIONS"}
    http = gateway.options(
        "/http-secured", headers={"origin": "https://app.example", "access-control-request-method": "GET"}
    )
    assert http.status_code == 204 and http.headers["access-control-allow-methods"] == "GET"
    stranger = gateway.options(
        "/http-secured", headers={"origin": "https://evil.example", "access-control-request-method": "GET"}
    )
    assert "access-control-allow-origin" not in stranger.headers


# -- function URLs -------------------------------------------------------------------------------


def test_function_url(gateway) -> None:
    response = gateway.post(
        "/lambda-url/Raw/some/path", params={"q": "1"}, content=b"hi", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200
    event = json.loads(response.text)
    assert event["routeKey"] == "$default" and event["rawPath"] == "/some/path"
    assert event["requestContext"]["stage"] == "$default" and "pathParameters" not in event
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert event["body"] == "hi" and event["queryStringParameters"] == {"q": "1"}
    assert response.headers["x-amzn-requestid"]
    assert gateway.get("/lambda-url/Raw/", params={"mode": "text"}).content == b"hello"
    failed = gateway.get("/lambda-url/Raw/", params={"mode": "raise"})
    assert (failed.status_code, failed.content) == (502, b"Internal Server Error")
    unknown = gateway.get("/lambda-url/FastApiFunction/")
    assert (unknown.status_code, unknown.content) == (403, b'{"Message":null}')
    assert unknown.headers["x-amzn-errortype"] == "AccessDeniedException"
    preflight = gateway.options(
        "/lambda-url/Raw/x", headers={"origin": "https://app.example", "access-control-request-method": "POST"}
    )
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-max-age"] == "60"


def test_an_aws_iam_function_url_serves_only_signed_requests(gateway) -> None:
    unsigned = gateway.get("/lambda-url/IamUrl/")
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert json.loads(unsigned.text)["Message"].startswith("Forbidden. For troubleshooting Function URL")
    url = f"{str(gateway.base_url).rstrip('/')}/lambda-url/IamUrl/path?mode=echo"
    signed = gateway.get(url, headers=sigv4_headers("GET", url, "AKIDANYONE", "any-secret"))
    assert signed.status_code == 200, signed.text
    event = json.loads(signed.text)
    assert event["rawPath"] == "/path"
    assert event["requestContext"]["accountId"] == "123456789012"
    assert event["requestContext"]["authorizer"] == {
        "iam": {
            "accessKey": "AKIDANYONE",
            "accountId": "123456789012",
            "callerId": "AKIDANYONE",
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": "arn:aws:iam::123456789012:user/AKIDANYONE",
            "userId": "AKIDANYONE",
        }
    }


def test_aws_iam_routes_serve_only_signed_requests(gateway) -> None:
    base = str(gateway.base_url).rstrip("/")
    rest_unsigned = gateway.get("/iam-rest")
    assert (rest_unsigned.status_code, rest_unsigned.json()) == (403, {"message": "Missing Authentication Token"})
    http_unsigned = gateway.get("/iam-http")
    assert (http_unsigned.status_code, http_unsigned.json()) == (403, {"message": "Forbidden"})
    rest_url, http_url = f"{base}/iam-rest?mode=echo", f"{base}/iam-http?mode=echo"
    rest = gateway.get(rest_url, headers=sigv4_headers("GET", rest_url, "AKIDREST", "x", service="execute-api"))
    identity = rest.json()["requestContext"]["identity"]
    assert (identity["accessKey"], identity["caller"], identity["user"]) == ("AKIDREST",) * 3
    assert identity["accountId"] == "123456789012"
    assert identity["userArn"] == "arn:aws:iam::123456789012:user/AKIDREST"
    http = gateway.get(http_url, headers=sigv4_headers("GET", http_url, "AKIDHTTP", "x", service="execute-api"))
    iam = http.json()["requestContext"]["authorizer"]["iam"]
    assert (iam["accessKey"], iam["callerId"], iam["userId"]) == ("AKIDHTTP",) * 3


def test_the_authorizer_cache_is_bounded(monkeypatch) -> None:
    """Callers with tokens of their own each add an entry: past the bound, the expired ones go
    first, then the oldest."""
    from lambdahost.api.gateway import authorizers

    monkeypatch.setattr(authorizers, "CACHE_SIZE", 3)
    cache = authorizers.Authorizers(host=None)
    now = time.monotonic()
    cache._remember(("expired",), now - 1, None)
    cache._remember(("old",), now + 60, {"a": 1})
    cache._remember(("newer",), now + 60, {"a": 2})
    cache._remember(("new",), now + 60, {"a": 3})  # the expired entry makes room
    assert list(cache._cache) == [("old",), ("newer",), ("new",)]
    cache._remember(("newest",), now + 60, {"a": 4})  # nothing expired: the oldest goes
    assert list(cache._cache) == [("newer",), ("new",), ("newest",)]
