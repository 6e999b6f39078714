"""Where the crawler runs CPU-heavy work (policy text extraction): off the event loop, always.

By default a thread (lxml's parser releases the GIL, the tree walk does not). A service that shares its
loop with request handlers plugs in a process pool with ``use_runner``; the crawler never imports the
service, the service hands this function over at start and takes it back at stop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Runner = Callable[..., Awaitable[Any]]  # runner(fn, *args) → fn(*args), somewhere else

_runner: Runner | None = None


def use_runner(runner: Runner | None) -> None:
    """Run offloaded work with ``runner(fn, *args)`` (fn and args picklable); None: a thread."""
    global _runner
    _runner = runner


def release_runner(runner: Runner) -> None:
    """Back to a thread, unless another runner has been plugged in since."""
    global _runner
    if _runner == runner:
        _runner = None


async def run_off_loop(fn: Callable[..., T], *args: Any) -> T:
    if _runner is not None:
        return await _runner(fn, *args)
    return await asyncio.to_thread(fn, *args)
