"""A template's functions served by a host, kept in step with the files on disk.

Hot reload: a saved change under a function's code folder (or a layer's) recycles that
function's environments, so the next invocation imports the new code; a saved template is read
again and its functions added, replaced or removed. A template with an error is reported and
the functions keep running as they were.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .host import AsyncHost
from .template import Project, TemplateError, load_project

log = logging.getLogger("lambdahost")


@dataclass(frozen=True)
class WorkspaceOptions:
    template_path: Path
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    env_vars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def load(self, host: AsyncHost) -> Project:
        return load_project(
            self.template_path,
            parameter_overrides=self.parameter_overrides,
            env_vars=self.env_vars,
            region=host.settings.region,
            account_id=host.settings.account_id,
            inline_code_dir=host.state_dir / "inline",
        )


def read_env_vars(path: Path | None) -> dict:
    """SAM's --env-vars file: ``{"FunctionName": {...}, "Parameters": {...}}``."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise TemplateError(f"cannot read the --env-vars file: {exc.strerror}", path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise TemplateError(f"the --env-vars file is not valid JSON: {exc}", path=str(path)) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise TemplateError(
            'the --env-vars file must map function names (or "Parameters") to variables', path=str(path)
        )
    return data


class Workspace:
    def __init__(self, host: AsyncHost, options: WorkspaceOptions) -> None:
        self.host = host
        self.options = options
        self.project = options.load(host)
        self._apply(None, self.project)

    def _apply(self, old: Project | None, new: Project) -> None:
        for function in new.functions.values():
            previous = old.functions.get(function.logical_id) if old else None
            if previous is None or previous.config != function.config:
                self.host.add_function(function.config)
        if old is not None:
            kept = {f.config.name for f in new.functions.values()}
            for function in old.functions.values():
                if function.config.name not in kept:
                    self.host.remove_function(function.config.name)

    def reload_template(self) -> None:
        project = self.options.load(self.host)  # raises before anything changes
        self._apply(self.project, project)
        self.project = project

    def reload_code(self, changed: set[Path]) -> list[str]:
        """Recycle the functions whose code or layer folders hold a changed file; returns their names."""
        touched = []
        for function in self.project.functions.values():
            folders = [function.config.code_dir, *function.config.layers]
            if any(path.is_relative_to(folder) for path in changed for folder in folders):
                self.host.add_function(function.config)
                touched.append(function.config.name)
        return touched

    async def watch(self) -> None:
        """Apply changes as they are saved, until cancelled."""
        import watchfiles

        template = self.options.template_path.resolve()
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
