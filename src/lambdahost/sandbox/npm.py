"""A Node.js function's dependencies: the package.json in its code folder, installed once into a
folder of the cache every project shares (``~/.cache/lambdahost/packages``), named by Node's
major version, the machine and the manifest and lock file's contents. ``npm ci`` when there is a
lock file, else ``npm install``; production dependencies only, as ``sam build`` installs them.

A code folder with its own node_modules (installed by hand, or ``sam build``'s output) is used
as it is. Lambda's Node.js runtimes include the AWS SDK for JavaScript v3, which handlers import
without listing it: the ``@aws-sdk/*`` packages a function's code imports and its package.json
does not name are installed with its dependencies (the latest 3.x), so it runs unchanged. The
environment finds the installed packages at /var/node_modules, an ancestor folder of /var/task
that both ``require`` and ``import`` search (where the machine allows a mount namespace;
elsewhere through NODE_PATH, which only ``require`` reads).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..model.function import FunctionConfig
from . import packages
from .node import Node

LOCK_FILES = ("npm-shrinkwrap.json", "package-lock.json")


@dataclass(frozen=True)
class Manifest:
    files: dict[str, str]  # package.json and its lock file, if any: name -> text
    what: str  # whose, for the messages

    @property
    def locked(self) -> bool:
        return any(name in self.files for name in LOCK_FILES)


def manifest_of(config: FunctionConfig) -> Manifest | None:
    """What a Node.js function needs installed, if anything: its package.json's dependencies, and
    the parts of the AWS SDK it imports that Lambda's runtime would have provided."""
    code = Path(config.code_dir)
    if not config.is_node or (code / "node_modules").is_dir():
        return None
    files = {name: (code / name).read_text() for name in ("package.json", *LOCK_FILES) if (code / name).is_file()}
    try:
        manifest = json.loads(files.get("package.json", "{}"))
        dependencies = dict(manifest.get("dependencies") or {})
    except (ValueError, AttributeError, TypeError):
        return Manifest(files, f"the dependencies of {config.name} ({code / 'package.json'})")  # npm says what is wrong
    included = {name: "^3" for name in sorted(_sdk_imports(code)) if name not in dependencies}
    if included:  # a package.json of its own, with what the runtime would have given it
        files = {"package.json": json.dumps({**manifest, "dependencies": {**dependencies, **included}}, indent=2)}
    if not dependencies and not included:  # ("type": "module" alone, say)
        return None
    what = f"the dependencies of {config.name} ({', '.join([*dependencies, *included])})"
    return Manifest(files, what)


_SDK_IMPORT = re.compile(r"""(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"](@aws-sdk/[a-z0-9-]+)['"/]""")


def _sdk_imports(code: Path) -> set[str]:
    """The ``@aws-sdk/*`` packages the function's JavaScript and TypeScript import or require."""
    found: set[str] = set()
    for folder, folders, names in os.walk(code):
        folders[:] = [name for name in folders if name not in ("node_modules", ".aws-sam", ".lambdahost", ".git")]
        for name in names:
            if name.endswith((".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")):
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    found.update(_SDK_IMPORT.findall(Path(folder, name).read_text()))
    return found


def folder(node: Node, manifest: Manifest) -> Path:
    """Where ``manifest``'s packages are kept for ``node`` (installed or not)."""
    contents = "\0".join(f"{name}\0{text}" for name, text in sorted(manifest.files.items()))
    key = hashlib.sha256(f"{node.runtime}\0{platform.machine()}\0{contents}".encode()).hexdigest()[:16]
    return packages.cache_root() / f"{node.runtime}-{key}"


def installed(node: Node, manifest: Manifest) -> Path | None:
    """The installed packages' node_modules folder, if they are installed."""
    target = folder(node, manifest)
    return target / "node_modules" if (target / ".installed").exists() and (target / "node_modules").is_dir() else None


def install(node: Node, manifest: Manifest) -> Path:
    """The node_modules folder of ``manifest``'s packages, installed now if they are not."""
    npm = Path(node.executable).parent / "npm"
    program = str(npm) if npm.exists() else shutil.which("npm")
    if program is None:
        raise packages.InstallFailed(f"{manifest.what} could not be installed: no npm beside Node or on PATH")
    command = [program, "ci" if manifest.locked else "install", "--omit=dev", "--no-audit", "--no-fund"]
    target = packages.build(folder(node, manifest), manifest.files, command, manifest.what, node.runtime)
    return target / "node_modules"
