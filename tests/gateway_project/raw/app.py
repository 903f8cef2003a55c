import base64
import json
import os
import time

RESPONSES = {
    "plain": {"statusCode": 200, "body": "plain text", "headers": {"content-type": "text/plain"}},
    "string-status": {"statusCode": "201", "body": "created"},
    "bad-status": {"statusCode": "test", "body": "x"},
    "extra-key": {"statusCode": 200, "body": "x", "wrongValue": 1},
    "bare-string": "justAString",
    "no-status": {"headers": {"x-a": "1"}, "body": "no status"},
    "merge": {
        "statusCode": 200,
        "body": "",
        "headers": {"test-multi": "value-solo", "solo": True},
        "multiValueHeaders": {"test-multi": ["value-multi"]},
    },
    "binary": {
        "statusCode": 200,
        "body": base64.b64encode(b"\x00\x01binary").decode(),
        "isBase64Encoded": True,
        "headers": {"content-type": "application/octet-stream"},
    },
    "object": {"hello": "world"},
    "list": ["hello", 3, True],
    "number": 3,
    "big-number": {"id": 2**64, "ratio": 0.1},  # past 64 bits: kept exact, never read as a float
    "text": "hello",
    "v2-cookies": {"statusCode": 200, "body": "ok", "cookies": ["a=1; Path=/", "b=2"]},
}


def handler(event, context):
    mode = (event.get("queryStringParameters") or {}).get("mode", "echo")
    if mode == "echo":
        return {"statusCode": 200, "body": json.dumps(event)}
    if mode == "trace":
        headers = {name.lower(): value for name, value in event["headers"].items()}
        trace = {"header": headers.get("x-amzn-trace-id"), "env": os.environ.get("_X_AMZN_TRACE_ID")}
        return {"statusCode": 200, "body": json.dumps(trace)}
    if mode == "raise":
        raise RuntimeError("the function failed")
    if mode == "sleep":
        time.sleep(2)
        return {"statusCode": 200, "body": "slept"}
    return RESPONSES[mode]


def authorizer(event, context):
    """A TOKEN / REQUEST (REST) and simple-response (HTTP API) authorizer in one."""
    token = (
        event.get("authorizationToken")
        or (event.get("headers") or {}).get("authorization")
        or (event.get("headers") or {}).get("Authorization")
    )
    with open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "authorizer-calls"), "a") as calls:
        calls.write(f"{token}\n")
    if token == "raise":
        raise Exception("Unauthorized")
    if event.get("version") == "2.0":
        return {"isAuthorized": token == "allow", "context": {"user": "ada"}}
    effect = "Allow" if token == "allow" else "Deny"
    return {
        "principalId": "ada",
        "context": {"user": "ada", "level": 3},
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
    }
