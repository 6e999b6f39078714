"""Crawl throughput and memory on the bundled demo web (prints a table; asserts nothing).

    .venv/bin/python bench/crawl.py [--visits 24] [--concurrency 1,2,4,8] [--audits 5]

- visits/min at each concurrency: homepage visits in fresh contexts with the default settle time
  (3 s idle after load, overlapped across contexts), each checked to have caught the request the
  bench page fires 3 s after load;
- bare page.goto time of the same pages (no collectors, no settle) for comparison;
- peak PSS of the whole process tree, and per concurrent visit above the idle browser;
- full audits/min: discovery + every visit + analysis per domain, on the demo companies.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import PeakMemory, tree_pss_mib  # noqa: E402

from crawler import BrowserOptions, CrawlOptions, Crawler  # noqa: E402
from crawler.testing import FakeInternet  # noqa: E402
from crawler.visit_runner import VisitOptions, run_visit  # noqa: E402
from crawler.visits import VISITS  # noqa: E402

LATE_PATH = "/late-3s"
BENCH_PAGE = """<!doctype html><html lang=en><head><title>bench {n}</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-BENCH{n}"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments)}}
gtag('js',new Date());gtag('config','G-BENCH{n}');</script>
<script src="https://connect.facebook.net/en_US/fbevents.js"></script>
<script>fbq && fbq('init','{n}'); fbq && fbq('track','PageView');</script>
</head><body><h1>Bench page {n}</h1><img src="/a.png"><img src="/b.png">
<script>addEventListener('load',()=>setTimeout(()=>fetch('{late}?n={n}'),3000));</script>
<footer><a href="/privacy">Privacy policy</a></footer></body></html>"""


def bench_hosts(web: FakeInternet, count: int) -> list[str]:
    hosts = []
    for n in range(count):
        host = f"bench-shop-{n}.com"
        web.add_page(host, "/", BENCH_PAGE.format(n=n, late=LATE_PATH))
        web.add_page(host, LATE_PATH, "ok", content_type="text/plain")
        web.add_page(host, "/a.png", b"\x89PNG\r\n", content_type="image/png")
        web.add_page(host, "/b.png", b"\x89PNG\r\n", content_type="image/png")
        hosts.append(host)
    return hosts


def options_for(web: FakeInternet, concurrency: int) -> CrawlOptions:
    extra = tuple(web.trust_args)
    return CrawlOptions(browser=BrowserOptions(host_rules=web.host_rules, extra_args=extra),
                        max_concurrent_visits=concurrency, settle_s=3.5, timeout_s=20)


async def visits_per_minute(web: FakeInternet, hosts: list[str], concurrency: int, total: int) -> dict:
    async with Crawler(options_for(web, concurrency)) as crawler:
        browser = crawler.browser
        idle = await asyncio.to_thread(tree_pss_mib)
        slots = asyncio.Semaphore(concurrency)
        spec = VISITS["baseline"]
        options = VisitOptions(timeout_s=20, settle_s=3.5)

        async def one(i: int):
            host = hosts[i % len(hosts)]
            async with slots:
                return await run_visit(browser, spec, f"https://{host}/", host, options)

        async with PeakMemory() as peak:
            started = time.monotonic()
            visits = await asyncio.gather(*(one(i) for i in range(total)))
            elapsed = time.monotonic() - started
    caught = sum(1 for v in visits if any(r.url.split("?")[0].endswith(LATE_PATH) for r in v.requests))
    ok = sum(1 for v in visits if v.ok)
    return {
        "concurrency": concurrency, "visits": total, "ok": ok, "late_caught": caught,
        "per_min": total / elapsed * 60, "peak_mib": peak.mib,
        "per_visit_mib": max(0.0, peak.mib - idle) / concurrency, "idle_mib": idle,
    }


async def bare_goto(web: FakeInternet, hosts: list[str], total: int) -> dict:
    async with Crawler(options_for(web, 1)) as crawler:
        times = []
        for i in range(total):
            context = await crawler.browser.new_context()
            page = await context.new_page()
            started = time.monotonic()
            await page.goto(f"https://{hosts[i % len(hosts)]}/", wait_until="load")
            times.append(time.monotonic() - started)
            await context.close()
    return {"median_s": statistics.median(times), "per_min_sequential": 60 / statistics.mean(times)}


async def audits_per_minute(web: FakeInternet, domains: list[str], concurrency: int) -> dict:
    from analyzer import analyze_capture

    visits = tuple(v for v in ("baseline", "gpc", "reject", "accept") if v in VISITS)
    options = options_for(web, concurrency)
    options = CrawlOptions(**{**options.__dict__, "visits": visits})
    async with Crawler(options) as crawler:
        started = time.monotonic()
        per_domain = []

        async def one(domain: str):
            t0 = time.monotonic()
            report = analyze_capture(await crawler.crawl(domain))
            per_domain.append((domain, time.monotonic() - t0))
            return report

        reports = await asyncio.gather(*(one(d) for d in domains))
        elapsed = time.monotonic() - started
    by_domain: dict[str, list[float]] = {}
    for domain, seconds in per_domain:
        by_domain.setdefault(domain, []).append(seconds)
    return {"audits": len(reports), "visits_each": len(visits), "per_min": len(reports) / elapsed * 60,
            "median_audit_s": statistics.median(s for _, s in per_domain),
            "by_domain": {d: statistics.median(v) for d, v in by_domain.items()},
            "banners": {r.domain: r.signals["banner"].observed for r in reports if "banner" in r.signals}}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=24)
    parser.add_argument("--concurrency", default="1,2,4,8")
    parser.add_argument("--audits", type=int, default=10, help="full audits (demo domains, repeated)")
    args = parser.parse_args()
    async with FakeInternet() as web:
        hosts = bench_hosts(web, 8)
        print(f"bench pages: {len(hosts)} hosts, 3.5 s settle, late request at load+3 s")
        bare = await bare_goto(web, hosts, 12)
        print(f"bare page.goto: median {bare['median_s']*1000:.0f} ms "
              f"(= {bare['per_min_sequential']:.0f} pages/min sequential, no settle)")
        print(f"{'conc':>4} {'visits/min':>10} {'ok':>5} {'late caught':>11} {'peak PSS':>9} {'PSS/visit':>9}")
        for c in (int(x) for x in args.concurrency.split(",")):
            total = max(args.visits, c * 3)
            r = await visits_per_minute(web, hosts, c, total)
            print(f"{c:>4} {r['per_min']:>10.1f} {r['ok']:>2}/{r['visits']:<2} {r['late_caught']:>4}/{r['visits']:<6}"
                  f" {r['peak_mib']:>6.0f} MiB {r['per_visit_mib']:>5.0f} MiB")
        if args.audits and web.demo_domains:
            domains = [web.demo_domains[i % len(web.demo_domains)] for i in range(args.audits)]
            a = await audits_per_minute(web, domains, 8)
            print(f"full audits: {a['audits']} × {a['visits_each']} visits → {a['per_min']:.1f} audits/min, "
                  f"median {a['median_audit_s']:.1f} s per audit")
            for domain, seconds in sorted(a["by_domain"].items()):  # the full four-visit audit, per domain
                print(f"  {domain:<28} {seconds:5.1f} s   banner: {a['banners'].get(domain, '-')}")


if __name__ == "__main__":
    asyncio.run(main())
