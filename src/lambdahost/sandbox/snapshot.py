"""SnapStart: a version's environments are forked from one process that has run the init phase
and the before-snapshot hooks, as Lambda restores them from a snapshot of one. Each restored
environment runs the after-restore hooks and then its invocations, with the module imported once,
in the snapshot, and its memory as init left it (random seeds and connections included, which is
why the hooks exist).

The snapshot is an ``Environment`` whose init runs with ``"snapshot"`` in its spec; its channel
then becomes the control socket of a fork-server (``runtime/forkserver.py``) that forks the
version's environments. It is taken when the version is published, or at its first cold start (Lambda takes it when the
version is published: here too, when a loop runs) and again after it failed or stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from .forkserver import ForkServer
from .interpreter import Interpreter
from .launch import Launched

if TYPE_CHECKING:
    from .environment import Environment

log = logging.getLogger("lambdahost")


class SnapshotFailed(Exception):
    """The snapshot's init or its before-snapshot hooks failed: its error type and body."""

    def __init__(self, error_type: str | None, error_body: bytes) -> None:
        super().__init__(error_type)
        self.error_type = error_type
        self.error_body = error_body


class Snapshot(ForkServer):
    restores = True

    def __init__(self, interpreter: Interpreter, take: Callable[[], Environment]) -> None:
        """``take``: a new environment of the version, to initialize as the snapshot."""
        super().__init__(interpreter)
        self._take = take
        self._environment: Environment | None = None
        self._taking = asyncio.Lock()

    async def spawn(self, spec: dict, fds: list[int]) -> tuple[int, asyncio.Future]:
        await self.ready()
        return await super().spawn(spec, fds)

    async def ready(self) -> None:
        """Take the snapshot unless it is there; raises SnapshotFailed."""
        async with self._taking:
            if not self.alive:
                await self._snapshot()

    def take(self, name: str) -> None:
        """Take the snapshot of version ``name`` in the background, as Lambda does when the version
        is published; a failure is logged, and answers the first invocation, which tries again."""
        try:
            task = asyncio.get_running_loop().create_task(self.ready())
        except RuntimeError:  # no loop runs: the first cold start takes it
            return

        def done(task: asyncio.Task) -> None:
            if not task.cancelled() and isinstance(task.exception(), SnapshotFailed):
                log.warning("the SnapStart snapshot of %s failed: %s", name, task.exception().error_type)

        task.add_done_callback(done)

    async def _snapshot(self) -> None:
        self.discard()
        self._environment = self._take()
        channel = await self._environment.take_snapshot()
        self._launched = Launched(self.interpreter.executable, None, channel)
        self.start()

    def discard(self) -> None:
        """Let the snapshot go: its process ends, and so do the environments it has not yet handed over."""
        if self.alive:
            self._gone()
        if self._environment is not None:
            self._environment.close()
            self._environment = None
