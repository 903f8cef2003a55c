"""How the Lambda API answers with an error."""

from __future__ import annotations

import uuid

from starlette.responses import JSONResponse

from ..errors import LambdaError


def error_response(exc: LambdaError) -> JSONResponse:
    """AWS's answer: the status, ``x-amzn-ErrorType`` (botocore's error code) and the body."""
    headers = {"x-amzn-ErrorType": exc.code, "x-amzn-RequestId": str(uuid.uuid4())}
    if exc.status == 429:
        headers["Retry-After"] = "1"
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
