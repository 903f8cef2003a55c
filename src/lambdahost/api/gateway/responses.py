"""From a function's result to an HTTP response, by API Gateway's and function URLs' rules
(API Gateway's and function URLs' developer guides), and the answers they give when something fails."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ... import fastjson
from .payloads import matches_media_type

_V1_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class HttpStream:
    """A response whose body is written as it comes (a RESPONSE_STREAM function URL), chunked."""

    status: int
    headers: list[tuple[str, str]]
    parts: AsyncIterator[bytes]


class Malformed(Exception):
    """The function's result is not a response this integration accepts."""


def json_error(status: int, message: str, key: str = "message") -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps({key: message}).encode())


# What API Gateway and function URLs answer when they cannot give the function's response.
REST_FAILED = json_error(502, "Internal server error")
REST_INVOKE_FAILED = json_error(500, "Internal server error")
REST_TIMEOUT = json_error(504, "Endpoint request timed out")
REST_NO_ROUTE = json_error(403, "Missing Authentication Token")
HTTP_FAILED = json_error(500, "Internal Server Error")
HTTP_TIMEOUT = json_error(503, "Service Unavailable")
HTTP_NO_ROUTE = json_error(404, "Not Found")
# A request whose event is past Lambda's 6 MB: refused before the function is invoked.
TOO_LARGE = json_error(413, "Request Entity Too Large")
URL_FAILED = HttpResponse(502, [("content-type", "text/plain; charset=utf-8")], b"Internal Server Error")
URL_NOT_FOUND = HttpResponse(
    403, [("content-type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")], b'{"Message":null}'
)
# AWS documents this answer for a caller without lambda:InvokeFunctionUrl; that it is also the
# answer to an unsigned or badly signed request is UNCONFIRMED.
URL_FORBIDDEN = HttpResponse(
    403,
    [("content-type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")],
    b'{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: '
    b'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}',
)
UNAUTHORIZED = json_error(401, "Unauthorized")
REST_DENIED = json_error(403, "User is not authorized to access this resource")
HTTP_DENIED = json_error(403, "Forbidden")


def _parse(payload: bytes) -> Any:
    try:
        return fastjson.loads(payload)
    except ValueError:
        raise Malformed("the function's result is not JSON") from None


def _status(value: Any) -> int:
    if isinstance(value, bool):
        raise Malformed("statusCode must be a number")
    try:
        status = int(value)
    except (TypeError, ValueError):
        raise Malformed(f"statusCode {value!r} is not a number") from None
    if not 100 <= status <= 599:
        raise Malformed(f"statusCode {status} is not an HTTP status")
    return status


# What HTTP/1.1 lets a header name and value hold. A function's header that breaks these (a line
# break, a character beyond Latin-1) makes the response malformed: that API Gateway answers such a
# response as it answers other malformed ones is UNCONFIRMED, but it cannot pass one on as sent.
_NOT_TOKEN = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_NOT_FIELD_TEXT = re.compile(r"[^\t\x20-\x7e\x80-\xff]")


def _sendable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for name, value in headers:
        if not name or _NOT_TOKEN.search(name) or _NOT_FIELD_TEXT.search(value):
            raise Malformed(f"the header {name!r}: {value!r} cannot be sent over HTTP")
    return headers


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def v1_response(
    payload: bytes, *, rest: bool, binary_media_types: tuple[str, ...] = (), accept: str | None = None
) -> HttpResponse:
    """Payload 1.0: REST proxy integrations, and HTTP APIs that ask for 1.0."""
    result = _parse(payload)
    if not isinstance(result, dict) or (rest and set(result) - _V1_KEYS):
        raise Malformed(
            "a proxy response is an object of statusCode, headers, multiValueHeaders, body, isBase64Encoded"
        )
    if not rest and "statusCode" not in result:
        raise Malformed("an HTTP API payload 1.0 response needs a statusCode")
    status = _status(result.get("statusCode", 200))
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(multi, dict) or not all(isinstance(v, list) for v in multi.values()):
        raise Malformed("multiValueHeaders must map names to lists")
    single = result.get("headers") or {}
    if not isinstance(single, dict):
        raise Malformed("headers must be an object")
    lower_multi = {k.lower(): k for k in multi}
    for name, values in multi.items():
        values = [_header_value(v) for v in values]
        extra = single.get(name, single.get(next((k for k in single if k.lower() == name.lower()), ""), None))
        if extra is not None and _header_value(extra) not in values:
            values.append(_header_value(extra))
        if name.lower() == "set-cookie":  # cookies cannot share one header line
            headers += [(name, value) for value in values]
        else:
            headers.append((name, ", ".join(values)))
    headers += [(k, _header_value(v)) for k, v in single.items() if k.lower() not in lower_multi and v is not None]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise Malformed("body must be a string")
    data = (body or "").encode()
    if result.get("isBase64Encoded"):
        first_accept = (accept or "").split(",")[0].split(";")[0].strip().lower()
        if not rest or matches_media_type(first_accept, binary_media_types):
            data = _b64decode(body or "")
    return HttpResponse(status, _sendable(headers), data)


def v2_response(payload: bytes) -> HttpResponse:
    """Payload 2.0 (HTTP APIs and function URLs): a structured response, or any JSON value as a 200."""
    result = _parse(payload)
    if not isinstance(result, dict) or "statusCode" not in result:
        body = result if isinstance(result, str) else json.dumps(result, separators=(",", ":"))
        return HttpResponse(200, [("content-type", "application/json")], body.encode())
    status = _status(result["statusCode"])
    headers = [(k, _header_value(v)) for k, v in (result.get("headers") or {}).items() if v is not None]
    headers += [("set-cookie", str(cookie)) for cookie in result.get("cookies") or ()]
    _sendable(headers)
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("content-type", "application/json"))
    body = result.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = _b64decode(body) if result.get("isBase64Encoded") else body.encode()
    else:
        data = json.dumps(body, separators=(",", ":")).encode()
    return HttpResponse(status, headers, data)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("isBase64Encoded is true but the body is not base64") from None


# awslambda.HttpResponseStream.from's content type: a JSON prelude, eight zero bytes, the body.
PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"


def streamed_response(payload: bytes, content_type: str | None) -> HttpResponse:
    """A RESPONSE_STREAM function URL's answer, whole: the prelude's status, headers and cookies,
    then the body; without a prelude, the body as the function streamed it, with its content type."""
    if content_type != PRELUDE_CONTENT_TYPE:
        return HttpResponse(200, [("content-type", content_type or "application/octet-stream")], payload)
    prelude, delimiter, body = payload.partition(PRELUDE_END)
    if not delimiter:
        raise Malformed("the response stream's prelude has no end (eight zero bytes)")
    status, headers = prelude_response(prelude)
    return HttpResponse(status, headers, body)


PRELUDE_END = b"\0" * 8


def prelude_response(prelude: bytes) -> tuple[int, list[tuple[str, str]]]:
    """The status and headers a streamed response's prelude gives (HttpResponseStream.from)."""
    try:
        metadata = json.loads(prelude or b"{}")
    except ValueError:
        raise Malformed("the response stream's prelude is not JSON") from None
    if not isinstance(metadata, dict):
        raise Malformed("the response stream's prelude is not a JSON object")
    headers = [(k, _header_value(v)) for k, v in (metadata.get("headers") or {}).items() if v is not None]
    headers += [("set-cookie", str(cookie)) for cookie in metadata.get("cookies") or ()]
    _sendable(headers)
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("content-type", "application/octet-stream"))
    return _status(metadata.get("statusCode", 200)), headers
