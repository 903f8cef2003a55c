"""POST /items stores the JSON body as an item; GET /items/{id} reads it back."""

import json
import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])  # created once per environment


def handler(event, context):
    if event["requestContext"]["http"]["method"] == "POST":
        item = {**json.loads(event.get("body") or "{}"), "id": str(uuid.uuid4())}
        table.put_item(Item=item)
        return respond(201, item)
    found = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    return respond(200, found) if found else respond(404, {"message": "no such item"})


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
