"""What a command needs of a template to name its functions (logical ids, names, handlers,
runtimes, memory, timeouts), kept in the state folder with what it was read from.

``list``, and ``invoke`` through a running ``serve``, answer from it without reading the template:
reading one imports a YAML parser and the whole reader, some 40 ms of a 60 ms command. It is read
again when any file it was read from changes, when the command line gives other parameter
overrides, ``--env-vars`` or region, and when lambdahost's template reader itself changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .project import Project

INDEX_FILE = "index.json"


@dataclass(frozen=True)
class IndexedFunction:
    logical_id: str
    name: str
    handler: str
    runtime: str
    memory_size: int
    timeout: int
    cdk_path: str | None = None

    def answers_to(self, name: str) -> bool:
        """Whether ``name`` names it, as ``sam local`` finds functions: by logical id, function
        name or, from CDK, its construct's path (``Stack/Worker``, or ``Worker`` within the stack)."""
        return name in (self.logical_id, self.name, self.cdk_path, (self.cdk_path or "").partition("/")[2])


@dataclass(frozen=True)
class ProjectIndex:
    template_path: Path
    functions: dict[str, IndexedFunction]  # by logical id, in the template's order
    unemulated: tuple[str, ...] = ()

    @classmethod
    def of(cls, project: Project) -> ProjectIndex:
        return cls(
            project.template_path,
            {
                logical_id: IndexedFunction(
                    logical_id,
                    definition.config.name,
                    definition.config.handler,
                    definition.config.runtime,
                    definition.config.memory_size,
                    definition.config.timeout,
                    definition.cdk_path,
                )
                for logical_id, definition in project.functions.items()
            },
            project.unemulated,
        )

    def find(self, name: str) -> IndexedFunction | None:
        if name in self.functions:
            return self.functions[name]
        return next((function for function in self.functions.values() if function.answers_to(name)), None)


def read(state_dir: Path, template_path: Path, inputs: Mapping[str, Any]) -> ProjectIndex | None:
    """The index of ``template_path`` read with ``inputs`` (overrides, env vars, region), if the
    one kept is current."""
    try:
        kept = json.loads((state_dir / INDEX_FILE).read_text())
        if kept["key"] != _key(template_path, inputs) or any(_stamp(Path(p)) != s for p, s in kept["sources"]):
            return None
        functions = {f["logical_id"]: IndexedFunction(**f) for f in kept["functions"]}
        return ProjectIndex(template_path, functions, tuple(kept["unemulated"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none kept, or from another version of lambdahost


def keep(state_dir: Path, project: Project, inputs: Mapping[str, Any]) -> None:
    """Keep the index of a project just read, for the next command (best effort: a folder that
    cannot be written only costs the next command a read of the template)."""
    index = ProjectIndex.of(project)
    kept = {
        "key": _key(project.template_path, inputs),
        "sources": [[str(path), _stamp(path)] for path in dict.fromkeys(project.sources)],
        "functions": [asdict(function) for function in index.functions.values()],
        "unemulated": list(index.unemulated),
    }
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        written = state_dir / f"{INDEX_FILE}.{os.getpid()}"
        written.write_text(json.dumps(kept))
        os.replace(written, state_dir / INDEX_FILE)  # whole, for a command reading it meanwhile
    except OSError:
        pass


def _key(template_path: Path, inputs: Mapping[str, Any]) -> Any:
    """What else than its files a project depends on, as JSON would give it back."""
    return json.loads(json.dumps({"template": str(template_path), "inputs": inputs, "reader": _reader_stamp()}))


def _stamp(path: Path) -> list[int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return [status.st_mtime_ns, status.st_size]


def _reader_stamp() -> int:
    """When lambdahost's template reader last changed (an upgrade, or an edit in a checkout)."""
    here = Path(__file__).parent
    return max(
        entry.stat().st_mtime_ns
        for folder in (here, here.parent / "model")
        for entry in os.scandir(folder)
        if entry.name.endswith(".py")
    )
