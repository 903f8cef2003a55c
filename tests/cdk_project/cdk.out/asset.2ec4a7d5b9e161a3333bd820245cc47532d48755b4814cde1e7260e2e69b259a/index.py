import json, os


def handler(event, context):
    records = event.get("Records")
    if records:
        print("QUEUE", json.dumps([r["body"] for r in records]))
        return {}
    return {"statusCode": 200, "body": json.dumps({"greeting": os.environ.get("GREETING"), "path": event.get("rawPath")})}
