"""The state folder (``.lambdahost`` beside the template): where it is, and whether a ``serve``
runs on it. Kept free of heavy imports: a one-shot command asks this before anything else."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from .template.finding import BUILD_FOLDER, CDK_OUT

LOCK_FILE = "aws.lock"  # held by the host that runs the folder's local AWS (a serve)
ENDPOINT_FILE = "aws.endpoint"  # where that host's functions reach AWS, and its Lambda API


def state_folder(template_path: Path | None, given: Path | None = None) -> Path:
    """``--state-dir``, else ``.lambdahost`` beside the template (or here, without one)."""
    if given is not None:
        return Path(given)
    folder = template_path.parent if template_path else Path.cwd()
    if folder.parts[-2:] == BUILD_FOLDER.parts:  # sam build's template: the state stays with the project
        folder = folder.parent.parent
    elif folder.name == CDK_OUT:  # a CDK stack's: likewise (cdk synth rewrites the assembly)
        folder = folder.parent
    return folder / ".lambdahost"


def running_endpoint(state_dir: Path) -> str | None:
    """The endpoint of the host running the local AWS of ``state_dir`` (a ``serve``), if one does."""
    try:
        with open(state_dir / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None  # nobody holds it
    except BlockingIOError:
        with contextlib.suppress(FileNotFoundError):
            return (state_dir / ENDPOINT_FILE).read_text().strip() or None
    except FileNotFoundError:
        pass
    return None
