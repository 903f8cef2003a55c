"""From an invoke request to an environment: pools, concurrency, throttling."""

from .invoker import Invoker

__all__ = ["Invoker"]
