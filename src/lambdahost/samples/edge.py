"""Amazon CloudFront: Lambda@Edge's viewer and origin, request and response events, one sample per
kind of function people write (redirects, A/B tests, responses generated at the edge...)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from .common import Catalogue, Sample, b64, no_extras

DOMAIN = "d111111abcdef8.cloudfront.net"
ORIGIN = "example.org"

Headers = Callable[..., dict[str, str]]  # a sample's own options -> the request headers they make


def edge_headers(headers: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """Headers as Lambda@Edge carries them: by lower-cased name, each a list of key/value pairs."""
    return {name.lower(): [{"key": name, "value": value}] for name, value in headers.items()}


def lambda_at_edge(event_type: str, headers: Headers = no_extras) -> Callable[..., dict]:
    """An event of ``event_type`` (``viewer-request``, ``origin-request``, ``origin-response``,
    ``viewer-response``). Origin requests name the origin and its Host; responses carry the request
    they answer and the origin's (or cache's) response."""

    def build(method: str, uri: str, querystring: str, distribution_id: str, **options: str) -> dict:
        origin = event_type == "origin-request"
        request: dict[str, Any] = {
            "clientIp": "203.0.113.178",
            "headers": edge_headers(
                {"Host": ORIGIN if origin else DOMAIN, "User-Agent": "Amazon CloudFront", **headers(**options)}
            ),
            "method": method.upper(),
            "querystring": querystring,
            "uri": uri,
        }
        if origin:
            request["origin"] = {
                "custom": {
                    "customHeaders": {},
                    "domainName": ORIGIN,
                    "keepaliveTimeout": 5,
                    "path": "",
                    "port": 443,
                    "protocol": "https",
                    "readTimeout": 30,
                    "sslProtocols": ["TLSv1.2"],
                }
            }
        cf: dict[str, Any] = {
            "config": {
                "distributionDomainName": DOMAIN,
                "distributionId": distribution_id,
                "eventType": event_type,
                "requestId": b64(uuid.uuid4().bytes + uuid.uuid4().bytes),
            },
            "request": request,
        }
        if event_type.endswith("-response"):
            cf["response"] = {
                "status": "200",
                "statusDescription": "OK",
                "headers": edge_headers(
                    {
                        "Content-Type": "text/html",
                        "Last-Modified": "Thu, 01 Jan 2026 12:00:00 GMT",
                        "X-Cache": "Miss from cloudfront" if event_type == "origin-response" else "Hit from cloudfront",
                    }
                ),
            }
        return {"Records": [{"cf": cf}]}

    return build


def _device_headers(device: str) -> dict[str, str]:
    """The device headers CloudFront adds for origin requests: ``device`` is desktop, mobile, smarttv or tablet."""
    return {
        f"CloudFront-Is-{kind}-Viewer": str(kind.lower() == device.lower()).lower()
        for kind in ("Desktop", "Mobile", "SmartTV", "Tablet")
    }


def _sample(
    event_type: str,
    purpose: str,
    headers: Headers = no_extras,
    uri: str = "/test",
    querystring: str = "",
    **extra: str,
) -> Sample:
    """A sample with the options every event has, and ``extra`` ones (the arguments of ``headers``)."""
    options = {"method": "GET", "uri": uri, "querystring": querystring, "distribution-id": "EDFDVBD6EXAMPLE"}
    options |= {name.replace("_", "-"): default for name, default in extra.items()}
    return Sample(lambda_at_edge(event_type, headers), options, f"Lambda@Edge {event_type}: {purpose}")


SAMPLES: Catalogue = {
    "cloudfront": {
        "ab-test": _sample(
            "viewer-request", "an A/B test by cookie", lambda cookie: {"Cookie": cookie}, cookie="X-Experiment-Name=B"
        ),
        "access-request-in-response": _sample(
            "viewer-response",
            "a response that reads its request",
            lambda user_name: {"User-Name": user_name},
            user_name="CloudFront",
        ),
        "http-redirect": _sample("viewer-request", "a redirect"),
        "modify-querystring": _sample("viewer-request", "a query string to rewrite", querystring="auth=test&foo=bar"),
        "modify-response-header": _sample("origin-response", "response headers to change"),
        "multiple-remote-calls-aggregate-response": _sample(
            "origin-request", "a response aggregated from remote calls", uri="/forecast/Seattle:NewYork:Chicago"
        ),
        "normalize-querystring-to-improve-cache-hit": _sample(
            "viewer-request", "a query string to normalise", querystring="size=LARGE&color=RED"
        ),
        "redirect-on-viewer-country": _sample(
            "origin-request",
            "a redirect by the viewer's country",
            lambda country: {"CloudFront-Viewer-Country": country},
            country="TW",
        ),
        "redirect-unauthenticated-users": _sample(
            "viewer-request", "a redirect of users without credentials", querystring="foo=bar"
        ),
        "response-generation": _sample("viewer-request", "a response generated at the edge"),
        "serve-object-on-viewer-device": _sample(
            "origin-request", "an object chosen by the viewer's device", _device_headers, device="desktop"
        ),
        "simple-remote-call": _sample("viewer-request", "a call to a remote service"),
    }
}
