"""Cookie-banner handling on the fixture banners (prints a table; asserts nothing).

    .venv/bin/python bench/consent.py [--rounds 3] [--concurrency 4] [--only real|look-alike]

Two sets: the look-alike fixtures (crawler/testing/sites/banners.yaml) and the real open-source CMPs
from npm (real_cmps.yaml; `make setup` installs them). For the real CMPs it also audits each crawl and
counts wrong consent findings (a consent code the fixture does not expect, or an expected one missing),
and names every CMP it could not refuse, with the reason the handler gave.

For every fixture in crawler/testing/sites/banners.yaml: the reject and accept outcomes over N rounds
against the fixture's expected outcome, the method (autoconsent rule or heuristic), time from load to
banner and from banner to answer, and the reject success rate: reject visits that ended as the fixture
says (``done``, or ``no_reject_option`` for the banner that has none) over all reject visits.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler import BrowserOptions, Crawler, CrawlOptions
from crawler.testing import FakeInternet
from crawler.testing.npm_files import require_packages
from crawler.testing.sites import TEST_SITES_DIR, load_sites

CONSENT_CODES = {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT", "CONSENT_MODE_GRANTED_AFTER_REJECT",
                 "CONSENT_MODE_DENIED_PINGS", "GPC_CONSENT_STRING_NOT_OPTED_OUT", "BANNER_WITHOUT_REJECT",
                 "OPT_OUT_NOT_RECORDED", "GPC_NOT_IN_CONSENT_STRING"}


def options(web: FakeInternet, concurrency: int) -> CrawlOptions:
    extra = tuple(web.trust_args)
    return CrawlOptions(browser=BrowserOptions(host_rules=web.host_rules, extra_args=extra), visits=("reject", "accept"),
                        max_concurrent_visits=concurrency, settle_s=1.0, timeout_s=30.0, find_policies=False)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--only", choices=("real", "look-alike"), default=None)
    args = parser.parse_args()
    if args.only != "look-alike":
        await real_cmps(args)
    if args.only != "real":
        await look_alikes(args)


async def real_cmps(args) -> None:
    from analyzer import analyze_capture

    require_packages()
    fixtures = {s.host: s.extra["real_cmp"] for s in load_sites(TEST_SITES_DIR) if "real_cmp" in s.extra}
    rounds: dict[str, list] = defaultdict(list)
    async with FakeInternet(demo=False) as web:
        opts = CrawlOptions(browser=BrowserOptions(host_rules=web.host_rules, extra_args=tuple(web.trust_args)),
                            max_concurrent_visits=args.concurrency, settle_s=1.5, timeout_s=30.0, find_policies=False)
        async with Crawler(opts) as crawler:
            for _ in range(args.rounds):
                for capture in await asyncio.gather(*(crawler.crawl(h) for h in fixtures)):
                    rounds[capture.domain].append((capture, analyze_capture(capture)))
    print(f"{'real CMP (npm)':<24} {'package':<22} {'refusal':<8} {'reject':>7} {'accept':>7} {'wrong findings':<30}")
    hits = total = wrong = 0
    failures = []
    for host, expected in fixtures.items():
        ok = {"reject": 0, "accept": 0}
        bad_codes: set[str] = set()
        for capture, report in rounds[host]:
            for action in ok:
                record = capture.visit(action).consent
                if record is not None and record.outcome == expected[action]:
                    ok[action] += 1
                else:
                    why = f"{record.outcome}: {record.reason}" if record else "no consent record"
                    verb = "refuse" if action == "reject" else "accept"
                    failures.append(f"  could not {verb} {expected['package']} on {host}: {why}")
            got = {f.code for f in report.findings if f.code in CONSENT_CODES}
            diff = got ^ set(expected["findings"])
            bad_codes |= diff
            wrong += len(diff)
        n = len(rounds[host])
        hits, total = hits + ok["reject"], total + n
        print(f"{host:<24} {expected['package']:<22} {expected['refusal']:<8} {ok['reject']:>3}/{n:<3} "
              f"{ok['accept']:>3}/{n:<3} {', '.join(sorted(bad_codes)) or '-':<30}")
    print("\n".join(failures))
    print(f"\nreal-CMP reject success rate: {hits}/{total} = {hits / total:.0%} over {len(fixtures)} sites "
          f"× {args.rounds} round(s); wrong consent findings: {wrong}\n")


async def look_alikes(args) -> None:
    fixtures = {s.host: s.extra["banner_fixture"] for s in load_sites(TEST_SITES_DIR) if "banner_fixture" in s.extra}
    rows: dict[str, list] = defaultdict(list)
    async with FakeInternet(demo=False) as web:
        async with Crawler(options(web, args.concurrency)) as crawler:
            started = time.monotonic()
            for _ in range(args.rounds):
                for capture in await asyncio.gather(*(crawler.crawl(h) for h in fixtures)):
                    for visit in capture.visits:
                        rows[capture.domain].append((visit.name, visit.consent, visit.duration_ms))
            elapsed = time.monotonic() - started
    print(f"{'fixture':<24} {'cmp (expected)':<20} {'method':<12} {'reject':>9} {'accept':>9} "
          f"{'banner@ s':>9} {'answer+ ms':>10}")
    hits = total = 0
    for host, expected in fixtures.items():
        outcome = {a: [c.outcome if c else "none" for n, c, _ in rows[host] if n == a] for a in ("reject", "accept")}
        ok = {a: sum(o == expected[a] for o in outcome[a]) for a in outcome}
        hits, total = hits + ok["reject"], total + len(outcome["reject"])
        records = [c for _, c, _ in rows[host] if c is not None]
        methods = sorted({c.method or "-" for c in records})
        shown = [c.banner_shown_ms - c.timeline[0].t_ms for c in records if c.banner_shown_ms and c.timeline]
        answer = [c.click_ms - c.banner_shown_ms for c in records if c.click_ms and c.banner_shown_ms]
        print(f"{host:<24} {expected['cmp']!s:<20} {','.join(methods):<12} "
              f"{ok['reject']:>4}/{len(outcome['reject']):<4} {ok['accept']:>4}/{len(outcome['accept']):<4} "
              f"{statistics.median(shown) / 1000 if shown else 0:>9.2f} {statistics.median(answer) if answer else 0:>10.0f}")
    for host, expected in fixtures.items():
        for name, c, _ in rows[host]:
            if c is None or c.outcome != expected[name]:
                print(f"  {host} {name}: {c.outcome if c else 'no record'} ({c.reason if c else ''})")
    print(f"\nreject success rate: {hits}/{total} = {hits / total:.0%} over {len(fixtures)} fixture banners "
          f"× {args.rounds} round(s); {2 * total / elapsed * 60:.1f} banner visits/min at concurrency {args.concurrency}")


if __name__ == "__main__":
    asyncio.run(main())
