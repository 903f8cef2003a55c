"""The events API Gateway and function URLs hand to Lambda (API Gateway's and function URLs' developer guides)."""

from __future__ import annotations

import base64
import fnmatch
import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from ...invoker.invoker import new_trace_root
from .routes import Route

# Bodies of these types travel as text; anything else (images, zips, multipart forms) as base64.
_TEXT_TYPES = (
    "text/*",
    "application/json",
    "application/*+json",
    "application/xml",
    "application/*+xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/graphql",
)


@dataclass(slots=True)
class HttpRequest:
    """One request to the API port. Not frozen: a frozen dataclass sets each field through
    ``object.__setattr__``, twice the time to build, on every request."""

    method: str
    raw_path: str  # as sent, percent-encoding kept
    raw_query: str
    headers: list[tuple[str, str]]  # in order, names cased as the client sent them (REST events keep that)
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    by_name: dict[str, str] = field(init=False, repr=False, compare=False)  # see ``_joined``

    def __post_init__(self) -> None:
        # Built at once: every request asks for a header or two (functools.cached_property takes
        # a lock on each first read before Python 3.12).
        self.by_name = _joined(self.headers)

    def header(self, name: str) -> str | None:
        """A header's value, by any casing of its name; a repeated header's values joined by commas."""
        return self.by_name.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()


_FORWARDING = ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id")


def forwarded(headers: list[tuple[str, str]], source_ip: str, port: int, scheme: str) -> list[tuple[str, str]]:
    """The headers as API Gateway passes them on: the client's address appended to
    X-Forwarded-For, its own X-Forwarded-Port and -Proto in place of any the client sent, and an
    X-Amzn-Trace-Id (the client's, or a new trace)."""
    kept, chain, trace = [], [], None
    for name, value in headers:
        lower = name.lower()
        if lower not in _FORWARDING:
            kept.append((name, value))
        elif lower == "x-forwarded-for":
            chain.append(value)
        elif lower == "x-amzn-trace-id" and trace is None:
            trace = value
    chain.append(source_ip)
    kept += [
        ("X-Forwarded-For", ", ".join(chain)),
        ("X-Forwarded-Port", str(port)),
        ("X-Forwarded-Proto", scheme),
        ("X-Amzn-Trace-Id", trace or new_trace_root()),
    ]
    return kept


def _joined(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers by lowercase name; a repeated header's values joined by commas, as payload 2.0 has them."""
    joined: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


@dataclass(slots=True)
class Caller:
    """Who asks, and what the platform stamps on the request."""

    request_id: str
    account_id: str
    region: str
    epoch_ms: int

    @property
    def request_time(self) -> str:
        return _request_time(self.epoch_ms // 1000)


@functools.lru_cache(maxsize=4)
def _request_time(seconds: int) -> str:
    """``requestContext.requestTime``; one string a second serves every request in it."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(seconds))


@functools.cache
def api_id(logical_id: str) -> str:
    """A stable, AWS-looking id for a template's API or function URL."""
    return hashlib.sha256(logical_id.encode()).hexdigest()[:10]


def matches_media_type(content_type: str, patterns: tuple[str, ...] | list[str]) -> bool:
    return bool(content_type) and any(fnmatch.fnmatch(content_type, p.lower()) for p in patterns)


def _body(request: HttpRequest, binary: Callable[[str], bool]) -> tuple[str | None, bool]:
    """The body as the event carries it: text, or base64 (``True``) when ``binary`` says so of its
    content type. No body, no content type to look at."""
    if not request.body:
        return None, False
    if binary(request.content_type):
        return base64.b64encode(request.body).decode(), True
    try:
        return request.body.decode(), False
    except UnicodeDecodeError:  # not text whatever its type claims: base64 keeps it intact
        return base64.b64encode(request.body).decode(), True


def _query(request: HttpRequest) -> list[tuple[str, str]]:
    return parse_qsl(request.raw_query, keep_blank_values=True) if request.raw_query else []


def v1_event(
    request: HttpRequest,
    route: Route,
    params: dict[str, str],
    caller: Caller,
    authorizer: dict | None = None,
    iam: dict | None = None,
) -> dict[str, Any]:
    """REST API proxy event (payload 1.0), also an HTTP API's with PayloadFormatVersion 1.0. An
    AWS_IAM caller (``iam``) fills ``identity``, as IAM authorization does on AWS."""
    rest = route.api.kind == "rest"
    stage = route.api.stage
    headers, multi_headers = {}, {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query, multi_query = {}, {}
    for name, value in _query(request):
        query[name] = value
        multi_query.setdefault(name, []).append(value)

    def binary(content_type: str) -> bool:  # a REST API sends only its BinaryMediaTypes as base64
        return matches_media_type(content_type, route.api.binary_media_types)

    body, encoded = _body(request, binary if rest else _binary)
    identifier = api_id(route.api.logical_id)
    context: dict[str, Any] = {
        "accountId": caller.account_id,
        "apiId": identifier,
        "domainName": f"{identifier}.execute-api.{caller.region}.amazonaws.com",
        "domainPrefix": identifier,
        "extendedRequestId": caller.request_id,
        "httpMethod": request.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": request.source_ip,
            "user": None,
            "userAgent": request.header("user-agent"),
            "userArn": None,
        },
        "path": f"/{stage}{request.raw_path}" if rest else request.raw_path,
        "protocol": request.protocol,
        "requestId": caller.request_id,
        "requestTime": caller.request_time,
        "requestTimeEpoch": caller.epoch_ms,
        "resourceId": api_id(route.route_key),
        "resourcePath": route.path,
        "stage": stage,
    }
    if iam is not None:
        context["identity"].update(
            accessKey=iam["accessKey"],
            accountId=iam["accountId"],
            caller=iam["callerId"],
            user=iam["userId"],
            userArn=iam["userArn"],
        )
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {} if rest else {"version": "1.0"}
    event.update(
        {
            "resource": route.path,
            "path": request.raw_path,
            "httpMethod": request.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": encoded,
        }
    )
    return event


def v2_event(
    request: HttpRequest,
    route_key: str,
    params: dict[str, str],
    caller: Caller,
    *,
    api_key: str,
    stage: str,
    domain: str,
    authorizer: dict | None = None,
    account_id: str | None = None,
) -> dict[str, Any]:
    """HTTP API payload 2.0, which function URLs use too."""
    headers = dict(request.by_name)
    cookies: list[str] = []
    if headers.pop("cookie", None) is not None:  # each Cookie header's pairs, in order
        cookies = [c.strip() for n, v in request.headers if n.lower() == "cookie" for c in v.split(";") if c.strip()]
    query: dict[str, str] = {}
    for name, value in _query(request):
        query[name] = f"{query[name]},{value}" if name in query else value
    body, encoded = _body(request, _binary)
    context: dict[str, Any] = {
        "accountId": account_id or caller.account_id,
        "apiId": api_key,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": caller.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": caller.request_time,
        "timeEpoch": caller.epoch_ms,
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    if params:
        event["pathParameters"] = params
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


def _binary(content_type: str) -> bool:
    """Whether an HTTP API sends a body of this type as base64: any type but text's."""
    return bool(content_type) and not matches_media_type(content_type, _TEXT_TYPES)
