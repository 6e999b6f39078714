"""API latency while the service crawls hostile pages, next to its idle latency.

One process runs the fake internet and the service (``create_app``, one crawl worker, the CPU pool);
this one probes ``/v1/health`` and a stored summary at a steady pace (sequential requests, 20 ms apart),
first idle, then while the service crawls huge-policy.com (4.5 MB of tiny blocks) and huge-dom.com
(a script-built 6 MB DOM) ``--rounds`` times each. Target: p99 during the crawls ≤ 2× the idle p99.

    .venv/bin/python bench/hostile.py [--rounds 2] [--idle-requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOSTILE = ("huge-policy.com", "huge-dom.com")
SUMMARY_DOMAIN = "stored-site.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare(db: str) -> str:
    from api.service.auth import create_token
    from api.service.samples import make_capture, random_report
    from api.store import SqliteStore
    from api.store.records import prepare_audit

    store = SqliteStore(db)
    await store.open()
    report = random_report(SUMMARY_DOMAIN, random.Random(5), 1_700_000_000.0)
    await store.save_audit(prepare_audit(make_capture(report), report))
    token, _ = await create_token(store, "bench")
    await store.close()
    return token


def run_service(db: str, port: int) -> None:
    from aiohttp import web

    from api.http.app import create_app
    from api.http.server import with_fake_internet
    from api.service.config import ServiceConfig
    from crawler import CrawlOptions
    from crawler.testing import FakeInternet

    async def main() -> None:
        async with FakeInternet(demo=False) as fake:
            config = with_fake_internet(ServiceConfig(
                db=db, port=port, concurrency=1, rate_limit=1e9, rate_burst=10**9,
                crawl_options=CrawlOptions(timeout_s=60.0, settle_s=1.0, max_concurrent_visits=2)), fake)
            runner = web.AppRunner(create_app(config), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            await asyncio.Event().wait()

    asyncio.run(main())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def probe(http, paths: list[str], until) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {p: [] for p in paths}
    while not until():
        for path in paths:
            start = time.perf_counter()
            async with http.get(path) as r:
                await r.read()
                assert r.status == 200, (path, r.status)
            out[path].append(time.perf_counter() - start)
            await asyncio.sleep(0.02)
    return out


async def bench(args: argparse.Namespace) -> None:
    import aiohttp

    db = str(Path(tempfile.mkdtemp(prefix="cw-hostile-")) / "cw.db")
    token = await prepare(db)
    port = free_port()
    service = mp.get_context("spawn").Process(target=run_service, args=(db, port))  # not daemonic: it starts a CPU pool
    service.start()
    paths = ["/v1/health", f"/v1/sites/{SUMMARY_DOMAIN}/summary"]
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    async with http.get("/v1/health") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    if time.monotonic() > deadline:
                        raise
                await asyncio.sleep(0.2)
            count = 0

            def idle_done() -> bool:
                nonlocal count
                count += 1
                return count > args.idle_requests
            idle = await probe(http, paths, idle_done)

            jobs = []
            for _ in range(args.rounds):
                for domain in HOSTILE:
                    async with http.post("/v1/crawls", json={"domain": domain}) as r:
                        jobs.append((await r.json())["jobs"][0]["url"])
            states: dict[str, str] = {}

            async def watch() -> None:
                for url in jobs:
                    while True:
                        async with http.get(url) as r:
                            job = await r.json()
                        if job["state"] in ("done", "failed"):
                            states[url] = f"{job['domain']}: {job['state']} {job.get('error') or ''}".strip()
                            break
                        await asyncio.sleep(0.5)
            watcher = asyncio.create_task(watch())
            started = time.monotonic()
            during = await probe(http, paths, watcher.done)
            crawl_s = time.monotonic() - started
            await watcher
    finally:
        service.terminate()
        service.join(10)

    print(f"hostile crawls: {len(jobs)} jobs in {crawl_s:.0f} s: " + "; ".join(states.values()))
    print(f"{'endpoint':<40} {'idle p50':>9} {'idle p99':>9} {'crawl p50':>10} {'crawl p99':>10} {'p99 ratio':>10}")
    for path in paths:
        i, d = idle[path], during[path]
        ratio = percentile(d, 0.99) / percentile(i, 0.99)
        print(f"{path:<40} {statistics.median(i) * 1000:8.1f}ms {percentile(i, 0.99) * 1000:8.1f}ms "
              f"{statistics.median(d) * 1000:9.1f}ms {percentile(d, 0.99) * 1000:9.1f}ms {ratio:9.2f}×"
              f"  (n={len(i)}/{len(d)}, max during {max(d) * 1000:.0f} ms)")
    print("target: crawl p99 ≤ 2× idle p99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--idle-requests", type=int, default=300)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
