"""State kept in SQLite, the embedded default: logs now, more as the host grows."""

from .logs import LogStore

__all__ = ["LogStore"]
