"""Map a Lambda runtime name (``python3.12``) to a real interpreter binary on this machine.

Resolving once matters: on many machines ``python3.12`` on PATH is a shell shim (pyenv, asdf)
that costs tens of milliseconds per start, and a fork-server needs the binary itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidParameterValueException
from ..model import limits

log = logging.getLogger("lambdahost")
# The oldest interpreter lambdahost's runtime (runtime/) runs on: python3.8 functions run on the
# closest after it.
OLDEST = (3, 9)


@dataclass(frozen=True)
class Interpreter:
    executable: str
    version: tuple[int, int, int]

    @property
    def runtime(self) -> str:
        return f"python{self.version[0]}.{self.version[1]}"


HOST = Interpreter(sys.executable, tuple(sys.version_info[:3]))


class InterpreterResolver:
    """Finds and caches the interpreter of each runtime; falls back to the host's unless strict."""

    def __init__(
        self, configured: Mapping[str, str] | None = None, strict: bool = False, cache_file: Path | None = None
    ) -> None:
        self._configured = dict(configured or {})
        self._strict = strict
        self._cache: dict[str, Interpreter] = {}
        self._probes = ProbeCache(cache_file)

    def resolve(self, runtime: str) -> Interpreter:
        if runtime not in self._cache:
            self._cache[runtime] = self._find(runtime)
            warn_if_deprecated(runtime)
        return self._cache[runtime]

    def _find(self, runtime: str) -> Interpreter:
        if runtime in self._configured:
            found = self._probes.probe(self._configured[runtime])
            if found is None or found.runtime != runtime:
                raise InvalidParameterValueException(
                    f"The interpreter configured for {runtime} ({self._configured[runtime]}) "
                    f"is {'not runnable' if found is None else found.runtime}"
                )
            return found
        found = self._installed(runtime)
        if found is not None:
            return found
        if self._strict:
            raise InvalidParameterValueException(
                f"Runtime {runtime} needs a {runtime} interpreter, and none was found on PATH; "
                f"install one or configure its path"
            )
        closest = next(filter(None, map(self._installed, _by_closeness(runtime))), HOST)
        too_old = f" (lambdahost's runtime needs python{OLDEST[0]}.{OLDEST[1]} or later)"
        log.warning(
            "No %s interpreter found%s; running %s functions on %s (%s), the closest there is",
            runtime,
            too_old if _version(runtime) < OLDEST else "",
            runtime,
            closest.runtime,
            closest.executable,
        )
        return closest

    def _installed(self, runtime: str) -> Interpreter | None:
        if runtime == HOST.runtime:
            return HOST
        if _version(runtime) < OLDEST:
            return None  # lambdahost's runtime cannot run on it: the closest it can, then
        for candidate in _candidates(runtime):
            found = self._probes.probe(candidate)
            if found is not None and found.runtime == runtime:
                return found
        return None


def warn_if_deprecated(runtime: str) -> None:
    if runtime in limits.DEPRECATED_RUNTIMES:
        deprecated, refused = limits.DEPRECATED_RUNTIMES[runtime]
        log.warning(
            "%s is deprecated since %s: Lambda still runs existing functions on it, but takes no new ones from %s "
            "and patches it no more",
            runtime,
            deprecated,
            refused,
        )


def _version(runtime: str) -> tuple[int, ...]:
    return tuple(map(int, runtime.removeprefix("python").split(".")))


def _by_closeness(runtime: str) -> list[str]:
    """The other Python runtimes, the nearest version first (the newer of two as near)."""
    minor = _version(runtime)[1]
    others = [r for r in limits.PYTHON_RUNTIMES if r != runtime]
    return sorted(others, key=lambda r: (abs(_version(r)[1] - minor), -_version(r)[1]))


def _candidates(runtime: str) -> list[str]:
    """PATH first, then the usual homes of interpreters that version managers keep off PATH."""
    version = runtime.removeprefix("python")
    home = Path.home()
    found = [shutil.which(runtime)]
    for pattern in (
        f".pyenv/versions/{version}.*/bin/{runtime}",
        f".local/share/uv/python/cpython-{version}.*/bin/{runtime}",
    ):
        found += sorted(str(p) for p in home.glob(pattern))
    found += [f"/usr/local/bin/{runtime}", f"/usr/bin/{runtime}"]
    return [c for c in dict.fromkeys(found) if c and Path(c).exists()]


class ProbeCache:
    """Probe results kept on disk, so a one-shot command does not start every interpreter again.
    An entry holds while the probed file's modification time and the interpreter it named stay.
    ``probe`` asks a program for its real binary and version, as a ``kind`` (Python by default)."""

    def __init__(self, path: Path | None, probe: Callable[[str], Interpreter | None] | None = None, kind=None) -> None:
        self._path = path
        self._probe = probe or _probe
        self._kind = kind or Interpreter
        try:
            self._entries = json.loads(path.read_text()) if path else {}
        except (OSError, ValueError):
            self._entries = {}

    def probe(self, command: str) -> Interpreter | None:
        try:
            stamp = os.stat(command).st_mtime_ns
        except OSError:
            stamp = None
        entry = self._entries.get(command)
        if entry and entry["stamp"] == stamp:
            if entry["executable"] is None:
                return None  # it did not run last time either (a shim of a version not installed)
            if os.path.exists(entry["executable"]):
                return self._kind(entry["executable"], tuple(entry["version"]))
        found = self._probe(command)
        if self._path is not None:
            self._entries[command] = {
                "stamp": stamp,
                "executable": found and found.executable,
                "version": found and found.version,
            }
            with contextlib.suppress(OSError):  # a cache that cannot be written costs time, not correctness
                self._path.write_text(json.dumps(self._entries))
        return found


def _probe(command: str) -> Interpreter | None:
    """Ask an interpreter (or a shim in front of one) for its real binary and version."""
    out = probe_lines([command, "-c", "import sys; print(sys.executable); print(*sys.version_info[:3])"])
    return Interpreter(out[0], tuple(int(part) for part in out[1].split())) if out else None


def probe_lines(command: list[str]) -> list[str] | None:
    """What a program (an interpreter, Node, or a shim in front of either) prints, line by line;
    None if it does not run."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
