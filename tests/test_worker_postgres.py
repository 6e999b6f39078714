"""`consentwatch worker` on real PostgreSQL (tests/pg_cluster.py) and real procrastinate: worker processes
killed with -9 lose no job and run none twice; queueing defers the procrastinate job atomically. The crawl
step is the fake capture (CONSENTWATCH_FAKE_CRAWL), not one Chromium per worker process; analyze and store
are the real ones."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from api.store import open_store

REPO = Path(__file__).resolve().parents[1]
# No politeness interval here: a killed worker's jobs are re-run at once (pacing is tested on its own below).
FAST = ["--heartbeat", "0.3", "--stalled-after", "1.5", "--reap-every", "0.3", "--min-interval", "0"]
NO_DNS = ["--allow-hosts", "*.com"]  # the guard would ask the system's DNS about site<N>.com: stay on loopback


@pytest.fixture
def location(pg_cluster) -> str:
    return pg_cluster.new_database()


def start_worker(location: str, jobs: int, fake_crawl_s: float) -> subprocess.Popen:
    env = {**os.environ, "CONSENTWATCH_FAKE_CRAWL": str(fake_crawl_s), "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--db", location, "--jobs", str(jobs), *FAST,
                             *NO_DNS],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def poll(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def query(location: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(location, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


async def queue(location: str, domains: list[str]) -> None:
    store = open_store(location)
    await store.open()
    try:
        await store.enqueue(domains, "cli", 3, time.time())
    finally:
        await store.close()


def stop(procs: list[subprocess.Popen]) -> list[str]:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    return [proc.communicate(timeout=30)[1] for proc in procs]


async def test_queueing_defers_one_procrastinate_job_in_the_same_transaction(location):
    await queue(location, ["a.com", "b.com"])
    await queue(location, ["a.com"])  # already active: no second job, no second procrastinate job
    rows = query(location, "SELECT j.id, p.task_name, p.queue_name, p.status::text FROM jobs j JOIN procrastinate_jobs p"
                           " ON (p.args->>'job_id')::bigint = j.id ORDER BY j.id")
    assert [r[1:] for r in rows] == [("consentwatch.crawl", "crawl", "todo")] * 2
    with psycopg.connect(location) as conn:  # rolled back: neither our row nor its procrastinate job stays
        conn.execute("INSERT INTO jobs (domain, state, created_at, not_before) VALUES ('c.com', 'queued', 0, 0)")
        conn.rollback()
    assert query(location, "SELECT count(*) FROM procrastinate_jobs")[0][0] == 2


async def test_a_killed_worker_loses_no_job_and_none_runs_twice(location):
    domains = [f"site{i}.com" for i in range(12)]
    await queue(location, domains)
    # The victim starts alone: started beside the others, it could start last and find every job taken.
    victim = start_worker(location, jobs=2, fake_crawl_s=1.5)
    workers = [victim]
    host = socket.gethostname()
    failure = None
    try:
        held = poll(lambda: query(location, "SELECT id FROM jobs WHERE state = 'running' AND worker = %s",
                                  (f"{host}:{victim.pid}",)), 90, "the victim worker to hold jobs")
        victim.kill()  # SIGKILL: no cleanup, its jobs stay running / doing
        victim.wait()
        workers += [start_worker(location, jobs=2, fake_crawl_s=1.5) for _ in range(2)]
        poll(lambda: query(location, "SELECT count(*) FROM jobs WHERE state = 'done'")[0][0] == len(domains),
             120, "every job done")  # a bound for a hang, not a speed claim: workers start slowly on a busy machine
    except AssertionError as exc:
        failure = exc
    finally:
        logs = stop(workers)  # the victim too, when the test failed before it was killed
    if failure is not None:  # what the jobs and the workers say, to tell a lost job from a slow machine
        jobs = query(location, "SELECT id, state, attempts, worker, error FROM jobs ORDER BY id")
        raise AssertionError(f"{failure}\njobs: {jobs}\nworker logs:\n" + "\n---\n".join(logs)) from failure
    jobs = query(location, "SELECT id, domain, state, attempts, report_id, worker FROM jobs ORDER BY id")
    assert sorted(j[1] for j in jobs) == sorted(domains) and {j[2] for j in jobs} == {"done"}
    reports = query(location, "SELECT domain, count(*) FROM reports GROUP BY domain")
    assert dict(reports) == {d: 1 for d in domains}, "one report per job, none twice"
    assert len({j[4] for j in jobs}) == len(domains)
    for job_id, *_, attempts, _, worker in jobs:  # the victim's jobs were re-run elsewhere, the attempt counted
        if job_id in {h[0] for h in held}:
            assert attempts == 2 and worker != f"{host}:{victim.pid}", "\n---\n".join(logs)
    assert query(location, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")[0][0] == 0
    # The logs joined into one string: a list in the message is cut short by pytest's repr, and with it the
    # cause of a worker's exit (a loaded run failed here on a "Database error" whose cause was cut off).
    assert all(w.returncode == 0 for w in workers[1:]), (
        f"exit codes {[w.returncode for w in workers[1:]]}\n" + "\n---\n".join(logs))


@pytest.mark.browser
async def test_a_worker_audits_a_site_of_the_fake_internet_with_real_chromium(location):
    await queue(location, ["quiet-ledger.com"])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CONSENTWATCH_FAKE_CRAWL", None)
    worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--db", location, "--jobs", "1",
                               "--demo-web", "--settle", "1"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        state = poll(lambda: next(iter(r[0] for r in query(location, "SELECT state FROM jobs")
                                  if r[0] in ("done", "failed")), None), 120, "the audit to finish")
    finally:
        logs = stop([worker])
    assert state == "done", logs
    (reachable, grade), = query(location, "SELECT reachable, grade FROM sites WHERE domain = 'quiet-ledger.com'")
    assert reachable and grade in "ABCDEF"
    assert query(location, "SELECT count(*) FROM captures")[0][0] == 1


async def test_a_failed_crawl_is_retried_after_back_off_through_a_new_procrastinate_job(location):
    from api.service.config import ServiceConfig
    from api.service.targets import TargetGuard
    from api.service.worker import FakeCrawlRunner, Worker

    class FailingCrawl(FakeCrawlRunner):
        async def _crawl(self, domain: str):
            raise RuntimeError("the page crashed")

    config = ServiceConfig(db=location, concurrency=1, allow_hosts=("*.com",), retry_base_s=600)
    worker = Worker(config, name="test:1")
    worker.runner = FailingCrawl(worker.store, config, TargetGuard(config.allow_hosts), delay_s=0)
    await queue(location, ["flaky.com"])
    (job_id,), = query(location, "SELECT id FROM jobs")
    await worker.store.open()
    try:
        async with worker.app.open_async():
            before = time.time()
            await worker.work(job_id)  # what the procrastinate task runs
            await worker.work(job_id + 1000)  # no such job: nothing happens
    finally:
        await worker.store.close()
    (state, attempts, error, not_before, name), = query(
        location, "SELECT state, attempts, error, not_before, worker FROM jobs")
    assert (state, attempts, name) == ("queued", 1, "test:1") and "the page crashed" in error
    assert before + 600 <= not_before <= time.time() + 600
    deferred = query(location, "SELECT extract(epoch FROM scheduled_at) FROM procrastinate_jobs"
                               " WHERE (args->>'job_id')::bigint = %s ORDER BY id", (job_id,))
    assert len(deferred) == 2 and deferred[0][0] is None  # the first, then the retry at the back-off time
    assert abs(float(deferred[1][0]) - not_before) < 0.01


async def test_a_job_of_a_busy_or_recently_audited_site_waits_through_a_new_procrastinate_job(location):
    from api.service.config import ServiceConfig
    from api.service.worker import Worker

    config = ServiceConfig(db=location, concurrency=1, allow_hosts=("*.com",), min_interval_s=900)
    worker = Worker(config, name="test:1")
    await queue(location, ["www.paced.com"])
    await queue(location, ["shop.paced.com"])  # the same site (paced.com), queued second
    (first,), (second,) = query(location, "SELECT id FROM jobs ORDER BY id")
    await worker.store.open()
    try:
        async with worker.app.open_async():
            started = await worker.store.claim_job(first, time.time(), "other:1", config.min_interval_s)
            assert started.state == "running" and started.site == "paced.com"
            before = time.time()
            await worker.work(second)  # its site is being audited: it waits, not beside it
            (state, progress, not_before), = query(location, "SELECT state, progress, not_before FROM jobs"
                                                             " WHERE id = %s", (second,))
            assert state == "queued" and "another audit of paced.com is running" in progress
            assert before < not_before <= time.time() + 60
            await worker.store.fail_job(first, "done with it", retry_at=None, now=time.time())
            await worker.work(second)  # the site is free now, but audited moments ago: the interval holds
    finally:
        await worker.store.close()
    (state, progress, not_before), = query(location, "SELECT state, progress, not_before FROM jobs WHERE id = %s",
                                           (second,))
    assert state == "queued" and "minimum interval 900 s" in progress
    assert abs(not_before - (started.started_at + 900)) < 0.01
    deferred = query(location, "SELECT extract(epoch FROM scheduled_at) FROM procrastinate_jobs"
                               " WHERE (args->>'job_id')::bigint = %s ORDER BY id", (second,))
    assert abs(float(deferred[-1][0]) - not_before) < 0.01  # the task comes back when the job may start


async def test_a_worker_declared_dead_that_comes_back_neither_stores_nor_requeues(location):
    """Worker A is declared dead mid-crawl (the reaper re-queues its job) and worker B takes the job over. When A
    comes back, its report is refused and its failure recorded nowhere: the job stays B's, and only B's audit
    is stored. Real PostgreSQL, the real pipeline with a crawl step held on an event."""
    import asyncio

    from api.service.config import ServiceConfig
    from api.service.targets import TargetGuard
    from api.service.worker import FakeCrawlRunner, Worker

    class HeldCrawl(FakeCrawlRunner):
        def __init__(self, *args, release: asyncio.Event, **kwargs):
            super().__init__(*args, delay_s=0, **kwargs)
            self.release = release

        async def _crawl(self, domain: str):
            await self.release.wait()
            return await super()._crawl(domain)

    config = ServiceConfig(db=location, concurrency=1, allow_hosts=("*.com",), min_interval_s=0)
    release = {"a": asyncio.Event(), "b": asyncio.Event()}
    workers = {}
    for name in ("a", "b"):
        workers[name] = Worker(config, name=f"test:{name}")
        workers[name].runner = HeldCrawl(workers[name].store, config, TargetGuard(config.allow_hosts),
                                         release=release[name])
    await queue(location, ["zombie.com"])
    (job_id,), = query(location, "SELECT id FROM jobs")

    def job() -> tuple:
        return query(location, "SELECT state, worker, attempts, report_id FROM jobs WHERE id = %s", (job_id,))[0]

    a, b = workers["a"], workers["b"]
    await a.store.open()
    await b.store.open()
    try:
        async with a.app.open_async(), b.app.open_async():
            a_task = asyncio.create_task(a.work(job_id))
            await asyncio.to_thread(poll, lambda: job()[:3] == ("running", "test:a", 1), 30, "A to hold the job")
            # The reaper (any worker's) finds A silent: the job goes back to the queue, the attempt counted.
            now = time.time()
            assert await b.store.fail_job(job_id, "interrupted: the worker stopped without finishing", now, now,
                                          attempt=1) is not None
            b_task = asyncio.create_task(b.work(job_id))
            await asyncio.to_thread(poll, lambda: job()[:3] == ("running", "test:b", 2), 30, "B to take it over")

            def progress() -> str:
                return query(location, "SELECT progress FROM jobs WHERE id = %s", (job_id,))[0][0]

            # B's own progress moves on until its crawl step holds: read it there, or B's write looks like A's.
            await asyncio.to_thread(poll, lambda: progress() == "crawling", 30, "B to hold in its crawl step")
            progress_b = progress()
            release["a"].set()  # A comes back and finishes its crawl
            await asyncio.wait_for(a_task, 60)
            assert job() == ("running", "test:b", 2, None)  # not stored, not re-queued, not failed
            assert progress() == progress_b
            assert query(location, "SELECT count(*) FROM reports")[0][0] == 0
            release["b"].set()
            await asyncio.wait_for(b_task, 60)
    finally:
        await a.store.close()
        await b.store.close()
    state, worker, attempts, report_id = job()
    assert (state, worker, attempts) == ("done", "test:b", 2) and report_id is not None
    assert query(location, "SELECT id FROM reports") == [(report_id,)]
