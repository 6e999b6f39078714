"""Crawl throughput, memory and CPU on the bundled fake internet (prints a table; asserts nothing).

    .venv/bin/python bench/crawl.py [--visits 24] [--concurrency 6,12] [--rounds 2] [--audits 14] [--plan lean,classic]
    .venv/bin/python bench/crawl.py --concurrency '' --audits 28 --plan lean,classic   # audit plans only
    .venv/bin/python bench/crawl.py --concurrency '' --plan lean-merged,lean-unmerged,classic # the baseline merge alone

Side by side in one run (configurations interleaved round by round, so a noisy machine bills them alike):
- both browser builds (Chromium's headless shell, full Chromium) × bare Playwright and our crawler:
  homepage visits in fresh contexts, 3.5 s settle, each checked to have caught the request the bench
  page fires 3 s after load; visits/min, peak PSS per concurrent visit, CPU per visit split into
  browser, renderer, helper processes and Python (+ Playwright's driver);
- full audits/min on a mix of demo companies and banner fixtures (discovery, every visit, analysis, stored
  in SQLite: the service's pipeline), for
  each audit plan asked for (crawler/audit_plan.py; ``lean``: the default, the baseline merged only into
  an audit that starts beside another; ``lean-merged`` / ``lean-unmerged``: always / never merged;
  ``lean-eager``: banner visits without waiting for the reject verdict), plans interleaved round
  by round, with the homepage loads each plan spent per audit, CPU seconds per audit (the main figure on
  a shared machine), the load average, and what bounds the rate;
- one audit of a banner site alone, wall time, per plan.
Targets (issue 12) are printed with the margin by which each is met or missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # after the repo: bench/api.py must not hide the api package

from memory import CpuSplit, PeakMemory, tree_pss_mib

from api.service.pipeline import AuditPipeline, analyze
from api.store import SqliteStore
from crawler import BrowserOptions, Crawler, CrawlOptions
from crawler.browser import find_chromium
from crawler.testing import FakeInternet
from crawler.visit_runner import VisitOptions, run_visit
from crawler.visits import VISITS

TARGETS = {"visits_per_min": 150.0, "audits_per_min": 30.0, "banner_audit_s": 10.0, "pss_per_visit_mib": 100.0}
SETTLE_S = 3.5
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


# Plans the bench can compare: CrawlOptions.plan, plus variants of it (to measure one saving alone).
PLAN_VARIANTS = {"lean-merged": {"plan": "lean", "merge_baseline": True},
                 "lean-unmerged": {"plan": "lean", "merge_baseline": False},
                 "lean-eager": {"plan": "lean", "eager_banner_visits": True}}


def options_for(web: FakeInternet, concurrency: int | None = None, chromium: str | None = None,
                plan: str = "lean") -> CrawlOptions:
    extra = tuple(web.trust_args)
    kwargs: dict = {} if concurrency is None else {"max_concurrent_visits": concurrency}
    kwargs.update(PLAN_VARIANTS.get(plan, {"plan": plan}))
    return CrawlOptions(browser=BrowserOptions(chromium=chromium, host_rules=web.host_rules, extra_args=extra),
                        settle_s=SETTLE_S, timeout_s=20, **kwargs)


def homepage_loads(capture) -> int:
    """Homepage loads an audit spent: one per visit with a page of its own (a merged visit, observed in
    another's page, has none), plus discovery's own in the classic plan."""
    own = sum(1 for v in capture.visits if v.observed_in is None)
    return own + (1 if capture.plan == "classic" and capture.reachable else 0)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _caught(urls) -> bool:
    return any(u.split("?")[0].endswith(LATE_PATH) for u in urls)


async def _crawler_visit(browser, host: str) -> tuple[bool, bool]:
    visit = await run_visit(browser, VISITS["baseline"], f"https://{host}/", host,
                            VisitOptions(timeout_s=20, settle_s=SETTLE_S))
    return visit.ok, _caught(r.url for r in visit.requests)


async def _bare_visit(browser, host: str) -> tuple[bool, bool]:
    """Bare Playwright: a fresh context, goto until load, the same settle, a request listener."""
    context = await browser.new_context()
    urls: list[str] = []
    context.on("request", lambda r: urls.append(r.url))
    try:
        page = await context.new_page()
        response = await page.goto(f"https://{host}/", wait_until="load", timeout=20_000)
        await asyncio.sleep(SETTLE_S)
        return response is not None and response.ok, _caught(urls)
    finally:
        await context.close()


async def visit_batch(browser, kind: str, hosts: list[str], concurrency: int, total: int) -> dict:
    one = _crawler_visit if kind == "crawler" else _bare_visit
    slots = asyncio.Semaphore(concurrency)
    idle = await asyncio.to_thread(tree_pss_mib)

    async def run(i: int):
        async with slots:
            return await one(browser, hosts[i % len(hosts)])

    async with PeakMemory() as peak, CpuSplit() as cpu:
        started = time.monotonic()
        results = await asyncio.gather(*(run(i) for i in range(total)), return_exceptions=True)
        elapsed = time.monotonic() - started
    done = [r for r in results if not isinstance(r, BaseException)]
    return {"visits": total, "ok": sum(ok for ok, _ in done), "caught": sum(c for _, c in done), "seconds": elapsed,
            "per_visit_mib": max(0.0, peak.mib - idle) / concurrency, "cpu": cpu.by_role()}


def _merge(rows: list[dict]) -> dict:
    cpu: dict[str, float] = {}
    for r in rows:
        for role, seconds in r["cpu"].items():
            cpu[role] = cpu.get(role, 0.0) + seconds
    visits = sum(r["visits"] for r in rows)
    return {"visits": visits, "ok": sum(r["ok"] for r in rows), "caught": sum(r["caught"] for r in rows),
            "per_min": visits / sum(r["seconds"] for r in rows) * 60,
            "per_visit_mib": max(r["per_visit_mib"] for r in rows),
            "cpu_per_visit": {role: s / visits for role, s in sorted(cpu.items())}}


async def side_by_side(web: FakeInternet, hosts: list[str], builds: dict[str, str], concurrency: list[int],
                       total: int, rounds: int) -> dict[tuple, dict]:
    crawlers = {}
    for build, path in builds.items():
        crawlers[build] = Crawler(options_for(web, max(concurrency), path))
        await crawlers[build].__aenter__()
    rows: dict[tuple, list[dict]] = {}
    try:
        for _ in range(rounds):
            for c in concurrency:
                for build, crawler in crawlers.items():
                    for kind in ("bare", "crawler"):
                        row = await visit_batch(crawler.browser, kind, hosts, c, max(total, 2 * c))
                        rows.setdefault((build, kind, c), []).append(row)
    finally:
        for crawler in crawlers.values():
            await crawler.__aexit__(None, None, None)
    return {key: _merge(r) for key, r in rows.items()}


async def audits_per_minute(web: FakeInternet, domains: list[str], plan: str = "lean",
                            slots: int | None = None) -> dict:
    # The whole audit as the service runs it: crawl, analysis off the loop, stored (a fresh SQLite file).
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "bench.db"))
        await store.open()
        try:
            return await _audits(web, domains, plan, slots, store)
        finally:
            await store.close()


async def _audits(web: FakeInternet, domains: list[str], plan: str, slots: int | None, store: SqliteStore) -> dict:
    async with Crawler(options_for(web, slots, plan=plan)) as crawler:
        pipeline = AuditPipeline(crawl=crawler.crawl, analyze=lambda capture: asyncio.to_thread(analyze, capture))
        per_domain = []
        loads = []
        page_s = []  # seconds of open pages (visits with a page of their own) per audit: what holds the slots
        failed = []  # unreachable, or a visit with an error: a plan must not look cheaper by losing visits

        async def one(domain: str):
            t0 = time.monotonic()
            audit = await pipeline.run(domain, save=store.save_audit)
            capture = audit.capture
            loads.append(homepage_loads(capture))
            page_s.append(sum(v.duration_ms for v in capture.visits if v.observed_in is None) / 1000.0)
            failed.append(not capture.reachable or any(v.error for v in capture.visits))
            per_domain.append((domain, time.monotonic() - t0))
            return audit.report

        load_before = load_average()
        async with CpuSplit() as cpu:
            started = time.monotonic()
            reports = await asyncio.gather(*(one(d) for d in domains))
            elapsed = time.monotonic() - started
        concurrency = crawler.options.max_concurrent_visits
    return {"audits": len(reports), "per_min": len(reports) / elapsed * 60, "concurrency": concurrency,
            "seconds": elapsed, "loads_per_audit": sum(loads) / len(loads), "failed": sum(failed),
            "page_s_per_audit": sum(page_s) / len(page_s), "load": (load_before + load_average()) / 2,
            "median_audit_s": statistics.median(s for _, s in per_domain),
            "cpu_per_audit": {role: s / len(reports) for role, s in sorted(cpu.by_role().items())}}


async def single_audit(web: FakeInternet, domain: str, plan: str = "lean") -> tuple[float, str]:
    from analyzer import analyze_capture

    async with Crawler(options_for(web, plan=plan)) as crawler:
        started = time.monotonic()
        report = analyze_capture(await crawler.crawl(domain))
        return time.monotonic() - started, report.signals["banner"].observed


def verdict(name: str, value: float, higher_is_better: bool = True) -> str:
    goal = TARGETS[name]
    met = value >= goal if higher_is_better else value <= goal
    gap = abs(value - goal) / goal * 100
    return f"target {goal:g}: {'met' if met else 'MISSED'} by {gap:.0f}%"


def cpu_text(split: dict[str, float]) -> str:
    return ", ".join(f"{role} {seconds:.2f}" for role, seconds in split.items())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=24, help="visits per configuration and round")
    parser.add_argument("--concurrency", default="6,12", help="visits at once, e.g. 6,12,16")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (noise is billed alike)")
    parser.add_argument("--audits", type=int, default=14, help="full audits (demo + banner fixtures, repeated)")
    parser.add_argument("--builds", default="chromium-headless-shell,chromium")
    parser.add_argument("--plan", default="lean,classic", help="audit plans to compare (crawler/audit_plan.py); "
                                                              "the first is the one held to the targets")
    parser.add_argument("--audit-slots", default="", help="visits at once in the audit runs, e.g. 24,36 "
                                                          "(default: CrawlOptions' default)")
    args = parser.parse_args()
    audit_slots: list[int | None] = [int(x) for x in args.audit_slots.split(",") if x] or [None]
    builds = {b: find_chromium(b) for b in args.builds.split(",") if b}
    concurrency = [int(x) for x in args.concurrency.split(",") if x]
    plans = [p for p in args.plan.split(",") if p]
    default_c = CrawlOptions().max_concurrent_visits
    async with FakeInternet() as web:
        hosts = bench_hosts(web, 8)
        print(f"bench pages: {len(hosts)} hosts, {SETTLE_S} s settle, late request at load+3 s; default "
              f"concurrency {default_c}; figures taken on a shared 2-core machine (load average in /proc/loadavg: "
              f"{Path('/proc/loadavg').read_text().split()[0]})")
        if concurrency:
            rows = await side_by_side(web, hosts, builds, concurrency, args.visits, args.rounds)
            print(f"{'build':<24} {'kind':<8} {'conc':>4} {'visits/min':>10} {'ok':>7} {'late caught':>11} "
                  f"{'PSS/visit':>9}  CPU s per visit")
            for (build, kind, c), r in sorted(rows.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
                print(f"{build:<24} {kind:<8} {c:>4} {r['per_min']:>10.1f} {r['ok']:>3}/{r['visits']:<3} "
                      f"{r['caught']:>4}/{r['visits']:<6} {r['per_visit_mib']:>5.0f} MiB  {cpu_text(r['cpu_per_visit'])}")
            ours = rows.get(("chromium-headless-shell", "crawler", default_c)) or rows.get(
                ("chromium-headless-shell", "crawler", max(concurrency)))
            if ours:
                print(f"visits/min (headless shell, crawler): {ours['per_min']:.1f} — "
                      f"{verdict('visits_per_min', ours['per_min'])}; CPU/visit: {cpu_text(ours['cpu_per_visit'])}")
                print(f"PSS per concurrent visit: {ours['per_visit_mib']:.0f} MiB — "
                      f"{verdict('pss_per_visit_mib', ours['per_visit_mib'], higher_is_better=False)}")
        banners = sorted(h for role, h in web.sites.items() if role.startswith("banner_"))
        mix = web.demo_domains + banners
        if args.audits and mix:
            domains = [mix[i % len(mix)] for i in range(args.audits)]
            runs: dict[tuple[str, int | None], list[dict]] = {}
            for _ in range(args.rounds):  # plans interleaved round by round: the machine's noise is billed alike
                for plan in plans:
                    for slots in audit_slots:
                        runs.setdefault((plan, slots), []).append(await audits_per_minute(web, domains, plan, slots))
            for (plan, _slots), rows in runs.items():
                a = _merge_audits(rows)
                print(f"full audits, {plan} plan (demo + banner fixtures, concurrency {a['concurrency']}): "
                      f"{a['audits']} → {a['per_min']:.1f} audits/min ({a['failed']} unreachable or with a failed "
                      f"visit), {a['loads_per_audit']:.2f} homepage loads per audit, median {a['median_audit_s']:.1f} s — "
                      f"{verdict('audits_per_min', a['per_min'])}; "
                      f"CPU s per audit: {sum(a['cpu_per_audit'].values()):.2f} ({cpu_text(a['cpu_per_audit'])}); "
                      f"load average ~{a['load']:.0f}")
                print("  " + where_the_time_goes(a))
        if banners:
            host = web.sites["banner_onetrust"]
            for plan in plans:
                load = load_average()
                seconds, banner = await single_audit(web, host, plan)
                print(f"single banner audit, {plan} plan ({host}): {seconds:.1f} s wall — "
                      f"{verdict('banner_audit_s', seconds, higher_is_better=False)} (banner: {banner}; "
                      f"load average {load:.0f}, not an idle machine)")


def where_the_time_goes(a: dict) -> str:
    """What bounds audits/min: the CPU (2 cores shared), or the visit slots held by open pages (mostly
    idle settle), or neither (then it is the critical path of one audit: its visits in sequence)."""
    cores = os.cpu_count() or 2
    cpu_s = sum(a["cpu_per_audit"].values())
    cpu_bound = cores * 60.0 / cpu_s if cpu_s else float("inf")
    slot_bound = a["concurrency"] * 60.0 / a["page_s_per_audit"] if a["page_s_per_audit"] else float("inf")
    target = TARGETS["audits_per_min"]
    short = "" if a["per_min"] >= target else f"short of {target:g} by {target - a['per_min']:.1f} audits/min; "
    return (f"{short}bounds: CPU {cpu_bound:.0f} audits/min if this run had all {cores} cores "
            f"({cpu_s:.2f} CPU-s per audit, the machine's other load took the rest), visit slots "
            f"{slot_bound:.0f} audits/min ({a['concurrency']} slots, {a['page_s_per_audit']:.1f} s of open pages "
            f"per audit); measured {a['per_min']:.1f}")


def _merge_audits(rows: list[dict]) -> dict:
    audits = sum(r["audits"] for r in rows)
    cpu: dict[str, float] = {}
    for r in rows:
        for role, per_audit in r["cpu_per_audit"].items():
            cpu[role] = cpu.get(role, 0.0) + per_audit * r["audits"]
    return {"audits": audits, "per_min": audits / sum(r["seconds"] for r in rows) * 60,
            "concurrency": rows[0]["concurrency"],
            "loads_per_audit": sum(r["loads_per_audit"] * r["audits"] for r in rows) / audits,
            "failed": sum(r["failed"] for r in rows),
            "page_s_per_audit": sum(r["page_s_per_audit"] * r["audits"] for r in rows) / audits,
            "load": statistics.mean(r["load"] for r in rows),
            "median_audit_s": statistics.median(r["median_audit_s"] for r in rows),
            "cpu_per_audit": {role: s / audits for role, s in sorted(cpu.items())}}


if __name__ == "__main__":
    asyncio.run(main())
