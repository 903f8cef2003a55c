"""The execution environments of one function version."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..sandbox.environment import Environment


class Pool:
    """Warm environments are reused most recently used first, so the rest age out and are reclaimed."""

    def __init__(self, create: Callable[[], Environment]) -> None:
        self._create = create
        self._idle: list[Environment] = []
        self._busy: set[Environment] = set()
        self.retired = False

    @property
    def environments(self) -> list[Environment]:
        return [*self._idle, *self._busy]

    def acquire(self) -> Environment:
        environment = self._idle.pop() if self._idle else self._create()
        self._busy.add(environment)
        return environment

    def release(self, environment: Environment) -> None:
        self._busy.discard(environment)
        if self.retired:
            environment.close()
        else:
            self._idle.append(environment)

    def reclaim(self, idle_timeout: float) -> int:
        """Close environments idle for longer than ``idle_timeout`` seconds; returns how many."""
        cutoff = time.monotonic() - idle_timeout
        expired = [env for env in self._idle if env.last_used < cutoff]
        for environment in expired:
            self._idle.remove(environment)
            environment.close()
        return len(expired)

    def retire(self) -> None:
        """Close idle environments now and busy ones when they come back: the function changed."""
        self.retired = True
        for environment in self._idle:
            environment.close()
        self._idle.clear()

    def close(self) -> None:
        for environment in self.environments:
            environment.close()
        self._idle.clear()
        self._busy.clear()
