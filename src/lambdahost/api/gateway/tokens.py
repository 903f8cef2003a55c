"""The claims of the tokens JWT authorizers (HTTP APIs) and Cognito user pool authorizers (REST
APIs) accept: the token's form, ``exp`` and ``nbf``, the JWT authorizer's issuer and audience,
the route's scopes. (Signatures: ``signing_keys``.) The claims are handed on as API Gateway does
once a token passes. Claim values reach the event as strings, numbers and lists included
(UNCONFIRMED: the rendering of lists follows the ``[a b]`` form seen in AWS's examples).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any


class Rejected(Exception):
    """The token does not pass; ``forbidden`` when it is valid but lacks the route's scopes."""

    def __init__(self, reason: str, forbidden: bool = False) -> None:
        super().__init__(reason)
        self.forbidden = forbidden


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a JWT (a ``Bearer`` prefix allowed), with its expiry checked."""
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    parts = token.split(".")
    if len(parts) != 3:
        raise Rejected("not a JWT: it needs three dot-separated parts")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        raise Rejected("the JWT's payload is not base64url-encoded JSON") from None
    if not isinstance(claims, dict):
        raise Rejected("the JWT's payload is not a JSON object")
    now = time.time()
    if isinstance(claims.get("exp"), (int, float)) and claims["exp"] <= now:
        raise Rejected("the JWT has expired")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now:
        raise Rejected("the JWT is not valid yet")
    return claims


def check_jwt(claims: dict[str, Any], configuration: dict, required_scopes: tuple[str, ...]) -> list[str]:
    """An HTTP API JWT authorizer's checks; returns the token's scopes."""
    issuer = configuration.get("issuer")
    if issuer and claims.get("iss") != issuer:
        raise Rejected(f"the JWT's issuer is not {issuer}")
    audiences = configuration.get("audience") or []
    audiences = [audiences] if isinstance(audiences, str) else audiences
    token_audiences = claims.get("aud", claims.get("client_id"))
    token_audiences = [token_audiences] if isinstance(token_audiences, str) else token_audiences or []
    if audiences and not set(audiences) & set(token_audiences):
        raise Rejected("the JWT's audience is not one the authorizer accepts")
    scopes = scopes_of(claims)
    if required_scopes and not set(required_scopes) & set(scopes):
        raise Rejected("the JWT has none of the route's scopes", forbidden=True)
    return scopes


def scopes_of(claims: dict[str, Any]) -> list[str]:
    scopes = claims.get("scope", claims.get("scp", []))
    return scopes.split() if isinstance(scopes, str) else [str(s) for s in scopes]


def as_strings(claims: dict[str, Any]) -> dict[str, str]:
    return {name: _string(value) for name, value in claims.items()}


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
