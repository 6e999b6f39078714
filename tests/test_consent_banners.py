"""Cookie banners end to end, in real Chromium on the fake internet: every fixture CMP is detected and
answered (reject and accept), the consent timeline and the before/after-click split are recorded, the
page's consent state is read and decoded, and each consent finding fires on the site built for it and
nowhere else. Ground truth: ``extra.banner_fixture`` in crawler/testing/sites/banners.yaml."""

from __future__ import annotations

import pytest
import pytest_asyncio

from analyzer import analyze_capture
from analyzer.consent import decode_visit_consent
from crawler.testing.sites import TEST_SITES_DIR, load_sites

CONSENT_CODES = {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT", "CONSENT_MODE_GRANTED_AFTER_REJECT",
                 "CONSENT_MODE_DENIED_PINGS", "GPC_CONSENT_STRING_NOT_OPTED_OUT", "BANNER_WITHOUT_REJECT"}
FIXTURES = {s.role: (s.host, s.extra["banner_fixture"]) for s in load_sites(TEST_SITES_DIR) if "banner_fixture" in s.extra}
NO_BANNER_ROLE = "consent_mode"  # consent-mode-lab.com: Google tags, no banner at all


pytestmark = pytest.mark.browser  # reads the session's shared crawls (tests/shared_crawls.py)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def audits(fake_web, shared_crawls):
    """One full four-visit crawl and analysis of every banner fixture (and one site without a banner)."""
    hosts = {role: host for role, (host, _) in FIXTURES.items()} | {NO_BANNER_ROLE: fake_web.sites[NO_BANNER_ROLE]}
    captures = await shared_crawls.crawl_all(hosts.values())
    return {role: (cap, analyze_capture(cap)) for role, cap in zip(hosts, captures)}


def test_there_are_enough_fixtures():
    cmps = {f["cmp"] for _, f in FIXTURES.values() if f["cmp"]}
    assert len(cmps) >= 6, cmps
    assert any(f["cmp"] is None and f["reject"] == "done" for _, f in FIXTURES.values()), "a heuristic-only banner"
    assert any(f["reject"] == "no_reject_option" for _, f in FIXTURES.values()), "a banner without reject"


@pytest.mark.parametrize("role", sorted(FIXTURES))
@pytest.mark.parametrize("action", ["reject", "accept"])
def test_banner_is_detected_and_answered(audits, role, action):
    _, expected = FIXTURES[role]
    capture, _ = audits[role]
    visit = capture.visit(action)
    assert visit.ok, visit.error
    record = visit.consent
    assert record is not None
    assert record.outcome == expected[action], (record.outcome, record.reason, record.timeline)
    if expected["cmp"]:
        assert (record.method, record.cmp) == ("autoconsent", expected["cmp"]), record.timeline
    else:
        assert record.method == "heuristic" and record.cmp is None, record.timeline
    assert record.banner_shown_ms is not None
    if record.outcome == "done":
        assert record.click_ms is not None and record.click_ms >= record.banner_shown_ms
        if action == "reject" and expected.get("self_test") is not None:
            assert record.self_test is expected["self_test"]
    else:
        assert record.click_ms is None and record.reason


@pytest.mark.parametrize("role", sorted(FIXTURES))
def test_timeline_and_before_after_split(audits, role):
    capture, _ = audits[role]
    for visit in (capture.visit("reject"), capture.visit("accept")):
        record = visit.consent
        events = [e.event for e in record.timeline]
        assert "page_load" in events and "banner_shown" in events  # a CMP may show up before the load event
        assert [e.t_ms for e in record.timeline] == sorted(e.t_ms for e in record.timeline)
        if FIXTURES[role][1]["cmp"]:
            assert "cmp_detected" in events
        before = [r.t_ms for r in visit.requests if r.phase == "load"]
        after = [r.t_ms for r in visit.requests if r.phase == "after_consent"]
        if record.outcome == "done":
            assert "click" in events and "answer" in events
            assert not after or max(before) <= min(after), "phase flips once, at the answer"
        elif "click" not in events:
            assert not after, "no click, no after-consent requests"


def _tracker_hosts(visit, phase=None):
    trackers = ("connect.facebook.net", "www.facebook.com", "static.hotjar.com", "snap.licdn.com", "static.criteo.net")
    return {r.url.split("/")[2] for r in visit.requests
            if r.url.split("/")[2] in trackers and (phase is None or r.phase == phase)}


@pytest.mark.parametrize("role", sorted(r for r, (_, f) in FIXTURES.items() if f["behaviour"] == "good"))
def test_well_behaved_sites_load_gated_tags_only_after_accept(audits, role):
    capture, _ = audits[role]
    assert not _tracker_hosts(capture.visit("baseline"))
    assert not _tracker_hosts(capture.visit("reject"))
    if capture.visit("accept").consent.outcome == "done":
        assert _tracker_hosts(capture.visit("accept"), "after_consent")
        assert not _tracker_hosts(capture.visit("accept"), "load")


def test_tcf_state_is_read_and_decoded(audits):
    for role in (r for r, (_, f) in FIXTURES.items() if f.get("tcf")):
        capture, _ = audits[role]
        rejected, accepted = decode_visit_consent(capture.visit("reject")), decode_visit_consent(capture.visit("accept"))
        assert rejected.tcf_source == "api" and rejected.tcf.consents_nothing, rejected.tcf
        assert accepted.tcf.purpose_consents == list(range(1, 12)) and 755 in accepted.tcf.vendor_consents
        api = capture.visit("accept").consent.state["tcf"]
        assert api["purposeConsents"] == accepted.tcf.purpose_consents, "the CMP's API and its string agree"
        cookie = capture.visit("reject").consent.state["cookies"]["euconsent-v2"]
        assert cookie == capture.visit("reject").consent.state["tcf"]["tcString"], "the cookie stores the same string"


def test_cookies_are_split_at_the_answer(audits):
    capture, report = audits["banner_cookiebot"]
    split = decode_visit_consent(capture.visit("reject")).split
    assert "_fbp @ .copperleaf-dental.com" in split.cookies_after, split
    assert not any(c.startswith("_fbp") for c in split.cookies_before)
    assert split.requests_before and split.requests_after
    reject = next(v for v in report.visits if v.name == "reject")
    assert reject.consent.split.cookies_after == split.cookies_after, "the report carries the split"


def test_onetrust_and_cookiebot_state(audits):
    capture, _ = audits["banner_onetrust"]
    assert decode_visit_consent(capture.visit("reject")).onetrust.optional_granted == []
    assert decode_visit_consent(capture.visit("accept")).onetrust.optional_granted == ["C0002", "C0003", "C0004"]
    capture, _ = audits["banner_cookiebot"]
    assert capture.visit("reject").consent.state["cookiebot"]["declined"] is True
    assert capture.visit("accept").consent.state["cookiebot"]["marketing"] is True


def test_us_strings_under_gpc(audits):
    ignores, _ = audits["banner_cookieyes"]
    honours, _ = audits["banner_complianz"]
    bad, good = decode_visit_consent(ignores.visit("gpc")), decode_visit_consent(honours.visit("gpc"))
    assert bad.usp.opted_out_of_sale is False and bad.gpp.usnat.sale_opt_out == 2
    assert good.usp.opted_out_of_sale is True and good.gpp.usnat.sale_opt_out == 1 and good.gpp.usnat.gpc is True
    assert ignores.visit("gpc").consent.state["gpc"] is True


@pytest.mark.parametrize("role", sorted(FIXTURES))
def test_consent_findings_match_the_fixture(audits, role):
    _, report = audits[role]
    got = {f.code for f in report.findings if f.code in CONSENT_CODES}
    assert got == set(FIXTURES[role][1]["findings"]), [(f.code, f.title) for f in report.findings]
    for f in report.findings:
        if f.code in CONSENT_CODES:
            assert f.evidence and any(e.kind == "consent_state" for e in f.evidence), f.code
    assert report.signals["banner"].contradicted == bool(got - {"CONSENT_MODE_DENIED_PINGS", "GPC_CONSENT_STRING_NOT_OPTED_OUT"})


def test_no_banner_means_no_consent_findings(audits):
    capture, report = audits[NO_BANNER_ROLE]
    assert capture.visit("reject").consent.outcome == "no_banner"
    # Nothing to accept: the lean audit plan skips the accept visit and says why (crawler/audit_plan.py).
    assert capture.visit("accept") is None and [s.name for s in capture.skipped] == ["accept"]
    assert not {f.code for f in report.findings} & CONSENT_CODES
    assert report.signals["banner"].policy == "no banner"


def _finding(audits, role, code):
    _, report = audits[role]
    return next(f for f in report.findings if f.code == code)


def test_tracking_after_reject_evidence_is_timed_from_the_click(audits):
    f = _finding(audits, "banner_cookiebot", "TRACKING_AFTER_REJECT")
    requests = [e for e in f.evidence if e.kind == "request"]
    assert requests and all(e.t_ms > 0 and "after the reject click" in e.detail for e in requests)
    assert any("facebook" in (e.url or "") for e in requests)
    state = next(e for e in f.evidence if e.kind == "consent_state")
    assert "Cookiebot consent: necessary only" in state.text


def test_consent_mode_granted_after_reject_shows_the_hit_and_the_refusal(audits):
    f = _finding(audits, "banner_quantcast", "CONSENT_MODE_GRANTED_AFTER_REJECT")
    hits = [e for e in f.evidence if e.kind == "request"]
    assert hits and all("granted" in e.detail and e.t_ms > 0 for e in hits)
    state = next(e for e in f.evidence if e.kind == "consent_state")
    assert "purposes consented: none" in state.text and "CMP 10" in state.text
    assert f.severity == "high"


def test_denied_pings_are_reported_lower_than_tracking(audits):
    f = _finding(audits, "banner_usercentrics", "CONSENT_MODE_DENIED_PINGS")
    assert f.severity == "low"
    hits = [e for e in f.evidence if e.kind == "request"]
    assert hits and all("analytics_storage=denied" in e.detail for e in hits)
    pre = _finding(audits, "banner_cookieyes", "PRE_CONSENT_TRACKING")
    assert pre.severity == "high" and "TikTok" in pre.explanation
    before = [e for e in pre.evidence if e.kind == "request" and e.visit == "reject"]
    assert before and all(e.t_ms <= 0 and "before the reject click" in e.detail for e in before)


def test_gpc_string_finding_names_the_claim_and_the_strings(audits):
    f = _finding(audits, "banner_cookieyes", "GPC_CONSENT_STRING_NOT_OPTED_OUT")
    kinds = [e.kind for e in f.evidence]
    assert "well_known" in kinds and kinds.count("consent_state") == 2
    assert any("1YNN" in (e.text or "") for e in f.evidence)
