import json
import os

import shop_helpers  # from the layer


def handler(event, context):
    records = event.get("Records")
    if records:
        print("QUEUE", json.dumps([r["body"] for r in records]))
        return {}
    body = {"greeting": os.environ.get("GREETING"), "path": event.get("rawPath"), "layer": shop_helpers.NAME}
    return {"statusCode": 200, "body": json.dumps(body)}
