"""Packages installed for one interpreter, once: each set goes into a folder of a cache shared by
every project (``~/.cache/lambdahost/packages``), named by the interpreter's version, the machine
and what was asked, so the next start finds it there with no network. The interpreter's own pip
installs them (uv's, when uv is on PATH), for its version and platform, as ``sam build`` does in a
build image.

Used for a function's ``requirements.txt`` (as ``sam build`` installs it into the package), and
for the libraries Lambda's runtime includes on an interpreter too old for lambdahost's own
copies (python3.8 and python3.9).
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..model.function import FunctionConfig
from .interpreter import Interpreter

log = logging.getLogger("lambdahost")


class InstallFailed(Exception):
    pass


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lambdahost" / "packages"


@dataclass(frozen=True)
class Requirements:
    text: str  # a requirements file's text
    what: str  # what they are, for the messages: whose, and from where


def requirements_of(config: FunctionConfig) -> Requirements | None:
    """What a Python function needs installed: its ``requirements.txt`` (unless its package was
    built already: ``sam build``'s output holds its dependencies), and the packages that stand
    in for the public layers it names."""
    if not config.is_python:
        return None
    found = config.code_dir / "requirements.txt"
    lines, sources = [], []
    if found.is_file() and ".aws-sam" not in config.code_dir.parts:
        lines.append(found.read_text().rstrip("\n"))
        sources.append(str(found))
    if config.layer_packages:
        lines += config.layer_packages
        sources.append("its public layers: " + ", ".join(config.layer_packages))
    if not lines:
        return None
    return Requirements("\n".join(lines) + "\n", f"the requirements of {config.name} ({'; '.join(sources)})")


def folder(interpreter: Interpreter, requirements: str, cache: Path | None = None) -> Path:
    """Where ``requirements`` installed for ``interpreter`` are kept (installed or not)."""
    runtime = interpreter.runtime
    key = hashlib.sha256(f"{runtime}\0{platform.machine()}\0{requirements}".encode()).hexdigest()[:16]
    return (cache or cache_root()) / f"{runtime}-{key}"


def installed(interpreter: Interpreter, requirements: str) -> Path | None:
    target = folder(interpreter, requirements)
    return target if (target / ".installed").exists() else None


def install(interpreter: Interpreter, requirements: str, what: str, cache: Path | None = None) -> Path:
    """The folder holding ``requirements`` (a requirements file's text) installed for
    ``interpreter``; InstallFailed with the installer's own words if it cannot be made."""
    uv = shutil.which("uv")
    if uv:
        command = [uv, "pip", "install", "--python", interpreter.executable]
    else:
        command = [interpreter.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    command += ["--quiet", "--target", ".", "-r", "requirements.txt"]
    target = folder(interpreter, requirements, cache)
    return build(target, {"requirements.txt": requirements}, command, what, interpreter.runtime)


def build(
    target: Path, files: dict[str, str], command: list[str], what: str, runtime: str, variables: dict | None = None
) -> Path:
    """``target``, made once: ``files`` written into a fresh folder beside it, ``command`` run
    there (with ``variables`` added to its environment), the folder then moved into place whole
    (a failed or interrupted install leaves nothing half made); InstallFailed with the
    installer's own words if it fails."""
    if (target / ".installed").exists():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, text in files.items():
        (partial / name).write_text(text)
    log.warning("installing %s for %s (once: it is kept in %s)", what, runtime, target)
    environment = {**os.environ, **variables} if variables else None
    done = subprocess.run(command, cwd=partial, capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        words = (done.stderr or done.stdout).strip().splitlines()
        raise InstallFailed(f"{what} could not be installed for {runtime}: " + " ".join(words[-3:]))
    (partial / ".installed").touch()
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target
