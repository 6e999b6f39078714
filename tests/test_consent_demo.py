"""The demo web's cookie banners do what demo/expected.yaml says (its `banner` sections): the reject and
accept outcomes, the CMP autoconsent names (or the heuristic), and exactly the consent findings listed."""

from __future__ import annotations

import pytest
import pytest_asyncio

from analyzer import analyze_capture
from crawler.testing import demo_expectations

CONSENT_CODES = {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT", "CONSENT_MODE_GRANTED_AFTER_REJECT",
                 "CONSENT_MODE_DENIED_PINGS", "GPC_CONSENT_STRING_NOT_OPTED_OUT", "BANNER_WITHOUT_REJECT"}
WITH_BANNER = {d: s["banner"] for d, s in demo_expectations()["sites"].items() if s.get("banner")}


pytestmark = pytest.mark.browser  # reads the session's shared crawls (tests/shared_crawls.py)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def demo_audits(shared_crawls):
    captures = await shared_crawls.crawl_all(WITH_BANNER)
    return {d: (c, analyze_capture(c)) for d, c in zip(WITH_BANNER, captures)}


def test_some_demo_sites_have_banners():
    assert len(WITH_BANNER) >= 2


@pytest.mark.parametrize("domain", sorted(WITH_BANNER))
def test_demo_banner_matches_expected_yaml(demo_audits, domain):
    expected = WITH_BANNER[domain]
    capture, report = demo_audits[domain]
    for action in ("reject", "accept"):
        record = capture.visit(action).consent
        assert record.outcome == expected[action], (action, record.reason, record.timeline)
        assert record.cmp == expected["cmp"]
        assert record.method == ("autoconsent" if expected["cmp"] else "heuristic")
    got = {f.code for f in report.findings if f.code in CONSENT_CODES}
    assert got == set(expected["consent_findings"]), [(f.code, f.title) for f in report.findings]
    assert {v.name: v.consent_outcome for v in report.visits}["reject"] == expected["reject"]
    assert next(v for v in report.visits if v.name == "reject").consent.outcome == expected["reject"]
