"""What the worker disguise (crawler/worker_disguise.py) costs: visits/min and CPU per visit, on and off.

    .venv/bin/python bench/worker_disguise.py [--visits 48] [--concurrency 24] [--rounds 3]

Our crawler's baseline visit on the headless shell, two browsers side by side (BrowserOptions.worker_disguise
True / False), interleaved round by round so a noisy machine bills them alike, on two page mixes: the bench
pages of bench/crawl.py (no workers: what the browser-level interception costs every visit), and the same pages
each starting a shared worker and registering a service worker (every worker held, looked up, patched or
overridden). Prints the load average before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl import BENCH_PAGE, LATE_PATH, SETTLE_S, _merge, bench_hosts, cpu_text, visit_batch

from crawler import BrowserOptions, Crawler, CrawlOptions
from crawler.testing import FakeInternet

WORKERS = """<script>
const shared = new SharedWorker('/shared.js'); shared.port.start();
navigator.serviceWorker.register('/sw.js');
</script>"""
SHARED = "onconnect = e => e.ports[0].postMessage(navigator.userAgentData.brands.length);"
SERVICE = "self.addEventListener('install', () => self.skipWaiting());"


def worker_hosts(web: FakeInternet, count: int) -> list[str]:
    hosts = []
    for n in range(count):
        host = f"bench-workers-{n}.com"
        web.add_page(host, "/", BENCH_PAGE.format(n=n, late=LATE_PATH).replace("</body>", WORKERS + "</body>"))
        web.add_page(host, LATE_PATH, "ok", content_type="text/plain")
        for path in ("/a.png", "/b.png"):
            web.add_page(host, path, b"\x89PNG\r\n", content_type="image/png")
        web.add_page(host, "/shared.js", SHARED, content_type="text/javascript")
        web.add_page(host, "/sw.js", SERVICE, content_type="text/javascript")
        hosts.append(host)
    return hosts


def options(web: FakeInternet, concurrency: int, disguise: bool) -> CrawlOptions:
    browser = BrowserOptions(chromium="chromium-headless-shell", host_rules=web.host_rules,
                             extra_args=tuple(web.trust_args), worker_disguise=disguise)
    return CrawlOptions(browser=browser, settle_s=SETTLE_S, timeout_s=20, max_concurrent_visits=concurrency)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=48, help="visits per configuration and round")
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    async with FakeInternet(demo=False, test_sites=False) as web:
        mixes = {"no workers": bench_hosts(web, 8), "shared+service worker": worker_hosts(web, 8)}
        print(f"load average before: {load_average()}")
        crawlers = {on: Crawler(options(web, args.concurrency, on)) for on in (True, False)}
        for crawler in crawlers.values():
            await crawler.__aenter__()
        rows: dict[tuple[str, bool], list[dict]] = {}
        try:
            for _ in range(args.rounds):
                for mix, hosts in mixes.items():
                    for on, crawler in crawlers.items():
                        row = await visit_batch(crawler.browser, "crawler", hosts, args.concurrency, args.visits)
                        rows.setdefault((mix, on), []).append(row)
            disguise = crawlers[True].browser.worker_disguise
            counts = (f"patched {disguise.patched}, overridden {disguise.overridden}, passed {disguise.passed}, "
                      f"failed {len(disguise.failed)}") if disguise else "no worker disguise (not the shell?)"
        finally:
            for crawler in crawlers.values():
                await crawler.__aexit__(None, None, None)
        print(f"load average after: {load_average()}; {args.rounds} rounds × {args.visits} visits, "
              f"{args.concurrency} at once, headless shell; worker disguise: {counts}")
        print(f"{'pages':<22} {'disguise':<8} {'visits/min':>10} {'ok':>9} {'CPU s/visit':>11}  by role")
        for (mix, on), parts in rows.items():
            r = _merge(parts)
            cpu = sum(r["cpu_per_visit"].values())
            print(f"{mix:<22} {'on' if on else 'off':<8} {r['per_min']:>10.1f} {r['ok']:>4}/{r['visits']:<4} "
                  f"{cpu:>11.3f}  {cpu_text(r['cpu_per_visit'])}")


if __name__ == "__main__":
    asyncio.run(main())
