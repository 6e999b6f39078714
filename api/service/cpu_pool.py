"""CPU-heavy work of the service (policy text extraction, analysis) in worker processes, so a hostile
page costs a worker its time, never the event loop that answers /v1/health and the summaries.

Bounded (a few processes, each capped in memory); started with the job runner, stopped with it. A worker
that dies (killed, out of memory) breaks the whole ProcessPoolExecutor: the job that saw it fails with
a clear error and the next job gets a fresh pool.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
WORKER_MEMORY_BYTES = 2 * 1024**3  # address space per worker: a hostile input fails its job, not the machine


class WorkerCrashedError(RuntimeError):
    """A worker process died while running a job's work (the pool is replaced for the next job)."""


def _init_worker(max_bytes: int | None) -> None:
    _exit_with_parent()
    if max_bytes:
        _limit_memory(max_bytes)


def _exit_with_parent() -> None:
    # A service killed by a signal never calls close(): without this its idle workers would live on.
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _limit_memory(max_bytes: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
    except (ImportError, ValueError, OSError):  # not on this platform, or already lower
        pass


class CpuPool:
    def __init__(self, workers: int = DEFAULT_WORKERS, memory_bytes: int | None = WORKER_MEMORY_BYTES) -> None:
        self.workers = workers
        self.memory_bytes = memory_bytes
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the service has threads (aiohttp, Playwright) a fork would copy mid-lock.
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(self.memory_bytes,))
        return self._executor

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; fn, args and the result cross processes by pickle."""
        pool = self._pool()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool as exc:
            self._discard(pool)
            raise WorkerCrashedError(f"a worker process died while running {getattr(fn, '__name__', fn)} "
                                     "(killed or out of memory)") from exc

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if self._executor is pool:
            self._executor = None
            pool.shutdown(wait=False, cancel_futures=True)
            log.warning("a CPU worker process died; the pool is replaced for the next job")

    def close(self) -> None:
        """Stop at once: a worker busy with a hostile page would otherwise outlive the service."""
        pool, self._executor = self._executor, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before 3.14
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
