"""Messages and email: SQS queues, SNS topics, email received by SES and Amazon WorkMail."""

from __future__ import annotations

import hashlib
import time
import uuid

from .common import REGION, Catalogue, Sample, arn, b64, now_iso, now_ms


def sqs_receive(queue: str, body: str, region: str) -> dict:
    now = str(now_ms())
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": b64(uuid.uuid4().bytes),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now,
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": now,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn("sqs", region, queue),
                "awsRegion": region,
            }
        ]
    }


def sns_notification(topic: str, message: str, subject: str, region: str) -> dict:
    topic_arn = arn("sns", region, topic)
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSource": "aws:sns",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": now_iso(),
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-0000000000.pem",
                    "MessageId": str(uuid.uuid4()),
                    "Message": message,
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe",
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }


def ses_receipt(sender: str, recipient: str, subject: str, function: str, region: str) -> dict:
    """An email SES received, handed to a function by a receipt rule's Lambda action."""
    now = now_iso()
    message_id = uuid.uuid4().hex
    verdict = {"status": "PASS"}
    headers = {"Return-Path": f"<{sender}>", "From": sender, "To": recipient, "Subject": subject}
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": now,
                        "source": sender,
                        "messageId": message_id,
                        "destination": [recipient],
                        "headersTruncated": False,
                        "headers": [{"name": name, "value": value} for name, value in headers.items()],
                        "commonHeaders": {
                            "returnPath": sender,
                            "from": [sender],
                            "date": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                            "to": [recipient],
                            "messageId": f"<{message_id}@{sender.rpartition('@')[2]}>",
                            "subject": subject,
                        },
                    },
                    "receipt": {
                        "timestamp": now,
                        "processingTimeMillis": 574,
                        "recipients": [recipient],
                        "spamVerdict": verdict,
                        "virusVerdict": verdict,
                        "spfVerdict": verdict,
                        "dkimVerdict": verdict,
                        "dmarcVerdict": verdict,
                        "action": {
                            "type": "Lambda",
                            "functionArn": arn("lambda", region, f"function:{function}"),
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }


def workmail_email(mail_from: str, sender: str, recipient: str, subject: str, flow_direction: str) -> dict:
    """The message summary a WorkMail email flow rule's Run Lambda action sends; the function
    fetches the message itself with the WorkMail Message Flow API, by ``messageId``."""
    return {
        "summaryVersion": "2018-10-10",
        "envelope": {"mailFrom": {"address": mail_from}, "recipients": [{"address": recipient}]},
        "sender": {"address": sender},
        "subject": subject,
        "messageId": str(uuid.uuid4()),
        "invocationId": uuid.uuid4().hex,
        "flowDirection": flow_direction.upper(),
        "truncated": False,
    }


SAMPLES: Catalogue = {
    "sqs": {
        "receive-message": Sample(
            sqs_receive,
            {"queue": "my-queue", "body": "Hello from SQS!", "region": REGION},
            "SQS batch of one message",
            "SqsModel",
        )
    },
    "sns": {
        "notification": Sample(
            sns_notification,
            {"topic": "my-topic", "message": "Hello from SNS!", "subject": "TestInvoke", "region": REGION},
            "SNS notification",
            "SnsModel",
        )
    },
    "ses": {
        "email-receiving": Sample(
            ses_receipt,
            {
                "sender": "janedoe@example.com",
                "recipient": "johndoe@example.com",
                "subject": "Test Subject",
                "function": "my-function",
                "region": REGION,
            },
            "an email received, from a receipt rule's Lambda action",
            "SesModel",
        )
    },
    "workmail": {
        "email": Sample(
            workmail_email,
            {
                "mail-from": "from@example.com",
                "sender": "sender@example.com",
                "recipient": "recipient@example.com",
                "subject": "Hello from Amazon WorkMail!",
                "flow-direction": "INBOUND",
            },
            "an email passing a WorkMail email flow rule (INBOUND or OUTBOUND)",
        )
    },
}
