"""The crawl queue's workers: a bounded pool inside the service, sharing one Chromium.

The queue lives in the store, so it survives restarts: a running job whose heartbeat goes stale
(the process died) is retried with back-off up to its max attempts, by whichever service sees it.
Each job runs the audit pipeline (``pipeline.py``: SSRF check → crawl → analyze → store capture + report in one
transaction); a failure is recorded on the job and retried unless no attempt can fix it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from typing import Any

from crawler import BrowserNotFoundError, Crawler
from crawler.offload import release_runner, use_runner
from model.errors import InvalidDomainError

from ..errors import TargetRefusedError, disk_full
from ..store.base import Job, Store
from .config import ServiceConfig
from .cpu_pool import CpuPool
from .pipeline import AuditFailed, AuditPipeline, analyze
from .targets import TargetGuard

log = logging.getLogger(__name__)

# Failures that another attempt cannot fix.
PERMANENT = (TargetRefusedError, InvalidDomainError, BrowserNotFoundError)


def backoff(config: ServiceConfig, attempts: int) -> float:
    return min(config.retry_cap_s, config.retry_base_s * 2 ** max(0, attempts - 1))


class JobRunner:
    def __init__(self, store: Store, config: ServiceConfig, guard: TargetGuard) -> None:
        self.store = store
        self.config = config
        self.guard = guard
        self._wake = asyncio.Event()
        self._running: dict[int, tuple[Job, asyncio.Task]] = {}  # job id → job + task, for cancel and beats
        self._unrecorded: dict[int, tuple[Job, str, float | None]] = {}  # failures the store could not take yet
        self._workers: list[asyncio.Task] = []
        self._crawler: Crawler | None = None
        self._crawler_lock = asyncio.Lock()
        self._cpu = CpuPool()  # extraction and analysis: never on the loop that answers requests
        self.pipeline = AuditPipeline(crawl=self._crawl, analyze=self._analyze, guard=guard.check)
        self.name = f"{socket.gethostname()}:{os.getpid()}"  # shown on the jobs it claims

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        use_runner(self._cpu.run)  # the crawler's policy text extraction, too
        await self.recover_stale()
        self._workers = [asyncio.create_task(self._worker(), name=f"crawl-worker-{i}")
                         for i in range(self.config.concurrency)]
        self._workers.append(asyncio.create_task(self._heartbeat(), name="crawl-heartbeat"))

    async def stop(self) -> None:
        """Stop working and put interrupted jobs back in the queue (a killed process leaves them to
        the stale-heartbeat recovery instead)."""
        interrupted = [job for job, _ in self._running.values()]
        tasks = [*self._workers, *(task for _, task in self._running.values())]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers.clear()
        with contextlib.suppress(Exception):  # last chance for failures the store could not take before
            await self._record_unrecorded()
        now = time.time()
        for job in interrupted:
            retry_at = now if job.attempts < job.max_attempts else None
            await self.store.fail_job(job.id, "interrupted: the service stopped", retry_at, now, attempt=job.attempts)
        if self._crawler is not None:
            await self._crawler.__aexit__(None, None, None)
            self._crawler = None
        release_runner(self._cpu.run)
        self._cpu.close()

    def wake(self) -> None:
        self._wake.set()

    async def cancel(self, job_id: int) -> Job:
        job = await self.store.cancel(job_id, time.time())
        running = self._running.get(job_id)
        if running is not None:
            running[1].cancel()
        return job

    # ------------------------------------------------------------------ loops
    async def _worker(self) -> None:
        while True:
            try:
                job = await self.store.claim(time.time(), self.name, self.config.min_interval_s)
            except Exception:  # e.g. the file locked by another process: try again later
                log.exception("could not claim a crawl job")
                job = None
            if job is None:
                await self._idle()
                continue
            task = asyncio.create_task(self._run(job), name=f"crawl-job-{job.id}")
            self._running[job.id] = (job, task)
            try:
                await asyncio.wait([task])  # a cancelled job must not take its worker down with it
            finally:
                self._running.pop(job.id, None)

    async def _idle(self) -> None:
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), self.config.idle_poll_s)
        except TimeoutError:
            pass

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_s)
            try:
                await self._record_unrecorded()
            except Exception:  # noqa: BLE001 - still not writable: the next beat tries again
                log.warning("crawl job failure(s) %s not recorded yet", sorted(self._unrecorded))
            try:
                await self.store.heartbeat([*self._running, *self._unrecorded], time.time())
                await self.recover_stale()
            except Exception:  # the next beat tries again; a dead heartbeat would orphan jobs
                log.exception("heartbeat failed")

    async def recover_stale(self) -> int:
        now = time.time()
        stale_before = now - self.config.stale_after_s
        recovered = 0
        for job in await self.store.stale_jobs(stale_before):
            if job.id in self._running or job.id in self._unrecorded:
                continue
            # The worker died, not the crawl: retry at once, but the attempt counts (a crawl that keeps
            # killing its worker still ends at max attempts).
            retry_at = now if job.attempts < job.max_attempts else None
            if await self.store.fail_job(job.id, "interrupted: the worker stopped without finishing", retry_at, now,
                                         stale_before=stale_before, attempt=job.attempts):
                recovered += 1
        if recovered:
            log.info("recovered %d stale crawl job(s)", recovered)
            self.wake()
        return recovered

    # ------------------------------------------------------------------ one job
    async def run_one(self, job: Job) -> None:
        """Work one claimed job through the audit pipeline (its failure recorded on the job). Shared by the
        in-process workers and ``consentwatch worker`` (procrastinate), which claims jobs its own way."""
        await self._run(job)

    async def _crawl(self, domain: str) -> Any:
        """The capture of ``domain`` by the shared Chromium (a subclass may swap in a fake, for tests/benches)."""
        crawler = await self._shared_crawler()
        return await crawler.crawl(domain)

    async def _analyze(self, capture: Any) -> Any:
        return await self._cpu.run(analyze, capture)

    async def _run(self, job: Job) -> None:
        # The guard runs again: DNS may have changed since the job was queued. Every write names the attempt
        # this worker claimed: if it was declared dead meanwhile and the job re-run elsewhere, they change nothing.
        try:
            await self.pipeline.run(job.domain, save=lambda audit: self.store.save_audit(audit, job.id, job.attempts),
                                    progress=lambda progress: self.store.set_progress(job.id, progress, job.attempts))
            log.info("crawl job %d (%s) done", job.id, job.domain)
        except AuditFailed as failed:  # recorded on the job, never lost
            await self._failed(job, failed.cause)

    async def _failed(self, job: Job, exc: Exception) -> None:
        now = time.time()
        # A full disk is not retried on its own: every attempt would fail the same way until room is made.
        full = disk_full(exc)
        retry = not isinstance(exc, PERMANENT) and not full and job.attempts < job.max_attempts
        retry_at = now + backoff(self.config, job.attempts) if retry else None
        message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:500]
        if full:
            message = "disk full: " + message
        log.warning("crawl job %d (%s) attempt %d failed: %s", job.id, job.domain, job.attempts, message)
        try:
            await self.store.fail_job(job.id, message, retry_at, now, attempt=job.attempts)
        except Exception:  # e.g. the store is full or locked too: keep it, the heartbeat retries
            log.exception("could not record the failure of crawl job %d yet", job.id)
            self._unrecorded[job.id] = (job, message, retry_at)

    async def _record_unrecorded(self) -> None:
        for job_id, (job, message, retry_at) in list(self._unrecorded.items()):
            await self.store.fail_job(job_id, message, retry_at, time.time(), attempt=job.attempts)
            del self._unrecorded[job_id]

    async def _shared_crawler(self) -> Crawler:
        # Launched on first use, then reused: starting Chromium per job would cost more than most crawls.
        async with self._crawler_lock:
            if self._crawler is None:
                crawler = Crawler(self.config.crawl_options)
                try:
                    await crawler.__aenter__()
                except BaseException:  # cancelled or failed mid-launch: leave no browser behind
                    with contextlib.suppress(Exception):
                        await crawler.__aexit__(None, None, None)
                    raise
                self._crawler = crawler
            return self._crawler
