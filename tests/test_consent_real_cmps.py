"""Real open-source consent managers from npm on the fake internet (crawler/testing/sites/real_cmps.yaml):
each banner is seen and answered as a visitor would answer it, bot-hiding CMPs show their banner to us,
banners without the word "cookie" and US "Do Not Sell or Share" notices are found by structure, the
opt-out is checked in the consent string it should change, and only the fixtures' own findings fire."""

from __future__ import annotations

import pytest
import pytest_asyncio

from analyzer import analyze_capture
from analyzer.consent import decode_visit_consent
from crawler.testing.npm_files import require_packages
from crawler.testing.sites import TEST_SITES_DIR, load_sites

pytestmark = pytest.mark.browser  # reads the session's shared crawls (tests/shared_crawls.py)

CONSENT_CODES = {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT", "CONSENT_MODE_GRANTED_AFTER_REJECT",
                 "CONSENT_MODE_DENIED_PINGS", "GPC_CONSENT_STRING_NOT_OPTED_OUT", "BANNER_WITHOUT_REJECT",
                 "OPT_OUT_NOT_RECORDED", "GPC_NOT_IN_CONSENT_STRING"}
REAL = {s.role: (s.host, s.extra["real_cmp"]) for s in load_sites(TEST_SITES_DIR) if "real_cmp" in s.extra}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def audits(fake_web, shared_crawls):
    require_packages()  # `make test` installs them; anything else is a broken setup, not a skip
    captures = await shared_crawls.crawl_all(host for host, _ in REAL.values())
    return {role: (cap, analyze_capture(cap)) for role, cap in zip(REAL, captures)}


def test_the_fixtures_are_real_packages_from_npm():
    require_packages()
    packages = {f["package"] for _, f in REAL.values()}
    assert len(packages) >= 6, packages
    assert {"klaro", "vanilla-cookieconsent", "cookieconsent", "tarteaucitronjs", "orejime", "@iabtcf/cmpapi"} <= packages
    assert any(f["findings"] for _, f in REAL.values()) and any(not f["findings"] for _, f in REAL.values())


@pytest.mark.asyncio(loop_scope="session")
async def test_npm_files_are_served_and_confined(fake_web):
    import aiohttp

    host = REAL["real_klaro"][0]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=fake_web.client_ssl_context(),
                                                                    resolver=fake_web.resolver())) as http:
        async with http.get(fake_web.url(host, "/npm/klaro/dist/klaro.js")) as resp:
            assert resp.status == 200 and "javascript" in resp.headers["Content-Type"]
        for path in ("/npm/web-ext/package.json", "/npm/klaro/../web-ext/package.json", "/npm/klaro/nope.js"):
            async with http.get(fake_web.url(host, path)) as resp:
                assert resp.status == 404, path


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", sorted(REAL))
@pytest.mark.parametrize("action", ["reject", "accept"])
async def test_banner_is_found_and_answered(audits, role, action):
    expected = REAL[role][1]
    visit = audits[role][0].visit(action)
    record = visit.consent
    assert record is not None and record.outcome == expected[action], (record.outcome, record.reason, record.timeline)
    assert record.banner_shown_ms is not None and record.click_ms is not None
    if action == "reject":
        assert record.refusal == expected["refusal"], record.timeline


@pytest.mark.asyncio(loop_scope="session")
async def test_a_bot_hiding_cmp_shows_its_banner_to_us(audits):
    """vanilla-cookieconsent's default hideFromBots draws nothing for navigator.webdriver / HeadlessChrome."""
    role = next(r for r, (_, f) in REAL.items() if f.get("hides_from_bots"))
    capture, _ = audits[role]
    for action in ("reject", "accept"):
        record = capture.visit(action).consent
        assert record.outcome == "done" and record.cmp == "cookieconsent3", record.timeline


@pytest.mark.asyncio(loop_scope="session")
async def test_a_banner_without_the_word_cookie_is_found_by_structure(audits):
    capture, _ = audits["real_orejime"]
    shown = next(e for e in capture.visit("reject").consent.timeline if e.event == "banner_shown")
    assert "cookie" not in shown.detail.lower()
    assert capture.visit("reject").consent.method == "heuristic"


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", sorted(REAL))
async def test_consent_findings_match_the_fixture(audits, role):
    _, report = audits[role]
    got = {f.code for f in report.findings if f.code in CONSENT_CODES}
    assert got == set(REAL[role][1]["findings"]), [(f.code, f.title) for f in report.findings]


def _third_parties(host: str, requests) -> set[str]:
    """Every host but the site's own: these fixture sites load nothing third-party but their trackers."""
    return {r.url.split("/")[2] for r in requests} - {host} - {"update.googleapis.com", "accounts.google.com"}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", ["real_klaro", "real_vanilla_cookieconsent", "real_tarteaucitron", "real_orejime"])
async def test_gated_trackers_wait_for_accept(audits, role):
    capture, _ = audits[role]
    host = REAL[role][0]
    assert not _third_parties(host, capture.visit("baseline").requests), "nothing before a choice"
    assert not _third_parties(host, capture.visit("reject").requests), "reject keeps the trackers out"
    accept = capture.visit("accept")
    assert _third_parties(host, [r for r in accept.requests if r.phase == "after_consent"]), "accept loads them"
    assert not _third_parties(host, [r for r in accept.requests if r.phase == "load"])


@pytest.mark.asyncio(loop_scope="session")
async def test_tcf_and_gpp_strings_say_what_was_chosen(audits):
    capture, _ = audits["real_iabtcf"]
    rejected, accepted = decode_visit_consent(capture.visit("reject")), decode_visit_consent(capture.visit("accept"))
    assert rejected.tcf.consents_nothing and rejected.tcf.cmp_id == 300
    assert 91 in accepted.tcf.vendor_consents
    capture, _ = audits["real_iabgpp"]
    opted = decode_visit_consent(capture.visit("reject"))
    assert opted.refusal == "opt_out" and opted.gpp.usnat.sale_opt_out == 1 and opted.gpp.usnat.sharing_opt_out == 1
    capture, report = audits["real_iabgpp_unrecorded"]
    ignored = decode_visit_consent(capture.visit("reject"))
    assert ignored.gpp.usnat.sale_opt_out == 2
    finding = next(f for f in report.findings if f.code == "OPT_OUT_NOT_RECORDED")
    assert "GPP usnat section" in finding.explanation and finding.severity == "high"


SITE_WIDE = {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT", "CONSENT_MODE_GRANTED_AFTER_REJECT", "GPC_NOT_HONORED",
             "DNT_CLAIM_CONTRADICTED", "GPC_CLAIM_CONTRADICTED", "SALE_CLAIM_CONTRADICTED"}


@pytest.mark.asyncio(loop_scope="session")
async def test_site_wide_findings_name_their_trackers_as_data(audits):
    from model.report import decode_report, encode_report, summary_of

    seen_codes = set()
    for role, (_, report) in audits.items():
        trackers = {t.key: t for t in report.trackers}
        for f in report.findings:
            if f.code not in SITE_WIDE:
                continue
            seen_codes.add(f.code)
            assert f.products, (role, f.code)
            for p in f.products:
                tracker = trackers[p.id]
                assert (p.name, p.company, p.category) == (tracker.name, tracker.company_name, tracker.category)
                assert p.evidence and all(e.kind in ("request", "cookie") for e in p.evidence), (role, f.code, p)
                assert p.name in f.explanation, "the prose and the data name the same trackers"
        assert decode_report(encode_report(report)) == report
        summary = summary_of(report)
        for top in summary.top_findings:
            full = next(f for f in report.findings if f.code == top.code)
            assert [p.id for p in top.products] == [p.id for p in full.products]
    assert {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT", "GPC_NOT_HONORED"} <= seen_codes, seen_codes
