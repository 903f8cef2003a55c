"""Each message is an order (JSON); one that cannot be read is reported as a failure, and SQS
delivers it again, while the rest of the batch is done."""

import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            print(f"order {order['id']}: {order['quantity']} x {order['item']}")
        except (ValueError, KeyError):
            print(f"cannot read message {record['messageId']}")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
