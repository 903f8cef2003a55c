"""Recursive loop detection: a function that one chain of events has invoked 16 times is not
invoked a 17th time (Lambda's guide, "Lambda recursive loop detection": loops through SQS, SNS,
S3 and Lambda itself are stopped after about 16 invocations, unless the function's
``RecursiveLoop`` setting is ``Allow``).

The chain is followed as Lambda follows it, in the X-Ray trace header. Each invocation's
``_X_AMZN_TRACE_ID`` ends with a ``Lineage`` field, ``<hash>:<count>``: the hash names the
function, the count is how many times the chain invoked it before (0 the first time; a value
recorded from Lambda: ``...;Sampled=0;Lineage=12326a9d:0``, DataDog/datadog-lambda-java#89). The
AWS SDKs copy the variable into the ``X-Amzn-Trace-Id`` header of every call the handler makes
(botocore's and the JavaScript SDK's recursion detection), the services keep the header with what
they deliver, and the invocation that delivery causes counts one more. When a chain passes
through several functions each keeps its own entry, joined by ``|`` (UNCONFIRMED: AWS documents
no layout beyond one entry; botocore sends the ``|`` percent-encoded).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import unquote

LIMIT = 16  # invocations of one function by one chain; the next is stopped


def lineage(trace_header: str | None, function_name: str) -> tuple[str, int]:
    """The ``Lineage`` field of an invocation of ``function_name`` caused by a call that carried
    ``trace_header``, and the count it gives the function (0 when the chain is new to it)."""
    key = _key(function_name)
    entries = _entries(trace_header)
    if not entries:  # (most invocations: kept short, as it is on the warm path)
        return f"Lineage={key}:0", 0
    count = entries[key] + 1 if key in entries else 0
    entries[key] = count
    return "Lineage=" + "|".join(f"{k}:{n}" for k, n in entries.items()), count


def _entries(trace_header: str | None) -> dict[str, int]:
    """The chain's counts, by function hash; a malformed field counts as none."""
    if not trace_header or "Lineage=" not in trace_header:
        return {}
    entries = {}
    for part in unquote(trace_header).split(";"):
        name, _, value = part.strip().partition("=")
        if name != "Lineage":
            continue
        for entry in value.split("|"):
            key, _, count = entry.partition(":")
            if key and count.isdigit():
                entries[key] = int(count)
    return entries


@lru_cache(maxsize=1024)
def _key(function_name: str) -> str:
    return hashlib.sha256(function_name.encode()).hexdigest()[:8]
