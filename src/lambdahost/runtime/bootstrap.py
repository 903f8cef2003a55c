"""The runtime loop of one execution environment: init once, then one invocation at a time.

It mirrors AWS's Python runtime (awslambdaric): resolve and import the handler during init,
report an init error and exit, or else wait for events, call ``handler(event, context)`` and send
back the marshalled result or the error body. The host delivers events over a socket instead of
the Runtime API's HTTP, which keeps a warm invocation to a few microseconds.
"""

import importlib
import json
import logging
import os
import resource
import select
import socket
import sys
import time
from collections.abc import Iterator

from . import logs, protocol
from .context import LambdaContext
from .debugger import wait_for_debugger
from .faults import (
    AFTER_RESTORE_ERROR,
    BEFORE_SNAPSHOT_ERROR,
    BUILT_IN_MODULE_CONFLICT,
    CONTEXT_UNMARSHAL_ERROR,
    HANDLER_NOT_FOUND,
    IMPORT_MODULE_ERROR,
    LAMBDA_WARNING,
    MALFORMED_HANDLER_NAME,
    USER_CODE_SYNTAX_ERROR,
    FaultException,
    error_from_exception,
    write_error_log,
)
from .marshaller import marshal_response, to_json, unmarshal_request
from .trace import TraceId


def get_handler(handler: str):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultException(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {modname} as a handler module")
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise FaultException(IMPORT_MODULE_ERROR, f"Unable to import module '{modname}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultException(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{modname}': {exc}", trace) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(HANDLER_NOT_FOUND, f"Handler '{fname}' missing on module '{modname}'") from None


def _parse_header(raw: "str | None", name: str) -> "dict | None":
    if not raw:
        return None
    try:
        return json.loads(raw)
    except Exception as exc:
        raise FaultException(CONTEXT_UNMARSHAL_ERROR, f"Unable to parse {name} JSON: {exc}") from None


def handle_invocation(handler, meta: dict, body: bytes) -> "tuple[int, bytes, dict]":
    request_id = meta["requestId"]
    try:
        context = LambdaContext(
            request_id,
            int(meta["deadlineMs"]),
            meta["invokedFunctionArn"],
            _parse_header(meta.get("clientContext"), "Client Context"),
            _parse_header(meta.get("cognitoIdentity"), "Cognito Identity"),
            meta.get("tenantId"),
        )
        event = unmarshal_request(body, meta.get("contentType"))
        payload, content_type = marshal_response(handler(event, context))
        return protocol.RESULT, payload, {"contentType": content_type}
    except Exception as exc:
        error = error_from_exception(exc, request_id)
        write_error_log(error, logs.json_format(), to_json)
        return protocol.ERROR, to_json(error).encode("utf-8"), {"errorType": error["errorType"]}


def run(channel: socket.socket, handler_name: str, debug: "dict | None" = None) -> None:
    """Run the environment until the host closes the channel; never returns normally on init error.
    ``debug``: wait for a debugger first (its ``port``, and where ``debugpy`` is)."""
    handler = init(channel, handler_name, debug)
    channel.sendall(protocol.encode(protocol.INIT_DONE))
    serve(channel, handler)


def init(channel: socket.socket, handler_name: str, debug: "dict | None" = None):
    """The init phase: the handler, or an init error reported to the host and the process ended."""
    logs.setup()
    LambdaContext._load_environment()
    try:
        if debug:
            wait_for_debugger(debug["port"], debug.get("debugpy"))
        return get_handler(handler_name)
    except Exception as exc:
        _fail_init(channel, exc, 1)


def snapshot(channel: socket.socket, handler_name: str):
    """SnapStart's snapshot: init, then the before-snapshot hooks; returns the handler that each
    environment restored from this process calls (``restore``)."""
    handler = init(channel, handler_name)
    _run_hooks(channel, "get_before_snapshot", BEFORE_SNAPSHOT_ERROR, 64)
    channel.sendall(protocol.encode(protocol.INIT_DONE))
    return handler


def restore(channel: socket.socket, handler) -> None:
    """An environment restored from a snapshot (a fork of it): the after-restore hooks, then the
    invocations, with the module the snapshot imported."""
    LambdaContext._load_environment()
    _run_hooks(channel, "get_after_restore", AFTER_RESTORE_ERROR, 65)
    channel.sendall(protocol.encode(protocol.INIT_DONE))
    serve(channel, handler)


def _run_hooks(channel: socket.socket, registry: str, error_type: str, exit_code: int) -> None:
    """The hooks the function registered with ``snapshot_restore_py``, in order; the first that
    raises ends the process with ``error_type``, as Lambda's runtime does."""
    hooks = sys.modules.get("snapshot_restore_py")
    for hook, args, kwargs in getattr(hooks, registry)() if hooks else []:
        try:
            hook(*args, **kwargs)
        except Exception as exc:
            _fail_init(channel, FaultException(error_type, str(exc)), exit_code)


def _fail_init(channel: socket.socket, exc: Exception, exit_code: int) -> None:
    error = error_from_exception(exc)
    logging.warning(LAMBDA_WARNING)
    write_error_log(error, logs.json_format(), to_json)
    channel.sendall(protocol.encode(protocol.INIT_ERROR, {"errorType": error["errorType"]}, to_json(error).encode()))
    sys.exit(exit_code)


def serve(channel: socket.socket, handler) -> None:
    """One invocation at a time until the host closes the channel."""
    incoming = select.poll()
    incoming.register(channel, select.POLLIN)
    trace_id = TraceId()
    for _, meta, body in _frames(channel, incoming):
        logs.request_id = meta["requestId"]
        logs.tenant_id = meta.get("tenantId")
        trace_id.set(meta.get("traceId"))
        kind, payload, result_meta = handle_invocation(handler, meta, body)
        result_meta["maxRssKb"] = str(_max_rss_kb())
        channel.sendall(protocol.encode(kind, result_meta, payload))
        if "hotWaitUs" in meta:
            _wait_hot(incoming, int(meta["hotWaitUs"]) / 1e6)


def _frames(channel: socket.socket, incoming: select.poll) -> "Iterator[protocol.Frame]":
    """The host's frames, until it closes the channel. This sleeps in ``poll``, never in ``recv``:
    a process asleep in ``recv`` is also woken when the host reads its answer (the kernel tells a
    unix socket's writer that space came free), a wake-up across CPUs for nothing, which ``poll``
    filters out because it waits for input only."""
    reader = protocol.FrameReader()
    buffer = bytearray(1 << 16)
    while True:
        incoming.poll()
        received = channel.recv_into(buffer)
        if not received:
            return
        yield from reader.feed(buffer[:received])


def _wait_hot(incoming: select.poll, seconds: float) -> None:
    """Wait awake for the next invocation, for a moment, when the host says one will follow soon.
    A process that sleeps in ``recv`` must be woken, which on a virtual machine costs tens of
    microseconds a hop; polling without sleeping skips that. Giving way at each turn keeps the
    wait from holding a CPU that another process wants."""
    until = time.monotonic() + seconds
    while not incoming.poll(0) and time.monotonic() < until:
        os.sched_yield()


def _max_rss_kb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak
