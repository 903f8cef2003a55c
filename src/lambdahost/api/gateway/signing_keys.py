"""The signing keys of token issuers, fetched where API Gateway fetches them, to check the
signatures of the JWTs that JWT and Cognito user pool authorizers accept.

A JWT authorizer's issuer publishes its keys at the ``jwks_uri`` of
``{issuer}/.well-known/openid-configuration``; a Cognito user pool at
``https://cognito-idp.{region}.amazonaws.com/{pool id}/.well-known/jwks.json``, or under
``--aws-endpoint-url`` for a local Cognito. Keys are kept once fetched; a token signed with a key
id not among them fetches them again, at most once a minute. Only RSA signatures are accepted, as
API Gateway accepts only RSA keys (UNCONFIRMED for Cognito user pool authorizers, whose pools
sign with RS256 anyway).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request

import jwt

from .tokens import Rejected

ALGORITHMS = ["RS256", "RS384", "RS512"]
_SIGNATURE_ONLY = {
    "verify_signature": True,
    **{f"verify_{claim}": False for claim in ("exp", "nbf", "iat", "aud", "iss")},
    "require": [],
}
REFETCH_AFTER = 60.0  # seconds before an unknown key id may fetch an issuer's keys again
RETRY_AFTER = 10.0  # seconds before keys that could not be fetched are tried again
log = logging.getLogger("lambdahost")


class SigningKeys:
    def __init__(self, aws_endpoint_url: str | None = None, timeout: float = 5.0) -> None:
        self._aws_endpoint_url = aws_endpoint_url
        self._timeout = timeout
        self._key_urls: dict[str, str] = {}  # issuer -> its jwks_uri
        self._key_sets: dict[str, tuple[float, dict[str, jwt.PyJWK]]] = {}  # jwks url -> (fetched, keys by id)
        self._failed: dict[str, float] = {}  # url -> when fetching it last failed

    async def verify_for_issuer(self, token: str, issuer: str) -> None:
        """Rejected unless ``token`` is signed by a key of the OpenID issuer ``issuer``."""
        if issuer not in self._key_urls:
            discovery = await self._fetch(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
            if not isinstance(discovery, dict) or not isinstance(discovery.get("jwks_uri"), str):
                raise Rejected(f"the issuer {issuer} publishes no jwks_uri")
            self._key_urls[issuer] = discovery["jwks_uri"]
        await self._verify(token, self._key_urls[issuer])

    async def verify_for_user_pool(self, token: str, user_pool_arn: str) -> None:
        """Rejected unless ``token`` is signed by a key of the Cognito user pool."""
        region, pool = user_pool_arn.split(":")[3], user_pool_arn.rpartition("/")[2]
        base = self._aws_endpoint_url or f"https://cognito-idp.{region}.amazonaws.com"
        await self._verify(token, f"{base.rstrip('/')}/{pool}/.well-known/jwks.json")

    async def _verify(self, token: str, url: str) -> None:
        token = token[7:].strip() if token[:7].lower() == "bearer " else token
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Rejected("the JWT's header cannot be read") from None
        if header.get("alg") not in ALGORITHMS:
            raise Rejected(f"the JWT is signed with {header.get('alg')!r}, not RSA")
        key = await self._key(url, header.get("kid"))
        try:
            # The signature only: the claims are checked as API Gateway checks them (``tokens``).
            jwt.decode(token, key.key, algorithms=ALGORITHMS, options=_SIGNATURE_ONLY)
        except jwt.PyJWTError:
            raise Rejected("the JWT's signature does not verify") from None

    async def _key(self, url: str, kid: str | None) -> jwt.PyJWK:
        fetched, keys = self._key_sets.get(url, (0.0, {}))
        if kid not in keys and time.monotonic() - fetched > REFETCH_AFTER:
            document, keys = await self._fetch(url), {}
            for data in document.get("keys", []) if isinstance(document, dict) else []:
                try:
                    key = jwt.PyJWK(data)
                except jwt.PyJWTError:
                    continue  # a kind of key this cannot use: the others still count
                keys[key.key_id] = key
            self._key_sets[url] = (time.monotonic(), keys)
        if kid not in keys:
            raise Rejected(f"no key {kid!r} among the signing keys at {url}")
        return keys[kid]

    async def _fetch(self, url: str):
        """JSON from ``url``; Rejected (and a warning in the log) if it cannot be had. After a
        failure, requests are refused at once for a while rather than each waiting on the fetch."""
        if not url.startswith(("https://", "http://")):
            raise Rejected(f"the signing keys' address is not http(s): {url}")
        if time.monotonic() - self._failed.get(url, -RETRY_AFTER) < RETRY_AFTER:
            raise Rejected(f"the signing keys at {url} could not be fetched a moment ago")
        try:
            return await asyncio.to_thread(self._get, url)
        except (OSError, ValueError) as exc:
            self._failed[url] = time.monotonic()
            log.warning(
                "cannot check JWT signatures: fetching %s failed (%s); serve with --ignore-jwt-signature to "
                "accept tokens unchecked",
                url,
                exc,
            )
            raise Rejected(f"the signing keys at {url} cannot be fetched") from None

    def _get(self, url: str):
        with urllib.request.urlopen(url, timeout=self._timeout) as response:  # noqa: S310 (http(s) only, above)
            return json.loads(response.read())
