"""The execution environments of one function version."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..sandbox.environment import Environment
from ..sandbox.snapshot import Snapshot

log = logging.getLogger("lambdahost")


@dataclass(frozen=True)
class Provisioned:
    """How far provisioned concurrency has got: environments initialized, and why one failed."""

    ready: int = 0
    failure: str | None = None


class Pool:
    """Warm environments are reused most recently used first, so the rest age out and are
    reclaimed; provisioned ones (initialized ahead of any invocation) are never reclaimed. For a
    runtime slow to start (Node.js), once one environment has been needed, a spare is kept
    started ahead, its handler not loaded: the next cold start is only the handler's import."""

    def __init__(
        self, create: Callable[[], Environment], idle_timeout: float, snapshot: Snapshot | None = None
    ) -> None:
        """``snapshot``: SnapStart's, which the environments are forked from; it goes with the pool."""
        self._create = create
        self._idle_timeout = idle_timeout
        self._snapshot = snapshot
        self._idle: list[Environment] = []
        self._busy: set[Environment] = set()
        self._provisioned: set[Environment] = set()  # initialized ahead, or being so
        self._initializing: set[asyncio.Task] = set()
        self._provision_failure: str | None = None
        self._spare: Environment | None = None  # started ahead (``Environment.start_ahead``)
        self._sparing = False  # one is being started
        self.retired = False

    @property
    def idle(self) -> list[Environment]:
        return list(self._idle)

    @property
    def environments(self) -> list[Environment]:
        return [*self._idle, *self._busy]

    def acquire(self, warm_only: bool = False) -> Environment | None:
        """The most recently used idle environment, else a new one (None if ``warm_only``)."""
        self.reclaim()  # an environment idle past its time is gone, even if nothing reaped it yet
        if self._idle and (self._idle[-1].warm or not warm_only):
            environment = self._idle.pop()
        elif warm_only:
            return None
        else:
            environment, self._spare = self._spare or self._create(), None
            if environment.starts_ahead:
                self.start_spare()
        self._busy.add(environment)
        return environment

    def start_spare(self) -> None:
        """Start a spare environment ahead of need (one at most is kept)."""
        if self._spare is not None or self._sparing:
            return
        self._sparing = True
        spare = self._create()
        task = asyncio.get_running_loop().create_task(self._keep_spare(spare))
        self._initializing.add(task)
        task.add_done_callback(self._initializing.discard)

    async def _keep_spare(self, spare: Environment) -> None:
        try:
            await spare.start_ahead()
        except Exception as failed:  # (its invocation, if one comes, starts one of its own and says why)
            log.debug("a spare environment of %s could not start: %s", spare.function.name, failed)
            spare.close()
            return
        finally:
            self._sparing = False
        if self.retired:
            spare.close()
        else:
            self._spare = spare

    def release(self, environment: Environment) -> None:
        self._busy.discard(environment)
        if self.retired:
            environment.close()
            if not self._busy:
                self._discard_snapshot()
        else:
            self._idle.append(environment)

    def provision(self, count: int) -> None:
        """Keep ``count`` environments initialized ahead of invocations (provisioned concurrency):
        new ones start their init now; past ``count``, idle ones close and busy ones become on-demand."""
        self._provision_failure = None
        for environment in list(self._provisioned)[count:]:
            self._provisioned.discard(environment)
            if environment in self._idle:
                self._idle.remove(environment)
                environment.close()
        for _ in range(count - len(self._provisioned)):
            environment = self._create()
            self._provisioned.add(environment)
            task = asyncio.get_running_loop().create_task(self._initialize(environment))
            self._initializing.add(task)
            task.add_done_callback(self._initializing.discard)

    async def _initialize(self, environment: Environment) -> None:
        error_type = await environment.provision()
        if environment not in self._provisioned or self.retired:
            environment.close()
        elif error_type is None:
            self._idle.append(environment)
        else:
            self._provisioned.discard(environment)
            self._provision_failure = f"FUNCTION_ERROR_INIT_FAILURE: {error_type}"
            name = f"{environment.function.name}:{environment.version}"
            log.warning("a provisioned environment of %s failed its init: %s", name, error_type)
            environment.close()

    @property
    def provisioned(self) -> Provisioned:
        ready = sum(1 for environment in self._provisioned if environment in self._busy or environment in self._idle)
        return Provisioned(ready, self._provision_failure)

    def reclaim(self) -> int:
        """Close environments idle for longer than the idle timeout (a spare too); returns how many."""
        if self._spare is not None and self._spare.last_used < time.monotonic() - self._idle_timeout:
            self._spare.close()
            self._spare = None
        if not self._idle or self._idle[0].last_used >= time.monotonic() - self._idle_timeout:
            return 0  # the least recently used is at the front: nothing has expired
        cutoff = time.monotonic() - self._idle_timeout
        expired = [env for env in self._idle if env.last_used < cutoff and env not in self._provisioned]
        self._idle = [env for env in self._idle if env not in expired]
        for environment in expired:
            environment.close()
        return len(expired)

    def retire(self) -> None:
        """Close idle environments now and busy ones when they come back: the function changed."""
        self.retired = True
        for environment in [*self._idle, *filter(None, [self._spare])]:
            environment.close()
        self._idle.clear()
        self._spare = None
        if not self._busy:  # (busy environments' exits are reported by their snapshot)
            self._discard_snapshot()

    def close(self) -> None:
        for task in self._initializing:
            task.cancel()
        for environment in {*self.environments, *self._provisioned, *filter(None, [self._spare])}:
            environment.close()
        self._idle.clear()
        self._busy.clear()
        self._spare = None
        self._discard_snapshot()

    def take_snapshot(self, name: str) -> None:
        if self._snapshot is not None:
            self._snapshot.take(name)

    def _discard_snapshot(self) -> None:
        if self._snapshot is not None:
            self._snapshot.discard()
