"""The recordings in tests/recorded/ still say what a live crawl says: each recorded site is crawled again in
real Chromium and both captures are analysed alike; the findings (code + products), the trackers and the
banner outcomes must match, so a change to a site, the crawler or the analyzer cannot leave the browser-free
tests (tests/test_recorded_findings.py) asserting on a capture the code no longer produces."""

from __future__ import annotations

import pytest
import pytest_asyncio

from analyzer import analyze_capture
from analyzer.attribution import Attributor
from analyzer.knowledge import load_knowledge
from crawler.testing.record_captures import (
    DEFAULT_DIR,
    RECORDED_SITES,
    REFRESH,
    load_recording,
    normalise,
    recording_path,
)
from model.report import Report

pytestmark = pytest.mark.browser  # reads the session's shared crawls (tests/shared_crawls.py)


def what_it_finds(report: Report) -> dict[str, list[str]]:
    findings = sorted({f"{f.code} {p}" for f in report.findings
                       for p in ([x.id for x in f.products] or [f.product_id or f.company_id or "-"])})
    return {
        "findings": findings,
        "trackers": sorted(f"{t.key} {','.join(sorted(t.visits))}" for t in report.trackers if t.source != "unattributed"),
        "banner": sorted(f"{v.name} {v.consent_outcome}" for v in report.visits if v.consent_outcome),
        "skipped": sorted(s.name for s in report.skipped_visits),
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def live(fake_web, shared_crawls):
    domains = list(RECORDED_SITES)
    return dict(zip(domains, await shared_crawls.crawl_all(domains)))


@pytest.mark.parametrize("domain", sorted(RECORDED_SITES))
def test_the_recording_matches_a_live_crawl(live, domain):
    attributor = Attributor(load_knowledge())
    path = recording_path(DEFAULT_DIR, domain)
    recorded = what_it_finds(analyze_capture(load_recording(path), attributor=attributor))
    # The live capture goes through the recorder's normalisation too: it must not change what is found.
    crawled = live[domain]
    assert crawled.reachable and not crawled.partial, (domain, crawled.error, crawled.cut, [
        (v.name, v.error, v.cut, [(e.collector, e.stage, e.message) for e in v.collector_errors])
        for v in crawled.visits if v.partial or not v.ok])
    now = what_it_finds(analyze_capture(crawled, attributor=attributor))
    assert what_it_finds(analyze_capture(normalise(crawled), attributor=attributor)) == now
    assert now == recorded, f"{path} no longer matches a live crawl: re-record it with `{REFRESH} {domain}`"
