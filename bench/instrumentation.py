"""Cost of the JS API instrumentation: visits/min with and without it, in one run (prints; asserts nothing).

    .venv/bin/python bench/instrumentation.py [--visits 16] [--concurrency 4] [--rounds 2] [--form]
    .venv/bin/python bench/instrumentation.py --worker-start 20


Rounds alternate with / without (ABAB…) on the same browser and the bench pages of bench/crawl.py,
so the shared machine's load drifts over both alike. ``--form`` adds a newsletter form to the page:
then the "with" visits also type the canaries (an interaction step, reported separately from the
instrumentation's own cost).

``--worker-start N`` measures instead how often a worker's calls are caught (workers are instrumented
through CDP once they attach, and Playwright resumes them first, see docs/instrumentation.md): N
visits of a page whose worker reads navigator traits in its first statement and again 1 s later.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl import BENCH_PAGE, LATE_PATH, options_for
from memory import descendants

from crawler import Crawler
from crawler.collectors import DEFAULT_COLLECTORS
from crawler.collectors.instrumentation import InstrumentationCollector
from crawler.testing import FakeInternet
from crawler.visit_runner import VisitOptions, run_visit
from crawler.visits import VISITS

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_s() -> float:
    """CPU seconds of this process and every descendant, reaped ones included (cutime/cstime)."""
    total = 0
    for pid in descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


WORKER_PAGE = """<!doctype html><html><head><title>worker bench</title></head><body><script>
new Worker('/w.js');</script></body></html>"""
# First task: one call of each; a second pass a second later (a worker that fingerprints on a timer or message).
WORKER_SCRIPT = """navigator.hardwareConcurrency; new OffscreenCanvas(20, 20).getContext('2d').fillText('first', 1, 1);
setTimeout(() => { navigator.deviceMemory; fetch('/late-done'); }, 1000);"""


async def worker_start(crawler: Crawler, web: FakeInternet, visits: int, concurrency: int) -> None:
    host = "worker-start-bench.com"
    web.add_page(host, "/", WORKER_PAGE)
    web.add_page(host, "/w.js", WORKER_SCRIPT, content_type="application/javascript")
    web.add_page(host, "/late-done", "ok", content_type="text/plain")
    slots = asyncio.Semaphore(concurrency)
    options = VisitOptions(timeout_s=20, settle_s=2.0)

    async def one():
        async with slots:
            return await run_visit(crawler.browser, VISITS["baseline"], f"https://{host}/", host, options)

    results = await asyncio.gather(*(one() for _ in range(visits)))
    worker = f"https://{host}/w.js"

    def caught(visit, api: str) -> bool:
        return any(c.api == api and c.worker_url == worker for c in visit.api_calls)

    attached = sum(any(w["url"] == worker for w in v.collected.get("instrumentation", {}).get("workers", []))
                   for v in results)
    first = sum(caught(v, "navigator.hardwareConcurrency") and caught(v, "canvas.fillText") for v in results)
    later = sum(caught(v, "navigator.deviceMemory") for v in results)
    print(f"{visits} visits, concurrency {concurrency}: worker instrumented in {attached}; its first task's calls "
          f"caught in {first}; its calls 1 s later caught in {later}")


FORM = '<form action="/s" method="post"><input type="email" name="email"><button>Go</button></form>'


def bench_hosts(web: FakeInternet, count: int, form: bool) -> list[str]:
    hosts = []
    for n in range(count):
        host = f"instr-bench-{n}.com"
        page = BENCH_PAGE.format(n=n, late=LATE_PATH)
        if form:
            page = page.replace("</h1>", "</h1>" + FORM)
        web.add_page(host, "/", page)
        web.add_page(host, LATE_PATH, "ok", content_type="text/plain")
        web.add_page(host, "/a.png", b"\x89PNG\r\n", content_type="image/png")
        web.add_page(host, "/b.png", b"\x89PNG\r\n", content_type="image/png")
        hosts.append(host)
    return hosts


async def one_round(crawler: Crawler, hosts: list[str], concurrency: int, total: int, instrumented: bool) -> dict:
    collectors = tuple(c for c in DEFAULT_COLLECTORS if instrumented or c is not InstrumentationCollector)
    slots = asyncio.Semaphore(concurrency)
    options = VisitOptions(timeout_s=20, settle_s=3.5, collectors=collectors)

    async def one(i: int):
        host = hosts[i % len(hosts)]
        async with slots:
            return await run_visit(crawler.browser, VISITS["baseline"], f"https://{host}/", host, options)

    started, cpu = time.monotonic(), await asyncio.to_thread(tree_cpu_s)
    visits = await asyncio.gather(*(one(i) for i in range(total)))
    elapsed, cpu = time.monotonic() - started, await asyncio.to_thread(tree_cpu_s) - cpu
    return {"per_min": total / elapsed * 60, "cpu_per_visit": cpu / total, "ok": sum(v.ok for v in visits),
            "errors": sum(len(v.collector_errors) for v in visits),
            "api_calls": sum(len(v.api_calls) for v in visits)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--form", action="store_true")
    parser.add_argument("--worker-start", type=int, default=0, metavar="N")
    args = parser.parse_args()
    async with FakeInternet(demo=False, test_sites=False) as web:
        hosts = bench_hosts(web, 8, args.form)
        async with Crawler(options_for(web, args.concurrency)) as crawler:
            if args.worker_start:
                await worker_start(crawler, web, args.worker_start, args.concurrency)
                return
            await one_round(crawler, hosts, args.concurrency, args.concurrency, True)  # warm-up
            results: dict[bool, list[dict]] = {True: [], False: []}
            for _ in range(args.rounds):
                for instrumented in (False, True):
                    r = await one_round(crawler, hosts, args.concurrency, args.visits, instrumented)
                    results[instrumented].append(r)
                    print(f"  {'with' if instrumented else 'without':7} {r['per_min']:6.1f} visits/min "
                          f"{r['cpu_per_visit']:5.2f} CPU-s/visit (ok {r['ok']}/{args.visits}, "
                          f"collector errors {r['errors']}, api rows {r['api_calls']})")
    without = statistics.mean(r["per_min"] for r in results[False])
    with_ = statistics.mean(r["per_min"] for r in results[True])
    cpu_without = statistics.mean(r["cpu_per_visit"] for r in results[False])
    cpu_with = statistics.mean(r["cpu_per_visit"] for r in results[True])
    form = " (page with a form)" if args.form else ""
    print(f"concurrency {args.concurrency}, {args.visits} visits x {args.rounds} rounds{form}: "
          f"without {without:.1f}/min, with {with_:.1f}/min, {100 * (1 - with_ / without):+.1f}% slower; "
          f"CPU per visit (whole process tree) {cpu_without:.2f} s vs {cpu_with:.2f} s, "
          f"{100 * (cpu_with / cpu_without - 1):+.1f}%")


if __name__ == "__main__":
    asyncio.run(main())
