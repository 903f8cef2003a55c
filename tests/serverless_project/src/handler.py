import json
import os


def hello(event, context):
    name = (event.get("pathParameters") or {}).get("name", "you")
    body = {"message": f"{os.environ['GREETING']}, {name}", "stage": os.environ["STAGE"], "table": os.environ["TABLE"]}
    return {"statusCode": 200, "body": json.dumps(body)}


def record(event, context):
    with open(os.path.join(os.environ["OUT"], "worker.jsonl"), "a") as out:
        out.write(json.dumps(event) + "\n")
