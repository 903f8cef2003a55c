"""The projects ``lambdahost init`` creates, like ``sam init``'s quick starts: each a SAM template,
its code, sample events, a README and tests that run it with lambdahost's pytest plugin. In their
files ``__NAME__`` is the project's name, ``__ID__`` its function's logical id and ``__RUNTIME__``
its runtime. Python's are here, Node.js's in ``nodejs/``; the hello quick start's code is also
what the console gives a new function, as the Lambda console does."""

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
NODE_QUICKSTARTS = ("hello", "api-dynamodb", "sqs", "s3", "schedule")  # those with a Node.js version


def files(quickstart: str, runtime: str = "python") -> dict[str, str]:
    """The quick start's files for ``runtime``'s language: their paths in the project, and their
    texts with the placeholders. A Node.js version holds what differs from the Python one."""
    from importlib import resources  # (only init and the console need it)

    root = resources.files(__name__)
    found = _read(root / quickstart)
    if runtime.startswith("nodejs"):  # the Python version's events and tests, its code in JavaScript
        found = {path: text for path, text in found.items() if path.startswith("tests/") or not path.endswith(".py")}
        found |= _read(root / "nodejs" / quickstart)
        if "README.md" in found:
            found["README.md"] = found["README.md"].replace("`src/app.py`", "`src/app.mjs`")
    return found


def _read(root) -> dict[str, str]:
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


def first_function(runtime: str) -> tuple[str, str, str]:
    """What the Lambda console gives a new function of ``runtime``: its file, that file's code and
    its handler (lambda_function.py for Python, index.mjs for Node.js)."""
    if runtime.startswith("nodejs"):
        return "index.mjs", files("hello", runtime)["index.mjs"], "index.handler"
    return "lambda_function.py", files("hello", runtime)["lambda_function.py"], "lambda_function.lambda_handler"
