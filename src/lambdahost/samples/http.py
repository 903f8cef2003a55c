"""HTTP requests to a function: API Gateway (REST and HTTP APIs, and their authorizers), function
URLs and Application Load Balancers. API Gateway and function URL samples are built by the same
code that serves them locally, so a sample and a served request cannot drift apart."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from .common import ACCOUNT, REGION, Catalogue, Sample, arn, now_ms

if TYPE_CHECKING:
    from ..api.gateway.payloads import Caller, HttpRequest
    from ..template.project import ApiDefinition

# The gateway is imported when a sample is built, so that listing the catalogue (generate-event's
# help, the console) does not load the gateway's web app.


def _gateway_request(method: str, path: str, body: str, query: str = "", headers: dict | None = None) -> HttpRequest:
    from ..api.gateway.payloads import HttpRequest

    merged = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Host": "example.com",
        "User-Agent": "Custom User Agent String",
        **(headers or {}),
    }
    return HttpRequest(method.upper(), path, query, list(merged.items()), body.encode(), "127.0.0.1")


def _caller(region: str) -> Caller:
    from ..api.gateway.payloads import Caller

    return Caller(str(uuid.uuid4()), ACCOUNT, region, now_ms())


def _api(kind: str, stage: str) -> ApiDefinition:
    from ..template.project import ApiDefinition

    return ApiDefinition("SampleApi", kind, stage)


def _method_arn(region: str, stage: str, method: str, path: str) -> str:
    return arn("execute-api", region, f"abcdef1234/{stage}/{method.upper()}{path}")


def apigateway_proxy(method: str, path: str, resource: str, body: str, stage: str, region: str) -> dict:
    from ..api.gateway.payloads import v1_event
    from ..api.gateway.routes import Route

    route = Route(_api("rest", stage), method.upper(), resource, "function", "1.0")
    params = route.match(method.upper(), path) or {}
    return v1_event(_gateway_request(method, path, body, "foo=bar"), route, params, _caller(region))


def apigateway_http(method: str, path: str, body: str, region: str) -> dict:
    from ..api.gateway.payloads import api_id, v2_event

    request = _gateway_request(method, path, body, "parameter1=value1&parameter1=value2")
    identifier = api_id("SampleApi")
    return v2_event(
        request,
        f"{method.upper()} {path}",
        {},
        _caller(region),
        api_key=identifier,
        stage="$default",
        domain=f"{identifier}.execute-api.{region}.amazonaws.com",
    )


def apigateway_token_authorizer(token: str, method: str, path: str, region: str) -> dict:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": _method_arn(region, "prod", method, path)}


def apigateway_request_authorizer(token: str, method: str, path: str, region: str) -> dict:
    event = apigateway_proxy(method, path, "/{proxy+}", "", "prod", region)
    event["headers"]["Authorization"] = token
    event["multiValueHeaders"]["Authorization"] = [token]
    return {"type": "REQUEST", "methodArn": _method_arn(region, "prod", method, path), **event}


def apigateway_request_authorizer_v2(token: str, method: str, path: str, region: str) -> dict:
    event = apigateway_http(method, path, "", region)
    event["headers"]["authorization"] = token
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": _method_arn(region, "$default", method, path),
        "identitySource": [token],
        **{k: v for k, v in event.items() if k != "version"},
    }


def lambda_url(method: str, path: str, body: str, region: str) -> dict:
    from ..api.gateway.payloads import api_id, v2_event

    url_id = api_id("url:function")
    return v2_event(
        _gateway_request(method, path, body),
        "$default",
        {},
        _caller(region),
        api_key=url_id,
        stage="$default",
        domain=f"{url_id}.lambda-url.{region}.on.aws",
        account_id="anonymous",
    )


def alb_request(method: str, path: str, body: str, region: str) -> dict:
    return {
        "requestContext": {
            "elb": {"targetGroupArn": arn("elasticloadbalancing", region, "targetgroup/lambda-target/abcdef1234567890")}
        },
        "httpMethod": method.upper(),
        "path": path,
        "queryStringParameters": {"query": "1234ABCD"},
        "headers": {
            "accept": "text/html",
            "host": f"lambda-alb-123578498.{region}.elb.amazonaws.com",
            "user-agent": "Mozilla/5.0",
            "x-forwarded-for": "72.12.164.125",
            "x-forwarded-port": "80",
            "x-forwarded-proto": "http",
        },
        "body": body,
        "isBase64Encoded": False,
    }


_HTTP = {"method": "GET", "path": "/examples", "body": "", "region": REGION}
_AUTHORIZER = {"token": "allow", "method": "GET", "path": "/examples", "region": REGION}

SAMPLES: Catalogue = {
    "apigateway": {
        "aws-proxy": Sample(
            apigateway_proxy,
            {**_HTTP, "resource": "/{proxy+}", "stage": "prod"},
            "REST API proxy event (payload 1.0)",
            "APIGatewayProxyEventModel",
        ),
        "http-api-proxy": Sample(
            apigateway_http, dict(_HTTP), "HTTP API event (payload 2.0)", "APIGatewayProxyEventV2Model"
        ),
        "request-authorizer": Sample(
            apigateway_request_authorizer,
            dict(_AUTHORIZER),
            "REQUEST authorizer event (REST API)",
            "APIGatewayProxyEventModel",
        ),
        "request-authorizer-v2": Sample(
            apigateway_request_authorizer_v2,
            dict(_AUTHORIZER),
            "REQUEST authorizer event (HTTP API, payload 2.0)",
            "APIGatewayProxyEventV2Model",
        ),
        "authorizer": Sample(apigateway_token_authorizer, dict(_AUTHORIZER), "TOKEN authorizer event"),
    },
    "lambda-url": {"request": Sample(lambda_url, dict(_HTTP), "function URL event", "LambdaFunctionUrlModel")},
    "alb": {"request": Sample(alb_request, dict(_HTTP), "Application Load Balancer request", "AlbModel")},
}
