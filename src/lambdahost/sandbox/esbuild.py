"""A function SAM builds with esbuild (``Metadata: BuildMethod: esbuild``, TypeScript handlers most
often), built as ``sam build`` builds it: its entry points bundled for Node.js by esbuild, with its
``BuildProperties`` (Minify, Target, Format, Sourcemap, External, Loader, MainFields,
OutExtension, Banner, Footer). The bundle goes into the cache every project shares, named by
what it was built from, so an unchanged function is not built again; the function runs from there.

esbuild is the project's own (node_modules/.bin), else the one on PATH, else installed once into
the cache. The function's package.json dependencies are found through NODE_PATH (``npm.py``
installs them). With ``Sourcemap: true``, Node is started with --enable-source-maps, as SAM's
esbuild build sets NODE_OPTIONS, so stack traces point at the .ts lines.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from ..model.function import FunctionConfig
from . import packages
from .node import Node

ESBUILD_VERSION = "0.24.0"  # the one installed when the machine has none
_SKIPPED = {"node_modules", ".aws-sam", ".lambdahost", ".git"}


def built(config: FunctionConfig, node: Node) -> Path | None:
    """The folder the function runs from once built, if it is built (``build``)."""
    target = folder(config, node)
    return target if (target / ".installed").exists() else None


def folder(config: FunctionConfig, node: Node) -> Path:
    digest = hashlib.sha256(f"{node.runtime}\0{json.dumps(config.esbuild, sort_keys=True)}".encode())
    for path in _sources(Path(config.code_dir)):
        digest.update(f"\0{path.relative_to(config.code_dir)}\0".encode())
        digest.update(path.read_bytes())
    return packages.cache_root() / f"esbuild-{node.runtime}-{digest.hexdigest()[:16]}"


def build(config: FunctionConfig, node: Node, node_modules: Path | None) -> Path:
    """The function's bundle, built now if it is not; InstallFailed with esbuild's own words."""
    properties = config.esbuild or {}
    code = Path(config.code_dir)
    entry_points = properties.get("EntryPoints") or []
    if not entry_points:
        raise packages.InstallFailed(f"{config.name}: BuildMethod esbuild needs BuildProperties EntryPoints")
    command = [
        _esbuild(code, node),
        *(str(code / entry) for entry in entry_points),
        "--bundle",
        "--platform=node",
        f"--target={properties.get('Target', 'es2020')}",
        "--outdir=.",
        f"--format={properties.get('Format', 'cjs')}",
    ]
    if _true(properties.get("Minify")):
        command.append("--minify")
    if _true(properties.get("Sourcemap")):
        command.append("--sourcemap")
    command += [f"--external:{name}" for name in properties.get("External") or []]
    command += [f"--loader:{rule}" for rule in properties.get("Loader") or []]
    command += [f"--out-extension:{rule}" for rule in properties.get("OutExtension") or []]
    if properties.get("MainFields"):
        command.append(f"--main-fields={properties['MainFields']}")
    for option in ("Banner", "Footer"):
        if properties.get(option):
            command.append(f"--{option.lower()}:js={properties[option]}")
    variables = {"NODE_PATH": str(node_modules)} if node_modules else None
    what = f"the esbuild bundle of {config.name}"
    return packages.build(folder(config, node), {}, command, what, node.runtime, variables)


def node_options(config: FunctionConfig, node_options: str) -> str:
    """NODE_OPTIONS for the function: with --enable-source-maps when it is built with source maps."""
    if not _true((config.esbuild or {}).get("Sourcemap")) or "--enable-source-maps" in node_options:
        return node_options
    return " ".join(filter(None, [node_options, "--enable-source-maps"]))


def _esbuild(code: Path, node: Node) -> str:
    own = code / "node_modules" / ".bin" / "esbuild"
    if own.exists():
        return str(own)
    found = shutil.which("esbuild")
    if found:
        return found
    npm = Path(node.executable).parent / "npm"
    program = str(npm) if npm.exists() else shutil.which("npm")
    if program is None:
        raise packages.InstallFailed("esbuild is needed to build the function, and there is no npm to install it")
    tool = packages.cache_root() / f"esbuild-{ESBUILD_VERSION}"
    files = {"package.json": json.dumps({"private": True, "dependencies": {"esbuild": ESBUILD_VERSION}})}
    packages.build(
        tool, files, [program, "install", "--no-audit", "--no-fund"], f"esbuild {ESBUILD_VERSION}", "Node.js"
    )
    return str(tool / "node_modules" / ".bin" / "esbuild")


def _sources(code: Path) -> list[Path]:
    found = []
    for folder, folders, files in os.walk(code):
        folders[:] = sorted(name for name in folders if name not in _SKIPPED)
        found += [Path(folder) / name for name in sorted(files)]
    return found


def _true(value: object) -> bool:
    return value is True or str(value).lower() == "true"
