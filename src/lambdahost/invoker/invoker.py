"""The invoke path: check the request, take a concurrency slot, run it in a warm or new environment."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import fastjson
from ..errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RecursiveInvocationException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
    ValidationException,
)
from ..model import limits
from ..model.function import FunctionConfig
from ..model.invocation import Invocation, InvocationResult
from ..model.names import check_qualifier, parse_function_name
from ..model.registry import LATEST, FunctionRecord, Registry
from ..sandbox import bytecode, esbuild, npm, packages
from ..sandbox.environment import Environment, LogSink
from ..sandbox.forkserver import ForkServer
from ..sandbox.included import link_included
from ..sandbox.interpreter import HOST, Interpreter, InterpreterResolver
from ..sandbox.launch import Launched
from ..sandbox.node import NodeFunction, NodeResolver
from ..sandbox.snapshot import Snapshot
from ..settings import HostSettings
from . import recursion
from .concurrency import ConcurrencyLimits
from .pool import Pool, Provisioned

log = logging.getLogger("lambdahost")
# lambdahost's own boto3 and its kin import on this version and later; an older interpreter
# (python3.8, python3.9) gets copies installed for it (sandbox/packages.py).
_INCLUDED_NEEDS = (3, 10)
INVOCATION_TYPES = ("RequestResponse", "DryRun")  # Event goes through the async queue (invoker/async_queue.py)
TENANT_ID = re.compile(r"[a-zA-Z0-9\._:\/=+\-@ ]{1,256}")


@dataclass(slots=True)
class _Call:
    """An admitted invocation: its concurrency slot and environment, given back when it is done."""

    name: str
    unreserved: bool
    pool: Pool
    environment: Environment
    invocation: Invocation


class Invoker:
    def __init__(self, settings: HostSettings, registry: Registry, tmp_root: Path, sink: LogSink) -> None:
        self.settings = settings
        self.registry = registry
        self.concurrency = ConcurrencyLimits(settings.concurrency_limit)
        self._tmp_root = tmp_root
        self._included = link_included(tmp_root.parent / "included")
        self._included_for: dict[str, Path] = {}  # interpreter -> its included libraries, if not the host's
        self._sink = sink
        self._interpreters = InterpreterResolver(
            settings.interpreters, settings.strict_runtimes, tmp_root.parent / "interpreters.json"
        )
        self._nodes = NodeResolver(tmp_root.parent / "node.json")
        self._forkservers: dict[str, ForkServer] = {}
        self._pools: dict[tuple[str, str, str], Pool] = {}  # (name, version, tenant id or "")
        # Called with (function name, result) after every invocation: terminal output, metrics.
        self.observers: list[Callable[[str, InvocationResult], None]] = []
        self.throttle_observers: list[Callable[[str], None]] = []  # called with the function's name

    # -- functions ----------------------------------------------------------------------------

    def add_function(self, config: FunctionConfig) -> FunctionRecord:
        """Add a function, or give an existing one a new $LATEST configuration (recycling its
        $LATEST environments); its versions and aliases stay."""
        if config.name not in self.registry:
            return self.put_record(FunctionRecord(config))
        record = self.registry.record(config.name)
        self.prepare(config)
        self.concurrency.reserve(config.name, config.reserved_concurrency)
        record.config = config
        record.code = None
        record.touch()
        self.recycle(config.name)
        bytecode.invalidate(config.code_dir)
        self._start_ahead(config)
        return record

    def put_record(self, record: FunctionRecord) -> FunctionRecord:
        """Add a function with all its state (as the Lambda API and the store create them)."""
        for config in (record.config, *(v.config for v in record.versions.values())):
            self.prepare(config)
        self.concurrency.reserve(record.name, record.config.reserved_concurrency)
        if record.name in self.registry:
            self.remove_function(record.name)
        self.registry.put(record)
        self._start_ahead(record.config)
        return record

    def _start_ahead(self, config: FunctionConfig) -> None:
        """A function whose runtime is slow to start (Node.js) gets an environment started ahead
        as it is added or changed, so that the invocation that follows an edit only loads it."""
        if config.is_node and self._nodes.find(config.runtime) is not None:
            with contextlib.suppress(RuntimeError):  # (no loop running: it starts at the first cold start)
                self._pool(config, LATEST, "").start_spare()

    def prepare(self, config: FunctionConfig) -> None:
        """Check that a configuration can run here, and start its interpreter's fork-server."""
        node = self._nodes.find(config.runtime) if config.is_node else None
        if node is not None:  # its dependencies and bundle, now rather than at the first invocation
            manifest = npm.manifest_of(config)
            try:
                modules = npm.install(node, manifest) if manifest is not None else None
                if config.esbuild is not None:
                    esbuild.build(config, node, modules)
            except packages.InstallFailed as failed:
                raise InvalidParameterValueException(str(failed)) from None
        interpreter = self._interpreter(config)
        if interpreter.version < _INCLUDED_NEEDS and interpreter.executable not in self._included_for:
            self._included_for[interpreter.executable] = self._included
            try:
                self._included_for[interpreter.executable] = packages.install(
                    interpreter, "boto3\nsnapshot-restore-py\n", "boto3 (as Lambda's runtime includes it)"
                )
            except packages.InstallFailed as failed:
                log.warning("%s; %s functions cannot import boto3", failed, interpreter.runtime)
        requirements = packages.requirements_of(config)
        if requirements is not None:
            try:
                packages.install(interpreter, requirements.text, requirements.what)
            except packages.InstallFailed as failed:
                raise InvalidParameterValueException(str(failed)) from None
        if interpreter.executable not in self._forkservers:
            forkserver = ForkServer(interpreter)
            forkserver.start()  # boots while the caller goes on, so the first invoke only forks
            self._forkservers[interpreter.executable] = forkserver

    def _interpreter(self, config: FunctionConfig) -> Interpreter:
        """A Python function's interpreter; a custom runtime is forked from lambdahost's own, then
        replaced by its bootstrap, and a Node.js function's by Node."""
        return self._interpreters.resolve(config.runtime) if config.is_python else HOST

    def adopt(self, interpreter: Interpreter, launched: Launched) -> None:
        """Use a fork-server started ahead of time (see sandbox/launch.py) for its interpreter."""
        if interpreter.executable in self._forkservers:
            launched.channel.close()  # the one already running serves; this one sees EOF and exits
            return
        forkserver = ForkServer(interpreter, launched)
        forkserver.start()
        self._forkservers[interpreter.executable] = forkserver

    def remove_function(self, name: str) -> None:
        self.registry.record(name)  # a 404 for a function it does not have
        self.registry.remove(name)
        self.concurrency.reserve(name, None)
        for key in [key for key in self._pools if key[0] == name]:
            self._pools.pop(key).retire()

    def recycle(self, name: str, version: str = LATEST) -> None:
        """Retire a function version's environments: the next invocation starts fresh ones."""
        for key in [key for key in self._pools if key[:2] == (name, version)]:
            self._pools.pop(key).retire()

    def environments(self, name: str, version: str = LATEST, tenant_id: str = "") -> list[Environment]:
        pool = self._pools.get((name, version, tenant_id))
        return pool.environments if pool else []

    def resolve(self, function_name: str, qualifier: str | None = None) -> tuple[FunctionRecord, str | None]:
        """The record a name or ARN refers to, and the qualifier given with it."""
        record = self.registry.get(function_name)  # a plain name, as nearly every call gives it
        if record is None:
            name, qualifier = parse_function_name(function_name, qualifier, self.settings.region)
            record = self.registry.get(name)
        else:
            name = function_name
        known = record is not None and (
            qualifier in (None, LATEST) or qualifier in record.versions or qualifier in record.aliases
        )
        if not known:
            check_qualifier(qualifier)  # a malformed one is a ValidationException, not a 404
            raise ResourceNotFoundException(f"Function not found: {self.registry.arn(name, qualifier)}")
        return record, qualifier

    # -- invoking -----------------------------------------------------------------------------

    async def invoke(self, function_name: str, payload: bytes | str | None = None, **options: Any) -> InvocationResult:
        """Invoke synchronously (RequestResponse) or check that one could be (DryRun).

        Options: ``qualifier``, ``invocation_type``, ``client_context``, ``request_id``,
        ``trace_header`` (the caller's X-Amzn-Trace-Id: API Gateway's, or that of the call to S3, SNS,
        SQS or Invoke that caused this one, whose ``Lineage`` counts a recursive loop),
        ``trusted_json`` (skip the JSON check),
        ``on_chunk`` (a streamed response's parts, as they arrive)."""
        call = self._admit(function_name, payload, **options)
        if isinstance(call, InvocationResult):
            return call
        try:
            result = await call.environment.invoke(call.invocation)
        finally:
            self._leave(call)
        return self._complete(call, result)

    def invoke_warm(
        self, function_name: str, payload: bytes | str | None = None, **options: Any
    ) -> InvocationResult | None:
        """``invoke`` for a caller that runs no event loop (the sync ``Host``), when a warm
        environment is free to take it; None means nothing was done: ``invoke`` instead."""
        call = self._admit(function_name, payload, warm_only=True, **options)
        if call is None or isinstance(call, InvocationResult):
            return call
        try:
            result = call.environment.invoke_warm(call.invocation)
        finally:
            self._leave(call)
        return self._complete(call, result)

    def _admit(
        self,
        function_name: str,
        payload: bytes | str | None,
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
        request_id: str | None = None,
        trace_header: str | None = None,
        trusted_json: bool = False,
        tenant_id: str | None = None,
        warm_only: bool = False,
        on_chunk: Callable[[bytes, str], None] | None = None,
    ) -> _Call | InvocationResult | None:
        """Check the request, take a concurrency slot and an environment for it: the call to make,
        DryRun's answer, or None when ``warm_only`` and no warm environment is free."""
        record, qualifier = self.resolve(function_name, qualifier)
        if invocation_type not in INVOCATION_TYPES:
            raise InvalidParameterValueException(
                f"Unsupported invocation type {invocation_type!r}: expected one of {', '.join(INVOCATION_TYPES)}"
            )
        body = check_payload(payload, parse=not trusted_json)
        if client_context is not None and "\x00" in client_context:  # JSON never holds one; frames cannot
            raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")
        version, function = record.resolve(qualifier)
        check_tenant(tenant_id, function)
        if invocation_type == "DryRun":
            return InvocationResult(request_id=new_request_id(), payload=b"", executed_version=version, status_code=204)
        name = record.name
        lineage, count = recursion.lineage(trace_header, name)
        if count >= recursion.LIMIT and record.settings.get("RecursiveLoop") != "Allow":
            log.warning(
                "%s stopped: one chain of events has invoked it %d times, a recursive loop"
                " (RecursiveLoop: Allow lets it run on)",
                name,
                count,
            )
            raise RecursiveInvocationException(
                "Lambda has detected your function being invoked in a recursive loop with other AWS resources"
                " and stopped your function's invocation."
            )
        try:
            unreserved = self.concurrency.acquire(name)
        except TooManyRequestsException:
            for observer in self.throttle_observers:
                observer(name)
            raise
        try:
            pool = self._pool(function, version, tenant_id or "")
            environment = pool.acquire(warm_only)
        except BaseException:
            self.concurrency.release(name, unreserved)
            raise
        if environment is None:  # no warm environment free: the slot goes back
            self.concurrency.release(name, unreserved)
            return None
        invocation = Invocation(
            request_id=request_id or new_request_id(),
            payload=body,
            invoked_function_arn=self.registry.arn(name, qualifier),
            trace_id=_trace_id(trace_header, lineage),
            client_context=client_context,
            tenant_id=tenant_id,
            alone=self.concurrency.alone(),
            on_chunk=on_chunk,
        )
        return _Call(name, unreserved, pool, environment, invocation)

    def _leave(self, call: _Call) -> None:
        call.pool.release(call.environment)
        self.concurrency.release(call.name, call.unreserved)

    def _complete(self, call: _Call, result: InvocationResult) -> InvocationResult:
        result = _limit_response(result)
        for observer in self.observers:
            observer(call.name, result)
        return result

    def _hidden_from(self, function: FunctionConfig) -> list[Path]:
        """What an environment of ``function`` must not see, as on Lambda: the host's state (every
        function's uploaded code, the databases, the other environments' folders) and the other
        functions' code folders, but for one its own code lies in or holds."""
        own = [function.code_dir, *function.layers]
        others = {other.code_dir for other in self.registry.functions if other.name != function.name}
        apart = [folder for folder in others if not any(_related(folder, mine) for mine in own)]
        return [self._tmp_root.parent, *sorted(apart)]

    def _pool(self, function: FunctionConfig, version: str, tenant_id: str) -> Pool:
        """A version's environments; a tenant's own, for a function with tenant isolation."""
        pool = self._pools.get((function.name, version, tenant_id))
        if pool is None:
            interpreter = self._interpreter(function)

            included = self._included_for.get(interpreter.executable, self._included)

            node = self._node_function(function)

            def environment(forkserver: ForkServer) -> Environment:
                hidden = self._hidden_from(function)
                return Environment(
                    function,
                    version,
                    forkserver,
                    self.settings,
                    self._tmp_root,
                    self._sink,
                    included,
                    hidden,
                    node,
                )

            forkserver = self._forkservers[interpreter.executable]
            snapshot = None
            if function.snap_start and version != LATEST:  # SnapStart applies to published versions
                snapshot = Snapshot(interpreter, lambda: environment(forkserver))
            pool = Pool(lambda: environment(snapshot or forkserver), self.settings.idle_timeout, snapshot)
            self._pools[(function.name, version, tenant_id)] = pool
        return pool

    def _node_function(self, function: FunctionConfig) -> NodeFunction | None:
        """How a Node.js function runs: its Node, bundle and packages (made by ``prepare``)."""
        node = self._nodes.find(function.runtime) if function.is_node else None
        if node is None:
            return None
        manifest = npm.manifest_of(function)
        modules = npm.installed(node, manifest) if manifest is not None else None
        bundle = esbuild.built(function, node) if function.esbuild is not None else None
        return NodeFunction(node, bundle, modules)

    def provision(self, name: str, version: str, count: int) -> None:
        """Keep ``count`` environments of a version initialized ahead (provisioned concurrency)."""
        self._pool(self.registry.record(name).resolve(version)[1], version, "").provision(count)

    def provisioned(self, name: str, version: str) -> Provisioned:
        pool = self._pools.get((name, version, ""))
        return pool.provisioned if pool else Provisioned()

    def take_snapshot(self, name: str, version: str) -> None:
        """SnapStart: take a version's snapshot now, as Lambda does when it is published (a loop must run)."""
        function = self.registry.record(name).versions[version].config
        if function.snap_start:
            self._pool(function, version, "").take_snapshot(f"{name}:{version}")

    def reclaim_idle(self) -> int:
        """Close environments idle too long, and store what the others printed while idle."""
        closed = sum(pool.reclaim() for pool in self._pools.values())
        for pool in self._pools.values():
            for environment in pool.idle:
                environment.flush_logs()
        return closed

    async def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        for forkserver in self._forkservers.values():
            await forkserver.close()


def check_payload(payload: bytes | str | None, limit: int = limits.SYNC_REQUEST_BYTES, parse: bool = True) -> bytes:
    """The payload as bytes, refused as AWS refuses it: too large, or not JSON."""
    body = payload.encode() if isinstance(payload, str) else (payload or b"{}")
    if len(body) > limit:
        if limit == limits.SYNC_REQUEST_BYTES:
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        else:
            message = f"{len(body)} byte payload is too large for the Event invocation type (limit {limit} bytes)"
        raise RequestEntityTooLargeException(message)
    try:
        if parse:
            fastjson.validate(body)
    except ValueError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return body


def check_tenant(tenant_id: str | None, function: FunctionConfig) -> None:
    """A tenant id goes with tenant isolation, and only with it (the messages are UNCONFIRMED)."""
    if tenant_id is None and not function.tenant_isolation:
        return  # the common case
    if not function.tenant_isolation:
        raise InvalidParameterValueException(
            f"Function {function.name} does not use tenant isolation: invoke it without a tenant id"
        )
    if tenant_id is None:
        raise InvalidParameterValueException(
            f"Function {function.name} uses tenant isolation mode PER_TENANT: a tenant id is required"
        )
    if not TENANT_ID.fullmatch(tenant_id):
        raise ValidationException(
            [
                f"Value '{tenant_id}' at 'tenantId' failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {TENANT_ID.pattern}"
            ]
        )


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


# A version 4 UUID's fixed bits: the version nibble (4) and the variant's two top bits (10).
_UUID_CLEAR = ~(0xF << 76 | 0xC << 60)
_UUID_SET = 0x4 << 76 | 0x8 << 60


def new_request_id() -> str:
    """A random (version 4) UUID, formatted without the uuid module's overhead. The digits come
    from Python's generator (seeded from the system's random source): ids, not secrets, and no
    system call on an invocation's path as ``os.urandom`` makes."""
    digits = "%032x" % (random.getrandbits(128) & _UUID_CLEAR | _UUID_SET)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def new_trace_root() -> str:
    """An X-Ray trace root."""
    return f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x}"


def _trace_id(trace_header: str | None, lineage: str) -> str:
    """The caller's (API Gateway's, or a service's a function called) trace root carried on, or a
    new one, with this invocation as the parent segment, sampling off unless the caller decided,
    and the chain's ``lineage`` (``recursion.py``)."""
    parent = f"{random.getrandbits(64):016x}"
    if trace_header is None:
        return f"{new_trace_root()};Parent={parent};Sampled=0;{lineage}"
    if ";" not in trace_header and trace_header.startswith("Root="):  # a bare root, as API Gateway's own
        return f"{trace_header};Parent={parent};Sampled=0;{lineage}"
    parts = [p.strip() for p in trace_header.split(";") if p.strip() and not p.strip().startswith("Lineage=")]
    keys = {p.split("=", 1)[0] for p in parts}
    if "Parent" not in keys:
        parts.append(f"Parent={parent}")
    if "Sampled" not in keys:
        parts.append("Sampled=0")
    return ";".join([*parts, lineage])


def _related(one: Path, other: Path) -> bool:
    return one == other or one.is_relative_to(other) or other.is_relative_to(one)
