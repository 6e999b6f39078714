"""A service killed mid-queue (SIGKILL: no cleanup at all) loses nothing: on restart, the stale
running job is retried, queued jobs are worked, and audits stored before the kill are intact."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from api.service.auth import create_token
from api.store import SqliteStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ["consent-mode-lab.com", "quiet-ledger.com", "maple-street-bakery.com"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(db: str, port: int, scratch: Path) -> subprocess.Popen:
    # A SIGKILLed service cannot remove its temporary files (the fake internet's certificates, Playwright's
    # artifacts): they go to the test's own directory, which pytest removes, not to /tmp for good.
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--demo-web", "--db", db, "--port", str(port), "--concurrency", "1",
         "--settle", "1", "--timeout", "15", "--stale-after", "2",
         # The interrupted crawl is retried right after the restart: with the default 60 s between two audits
         # of one site that retry waited a minute; the rule stays on, only shorter.
         "--min-interval", "2"],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


async def until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await predicate()
        if result:
            return result
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


async def jobs_by_domain(http: aiohttp.ClientSession, base: str) -> dict[str, dict]:
    try:
        async with http.get(f"{base}/v1/crawls") as r:
            return {j["domain"]: j for j in (await r.json())["jobs"]}
    except aiohttp.ClientConnectionError:
        return {}


async def test_killed_service_resumes_its_queue(tmp_path):
    db = str(tmp_path / "cw.db")
    store = SqliteStore(db)
    await store.open()
    token, _ = await create_token(store, "restart")
    await store.close()
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    first = start_service(db, port, scratch)
    try:
        async with aiohttp.ClientSession(headers=headers) as http:
            async def up():
                try:
                    async with http.get(f"{base}/v1/health") as r:
                        return r.status == 200
                except aiohttp.ClientConnectionError:
                    return False

            await until(up, 60, "the service to listen")
            async with http.post(f"{base}/v1/crawls", json={"domains": DOMAINS}) as r:
                assert r.status == 202

            async def first_done_second_running():
                jobs = await jobs_by_domain(http, base)
                return (jobs[DOMAINS[0]]["state"] == "done" and jobs[DOMAINS[1]]["state"] == "running"
                        and jobs[DOMAINS[1]]["progress"] == "crawling")

            await until(first_done_second_running, 120, "the first crawl to finish and the second to start")
            async with http.get(f"{base}/v1/sites/{DOMAINS[0]}/summary") as r:
                etag_before = r.headers["ETag"]
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            assert (await jobs_by_domain(http, base)) == {}  # really gone
            assert list(scratch.glob("consentwatch-fakeweb-*")), "the killed service's temporary files are not in its TMPDIR"

            second = start_service(db, port, scratch)
            try:
                await until(up, 60, "the restarted service to listen")

                async def all_finished():
                    jobs = await jobs_by_domain(http, base)
                    return jobs if all(jobs[d]["state"] in ("done", "failed") for d in DOMAINS) else None

                jobs = await until(all_finished, 180, "the queue to drain after the restart")
                assert {d: jobs[d]["state"] for d in DOMAINS} == dict.fromkeys(DOMAINS, "done")
                assert [jobs[d]["attempts"] for d in DOMAINS] == [1, 2, 1]  # the interrupted one was retried
                async with http.get(f"{base}/v1/sites/{DOMAINS[0]}/history") as r:
                    assert len((await r.json())["audits"]) == 1
                async with http.get(f"{base}/v1/sites/{DOMAINS[0]}/summary") as r:
                    assert r.status == 200 and r.headers["ETag"] == etag_before
                for domain in DOMAINS[1:]:
                    async with http.get(f"{base}/v1/sites/{domain}/summary") as r:
                        assert r.status == 200
            finally:
                os.killpg(second.pid, signal.SIGTERM)
                second.wait(30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
