"""``consentwatch worker``: crawl jobs from a PostgreSQL store, run by procrastinate (one per machine).

Our jobs table stays the truth (one active job per domain, attempts, report, worker); each procrastinate job
only says "work crawl job N" and is deferred by the jobs table's insert trigger (migrations_postgres/0003), in
the transaction that queues the job. A worker claims job N (queued → running, for this worker only) and runs
the same audit pipeline as the embedded mode and the CLI (``pipeline.py``, through ``JobRunner.run_one``: guard →
crawl → analyze → store, the job marked done in the transaction that stores the report). Concurrency is the number of
jobs (browser
contexts) at once; all share one Chromium.

Every worker also feeds big-list schedules into the queue (``feed_due_targets``: due targets, only below a
high-water mark, so the queue stays short) and runs the small cron/interval schedules (``queue_due``), as the
embedded service does; both are safe to run on every machine at once.

A worker killed with -9 leaves its procrastinate jobs ``doing``: every worker runs a reaper that finds jobs of
workers whose heartbeat stopped (``get_stalled_jobs``), puts our job back in the queue (the attempt counts)
and retries the procrastinate job (``retry_job``), so another worker re-runs it.

Cancelling a running job (any API replica, the CLI, SQL) stops its crawl here within moments: the cancel's
transaction NOTIFYs the job id (migrations_postgres/0007), every worker LISTENs and cancels that job's task;
each heartbeat also asks which of its running jobs were cancelled or taken away, for a NOTIFY missed while the
LISTEN connection was down. Either way no report is stored: ``save_audit`` refuses a job that is not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from procrastinate import App, PsycopgConnector

from ..store.base import Job
from ..store.pace import Held
from ..store.postgres import PostgresStore
from .config import ServiceConfig
from .jobs import JobRunner
from .targets import TargetGuard

log = logging.getLogger(__name__)

QUEUE = "crawl"  # as in the defer trigger (migrations_postgres/0003)
TASK = "consentwatch.crawl"
FAKE_CRAWL_ENV = "CONSENTWATCH_FAKE_CRAWL"  # seconds: swap Chromium for a fake capture (tests, benches)


@dataclass(frozen=True)
class WorkerTiming:
    heartbeat_s: float = 10.0  # procrastinate's worker heartbeat and ours on running jobs
    stalled_after_s: float = 60.0  # a worker silent this long is dead: its jobs are re-run
    reap_every_s: float = 15.0
    poll_s: float = 5.0  # fetch fallback when a NOTIFY is missed
    feed_every_s: float = 5.0  # how often big-list schedules are fed into the queue
    high_water: int = 1000  # the feeder adds jobs only while fewer wait (cluster-wide)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class FakeCrawlRunner(JobRunner):
    """The pipeline with the crawl step swapped for a sample capture after ``delay_s``: to test and measure
    the queue without one Chromium per worker process. Analyze and store are the real ones."""

    def __init__(self, *args: Any, delay_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay_s = delay_s

    async def _crawl(self, domain: str) -> Any:
        from .samples import make_capture, make_report

        await asyncio.sleep(self.delay_s)
        return make_capture(make_report(domain, time.time(), [0, 1], [0]))


def make_runner(store: PostgresStore, config: ServiceConfig) -> JobRunner:
    guard = TargetGuard(config.allow_hosts, config.resolve)
    fake = os.environ.get(FAKE_CRAWL_ENV)
    if fake:
        log.warning("%s=%s: crawls are FAKE sample captures, not real audits", FAKE_CRAWL_ENV, fake)
        return FakeCrawlRunner(store, config, guard, delay_s=float(fake))
    return JobRunner(store, config, guard)


class Worker:
    def __init__(self, config: ServiceConfig, timing: WorkerTiming = WorkerTiming(), name: str | None = None) -> None:
        self.config = config
        self.timing = timing
        self.name = name or worker_name()
        self.store = PostgresStore(config.db, busy_timeout_s=config.db_busy_timeout_s,
                                   max_connections=config.concurrency + 4)
        self.runner = make_runner(self.store, config)
        self.app = App(connector=PsycopgConnector(conninfo=config.db, min_size=1, max_size=config.concurrency + 4))
        self.app.task(name=TASK, queue=QUEUE)(self.work)
        self._running: dict[int, asyncio.Task[None]] = {}  # job id → its pipeline task, to stop it on cancel

    async def work(self, job_id: int) -> None:
        """The procrastinate task: work our job ``job_id`` unless it is not queued any more."""
        job = await self.store.claim_job(job_id, time.time(), self.name, self.config.min_interval_s)
        if job is None:
            log.info("crawl job %d is not queued (done, cancelled or taken): nothing to do", job_id)
            return
        if isinstance(job, Held):  # politeness: this site is busy or was audited too recently; come back then
            log.info("crawl job %d waits until %.0f: %s", job_id, job.until, job.reason)
            await self.defer(job_id, job.until)
            return
        if not await self._run_stoppable(job):
            return
        after = await self.store.job(job.id)
        if after is not None and after.state == "queued":  # failed, retry after back-off: a new procrastinate job
            await self.defer(job.id, after.not_before)

    async def _run_stoppable(self, job: Job) -> bool:
        """Run the pipeline on ``job`` as a task ``stop_job`` can cancel; False if it was stopped that way."""
        task = asyncio.create_task(self.runner.run_one(job), name=f"crawl-job-{job.id}")
        self._running[job.id] = task
        try:
            await asyncio.wait([task])  # a stopped job ends its task, not this procrastinate task
        except asyncio.CancelledError:  # the worker itself is stopping: take the pipeline down with it
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        finally:
            self._running.pop(job.id, None)
        if task.cancelled():
            log.info("crawl job %d (%s) stopped: cancelled or taken away while running", job.id, job.domain)
            return False
        task.result()  # a bug in the pipeline surfaces as the procrastinate job's failure
        return True

    def stop_job(self, job_id: int) -> None:
        """Stop the crawl of ``job_id`` if this worker runs it (a cancel heard through NOTIFY, or the heartbeat's
        check). Its report is not stored: ``save_audit`` refuses a job that is not running any more."""
        task = self._running.get(job_id)
        if task is not None and not task.done():
            log.info("crawl job %d: cancelled elsewhere, stopping its crawl", job_id)
            task.cancel()

    async def check_taken_away(self) -> None:
        """The heartbeat's fallback for a cancel whose NOTIFY was missed (LISTEN connection down)."""
        for job_id in await self.store.jobs_taken_away(sorted(self._running), self.name):
            self.stop_job(job_id)

    async def defer(self, job_id: int, not_before: float) -> None:
        at = dt.datetime.fromtimestamp(not_before, dt.UTC)
        await self.app.configure_task(TASK, queue=QUEUE, schedule_at=at).defer_async(job_id=job_id)

    async def reap(self) -> int:
        """Re-run the jobs of workers that stopped beating (killed, machine lost): once each."""
        stalled = await self.app.job_manager.get_stalled_jobs(queue=QUEUE, task_name=TASK,
                                                              seconds_since_heartbeat=self.timing.stalled_after_s)
        now = time.time()
        for pjob in stalled:
            job_id = int(pjob.task_kwargs["job_id"])
            job = await self.store.job(job_id)
            if job is not None and job.state == "running":
                # The worker died, not the crawl: retry at once, but the attempt counts. Only the attempt read
                # here: one claimed since (another reaper was quicker) is left alone.
                retry_at = now if job.attempts < job.max_attempts else None
                await self.store.fail_job(job_id, "interrupted: the worker stopped without finishing", retry_at, now,
                                          attempt=job.attempts)
            try:  # the task finds our job queued again, or finished: then it does nothing
                await self.app.job_manager.retry_job(pjob)
            except Exception as exc:  # noqa: BLE001 - e.g. another worker's reaper retried it first
                log.info("procrastinate job %s of crawl job %d not retried here: %s", pjob.id, job_id, exc)
                continue
            log.info("re-queued crawl job %d of a stalled worker", job_id)
        return len(stalled)

    async def _reaper(self) -> None:
        while True:
            try:
                await self.reap()
            except Exception:  # the next round tries again; a dead reaper would strand jobs
                log.exception("reaping stalled crawl jobs failed")
            await asyncio.sleep(self.timing.reap_every_s)

    async def _feeder(self) -> None:
        from .scheduler import queue_due

        while True:
            try:
                now = time.time()
                fed = await self.store.feed_due_targets(now, self.timing.high_water, self.config.max_attempts)
                if fed:
                    log.info("queued %d due schedule target(s) in %.0f ms", fed, (time.time() - now) * 1000)
                await queue_due(self.store, now, self.config.max_attempts)
            except Exception:  # the next round tries again
                log.exception("feeding schedules failed")
            await asyncio.sleep(self.timing.feed_every_s)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.timing.heartbeat_s)
            with contextlib.suppress(Exception):
                await self.store.heartbeat(sorted(self._running), time.time())
                await self.check_taken_away()

    async def run(self) -> None:
        """Work jobs until cancelled or signalled (SIGINT/SIGTERM: finish the running jobs, then stop)."""
        await self.store.open()  # migrates, procrastinate's schema included
        helpers = [asyncio.create_task(self._reaper(), name="reaper"),
                   asyncio.create_task(self._heartbeat(), name="job-heartbeat"),
                   asyncio.create_task(self._feeder(), name="feeder"),
                   asyncio.create_task(self.store.watch_cancels(self.stop_job), name="cancel-watch")]
        try:
            async with self.app.open_async():
                log.info("worker %s: %d job(s) at once", self.name, self.config.concurrency)
                await self.app.run_worker_async(
                    queues=[QUEUE], name=self.name, concurrency=self.config.concurrency, wait=True,
                    fetch_job_polling_interval=self.timing.poll_s, delete_jobs="successful",
                    update_heartbeat_interval=self.timing.heartbeat_s,
                    stalled_worker_timeout=self.timing.stalled_after_s)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self.runner.stop()  # closes the shared Chromium
            await self.store.close()
