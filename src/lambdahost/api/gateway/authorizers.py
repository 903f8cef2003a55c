"""Authorizers. Lambda authorizers: TOKEN and REQUEST for REST APIs, simple and IAM-policy
responses for HTTP APIs, with results cached by their identity sources for ``ReauthorizeEvery``
seconds. JWT (HTTP API) and Cognito user pool (REST API) authorizers: claims as ``tokens`` reads
them, signatures as ``signing_keys`` checks them. AWS_IAM:
a SigV4-signed request, verified when the host serves with --credentials."""

from __future__ import annotations

import fnmatch
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from ...errors import LambdaError
from ...model.names import parse_function_name
from .. import sigv4
from . import responses, tokens
from .payloads import Caller, HttpRequest, api_id, v1_event, v2_event
from .routes import Route
from .signing_keys import SigningKeys

CACHE_SIZE = 10_000  # Lambda authorizer verdicts kept at once


@dataclass
class Decision:
    allowed: bool
    status_response: responses.HttpResponse | None = None  # the answer when not allowed
    context: dict | None = None  # what requestContext.authorizer carries when allowed
    iam: dict | None = None  # an AWS_IAM caller (see ``iam_caller``)


def iam_caller(request: HttpRequest, verifier: sigv4.SignatureVerifier | None, account_id: str) -> dict | None:
    """The caller of an AWS_IAM route or function URL; None if the request is not SigV4-signed.
    With --credentials the signature must verify (else the verifier's LambdaError); without them
    any signer passes, as nothing here knows a secret. Locally the caller is its access key
    (UNCONFIRMED shapes: AWS gives the IAM user's or role's unique id and ARN)."""
    key = sigv4.access_key(request.header("authorization") or "")
    if key is None:
        return None
    if verifier is not None:
        headers = {name.lower(): value for name, value in request.headers}
        verifier.verify(request.method, request.raw_path, request.raw_query, headers, request.body)
    return {
        "accessKey": key,
        "accountId": account_id,
        "callerId": key,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": f"arn:aws:iam::{account_id}:user/{key}",
        "userId": key,
    }


class Authorizers:
    def __init__(
        self, host, verifier: sigv4.SignatureVerifier | None = None, signing_keys: SigningKeys | None = None
    ) -> None:
        """``signing_keys`` None: JWTs are accepted without a look at their signatures."""
        self.host = host
        self._verifier = verifier
        self._signing_keys = signing_keys
        self._cache: dict[tuple, tuple[float, dict | None]] = {}

    async def decide(self, route: Route, request: HttpRequest, params: dict[str, str], caller: Caller) -> Decision:
        if route.authorizer == "AWS_IAM":
            return self._iam(route, request, caller)
        config = (route.api.auth.get("Authorizers") or {}).get(route.authorizer)
        if config is None:
            return Decision(True)
        if "JwtConfiguration" in config or "UserPoolArn" in config:
            return await self._token(route, request, config)
        rest = route.api.kind == "rest"
        token_type = rest and config.get("FunctionPayloadType", "TOKEN") == "TOKEN"
        identity = config.get("Identity") or {}
        sources = self._identity(request, identity, token_type)
        if sources is None:
            return Decision(False, responses.UNAUTHORIZED)
        method_arn = self._arn(route, request, caller)
        ttl = float(identity.get("ReauthorizeEvery", 300 if rest else 0))
        key = (route.api.logical_id, route.authorizer, *sources)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            result = cached[1]
        else:
            event = self._event(route, request, params, caller, method_arn, sources, token_type, config)
            result = await self._invoke(config, event)
            if ttl > 0:
                self._remember(key, time.monotonic() + ttl, result)
        if result is None:  # the authorizer failed, or said "Unauthorized"
            return Decision(False, responses.UNAUTHORIZED)
        return self._evaluate(route, result, method_arn, config)

    def _remember(self, key: tuple, expires: float, result: dict | None) -> None:
        """Cache a verdict. Past CACHE_SIZE entries (callers with tokens of their own each), the
        expired ones go, then the oldest: the cache never grows with the number of callers."""
        if len(self._cache) >= CACHE_SIZE:
            now = time.monotonic()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            while len(self._cache) >= CACHE_SIZE:
                del self._cache[next(iter(self._cache))]
        self._cache[key] = (expires, result)

    def _iam(self, route: Route, request: HttpRequest, caller: Caller) -> Decision:
        """AWS_IAM: REST answers as it does for an unknown route, or with the signature's
        error; HTTP APIs say Forbidden (their body for a bad signature is UNCONFIRMED)."""
        rest = route.api.kind == "rest"
        try:
            iam = iam_caller(request, self._verifier, caller.account_id)
        except LambdaError as exc:
            return Decision(False, responses.json_error(403, exc.message) if rest else responses.HTTP_DENIED)
        if iam is None:
            return Decision(False, responses.REST_NO_ROUTE if rest else responses.HTTP_DENIED)
        return Decision(True, iam=iam)

    def url_caller(self, request: HttpRequest, caller: Caller) -> dict | None:
        """An AWS_IAM function URL's ``requestContext.authorizer``; None to refuse the request
        (function URLs give one answer whatever the reason)."""
        try:
            iam = iam_caller(request, self._verifier, caller.account_id)
        except LambdaError:
            return None
        return {"iam": iam} if iam else None

    async def _token(self, route: Route, request: HttpRequest, config: dict) -> Decision:
        """A JWT authorizer's or a Cognito user pool authorizer's verdict on the request's token."""
        jwt = "JwtConfiguration" in config
        source = str(config.get("IdentitySource", "$request.header.Authorization"))
        if jwt and source.startswith("$request.querystring."):
            token = dict(_pairs(request.raw_query)).get(source.removeprefix("$request.querystring."))
        elif jwt:
            token = request.header(source.removeprefix("$request.header."))
        else:
            token = request.header((config.get("Identity") or {}).get("Header", "Authorization"))
        try:
            if not token:
                raise tokens.Rejected("no token")
            claims = tokens.claims_of(token)
            if self._signing_keys is not None:
                await self._signature(token, config)
            if jwt:
                scopes = tokens.check_jwt(claims, config["JwtConfiguration"] or {}, route.scopes)
                return Decision(True, context={"jwt": {"claims": tokens.as_strings(claims), "scopes": scopes or None}})
            if route.scopes and not set(route.scopes) & set(tokens.scopes_of(claims)):
                raise tokens.Rejected("the token has none of the route's scopes")  # REST answers 401 (UNCONFIRMED)
            return Decision(True, context={"claims": tokens.as_strings(claims)})
        except tokens.Rejected as exc:
            return Decision(False, responses.HTTP_DENIED if exc.forbidden else responses.UNAUTHORIZED)

    async def _signature(self, token: str, config: dict) -> None:
        if "JwtConfiguration" in config:
            await self._signing_keys.verify_for_issuer(token, (config["JwtConfiguration"] or {}).get("issuer") or "")
        else:
            pools = config["UserPoolArn"]
            await self._signing_keys.verify_for_user_pool(token, pools[0] if isinstance(pools, list) else pools)

    def _identity(self, request: HttpRequest, identity: dict, token_type: bool) -> tuple | None:
        """The identity source values; None when one is missing (401 without calling the function)."""
        if token_type:
            token = request.header(identity.get("Header", "Authorization"))
            expression = identity.get("ValidationExpression")
            if not token or (expression and not re.fullmatch(expression, token)):
                return None
            return (token,)
        query = dict(_pairs(request.raw_query))
        values = [request.header(h) for h in identity.get("Headers") or []]
        values += [query.get(q) for q in identity.get("QueryStrings") or []]
        if any(v is None for v in values):
            return None
        return tuple(values)

    def _arn(self, route: Route, request: HttpRequest, caller: Caller) -> str:
        path = request.raw_path.lstrip("/")
        return (
            f"arn:aws:execute-api:{caller.region}:{caller.account_id}:{api_id(route.api.logical_id)}/"
            f"{route.api.stage}/{request.method}/{path}"
        )

    def _event(self, route, request, params, caller, method_arn, sources, token_type, config) -> dict:
        if token_type:
            return {"type": "TOKEN", "authorizationToken": sources[0], "methodArn": method_arn}
        if route.api.kind == "rest" or str(config.get("AuthorizerPayloadFormatVersion", "2.0")) == "1.0":
            event = v1_event(request, route, params, caller)
            return {"type": "REQUEST", "methodArn": method_arn, **event}
        event = v2_event(
            request,
            route.route_key,
            params,
            caller,
            api_key=api_id(route.api.logical_id),
            stage=route.api.stage,
            domain=f"{api_id(route.api.logical_id)}.execute-api.{caller.region}.amazonaws.com",
        )
        return {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": method_arn,
            "identitySource": list(sources),
            **{k: v for k, v in event.items() if k != "version"},
        }

    async def _invoke(self, config: dict, event: dict) -> dict | None:
        name, qualifier = parse_function_name(str(config.get("FunctionArn", "")))
        try:
            result = await self.host.invoke(name, json.dumps(event).encode(), qualifier=qualifier)
        except Exception:
            return None
        if result.function_error:
            return None
        try:
            return json.loads(result.payload)
        except ValueError:
            return None

    def _evaluate(self, route: Route, result: Any, method_arn: str, config: dict) -> Decision:
        rest = route.api.kind == "rest"
        denied = responses.REST_DENIED if rest else responses.HTTP_DENIED
        if not rest and config.get("EnableSimpleResponses"):
            if not isinstance(result, dict) or result.get("isAuthorized") is not True:
                return Decision(False, denied)
            return Decision(True, context={"lambda": result.get("context") or {}})
        if not isinstance(result, dict) or not _allows(result.get("policyDocument"), method_arn):
            return Decision(False, denied)
        context = {str(k): v for k, v in (result.get("context") or {}).items()}
        if rest:
            return Decision(True, context={"principalId": result.get("principalId"), **context})
        return Decision(True, context={"lambda": context})


def _allows(policy: Any, method_arn: str) -> bool:
    """IAM evaluation for execute-api:Invoke: an explicit Deny wins, else some Allow must match."""
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action") or []
        actions = actions if isinstance(actions, list) else [actions]
        resources = statement.get("Resource") or []
        resources = resources if isinstance(resources, list) else [resources]
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions):
            continue
        if any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _pairs(query: str):
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)
