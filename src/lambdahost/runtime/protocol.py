"""Framed messages between the host and the processes it runs (shared by both sides).

A frame is a 9-byte header (kind, metadata length, body length; big-endian), the metadata, then
the body as raw bytes. Payloads cross untouched: a 6 MB event costs one copy, never a JSON
re-encode. Metadata is a flat map of text fields, like the Runtime API's headers, written as
keys and values separated by NUL: a third of JSON's cost to write and read, some 10 µs less per
warm invocation over both sides. Anything structured (a fork-server's spawn spec) travels as JSON
in the body.
"""

import itertools
import struct

HEADER = struct.Struct("!BII")
Frame = tuple[int, dict[str, str], bytes]  # kind, metadata, body
_SEPARATOR = "\x00"


def _encode_meta(meta: "dict[str, str]") -> bytes:
    text = _SEPARATOR.join(itertools.chain.from_iterable(meta.items()))
    if text.count(_SEPARATOR) != 2 * len(meta) - 1:
        raise ValueError(f"frame metadata cannot hold a NUL character: {meta!r}")
    return text.encode()


def _decode_meta(raw: "bytes | bytearray") -> "dict[str, str]":
    fields = iter(raw.decode().split(_SEPARATOR))
    return dict(zip(fields, fields))  # noqa: B905 - keys and values in turn (zip's strict: python3.10+)


# host -> fork-server, and its answers
SPAWN = 1
SPAWNED = 2
EXITED = 3
RELEASE = 4  # an environment is gone for good: its temporary folder can go
# environment -> host
INIT_DONE = 10
INIT_ERROR = 11
RESULT = 12
ERROR = 13
CHUNK = 14  # a part of a streamed response, as the runtime writes it (custom and Node.js runtimes)
# host -> environment
INVOKE = 20
LOAD = 21  # an environment started ahead (Node.js) may load its handler now


def encode(kind: int, meta: "dict[str, str] | None" = None, body: bytes = b"") -> bytes:
    raw_meta = _encode_meta(meta) if meta else b""
    return HEADER.pack(kind, len(raw_meta), len(body)) + raw_meta + body


def decode(frame: bytes) -> Frame:
    """Decode one whole frame (as a SOCK_SEQPACKET message delivers it)."""
    kind, meta_len, body_len = HEADER.unpack_from(frame)
    start = HEADER.size
    meta = _decode_meta(frame[start : start + meta_len]) if meta_len else {}
    return kind, meta, bytes(frame[start + meta_len : start + meta_len + body_len])


class FrameReader:
    """Reassembles frames from a byte stream that arrives in arbitrary pieces."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> "list[Frame]":
        if not self._buffer and len(data) >= HEADER.size:
            # The common case: one whole frame in one read; skip the reassembly buffer.
            kind, meta_len, body_len = HEADER.unpack_from(data)
            if len(data) == HEADER.size + meta_len + body_len:
                return [decode(data)]
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            kind, meta_len, body_len = HEADER.unpack_from(self._buffer)
            end = HEADER.size + meta_len + body_len
            if len(self._buffer) < end:
                break
            frames.append(decode(self._buffer[:end]))
            del self._buffer[:end]
        return frames
