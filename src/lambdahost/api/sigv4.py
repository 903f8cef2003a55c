"""Optional SigV4 verification of requests to the Lambda API and to AWS_IAM routes and URLs, against
configured credentials.

The signature is recomputed with botocore's own signer over the headers the client signed, so
whatever botocore and the AWS CLI send is verified exactly as AWS would.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from urllib.parse import parse_qs

from ..errors import LambdaError
from .responses import error_response

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<headers>[^,]+),\s*Signature=(?P<signature>[0-9a-f]+)"
)
MAX_SKEW = 15 * 60  # seconds
PRESIGNED_FOR = 10 * 60  # seconds a code Location stays valid, as AWS's presigned URLs do


class UnrecognizedClientException(LambdaError):
    status = 403
    message_key = "message"


class InvalidSignatureException(LambdaError):
    status = 403


class MissingAuthenticationTokenException(LambdaError):
    status = 403


def access_key(authorization: str) -> str | None:
    """The access key id of a SigV4 ``Authorization`` header; None if the header is not one."""
    match = _AUTHORIZATION.fullmatch(authorization.strip())
    return match["key"] if match else None


class SignatureVerifier:
    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.credentials = dict(credentials)
        self._presigning_key = secrets.token_bytes(32)  # a Location outlives no serve

    def presign(self, path: str) -> str:
        """The query that lets a GET of ``path`` through unsigned for a while, as AWS's presigned
        S3 URLs do for the code a Location points at."""
        expires = int(time.time()) + PRESIGNED_FOR
        return f"Expires={expires}&Signature={self._presigned_signature(path, expires)}"

    def _presigned_signature(self, path: str, expires: int) -> str:
        return hmac.new(self._presigning_key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def _presigned(self, method: str, path: str, query: str) -> bool:
        fields = parse_qs(query)
        try:
            expires = int(fields["Expires"][0])
            signature = fields["Signature"][0]
        except (KeyError, ValueError):
            return False
        valid = hmac.compare_digest(signature, self._presigned_signature(path, expires))
        return method == "GET" and valid and time.time() < expires

    def verify(self, method: str, raw_path: str, query: str, headers: Mapping[str, str], body: bytes) -> None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        match = _AUTHORIZATION.fullmatch(headers.get("authorization", "").strip())
        if match is None:
            raise MissingAuthenticationTokenException("Missing Authentication Token")
        secret = self.credentials.get(match["key"])
        if secret is None:
            raise UnrecognizedClientException("The security token included in the request is invalid.")
        amz_date = headers.get("x-amz-date", "")
        try:
            signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise InvalidSignatureException("X-Amz-Date is missing or not in the form YYYYMMDDTHHMMSSZ") from None
        if abs(time.time() - signed_at) > MAX_SKEW:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier or later than 15 minutes from the server's time."
            )
        signed = {name: headers.get(name, "") for name in match["headers"].split(";")}
        url = f"http://{headers.get('host', 'localhost')}{raw_path}" + (f"?{query}" if query else "")
        request = AWSRequest(method=method, url=url, data=body, headers=signed)
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(match["key"], secret), match["service"], match["region"])
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if expected != match["signature"]:
            raise InvalidSignatureException(
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details."
            )

    def middleware(self, app):
        """ASGI middleware: read the body, verify, then hand the request on unchanged."""
        verifier = self

        async def verify(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            chunks, more = [], True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            query = scope.get("query_string", b"").decode()
            if "Signature=" in query and verifier._presigned(scope["method"], scope["path"], query):
                return await app(scope, receive, send)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            try:
                verifier.verify(
                    scope["method"],
                    scope.get("raw_path", scope["path"].encode()).decode(),
                    query,
                    headers,
                    body,
                )
            except LambdaError as exc:
                return await error_response(exc)(scope, receive, send)
            replayed = False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            return await app(scope, replay, send)

        return verify
