"""The public entry points: ``AsyncHost`` in an asyncio program, ``Host`` everywhere else.

``Host`` runs an ``AsyncHost`` on an event loop of its own, in the calling thread for the length
of each call, so scripts and tests get plain method calls while environments, timeouts and logs
are served by one loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from . import eventloop
from .control import ControlPlane
from .control.layers import Layers
from .invoker import Invoker
from .invoker.async_queue import EventQueue
from .invoker.metrics import Metrics
from .model.function import FunctionConfig
from .model.invocation import InvocationResult
from .model.registry import Registry
from .settings import HostSettings
from .store import LogStore
from .store.async_queue import EventStore
from .store.code import CodeStore
from .store.functions import FunctionStore
from .store.layers import LayerStore
from .store.mappings import MappingStore
from .store.queues import QueueStore

T = TypeVar("T")
log = logging.getLogger("lambdahost")


class AsyncHost:
    def __init__(self, settings: HostSettings | None = None, **overrides: Any) -> None:
        self.settings = dataclasses.replace(settings or HostSettings(), **overrides)
        self._temporary = self.settings.state_dir is None
        self.state_dir = Path(tempfile.mkdtemp(prefix="lambdahost-") if self._temporary else self.settings.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.logs = LogStore(self.state_dir / "logs.db")
        self.registry = Registry(self.settings.region, self.settings.account_id)
        self.invoker = Invoker(self.settings, self.registry, self.state_dir / "tmp", self.logs.append)
        self.metrics = Metrics(self.invoker)
        self._functions = FunctionStore(self.state_dir / "state.db")
        code = CodeStore(self.state_dir / "code")
        self._layers = LayerStore(self.state_dir / "state.db")
        layers = Layers(code, self._layers, self.settings)
        self._mappings = MappingStore(self.state_dir / "state.db")
        self.control = ControlPlane(self.registry, self.invoker, code, self._functions, layers, self._mappings)
        self._events = EventStore(self.state_dir / "state.db")
        self.queues = QueueStore(self.state_dir / "state.db")
        self.events: EventQueue | None = None
        self._reaper: asyncio.Task | None = None

    async def __aenter__(self) -> AsyncHost:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        self._reaper = asyncio.get_running_loop().create_task(self._reclaim_idle())
        self.control.restore()
        self.events = EventQueue(self.invoker, self._events, self.queues, self.settings.async_delay_scale)
        self.events.start()

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self.events is not None:
            await self.events.stop()
        await self.invoker.close()
        self._events.close()
        self.queues.close()
        self._functions.close()
        self._layers.close()
        self._mappings.close()
        self.logs.close()
        if self._temporary:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def add_function(self, config: FunctionConfig) -> None:
        self.invoker.add_function(config)

    def remove_function(self, name: str) -> None:
        self.invoker.remove_function(name)

    def get_function(self, name: str) -> FunctionConfig:
        return self.registry.record(name).config

    async def invoke(
        self, function_name: str, payload: Any = None, *, invocation_type: str = "RequestResponse", **options: Any
    ) -> InvocationResult:
        """Invoke a function. ``payload`` is JSON text or bytes, or any object to encode as JSON.
        An ``Event`` invocation is queued and answered at once with status 202."""
        payload, options = _invoker_arguments(payload, options)
        if invocation_type == "Event":
            queued = {k: options.get(k) for k in ("qualifier", "tenant_id", "trace_header")}
            request_id = await self.events.put(function_name, payload, **queued)
            return InvocationResult(request_id=request_id, payload=b"", executed_version="", status_code=202)
        return await self.invoker.invoke(function_name, payload, invocation_type=invocation_type, **options)

    def invoke_warm(self, function_name: str, payload: Any = None, **options: Any) -> InvocationResult | None:
        """A synchronous invocation served by a warm environment without the event loop, for a
        caller outside it; None if there is none free (then ``invoke``)."""
        payload, options = _invoker_arguments(payload, options)
        return self.invoker.invoke_warm(function_name, payload, **options)

    async def _reclaim_idle(self) -> None:
        """The idle reaper. A failure is logged and the next round tries again: one bad
        environment must not leave every other one warm for ever."""
        interval = min(1.0, self.settings.idle_timeout / 4)
        while True:
            await asyncio.sleep(interval)
            try:
                self.invoker.reclaim_idle()
            except Exception:
                log.exception("reclaiming idle environments failed; trying again in %.1f s", interval)


class Host:
    """A synchronous facade: ``with Host() as host: host.invoke(...)``.

    Each call runs the host's event loop in the calling thread until the call is done; between
    calls nothing runs, and idle environments are reclaimed at the next call. That keeps a warm
    invocation free of thread hand-offs (each costs tens of microseconds). A synchronous invoke
    that finds a warm environment skips the loop too: one blocking exchange with the runtime,
    with the loop given a turn at least every 10 ms of them. Calls from several threads take
    turns; for invocations in parallel, use ``AsyncHost`` from asyncio.
    """

    loop_turn_interval = 0.01  # at most this many seconds of warm invocations between loop turns

    def __init__(
        self,
        settings: HostSettings | None = None,
        *,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] = eventloop.new_event_loop,
        **overrides: Any,
    ) -> None:
        """``loop_factory``: the event loop to run on; by default the one ``serve`` runs on."""
        self._loop = loop_factory()
        self._lock = threading.Lock()
        self._turned = 0.0  # when the loop last ran (monotonic)
        self._host = self._call(self._make(settings, overrides))

    async def _make(self, settings: HostSettings | None, overrides: dict) -> AsyncHost:
        host = AsyncHost(settings, **overrides)
        await host.start()
        return host

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def settings(self) -> HostSettings:
        return self._host.settings

    @property
    def logs(self) -> LogStore:
        return self._host.logs

    @property
    def state_dir(self) -> Path:
        return self._host.state_dir

    def add_function(self, config: FunctionConfig) -> None:
        self.call(AsyncHost.add_function, config)

    def remove_function(self, name: str) -> None:
        self.call(AsyncHost.remove_function, name)

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(async_host, *args)`` on the host's loop, where all of its state lives."""

        async def run() -> T:
            return function(self._host, *args)

        return self._call(run())

    def get_function(self, name: str) -> FunctionConfig:
        return self._host.get_function(name)

    def invoke(self, function_name: str, payload: Any = None, **options: Any) -> InvocationResult:
        if options.get("invocation_type", "RequestResponse") == "RequestResponse":
            with self._lock:
                # The warm path leaves the loop alone; it still gets a turn every few ms so that
                # timers (idle reclaim, async retries) and idle environments' output keep moving.
                if time.monotonic() - self._turned < self.loop_turn_interval:
                    result = self._host.invoke_warm(function_name, payload, **options)
                    if result is not None:
                        return result
        return self._call(self._host.invoke(function_name, payload, **options))

    def close(self) -> None:
        if not self._loop.is_closed():
            self._call(self._host.close())
            self._call(_finish_tasks())
            self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        with self._lock:
            try:
                return self._loop.run_until_complete(coroutine)
            finally:
                self._turned = time.monotonic()


async def _finish_tasks() -> None:
    """Cancel what still runs on the loop (a custom runtime's connection, say) and let it end,
    as ``asyncio.run`` does before it closes its loop."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _invoker_arguments(payload: Any, options: dict) -> tuple[bytes | str | None, dict]:
    """The invoker's arguments for a payload given as JSON text, bytes or an object."""
    if payload is None or isinstance(payload, (bytes, str)):
        return payload, options
    return json.dumps(payload), {**options, "trusted_json": True}  # encoded here: no need to check it
