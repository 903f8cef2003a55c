"""Runs a workspace's schedules in a running host: each fires on time and invokes its function
asynchronously, as EventBridge does, so retries and destinations apply. (Buckets, topics and
buses notify their functions as calls reach them: ``api/aws_proxy.py``.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import TypeVar

from .sources import Sources

log = logging.getLogger("lambdahost")
T = TypeVar("T")


async def run_each(current: Callable[[], Iterable[T]], run: Callable[[T], Coroutine], interval: float = 0.5) -> None:
    """One task ``run(item)`` per item that ``current()`` gives (hashable items: event source
    mappings); every ``interval`` seconds, items that appeared start and those that went are
    cancelled, so that an unchanged mapping keeps running through a template reload. Until cancelled."""
    running: dict[T, asyncio.Task] = {}
    try:
        while True:
            wanted = set(current())
            for item in running.keys() - wanted:
                running.pop(item).cancel()
            for item in wanted - running.keys():
                running[item] = asyncio.ensure_future(run(item))
            await asyncio.sleep(interval)
    finally:
        for task in running.values():
            task.cancel()
        await asyncio.gather(*running.values(), return_exceptions=True)


def may_read_remote(host, mapping) -> bool:
    """Whether a mapping's source, neither a local queue nor anything lambdahost serves, may be
    read: only with ``--aws-endpoint-url`` (an emulator, or ``aws``), since a mapping deletes the
    messages it delivers and a deploy script's ARNs name real queues."""
    if host.settings.reads_remote_sources:
        return True
    log.warning(
        "event source mapping %s of %s: %s is not local; it is not read without --aws-endpoint-url "
        "(an emulator's URL, or 'aws' for AWS itself)",
        mapping.uuid,
        mapping.function_name,
        mapping.event_source_arn,
    )
    return False


class ScheduleRunner:
    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.host = workspace.host

    def sources(self) -> Sources:
        settings = self.host.settings
        return Sources(self.workspace.project, settings.region, settings.account_id)

    async def run(self) -> None:
        """Until cancelled; a template reload is picked up within a second."""
        started = dt.datetime.now(dt.timezone.utc)
        project, due = None, {}
        while True:
            if project is not self.workspace.project:  # (re)read the schedules
                project, sources = self.workspace.project, self.sources()
                now = dt.datetime.now(dt.timezone.utc)
                due = {trigger: trigger.schedule.next_after(now, started) for trigger in sources.schedules()}
            now = dt.datetime.now(dt.timezone.utc)
            for trigger, at in list(due.items()):
                if at <= now:
                    await self.host.events.put(trigger.function_name, sources.scheduled_event(trigger, at))
                    log.info("schedule %s of %s fired", trigger.event_name, trigger.function_name)
                    due[trigger] = trigger.schedule.next_after(now, started)
            wait = min([(at - now).total_seconds() for at in due.values()] + [1.0])
            await asyncio.sleep(max(0.05, wait))
