"""AWS's event stream framing (``application/vnd.amazon.eventstream``), which botocore reads
InvokeWithResponseStream's answer from: each message is a prelude (total and headers lengths,
and their CRC32), headers, the payload, and a CRC32 of it all."""

from __future__ import annotations

import struct
import zlib

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7  # the header value type of a string


def message(headers: dict[str, str], payload: bytes) -> bytes:
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    prelude = struct.pack("!II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    body = prelude + struct.pack("!I", zlib.crc32(prelude)) + encoded + payload
    return body + struct.pack("!I", zlib.crc32(body))


def event(event_type: str, payload: bytes, content_type: str) -> bytes:
    """An event message, as a service sends them."""
    return message({":event-type": event_type, ":content-type": content_type, ":message-type": "event"}, payload)


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", _STRING, len(raw_value)) + raw_value
