"""The invoke path: check the request, take a concurrency slot, run it in a warm or new environment."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

from ..errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
)
from ..model import limits
from ..model.function import FunctionConfig
from ..model.invocation import Invocation, InvocationResult
from ..model.names import parse_function_name
from ..sandbox import bytecode
from ..sandbox.environment import Environment, LogSink
from ..sandbox.forkserver import ForkServer
from ..sandbox.interpreter import Interpreter, InterpreterResolver
from ..sandbox.launch import Launched
from ..settings import HostSettings
from .concurrency import ConcurrencyLimits
from .pool import Pool

LATEST = "$LATEST"
INVOCATION_TYPES = ("RequestResponse", "DryRun")  # Event arrives with the async queue


class Invoker:
    def __init__(self, settings: HostSettings, tmp_root: Path, sink: LogSink) -> None:
        self.settings = settings
        self.concurrency = ConcurrencyLimits(settings.concurrency_limit)
        self._tmp_root = tmp_root
        self._sink = sink
        self._interpreters = InterpreterResolver(
            settings.interpreters, settings.strict_runtimes, tmp_root.parent / "interpreters.json"
        )
        self._forkservers: dict[str, ForkServer] = {}
        self._functions: dict[str, FunctionConfig] = {}
        self._pools: dict[str, Pool] = {}

    # -- functions ----------------------------------------------------------------------------

    def add_function(self, config: FunctionConfig) -> None:
        """Add or replace a function; environments of a replaced one are recycled."""
        if not config.is_python:
            raise InvalidParameterValueException(
                f"Runtime {config.runtime} is not supported yet: lambdahost runs python3.10 to python3.14 functions"
            )
        interpreter = self._interpreters.resolve(config.runtime)
        self.concurrency.reserve(config.name, config.reserved_concurrency)
        if interpreter.executable not in self._forkservers:
            forkserver = ForkServer(interpreter)
            forkserver.start()  # boots while the caller goes on, so the first invoke only forks
            self._forkservers[interpreter.executable] = forkserver
        replaced = self._functions.get(config.name)
        self._functions[config.name] = config
        old = self._pools.pop(config.name, None)
        if old is not None:
            old.retire()
        if replaced is not None:
            bytecode.invalidate(config.code_dir)

    def adopt(self, interpreter: Interpreter, launched: Launched) -> None:
        """Use a fork-server started ahead of time (see sandbox/launch.py) for its interpreter."""
        if interpreter.executable in self._forkservers:
            launched.channel.close()  # the one already running serves; this one sees EOF and exits
            return
        forkserver = ForkServer(interpreter, launched)
        forkserver.start()
        self._forkservers[interpreter.executable] = forkserver

    def remove_function(self, name: str) -> None:
        self.get_function(name)
        del self._functions[name]
        self.concurrency.reserve(name, None)
        pool = self._pools.pop(name, None)
        if pool is not None:
            pool.retire()

    def get_function(self, name: str) -> FunctionConfig:
        try:
            return self._functions[name]
        except KeyError:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name)}") from None

    @property
    def functions(self) -> list[FunctionConfig]:
        return list(self._functions.values())

    def arn(self, name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{self.settings.region}:{self.settings.account_id}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def environments(self, name: str) -> list[Environment]:
        pool = self._pools.get(name)
        return pool.environments if pool else []

    # -- invoking -----------------------------------------------------------------------------

    async def invoke(
        self,
        function_name: str,
        payload: bytes | str | None = None,
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
    ) -> InvocationResult:
        name, qualifier = parse_function_name(function_name, qualifier)
        if qualifier not in (None, LATEST) or name not in self._functions:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, qualifier)}")
        if invocation_type not in INVOCATION_TYPES:
            raise InvalidParameterValueException(
                f"Unsupported invocation type {invocation_type!r}: expected one of {', '.join(INVOCATION_TYPES)}"
            )
        body = _check_payload(payload)
        if invocation_type == "DryRun":
            return InvocationResult(request_id=_request_id(), payload=b"", executed_version=LATEST, status_code=204)
        function = self._functions[name]
        unreserved = self.concurrency.acquire(name)
        try:
            pool = self._pool(function)
            environment = pool.acquire()
            try:
                result = await environment.invoke(
                    Invocation(
                        request_id=_request_id(),
                        payload=body,
                        invoked_function_arn=self.arn(name, qualifier),
                        trace_id=_trace_id(),
                        client_context=client_context,
                    )
                )
            finally:
                pool.release(environment)
        finally:
            self.concurrency.release(name, unreserved)
        return _limit_response(result)

    def _pool(self, function: FunctionConfig) -> Pool:
        pool = self._pools.get(function.name)
        if pool is None:
            forkserver = self._forkservers[self._interpreters.resolve(function.runtime).executable]
            pool = Pool(
                lambda: Environment(function, LATEST, forkserver, self.settings, self._tmp_root, self._sink),
                self.settings.idle_timeout,
            )
            self._pools[function.name] = pool
        return pool

    def reclaim_idle(self) -> int:
        return sum(pool.reclaim() for pool in self._pools.values())

    async def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        for forkserver in self._forkservers.values():
            await forkserver.close()


def _check_payload(payload: bytes | str | None) -> bytes:
    body = payload.encode() if isinstance(payload, str) else (payload or b"{}")
    if len(body) > limits.SYNC_REQUEST_BYTES:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {limits.SYNC_REQUEST_BYTES} bytes for the InvokeFunction operation"
        )
    try:
        json.loads(body)
    except ValueError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return body


def _limit_response(result: InvocationResult) -> InvocationResult:
    if len(result.payload) <= limits.SYNC_RESPONSE_BYTES:
        return result
    body = {
        "errorMessage": f"Response payload size exceeded maximum allowed payload size "
        f"({limits.SYNC_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    return replace(
        result,
        payload=json.dumps(body).encode(),
        function_error="Unhandled",
        error_type="Function.ResponseSizeTooLarge",
        content_type="application/json",
    )


def _request_id() -> str:
    """A random (version 4) UUID, formatted without the uuid module's overhead."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def _trace_id() -> str:
    random = os.urandom(20).hex()
    return f"Root=1-{int(time.time()):08x}-{random[:24]};Parent={random[24:]};Sampled=0"
