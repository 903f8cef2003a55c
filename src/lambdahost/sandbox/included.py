"""The libraries AWS's Python runtime includes for every function: boto3 and what it needs, and
the SnapStart hooks module ``snapshot_restore_py`` (``snapshot.py`` runs the hooks registered
with it). An environment whose
interpreter lacks them (a python3.12 from pyenv, say) finds lambdahost's own copies, as a
handler on Lambda can ``import boto3`` without packaging it.

They are offered through one folder of links to the host's copies (pure Python, so any
interpreter version can import them), put on ``sys.path`` after the interpreter's own
packages: a boto3 the interpreter has wins, as the one in the function's package or layers does.
"""

from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

INCLUDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "snapshot_restore_py")


def link_included(folder: Path) -> Path:
    """Make (or bring up to date) the folder of links; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in INCLUDED:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        link = folder / source.name
        if link.is_symlink() and link.resolve() == source.resolve():
            continue
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(source, target_is_directory=source.is_dir())
    return folder
