"""Cancelling a running crawl on PostgreSQL stops it on the worker that runs it (another process), stores no
report, and frees the worker for other jobs: heard through LISTEN/NOTIFY within moments, or at the next
heartbeat when the NOTIFY was missed. Real cluster (tests/pg_cluster.py), real procrastinate worker process;
the crawl step is the fake capture (CONSENTWATCH_FAKE_CRAWL) held for 30 s, so a crawl that stops early was
stopped, not finished."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import aiohttp
import psycopg
import pytest
from aiohttp.test_utils import TestServer
from test_worker_postgres import REPO, poll, query, queue, stop

from api.errors import ConflictError
from api.http.app import create_app
from api.service.auth import create_token
from api.service.config import ServiceConfig
from api.service.samples import make_capture, make_report
from api.store import open_store
from api.store.records import prepare_audit

LONG_CRAWL_S = 30.0
# A heartbeat far longer than the wait below: a stop within it was heard through NOTIFY, not the heartbeat.
SLOW_BEAT = ["--heartbeat", "60", "--stalled-after", "300", "--reap-every", "60", "--min-interval", "0"]


@pytest.fixture
def location(pg_cluster) -> str:
    return pg_cluster.new_database()


def start_worker(location: str) -> subprocess.Popen:
    env = {**os.environ, "CONSENTWATCH_FAKE_CRAWL": str(LONG_CRAWL_S), "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--db", location, "--jobs", "1", *SLOW_BEAT,
                             "--allow-hosts", "*.com"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def job_row(location: str, domain: str) -> tuple | None:
    rows = query(location, "SELECT id, state, worker FROM jobs WHERE domain = %s ORDER BY id DESC LIMIT 1", (domain,))
    return rows[0] if rows else None


async def test_cancel_through_the_api_stops_the_workers_crawl_and_stores_nothing(location):
    store = open_store(location)
    await store.open()
    token, _ = await create_token(store, "cancel")
    app = create_app(ServiceConfig(db=location, run_jobs=False, allow_hosts=("*.com",)))  # an API replica
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    worker = start_worker(location)
    name = f"{socket.gethostname()}:{worker.pid}"
    try:
        await store.enqueue(["first.com"], "cli", 3, time.time())
        first, _, _ = await asyncio.to_thread(
            poll, lambda: (r := job_row(location, "first.com")) and r[1] == "running" and r, 60, "first.com running")
        async with aiohttp.ClientSession(base_url=str(server.make_url("/")),
                                         headers={"Authorization": f"Bearer {token}"}) as http:
            async with http.delete(f"/v1/crawls/{first}") as r:
                assert r.status == 200 and (await r.json())["state"] == "cancelled"
        # --jobs 1: the next job can start only once the cancelled crawl has given its slot back, long before
        # its 30 s fake crawl or the 60 s heartbeat would have.
        cancelled_at = time.monotonic()
        await store.enqueue(["second.com"], "cli", 3, time.time())
        second, _, by = await asyncio.to_thread(
            poll, lambda: (r := job_row(location, "second.com")) and r[1] == "running" and r, 20, "second.com running")
        assert by == name and time.monotonic() - cancelled_at < LONG_CRAWL_S / 2
        await store.cancel(second, time.time())  # through the store: the same NOTIFY
        await store.enqueue(["third.com"], "cli", 3, time.time())
        third, *_ = await asyncio.to_thread(
            poll, lambda: (r := job_row(location, "third.com")) and r[1] == "running" and r, 20, "third.com running")
        await store.cancel(third, time.time())  # so that SIGTERM need not wait for its 30 s
    finally:
        [logs] = stop([worker])
        await server.close()
        await store.close()
    assert worker.returncode == 0, logs
    states = dict(query(location, "SELECT domain, state FROM jobs"))
    assert set(states.values()) == {"cancelled"}, (states, logs)
    assert query(location, "SELECT count(*) FROM reports")[0][0] == 0 and query(
        location, "SELECT count(*) FROM captures")[0][0] == 0, "a cancelled crawl stored its audit"
    assert logs.count("cancelled elsewhere, stopping its crawl") == 3, logs


async def test_the_heartbeat_stops_a_job_whose_cancel_notify_was_missed(location):
    """No LISTEN connection at all (the watcher is not started): the heartbeat's check alone stops it."""
    from api.service.worker import FakeCrawlRunner, Worker, WorkerTiming

    config = ServiceConfig(db=location, concurrency=1, allow_hosts=("*.com",))
    worker = Worker(config, WorkerTiming(heartbeat_s=0.2), name="test:1")
    worker.runner = FakeCrawlRunner(worker.store, config, worker.runner.guard, delay_s=LONG_CRAWL_S)
    await queue(location, ["missed.com"])
    (job_id,), = query(location, "SELECT id FROM jobs")
    await worker.store.open()
    beat = asyncio.create_task(worker._heartbeat())
    try:
        work = asyncio.create_task(worker.work(job_id))
        await asyncio.to_thread(poll, lambda: job_row(location, "missed.com")[1] == "running", 30, "running")
        await worker.store.cancel(job_id, time.time())
        await asyncio.wait_for(work, LONG_CRAWL_S / 2)  # stopped by the heartbeat, not finished
    finally:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
        await worker.runner.stop()
        await worker.store.close()
    assert job_row(location, "missed.com")[1] == "cancelled"
    assert query(location, "SELECT count(*) FROM reports")[0][0] == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_save_refuses_the_audit_of_a_job_that_is_not_running(backend, request, tmp_path):
    """The last line: whatever the worker missed, a cancelled (or re-queued) job's audit is not stored, and the
    job stays as the cancel left it. Checked in the save's own transaction, on both backends."""
    location = str(tmp_path / "cw.db") if backend == "sqlite" else request.getfixturevalue("pg_cluster").new_database()
    store = open_store(location)
    await store.open()
    try:
        t0 = time.time()
        report = make_report("late.com", t0, [0], [0])
        audit = prepare_audit(make_capture(report), report)
        [job] = await store.enqueue(["late.com"], "api", 3, t0)
        with pytest.raises(ConflictError):  # queued, not claimed
            await store.save_audit(audit, job.id)
        await store.claim(t0)
        await store.cancel(job.id, t0 + 1)
        with pytest.raises(ConflictError, match="cancelled"):
            await store.save_audit(audit, job.id)
        after = await store.job(job.id)
        assert after.state == "cancelled" and after.report_id is None
        assert await store.history("late.com") == [] and await store.summary("late.com") is None
    finally:
        await store.close()


def crawl_jobs_todo(location: str) -> list[int]:
    """Our job ids that procrastinate still has waiting (one row per waiting procrastinate job)."""
    return [r[0] for r in query(location, "SELECT (args->>'job_id')::bigint FROM procrastinate_jobs WHERE"
                                          " task_name = 'consentwatch.crawl' AND status = 'todo' ORDER BY id")]


async def test_cancelling_a_queued_job_removes_its_waiting_procrastinate_jobs(location):
    """A queued crawl cancelled by the API's store call or by SQL leaves no procrastinate job behind, its
    deferred retry included; other jobs keep theirs, and so does a running job's (cancelled through NOTIFY)."""
    from api.service.worker import Worker

    await queue(location, ["keep.com", "drop.com", "retry.com", "bysql.com", "busy.com"])
    ids = dict(query(location, "SELECT domain, id FROM jobs"))
    assert crawl_jobs_todo(location) == sorted(ids.values())
    worker = Worker(ServiceConfig(db=location, concurrency=1), name="test:1")
    await worker.store.open()
    try:
        async with worker.app.open_async():
            await worker.defer(ids["retry.com"], time.time() + 600)  # as a retry after back-off does
        assert crawl_jobs_todo(location).count(ids["retry.com"]) == 2
        running = await worker.store.claim_job(ids["busy.com"], time.time(), "test:1")
        assert running.state == "running"
        for domain in ("drop.com", "retry.com", "busy.com"):
            await worker.store.cancel(ids[domain], time.time())
    finally:
        await worker.store.close()
    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute("UPDATE jobs SET state = 'cancelled' WHERE id = %s", (ids["bysql.com"],))
    # busy.com's procrastinate job was 'todo' too (claimed here by id, not fetched): it was running, not queued,
    # when cancelled, so its removal is the worker's business (it finds the job cancelled and does nothing).
    assert crawl_jobs_todo(location) == sorted([ids["keep.com"], ids["busy.com"]])
    states = dict(query(location, "SELECT domain, state FROM jobs"))
    assert states == {"keep.com": "queued", "drop.com": "cancelled", "retry.com": "cancelled",
                      "bysql.com": "cancelled", "busy.com": "cancelled"}
