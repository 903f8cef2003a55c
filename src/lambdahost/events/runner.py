"""Runs a workspace's triggers in a running host: schedules fire on time, files written to or
deleted from a bucket folder notify the functions that listen to that bucket. Both invoke
asynchronously, as EventBridge and S3 do, so retries and destinations apply."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import TypeVar

from .sources import Sources, now_sequencer

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


def _objects(changes, deleted_kind) -> list[tuple[Path, bool]]:
    """The files a batch of changes touched, as (path, deleted). A new folder is read whole: files
    written into it before its watch was in place are reported by nothing else."""
    found: dict[Path, bool] = {}
    for change, raw in sorted(changes, key=lambda c: c[1]):
        path = Path(raw)
        if path.is_dir():
            found.update((p, False) for p in path.rglob("*") if p.is_file())
        else:
            found[path] = change == deleted_kind and not path.exists()
    return list(found.items())


def bucket_folder(state_dir: Path, bucket: str) -> Path:
    return state_dir / "buckets" / bucket


class TriggerRunner:
    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.host = workspace.host

    def sources(self) -> Sources:
        settings = self.host.settings
        return Sources(self.workspace.project, settings.region, settings.account_id)

    async def run(self) -> None:
        """Schedules and buckets, until cancelled; a template reload is picked up within a second."""
        await asyncio.gather(self._schedules(), self._buckets())

    async def _schedules(self) -> None:
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

    async def _buckets(self) -> None:
        import watchfiles

        while True:
            sources = self.sources()
            triggers = sources.buckets()
            folders = {t.bucket: bucket_folder(self.host.state_dir, t.bucket) for t in triggers}
            for folder in folders.values():
                folder.mkdir(parents=True, exist_ok=True)
            if not folders:
                await asyncio.sleep(1)
                continue
            project = self.workspace.project
            stop = asyncio.Event()
            watch = watchfiles.awatch(
                *folders.values(), stop_event=stop, step=50, rust_timeout=1000, yield_on_timeout=True
            )
            async for changes in watch:
                for path, deleted in _objects(changes, watchfiles.Change.deleted):
                    for trigger in triggers:
                        folder = folders[trigger.bucket]
                        if not path.is_relative_to(folder):
                            continue
                        key = path.relative_to(folder).as_posix()
                        exists = not deleted and path.is_file()
                        delivery = sources.object_event(trigger, key, path if exists else None, now_sequencer())
                        if delivery is not None:
                            await self.host.events.put(delivery.function_name, delivery.payload)
                if project is not self.workspace.project:
                    stop.set()  # the template changed: watch the buckets it names now
