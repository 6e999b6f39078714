"""Findings mapped to the rules they may touch (issue 14 §5): references as data in the report and the
summary, a compact list on the report page (https links only, "may breach", never advice), and
``/v1/sites?rule=`` on both store backends (an unknown rule id is a 400 JSON error)."""

from __future__ import annotations

import msgspec
import pytest
from api_served import listed_domains as _domains
from api_served import serving

from analyzer.findings import rule_references
from analyzer.legal import codes_for_rule, legal_data
from api.service.samples import make_report
from model.report import Evidence, Finding, RuleReference, summary_of

T0 = 1_700_000_000.0
EVIDENCE = [Evidence(kind="request", visit="baseline", url="https://analytics.tiktok.com/i18n/pixel/events.js")]


def _finding(code: str, references: list[RuleReference] | None = None) -> Finding:
    return Finding(code=code, severity="high", title=f"{code} title", explanation="explained", evidence=EVIDENCE,
                   references=rule_references(code) if references is None else references)


def _reports():
    consent = make_report("banner.com", T0, [0], [0])
    consent.findings.append(_finding("PRE_CONSENT_TRACKING"))
    consent.legal_notice = legal_data().wording
    gpc = make_report("gpc.com", T0, [0], [0])
    gpc.findings.append(_finding("GPC_NOT_HONORED"))
    undeclared = make_report("quiet.com", T0, [0, 2], [0])  # UNDECLARED_TRACKER only (cites gdpr-13)
    # A stored reference whose URLs are not https (an old or tampered store): shown, never linked.
    hostile = make_report("hostile.com", T0, [], [])
    hostile.findings.append(_finding("TRACKING_AFTER_REJECT", [
        RuleReference(id="eprivacy-5-3", jurisdiction="EU", instrument="Script Rule", article="Art. 1",
                      url="javascript:alert(1)"),
        RuleReference(id="gdpr-6-1-a", jurisdiction="EU", instrument="Plain Rule", article="Art. 2",
                      url="http://example.org/rule")]))
    return [consent, gpc, undeclared, hostile]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def http(request, tmp_path_factory):
    if request.param == "sqlite":
        location = str(tmp_path_factory.mktemp("legal") / "cw.db")
    else:
        location = request.getfixturevalue("pg_cluster").new_database()
    async with serving(location, _reports()) as session:
        yield session



def test_finding_references_come_from_the_yaml():
    refs = rule_references("PRE_CONSENT_TRACKING")
    assert [r.id for r in refs] == ["eprivacy-5-3", "gdpr-6-1-a"]
    assert refs[0].instrument == "ePrivacy Directive 2002/58/EC" and refs[0].article == "Art. 5(3)"
    assert all(r.url.startswith("https://") and r.jurisdiction == "EU" and r.summary for r in refs)
    assert rule_references("DECLARED_NOT_OBSERVED") == []
    assert codes_for_rule("eprivacy-5-3") == sorted(
        c for c, ids in legal_data().codes.items() if "eprivacy-5-3" in ids)
    assert "PRE_CONSENT_TRACKING" in codes_for_rule("eprivacy-5-3") and codes_for_rule("no-such-rule") is None


def test_summary_top_findings_carry_the_references_without_summaries():
    report = _reports()[0]
    summary = msgspec.json.decode(msgspec.json.encode(summary_of(report)))
    top = next(f for f in summary["top_findings"] if f["code"] == "PRE_CONSENT_TRACKING")
    assert [r["id"] for r in top["references"]] == ["eprivacy-5-3", "gdpr-6-1-a"]
    assert top["references"][0]["url"].startswith("https://eur-lex.europa.eu/") and "summary" not in top["references"][0]
    assert "may" in summary["legal_notice"] and "not legal advice" in summary["legal_notice"]
    assert summary_of(_reports()[2]).legal_notice is None  # no finding with references in the top: no notice


async def test_rule_filter(http):
    assert await _domains(http, "rule=eprivacy-5-3") == ["banner.com", "hostile.com"]
    assert await _domains(http, "rule=cpa-rule-5") == ["gpc.com"]
    assert await _domains(http, "rule=gdpr-13") == ["quiet.com"]  # its UNDECLARED_TRACKER (the others declare theirs)
    assert await _domains(http, "rule=cipa-631") == []
    assert await _domains(http, "rule=eprivacy-5-3&finding=PRE_CONSENT_TRACKING") == ["banner.com"]


@pytest.mark.parametrize("bad", ["no-such-rule", "EPRIVACY-5-3", "eprivacy-5-3%27%20OR%201=1", "", "x" * 80])
async def test_unknown_rule_is_a_400_json_error(http, bad):
    async with http.get(f"/v1/sites?rule={bad}") as r:
        assert r.status == 400
        body = await r.json()
    assert body["error"]["code"] == "bad_request" and "rule" in body["error"]["message"]


async def test_report_json_and_page_show_the_references(http):
    async with http.get("/v1/sites/banner.com/report") as r:
        report = await r.json()
    finding = next(f for f in report["findings"] if f["code"] == "PRE_CONSENT_TRACKING")
    assert {r["id"] for r in finding["references"]} == {"eprivacy-5-3", "gdpr-6-1-a"}
    assert "not legal advice" in report["legal_notice"]
    async with http.get("/v1/sites/banner.com/report.html") as r:
        page = await r.text()
    assert "This may breach (a pointer, not legal advice)" in page and 'id="legal-notice"' in page
    assert ('<a href="https://eur-lex.europa.eu/legal-content/EN/ALL/?uri=CELEX:32002L0058" rel="noopener noreferrer">'
            "ePrivacy Directive 2002/58/EC, Art. 5(3)</a>") in page
    assert "storing or reading information on a user&#39;s device needs prior consent" in page


async def test_report_page_links_only_https_references(http):
    async with http.get("/v1/sites/hostile.com/report.html") as r:
        page = await r.text()
    assert "Script Rule, Art. 1" in page and "Plain Rule, Art. 2" in page  # shown as text
    assert "javascript:" not in page and 'href="http://example.org' not in page
