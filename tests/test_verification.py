"""A clean grade must be earned: bot walls are reported as blocked (not audited), and what an audit
could not verify (no banner seen while trackers set cookies, a visit cut short, an unreadable policy)
is said in the report and the summary payload, and keeps the grade below A."""

from __future__ import annotations

import msgspec
import pytest
import pytest_asyncio

from analyzer import analyze_capture
from crawler.testing.sites import TEST_SITES_DIR, load_sites
from model.report import summary_of

pytestmark = pytest.mark.browser  # reads the session's shared crawls (tests/shared_crawls.py)

WALLS = {s.role: (s.host, s.extra["bot_wall"]) for s in load_sites(TEST_SITES_DIR) if "bot_wall" in s.extra}
CLEAN_ROLE = "banner_onetrust"  # harbor-lantern.com: a banner answered both ways, trackers gated


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def audits(fake_web, shared_crawls):
    hosts = {role: host for role, (host, _) in WALLS.items()} | {CLEAN_ROLE: fake_web.sites[CLEAN_ROLE]}
    captures = await shared_crawls.crawl_all(hosts.values())
    return {role: (cap, analyze_capture(cap)) for role, cap in zip(hosts, captures)}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", sorted(WALLS))
async def test_each_site_reports_what_it_could_not_verify(audits, role):
    _, expected = WALLS[role]
    capture, report = audits[role]
    assert capture.reachable
    assert [u.code for u in report.unverified] == expected["unverified"], report.unverified
    assert report.blocked is expected["blocked"]
    summary = summary_of(report)
    assert summary.not_verified and all(t.startswith("not verified: ") for t in summary.not_verified)
    assert summary.blocked is expected["blocked"]
    assert report.grade.letter != "A" and "no problems found" not in report.grade.reasons
    assert any(t in report.grade.reasons for t in summary.not_verified)
    if expected["blocked"]:
        assert report.grade.letter == "?" and report.findings == []
        assert "bot check" in report.summary and "nothing was audited" in report.summary


@pytest.mark.asyncio(loop_scope="session")
async def test_bot_walls_name_what_blocked_the_audit(audits):
    texts = {role: audits[role][1].unverified[0].text for role in WALLS if WALLS[role][1]["blocked"]}
    assert "Cloudflare" in texts["bot_wall_cloudflare"]
    assert "Akamai" in texts["bot_wall_akamai"]
    assert "429" in texts["bot_wall_rate_limited"]
    assert "empty" in texts["bot_wall_empty"]


@pytest.mark.asyncio(loop_scope="session")
async def test_hidden_banner_names_the_trackers_that_set_cookies(audits):
    _, report = audits["hidden_banner"]
    gap = report.unverified[0]
    assert "Meta Pixel" in gap.text and "before any choice" in gap.text
    assert report.summary.startswith("No problems found, but not everything could be verified") or report.findings


@pytest.mark.asyncio(loop_scope="session")
async def test_a_verified_audit_carries_no_caveat(audits):
    _, report = audits[CLEAN_ROLE]
    assert report.unverified == [] and not report.blocked
    assert summary_of(report).not_verified == []


@pytest.mark.asyncio(loop_scope="session")
async def test_a_partial_visit_or_unreadable_policy_is_not_verified(audits):
    capture, clean = audits[CLEAN_ROLE]
    cut = msgspec.structs.replace(capture, visits=[
        msgspec.structs.replace(v, partial=True, error="page did not finish loading within 30 s") if v.name == "gpc" else v
        for v in capture.visits])
    report = analyze_capture(cut)
    gap = next(u for u in report.unverified if u.code == "VISIT_INCOMPLETE")
    assert "gpc visit did not complete (page did not finish loading within 30 s)" in gap.text
    assert report.grade.score <= 89 and report.grade.score <= clean.grade.score
    from model.capture import PolicyDocument

    thin = PolicyDocument(kind="privacy", url="https://harbor-lantern.com/privacy", found_via="link", status=200,
                          text="Privacy. Loading…")
    report = analyze_capture(msgspec.structs.replace(capture, policies=[thin]))
    gap = next(u for u in report.unverified if u.code == "POLICY_UNREADABLE")
    assert "almost no readable text" in gap.text and report.grade.letter != "A"
