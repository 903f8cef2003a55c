"""Stale bytecode after a code change.

Python trusts a cached ``.pyc`` when the source's mtime (in whole seconds) and size match, so a
same-size edit within a second of the last import would run the old code. After a change the
host drops the cached bytecode of the function's own sources; their next import recompiles.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def invalidate(code_dir: Path) -> int:
    """Delete the cached bytecode of every Python source under ``code_dir``; returns how many."""
    removed = 0
    for source in code_dir.rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        for pyc in cached.parent.glob(f"{source.stem}.*.pyc"):
            pyc.unlink(missing_ok=True)
            removed += 1
    return removed
