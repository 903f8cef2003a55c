"""AWS AppSync: a GraphQL field resolved by a function (a direct Lambda resolver)."""

from __future__ import annotations

import time
import uuid

from .common import REGION, Catalogue, Sample, json_option


def appsync_resolver(parent_type: str, field: str, arguments: str, selection: str, user_name: str, region: str) -> dict:
    """The resolver's request for ``field`` of ``parent_type``, by a user of a Cognito user pool."""
    sub = str(uuid.uuid4())
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{region}_EXAMPLE"
    now = int(time.time())
    fields = [name.strip() for name in selection.split(",") if name.strip()]
    return {
        "arguments": json_option(arguments, "arguments"),
        "identity": {
            "sub": sub,
            "issuer": issuer,
            "username": user_name,
            "claims": {
                "sub": sub,
                "iss": issuer,
                "cognito:username": user_name,
                "aud": "1example23456789",
                "token_use": "id",
                "auth_time": now,
                "iat": now,
                "exp": now + 3600,
            },
            "sourceIp": ["203.0.113.10"],
            "defaultAuthStrategy": "ALLOW",
            "groups": None,
        },
        "source": None,
        "request": {
            "domainName": None,
            "headers": {
                "host": f"abcdefghijklmnopqrstuvwxyz.appsync-api.{region}.amazonaws.com",
                "content-type": "application/json",
                "user-agent": "Custom User Agent String",
                "x-forwarded-for": "203.0.113.10",
            },
        },
        "prev": None,
        "info": {
            "parentTypeName": parent_type,
            "fieldName": field,
            "selectionSetList": fields,
            "selectionSetGraphQL": "{\n" + "".join(f"  {name}\n" for name in fields) + "}",
            "variables": {},
        },
        "stash": {},
    }


SAMPLES: Catalogue = {
    "appsync": {
        "resolver": Sample(
            appsync_resolver,
            {
                "parent-type": "Query",
                "field": "getPost",
                "arguments": '{"id": "1"}',
                "selection": "id,title,content",
                "user-name": "jdoe",
                "region": REGION,
            },
            "direct Lambda resolver request",
            "AppSyncResolverEventModel",
        )
    }
}
