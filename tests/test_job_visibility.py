"""/v1/crawls and /v1/health show the same thing whichever runs the jobs: the in-process workers on a SQLite
file, or a `consentwatch worker` process on PostgreSQL (real procrastinate, tests/pg_cluster.py). The crawl
step is the fake capture (no Chromium); guard, analyze and store are the real ones."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from api.http.app import create_app
from api.http.keys import GUARD, RUNNER, STORE
from api.service.config import ServiceConfig
from api.service.worker import FakeCrawlRunner
from api.store import open_store

REPO = Path(__file__).resolve().parents[1]
CRAWL_S = 1.5
WORKER_NAME = re.compile(r"^.+:\d+$")


async def queue(location: str) -> None:
    store = open_store(location)
    await store.open()
    try:
        await store.enqueue(["ok.com", "localhost"], "cli", 1, time.time())  # localhost: the guard refuses it
        await store.enqueue(["later.com"], "cli", 1, time.time() + 3600)  # not due for an hour
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def http(request, tmp_path):
    embedded = request.param == "sqlite"
    location = str(tmp_path / "cw.db") if embedded else request.getfixturevalue("pg_cluster").new_database()
    await queue(location)
    config = ServiceConfig(db=location, run_jobs=embedded, concurrency=2, allow_hosts=("ok.com",), rate_limit=1000,
                           rate_burst=1000)
    app = create_app(config)
    worker = None
    if embedded:
        app[RUNNER] = FakeCrawlRunner(app[STORE], config, app[GUARD], delay_s=CRAWL_S)
    else:
        env = {**os.environ, "CONSENTWATCH_FAKE_CRAWL": str(CRAWL_S), "PYTHONPATH": str(REPO)}
        worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--db", location, "--jobs", "2",
                                   "--allow-hosts", "ok.com", "--heartbeat", "0.5"],
                                  cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as session:
            yield session
    finally:
        await server.close()
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            err = worker.communicate(timeout=30)[1]
            assert worker.returncode == 0, err


async def crawls(http) -> dict[str, dict]:
    async with http.get("/v1/crawls") as r:
        assert r.status == 200
        return {j["domain"]: j for j in (await r.json())["jobs"]}


async def health(http) -> dict:
    async with http.get("/v1/health") as r:
        assert r.status == 200
        return await r.json()


async def until(http, condition, timeout_s: float = 30.0) -> dict[str, dict]:
    deadline = time.monotonic() + timeout_s
    while not condition(jobs := await crawls(http)):
        assert time.monotonic() < deadline, f"jobs never reached the expected states: {jobs}"
        await asyncio.sleep(0.05)
    return jobs


async def test_states_attempts_worker_and_queue_depth_are_shown_alike(http):
    # Both jobs start at once (2 workers); the refused one fails in milliseconds, but until it has, it is
    # running too (a loaded clean-clone run read 2): wait for that, not for ok.com alone.
    running = await until(http, lambda j: j["ok.com"]["state"] == "running" and j["localhost"]["state"] == "failed")
    assert WORKER_NAME.match(running["ok.com"]["worker"]) and running["ok.com"]["attempts"] == 1
    assert (await health(http))["running"] == 1

    jobs = await until(http, lambda j: j["ok.com"]["state"] == "done" and j["localhost"]["state"] == "failed")
    done, failed, later = jobs["ok.com"], jobs["localhost"], jobs["later.com"]
    assert done["attempts"] == 1 and done["worker"] == running["ok.com"]["worker"] and done["report_url"]
    assert failed["attempts"] == 1 and "refusing to crawl" in failed["error"] and WORKER_NAME.match(failed["worker"])
    assert later["state"] == "queued" and later["attempts"] == 0 and later["worker"] is None
    assert later["queue_position"] == 0
    body = await health(http)
    assert (body["queued"], body["running"], body["done"], body["failed"]) == (1, 0, 1, 1)
    async with http.get(done["report_url"]) as r:
        assert r.status == 200
