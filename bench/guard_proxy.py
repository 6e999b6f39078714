"""What the per-context guard proxy costs: the same pages loaded through it and directly (prints a
table; asserts nothing). Loads alternate between the two so machine noise hits both alike.

    .venv/bin/python bench/guard_proxy.py [--loads 12] [--site tracker-zoo.com]

- median / p90 time from new context to the load event;
- CPU seconds of this Python process per load (the proxy runs in it, next to the fake internet).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import async_playwright

from crawler.browser import BrowserOptions, find_chromium, launch, launch_args
from crawler.testing import FakeInternet


async def _load(new_context, url: str) -> tuple[float, float]:
    cpu, t0 = time.process_time(), time.monotonic()
    context = await new_context()
    try:
        page = await context.new_page()
        await page.goto(url, wait_until="load", timeout=60_000)
    finally:
        await context.close()
    return time.monotonic() - t0, time.process_time() - cpu


async def main(loads: int, site: str) -> None:
    async with FakeInternet() as web, async_playwright() as p:
        options = BrowserOptions(host_rules=web.host_rules, extra_args=tuple(web.trust_args))
        guarded = await launch(p, options)
        direct = await p.chromium.launch(executable_path=find_chromium(None), headless=True,
                                         args=[*launch_args(options), *web.chromium_args])
        url = web.url(site)
        results: dict[str, list[tuple[float, float]]] = {"guard proxy": [], "direct": []}
        try:
            for _ in range(loads):
                results["guard proxy"].append(await _load(guarded.new_context, url))
                results["direct"].append(await _load(lambda: direct.new_context(ignore_https_errors=True), url))
        finally:
            await guarded.close()
            await direct.close()
    print(f"{site}, {loads} loads each, alternating")
    print(f"{'path':<12} {'median s':>9} {'p90 s':>7} {'py CPU s/load':>14}")
    for name, rows in results.items():
        times = sorted(t for t, _ in rows)
        cpu = statistics.median(c for _, c in rows)
        print(f"{name:<12} {statistics.median(times):>9.2f} {times[int(0.9 * (len(times) - 1))]:>7.2f} {cpu:>14.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=12)
    parser.add_argument("--site", default="tracker-zoo.com")
    args = parser.parse_args()
    asyncio.run(main(args.loads, args.site))
