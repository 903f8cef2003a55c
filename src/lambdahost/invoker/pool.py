"""The execution environments of one function version."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..sandbox.environment import Environment
from ..sandbox.snapshot import Snapshot


class Pool:
    """Warm environments are reused most recently used first, so the rest age out and are reclaimed."""

    def __init__(
        self, create: Callable[[], Environment], idle_timeout: float, snapshot: Snapshot | None = None
    ) -> None:
        """``snapshot``: SnapStart's, which the environments are forked from; it goes with the pool."""
        self._create = create
        self._idle_timeout = idle_timeout
        self._snapshot = snapshot
        self._idle: list[Environment] = []
        self._busy: set[Environment] = set()
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
            environment = self._create()
        self._busy.add(environment)
        return environment

    def release(self, environment: Environment) -> None:
        self._busy.discard(environment)
        if self.retired:
            environment.close()
            if not self._busy:
                self._discard_snapshot()
        else:
            self._idle.append(environment)

    def reclaim(self) -> int:
        """Close environments idle for longer than the idle timeout; returns how many."""
        if not self._idle or self._idle[0].last_used >= time.monotonic() - self._idle_timeout:
            return 0  # the least recently used is at the front: nothing has expired
        cutoff = time.monotonic() - self._idle_timeout
        expired = [env for env in self._idle if env.last_used < cutoff]
        self._idle = [env for env in self._idle if env.last_used >= cutoff]
        for environment in expired:
            environment.close()
        return len(expired)

    def retire(self) -> None:
        """Close idle environments now and busy ones when they come back: the function changed."""
        self.retired = True
        for environment in self._idle:
            environment.close()
        self._idle.clear()
        if not self._busy:  # (busy environments' exits are reported by their snapshot)
            self._discard_snapshot()

    def close(self) -> None:
        for environment in self.environments:
            environment.close()
        self._idle.clear()
        self._busy.clear()
        self._discard_snapshot()

    def take_snapshot(self) -> None:
        if self._snapshot is not None:
            self._snapshot.take()

    def _discard_snapshot(self) -> None:
        if self._snapshot is not None:
            self._snapshot.discard()
