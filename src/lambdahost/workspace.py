"""A template's functions served by a host, kept in step with the files on disk.

Hot reload: a saved change under a function's code folder (or a layer's) recycles that
function's environments, so the next invocation imports the new code; a saved template is read
again and its functions added, replaced or removed. A template with an error is reported and
the functions keep running as they were.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from .control import provisioned
from .host import AsyncHost
from .model.registry import LATEST
from .template import Project, ProjectSource, TemplateError
from .template.project import FunctionDefinition

log = logging.getLogger("lambdahost")


QUIET_BEFORE_PUBLISHING = 1.0  # seconds a changed function's code must be left alone before AutoPublishAlias


class Workspace:
    def __init__(self, host: AsyncHost, source: ProjectSource) -> None:
        self.host = host
        self.source = source
        self._publishing: dict[str, asyncio.TimerHandle] = {}  # functions whose new code waits to be published
        self.project = self._load()
        self._apply(None, self.project)
        host.events.publish = lambda topic, message, attributes: self.sources().publish(
            topic, message, attributes=attributes
        )

    def _apply(self, old: Project | None, new: Project) -> None:
        visibility = {arn: queue.visibility_timeout for arn, queue in new.queues.items()}
        self.host.control.mappings.declare(list(new.event_source_mappings), visibility)
        for function in new.functions.values():
            previous = old.functions.get(function.logical_id) if old else None
            if previous is None or previous.config != function.config:
                self.host.add_function(function.config)
            record = self.host.registry.record(function.config.name)
            self.host.control.adopt(record)  # what the API gave it before a restart
            record.role = function.role or record.role
            record.tags = {**record.tags, **function.tags}  # the template's win, as a deploy sets them
            record.dead_letter_target = (function.dead_letter_queue or {}).get("TargetArn")
            if function.event_invoke_config:
                record.event_invoke_configs[LATEST] = function.event_invoke_config
            elif previous is not None and previous.event_invoke_config:
                record.event_invoke_configs.pop(LATEST, None)
            if function.recursive_loop:
                record.settings["RecursiveLoop"] = function.recursive_loop
            elif previous is not None and previous.recursive_loop:
                record.settings.pop("RecursiveLoop", None)
            if function.function_url_config is not None:  # the template owns its unqualified URL
                record.url_configs[""] = function.function_url_config
            else:
                record.url_configs.pop("", None)
            if previous is None or _publishes(previous, function):
                self._auto_publish(function)
        if old is not None:
            kept = {f.config.name for f in new.functions.values()}
            for function in old.functions.values():
                if function.config.name not in kept:
                    self.host.remove_function(function.config.name)
                    self.host.control.forget(function.config.name)

    def _load(self) -> Project:
        settings = self.host.settings
        return self.source.load(
            region=settings.region,
            account_id=settings.account_id,
            inline_code_dir=self.host.state_dir / "inline",
            queue_endpoint=settings.function_endpoint_url,
        )

    def reload_template(self) -> None:
        project = self._load()  # raises before anything changes
        self._apply(self.project, project)
        self.project = project

    def reload_code(self, changed: set[Path]) -> list[str]:
        """Recycle the functions whose code or layer folders hold a changed file; returns their names."""
        touched = []
        for function in self.project.functions.values():
            folders = [function.config.code_dir, *function.config.layers]
            if any(path.is_relative_to(folder) for path in changed for folder in folders):
                self.host.add_function(function.config)
                if function.auto_publish_alias:
                    self._publish_when_quiet(function)
                touched.append(function.config.name)
        return touched

    def _publish_when_quiet(self, function: FunctionDefinition) -> None:
        """A save comes as several file events (an editor's temporary file, then a rename): the
        version is published once the code has been quiet for a moment, as a deploy would take it."""
        name = function.config.name
        if name in self._publishing:
            self._publishing[name].cancel()
        loop = asyncio.get_running_loop()
        self._publishing[name] = loop.call_later(QUIET_BEFORE_PUBLISHING, self._auto_publish, function)

    def _auto_publish(self, function: FunctionDefinition) -> None:
        """SAM's AutoPublishAlias, as a deploy does it: a version is published when the code or
        the configuration changed since the last one (the last one is kept otherwise), and the
        alias points at it."""
        alias = function.auto_publish_alias
        if not alias:
            return
        control, name = self.host.control, function.config.name
        version = control.publish_version(name, {"Description": function.version_description}).number
        record = control.record(name)
        moved = record.aliases[alias].function_version != version if alias in record.aliases else True
        if alias not in record.aliases:
            control.create_alias(name, {"Name": alias, "FunctionVersion": version})
        elif moved:
            control.update_alias(name, alias, {"FunctionVersion": version})
        wanted = function.provisioned_concurrency
        held = record.settings.get(provisioned.KEY, {}).get(alias, {}).get("Requested")
        if wanted and (moved or held != wanted):  # SAM's ProvisionedConcurrencyConfig, on the alias
            control.provisioned.put(name, alias, {"ProvisionedConcurrentExecutions": wanted})

    def sources(self):
        from .triggers.sources import Sources

        settings = self.host.settings
        return Sources(self.project, settings.region, settings.account_id)

    async def put_event(
        self, source: str, detail_type: str, detail, bus: str = "default", resources: list[str] | None = None
    ) -> list[str]:
        """EventBridge PutEvents: the rules that match invoke their functions asynchronously."""
        sources = self.sources()
        event = sources.envelope(source, detail_type, detail, resources)
        return [await self.host.events.put(d.function_name, d.payload) for d in sources.put_event(event, bus)]

    async def publish(
        self,
        topic: str,
        message: str,
        subject: str | None = None,
        attributes: dict[str, dict] | None = None,
        trace_header: str | None = None,
    ) -> list[str]:
        """SNS Publish: every subscribed function whose filter policy passes is invoked
        asynchronously. ``trace_header``: the publisher's X-Ray header (its chain of events)."""
        deliveries = self.sources().publish(topic, message, subject, attributes)
        return [await self.host.events.put(d.function_name, d.payload, trace_header=trace_header) for d in deliveries]

    async def notify_object(
        self, bucket: str, name: str, key: str, size: int | None, etag: str | None, trace_header: str | None = None
    ) -> list[str]:
        """An S3 notification: the functions listening to the bucket are invoked asynchronously.
        ``trace_header``: the X-Ray header of the call that changed the object."""
        deliveries = self.sources().object_events(bucket, name, key, size, etag, time.time_ns())
        return [await self.host.events.put(d.function_name, d.payload, trace_header=trace_header) for d in deliveries]

    async def watch(self) -> None:
        """Apply changes as they are saved, until cancelled."""
        import watchfiles

        template = self.source.template_path.resolve()
        state = self.host.state_dir.resolve()
        while True:
            folders = {template.parent, *self.project.code_dirs}
            async for changes in watchfiles.awatch(*folders, recursive=True, step=50):
                paths = {Path(p).resolve() for _, p in changes}
                paths = {p for p in paths if not p.is_relative_to(state) and "__pycache__" not in p.parts}
                if not paths:
                    continue
                if template in paths:
                    try:
                        self.reload_template()
                        log.info("reloaded %s", template.name)
                    except TemplateError as exc:
                        log.error("template not reloaded: %s", exc)
                    break  # the folders to watch may have changed
                for name in self.reload_code(paths):
                    log.info("code changed: %s will start fresh environments", name)
            await asyncio.sleep(0)


def _publishes(previous: FunctionDefinition, function: FunctionDefinition) -> bool:
    """Whether a template change publishes a version, as SAM decides it: a new code folder or
    AutoPublishCodeSha256 does; with AutoPublishAliasAllProperties, any configuration change too.
    (Code changes in place are saved files: ``reload_code``.)"""
    if previous.auto_publish_code_sha256 != function.auto_publish_code_sha256:
        return True
    if function.auto_publish_all_properties:
        return previous.config != function.config
    return previous.config.code_dir != function.config.code_dir
