"""End to end: crawls queued through the API, worked by the service's pool in real Chromium against
the fake internet, analysed, stored and served."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from api.http.app import create_app
from api.http.keys import RUNNER, STORE
from api.http.server import with_fake_internet
from api.service.auth import create_token
from api.service.config import ServiceConfig
from api.store import SqliteStore
from crawler import CrawlOptions
from crawler.testing import FakeInternet

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
async def env(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("crawl") / "cw.db")
    store = SqliteStore(db)
    await store.open()
    token, _ = await create_token(store, "e2e")
    await store.close()
    async with FakeInternet() as web_:
        config = with_fake_internet(ServiceConfig(
            db=db, concurrency=2, rate_limit=1000, rate_burst=1000, heartbeat_s=1.0, schedule_tick_s=0.5,
            crawl_options=CrawlOptions(timeout_s=15.0, settle_s=1.0, max_concurrent_visits=4)), web_)
        server = TestServer(create_app(config), host="127.0.0.1")
        await server.start_server()
        async with aiohttp.ClientSession(base_url=str(server.make_url("/")),
                                         headers={"Authorization": f"Bearer {token}"}) as http:
            yield http, web_, db
        await server.close()


async def wait_for(http: aiohttp.ClientSession, url: str, states: set[str], timeout: float = 150.0) -> dict:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with http.get(url) as r:
            job = await r.json()
        seen.append(job["progress"])
        if job["state"] in states:
            job["progress_seen"] = seen
            return job
        await asyncio.sleep(0.3)
    raise AssertionError(f"{url} never reached {states}; progress {seen[-5:]}")


async def test_crawl_via_api_end_to_end(env):
    http, web_, _ = env
    domains = ["consent-mode-lab.com", "www.maple-street-bakery.com"]
    async with http.post("/v1/crawls", json={"domains": domains}) as r:
        assert r.status == 202
        jobs = (await r.json())["jobs"]
    assert [j["domain"] for j in jobs] == ["consent-mode-lab.com", "maple-street-bakery.com"]
    async with http.post("/v1/crawls", json={"domain": "consent-mode-lab.com"}) as r:
        assert (await r.json())["jobs"][0]["id"] == jobs[0]["id"]  # already queued or running: same job
    done = [await wait_for(http, j["url"], {"done", "failed"}) for j in jobs]
    for job in done:
        assert job["state"] == "done", job
        assert job["attempts"] == 1 and job["report_url"] and job["finished_at"] >= job["started_at"]
    assert "crawling" in done[0]["progress_seen"]  # polled from the start, so the crawl was seen in progress
    assert web_.requests(host="consent-mode-lab.com", path="/")  # the browser really went there

    async with http.get("/v1/sites/consent-mode-lab.com/summary") as r:
        assert r.status == 200 and r.headers["ETag"]
        summary = await r.json()
    assert summary["domain"] == "consent-mode-lab.com" and summary["reachable"]
    assert summary["grade"]["letter"] in "ABCDEF" and summary["summary"]
    async with http.get(done[0]["report_url"]) as r:
        report = await r.json()
    assert report["domain"] == "consent-mode-lab.com" and report["visits"]
    tracker_names = {t["name"] for t in report["trackers"]}
    assert summary["counts"]["loaded"] == report["counts"]["loaded"] and tracker_names
    assert any("Google" in (t.get("company_name") or "") for t in report["trackers"]), tracker_names
    async with http.get("/v1/sites/consent-mode-lab.com/report.html") as r:
        assert r.status == 200 and "consent-mode-lab.com" in await r.text()
    async with http.get("/v1/sites/maple-street-bakery.com/history") as r:
        assert len((await r.json())["audits"]) == 1


async def test_cancel_a_running_crawl_frees_the_worker(env):
    http, _, _ = env
    async with http.post("/v1/crawls", json={"domain": "hanging-site.com"}) as r:
        job = (await r.json())["jobs"][0]
    running = await wait_for(http, job["url"], {"running"}, timeout=30)
    assert running["state"] == "running"
    async with http.delete(job["url"]) as r:
        assert r.status == 200 and (await r.json())["state"] == "cancelled"
    async with http.get("/v1/health") as r:
        assert (await r.json())["running"] == 0
    async with http.post("/v1/crawls", json={"domain": "quiet-ledger.com"}) as r:
        after = (await r.json())["jobs"][0]
    assert (await wait_for(http, after["url"], {"done", "failed"}))["state"] == "done"
    # A whole crawl later (however slow the machine), the cancelled crawl's end has not overwritten it.
    async with http.get(job["url"]) as r:
        assert (await r.json())["state"] == "cancelled"


async def test_a_schedule_added_from_the_cli_is_queued_and_crawled_by_the_running_service(env, tmp_path):
    http, _, db = env
    listing = tmp_path / "domains.txt"
    listing.write_text("# demo list\nhttps://www.nav-only-privacy.com/\n")
    subprocess.run([sys.executable, "-m", "api.cli", "schedule", "add", "nightly-demo", str(listing), "--every", "6h",
                    "--db", db], check=True, capture_output=True, timeout=60,
                   cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    async def scheduled_job():
        async with http.get("/v1/crawls") as r:
            jobs = [j for j in (await r.json())["jobs"] if j["source"] == "schedule:nightly-demo"]
        return jobs[0] if jobs else None

    deadline = time.monotonic() + 30
    while (job := await scheduled_job()) is None:
        assert time.monotonic() < deadline, "the scheduler never queued the schedule's domain"
        await asyncio.sleep(0.3)
    assert job["domain"] == "nav-only-privacy.com"
    assert (await wait_for(http, job["url"], {"done", "failed"}))["state"] == "done"
    store = SqliteStore(db)
    await store.open()
    try:
        [schedule] = await store.schedules()
    finally:
        await store.close()
    assert schedule.last_run_at is not None and schedule.next_run_at == schedule.last_run_at + 6 * 3600


async def test_stopping_the_service_puts_a_running_crawl_back_in_the_queue(env, tmp_path):
    _, web_, _ = env
    db = str(tmp_path / "stop.db")
    config = with_fake_internet(ServiceConfig(db=db, concurrency=1, crawl_options=CrawlOptions(timeout_s=30.0)), web_)
    app = create_app(config)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    store = app[STORE]
    [job] = await store.enqueue(["hanging-site.com"], "api", 3, time.time())
    app[RUNNER].wake()
    seen_before = len(web_.requests(host="hanging-site.com"))
    deadline = time.monotonic() + 30
    while len(web_.requests(host="hanging-site.com")) == seen_before:  # the browser is on the hanging page
        assert time.monotonic() < deadline, "the crawl never reached the site"
        await asyncio.sleep(0.2)
    assert (await store.job(job.id)).state == "running"
    await server.close()  # graceful stop: cleanup_ctx stops the runner
    reopened = SqliteStore(db)
    await reopened.open()
    try:
        after = await reopened.job(job.id)
    finally:
        await reopened.close()
    assert after.state == "queued" and after.attempts == 1 and "service stopped" in after.error
