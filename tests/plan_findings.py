"""What an audit finds on the fake internet's sites, as comparable data: finding codes with the product
(or company) each names, and the tracker products observed. The audit plan may change how many page
loads it spends; it must not change these.

    /work/main/.venv/bin/python tests/plan_findings.py --record   # writes tests/data/plan_findings.json

The recorded file is what the five-load plan (discovery, baseline, gpc, reject, accept, each its own
homepage load, a full settle after every banner wait) produces; tests/test_plan_equivalence.py checks the
current plan against it. Re-record it (with the same code) whenever the analyzer's findings change for
reasons other than the plan: --record always runs the five-load plan (``plan="classic"``,
``overlap_banner_wait=False``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

EXPECTED = HERE / "data" / "plan_findings.json"
# Sites whose point is a pathology in time (hangs, 8 s loads, loops, a busy main thread) audit to
# timing-dependent partial captures: they are covered by tests/test_crawler_robustness.py instead.
TIMING_ROLES = {"hangs", "slow", "redirect_loop", "redirect_loop_partner", "busy_script", "popup_target",
                "iframe_partner", "lab_metrics", "redirect_hop", "redirect_landing"}


def audited_domains(web) -> list[str]:
    sites = [host for role, host in sorted(web.sites.items()) if role not in TIMING_ROLES]
    return sorted(set(sites) | set(web.demo_domains))


def findings_of(report) -> dict:
    findings = sorted({f"{f.code} {f.product_id or f.company_id or '-'}" for f in report.findings})
    trackers = sorted({t.key for t in report.trackers if t.source != "unattributed"})
    return {"findings": findings, "trackers": trackers, "policy_found": report.policy.found}


async def audit_all(crawler, domains: list[str]) -> dict[str, dict]:
    from analyzer import analyze_capture

    captures = await asyncio.gather(*(crawler.crawl(d) for d in domains))
    return {d: {**findings_of(analyze_capture(c)), "capture": c} for d, c in zip(domains, captures)}


async def record(out: Path) -> None:
    from conftest import crawl_options_for

    from crawler import Crawler
    from crawler.testing import FakeInternet

    async with FakeInternet(seeds_dir=HERE.parents[1] / "shared" / "seeds") as web:
        async with Crawler(crawl_options_for(web, plan="classic", overlap_banner_wait=False)) as crawler:
            audits = await audit_all(crawler, audited_domains(web))
    data = {d: {k: v for k, v in a.items() if k != "capture"} for d, a in audits.items()}
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{len(data)} domains, {sum(len(a['findings']) for a in data.values())} findings → {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", action="store_true", help=f"write {EXPECTED.relative_to(HERE.parent)}")
    parser.add_argument("--out", type=Path, default=EXPECTED)
    args = parser.parse_args()
    if not args.record:
        parser.error("nothing to do: pass --record")
    asyncio.run(record(args.out))
