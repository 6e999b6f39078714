"""The real consentwatch service for the extension tests (Chromium and Firefox): aiohttp on
loopback, a real SQLite store, one API token, crawls of the fake internet made by the service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from api.http.app import create_app
from api.http.server import with_fake_internet
from api.service.auth import create_token
from api.service.config import ServiceConfig
from api.store import SqliteStore
from crawler import CrawlOptions


class Service:
    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self.http, self.base, self.token = http, base, token
        self.jobs: dict[str, str] = {}

    async def api(self, path: str) -> dict:
        async with self.http.get(path) as r:
            assert r.status == 200, (path, r.status, await r.text())
            return await r.json()

    async def queue(self, domain: str) -> dict:
        async with self.http.post("/v1/crawls", json={"domain": domain},
                                  headers={"Authorization": f"Bearer {self.token}"}) as r:
            assert r.status == 202, await r.text()
            job = (await r.json())["jobs"][0]
        self.jobs[domain] = job["url"]
        return job

    async def wait_job(self, url: str, states: set[str], timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = await self.api(url)
            if job["state"] in states:
                return job
            await asyncio.sleep(0.3)
        raise AssertionError(f"{url} never reached {states}: {job}")

    async def audited(self, domain: str) -> tuple[dict, dict]:
        """Waits for the crawl queued for domain; returns the service's summary and report."""
        job = await self.wait_job(self.jobs[domain], {"done", "failed", "cancelled"})
        assert job["state"] == "done", job
        return await self.api(f"/v1/sites/{domain}/summary"), await self.api(f"/v1/sites/{domain}/report")


@asynccontextmanager
async def running_service(tmp: Path, fake_web) -> AsyncIterator[Service]:
    db = str(tmp / "cw.db")
    store = SqliteStore(db)
    await store.open()
    token, _ = await create_token(store, "extension-test")
    await store.close()
    config = with_fake_internet(ServiceConfig(
        # Re-audits follow within seconds here: the politeness interval between two audits of one site
        # stays on but short (its default of 60 s was most of the re-audit test's minute).
        db=db, concurrency=1, rate_limit=1000, rate_burst=1000, heartbeat_s=1.0, idle_poll_s=0.3, min_interval_s=2.0,
        crawl_options=CrawlOptions(timeout_s=15.0, settle_s=1.0, max_concurrent_visits=4)), fake_web)
    server = TestServer(create_app(config), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession(base_url=base) as http:
            yield Service(http, base, token)
    finally:
        await server.close()
