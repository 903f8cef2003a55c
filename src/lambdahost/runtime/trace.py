"""``_X_AMZN_TRACE_ID``, set for each invocation without the process growing.

Assigning ``os.environ[...]`` calls the C library's ``setenv``, and glibc's keeps every value
ever set (a pointer to an old one may still be in use): with a new trace id per invocation, an
environment grew by about 140 bytes an invocation. Here the variable lives in one buffer of
ours, handed to ``putenv`` (which keeps the pointer, copying nothing) and rewritten in place;
``os.environ``'s own mapping is updated beside it, so Python code and child processes see the
same value.
"""

import ctypes
import os

NAME = "_X_AMZN_TRACE_ID"
_PREFIX = (NAME + "=").encode()

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _putenv, _getenv = _libc.putenv, _libc.getenv
    _putenv.argtypes, _getenv.argtypes, _getenv.restype = [ctypes.c_char_p], [ctypes.c_char_p], ctypes.c_void_p
except (OSError, AttributeError):  # no C library to call: os.environ's own way
    _putenv = None


class TraceId:
    def __init__(self) -> None:
        self._buffer = None  # a ctypes buffer "NAME=value\0", in the C environment while set

    def set(self, value: "str | None") -> None:
        if not value:
            if NAME in os.environ:
                del os.environ[NAME]  # unsetenv frees nothing of ours
            self._buffer = None
            return
        if _putenv is None:
            os.environ[NAME] = value
            return
        entry = _PREFIX + value.encode("utf-8", "surrogateescape")
        if self._buffer is None or len(entry) >= len(self._buffer):
            self._buffer = ctypes.create_string_buffer(entry, max(len(entry) + 1, 256))
        else:
            ctypes.memmove(self._buffer, entry + b"\0", len(entry) + 1)
        if _getenv(NAME.encode()) != ctypes.addressof(self._buffer) + len(_PREFIX):  # (new, or replaced by the handler)
            _putenv(ctypes.cast(self._buffer, ctypes.c_char_p))
        os.environ._data[os.environ.encodekey(NAME)] = os.environ.encodevalue(value)  # (without its setenv)
