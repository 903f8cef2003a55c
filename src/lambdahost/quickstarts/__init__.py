"""The projects ``lambdahost init`` creates, like ``sam init``'s quick starts: each a SAM template,
its code, sample events, a README and tests that run it with lambdahost's pytest plugin. In their
files ``__NAME__`` is the project's name, ``__ID__`` its function's logical id and ``__RUNTIME__``
its runtime."""

from __future__ import annotations

# name -> what it is, in the words the chooser shows
QUICKSTARTS = {
    "hello": "Hello world: the Lambda console's first function",
    "api-dynamodb": "An HTTP API over a DynamoDB table",
    "sqs": "An SQS consumer that reports partial batch failures",
    "s3": "An S3 processor, called for each object put in a bucket",
    "schedule": "A scheduled job (EventBridge Scheduler)",
    "powertools-api": "A REST API with Powertools for AWS Lambda (routing, logging, tracing)",
}


def files(quickstart: str) -> dict[str, str]:
    """The quick start's files: their paths in the project, and their texts with the placeholders."""
    from importlib import resources  # (only init needs it)

    root = resources.files(__name__) / quickstart
    found: dict[str, str] = {}

    def walk(folder, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.name == "__pycache__":
                continue
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            else:
                found[prefix + entry.name] = entry.read_text()

    walk(root, "")
    return found
