"""Map a Lambda Node.js runtime (``nodejs20.x``) to a Node binary on this machine, and say how
Lambda starts it.

PATH first, then the homes of the version managers that keep Node off PATH (nvm, fnm, volta);
the closest major version, with a warning, when the runtime's own is missing, as for Python.
Probes are kept on disk (``ProbeCache``): asking a Node its version costs a tenth of a second.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidParameterValueException
from .interpreter import Interpreter, ProbeCache, probe_lines, warn_if_deprecated

log = logging.getLogger("lambdahost")
BOOTSTRAP = Path(__file__).resolve().parent.parent / "runtime" / "node" / "bootstrap.mjs"


@dataclass(frozen=True)
class Node(Interpreter):
    @property
    def runtime(self) -> str:
        return f"nodejs{self.version[0]}.x"


@dataclass(frozen=True)
class NodeFunction:
    """How one Node.js function version runs, worked out once (``Invoker``), not at each cold
    start: its Node, the folder its code runs from when not its code folder (an esbuild bundle),
    and its installed packages' node_modules."""

    node: Node
    task_root: Path | None = None
    modules: Path | None = None


def major(runtime: str) -> int:
    return int(runtime.removeprefix("nodejs").removesuffix(".x"))


class NodeResolver:
    """Finds and keeps the Node of each runtime."""

    def __init__(self, cache_file: Path | None = None) -> None:
        self._probes = ProbeCache(cache_file, _probe, Node)
        self._found: dict[str, Node] = {}
        self._missing: set[str] = set()

    def find(self, runtime: str) -> Node | None:
        """``resolve``, or None on a machine with no Node.js (said once): its functions then fail
        their init saying so, and the rest of a template runs."""
        try:
            return self.resolve(runtime)
        except InvalidParameterValueException as missing:
            if runtime not in self._missing:
                self._missing.add(runtime)
                log.warning("%s", missing.message)
            return None

    def resolve(self, runtime: str) -> Node:
        """Its major version, else the closest there is (said once), else an error that says so."""
        if runtime not in self._found:
            self._found[runtime] = self._find(runtime)
            warn_if_deprecated(runtime)
        return self._found[runtime]

    def _find(self, runtime: str) -> Node:
        found = []
        for candidate in _candidates():
            node = self._probes.probe(candidate)
            if node is not None and node.runtime == runtime:
                return node
            if node is not None:
                found.append(node)
        if not found:
            raise InvalidParameterValueException(
                f"Runtime {runtime} needs Node.js {major(runtime)}, and no Node.js was found on PATH or in nvm, "
                "fnm or volta: install one"
            )
        wanted = major(runtime)
        closest = min(found, key=lambda node: (abs(node.version[0] - wanted), -node.version[0]))
        log.warning(
            "No Node.js %s found; running %s functions on Node.js %s (%s), the closest there is",
            wanted,
            runtime,
            ".".join(map(str, closest.version)),
            closest.executable,
        )
        return closest


def node_command(node: Node, memory_mb: int, node_options: str) -> list[str]:
    """How Lambda's bootstrap starts Node (/var/runtime/bootstrap): with the garbage collector
    exposed, 80 KiB HTTP headers, and a heap sized to the function's memory (a tenth for the young
    generation, half of that per semi-space), unless NODE_OPTIONS sizes it."""
    sizes = []
    if not re.search(r"--max[-_](semi|old)[-_]space[-_]size", node_options):
        young = memory_mb // 10
        sizes = [f"--max-semi-space-size={young // 2}", f"--max-old-space-size={memory_mb - young}"]
    return [node.executable, "--expose-gc", "--max-http-header-size", "81920", *sizes, str(BOOTSTRAP)]


def node_path(runtime: str, task_root: str, layers: list[str]) -> str:
    """NODE_PATH as Lambda sets it, /opt being each layer (the last first):
    /opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task."""
    folders = [f"{layer}/nodejs/node{major(runtime)}/node_modules" for layer in layers]
    folders += [f"{layer}/nodejs/node_modules" for layer in layers]
    return os.pathsep.join([*folders, str(BOOTSTRAP.parent / "node_modules"), str(BOOTSTRAP.parent), task_root])


def _candidates() -> list[str]:
    """PATH's node, then every version nvm, fnm and volta keep, then the usual system places."""
    home = Path.home()
    found = [shutil.which("node"), shutil.which("nodejs")]
    homes = {
        Path(os.environ.get("NVM_DIR", home / ".nvm")) / "versions" / "node": "*/bin/node",
        Path(os.environ.get("FNM_DIR", home / ".local" / "share" / "fnm")) / "node-versions": "*/installation/bin/node",
        home / ".fnm" / "node-versions": "*/installation/bin/node",
        Path(os.environ.get("VOLTA_HOME", home / ".volta")) / "tools" / "image" / "node": "*/bin/node",
    }
    for folder, pattern in homes.items():
        found += sorted(str(path) for path in folder.glob(pattern))
    found += ["/usr/local/bin/node", "/usr/bin/node"]
    return [candidate for candidate in dict.fromkeys(found) if candidate and Path(candidate).exists()]


def _probe(command: str) -> Node | None:
    """The real binary behind ``command`` (a shim, say) and its version."""
    out = probe_lines([command, "-p", "process.execPath + '\\n' + process.versions.node"])
    try:
        return Node(out[0], tuple(int(part) for part in out[1].split(".")[:3])) if out else None
    except (IndexError, ValueError):
        return None
