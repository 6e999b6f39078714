"""`/v1/sites?product=`: sites whose latest audit loads a tracker product or names it in a finding, and the
summary payload carrying site-wide findings' products and the "not verified" caveats (issue 13 §2, §6)."""

from __future__ import annotations

import pytest
from api_served import listed_domains as _domains
from api_served import serving

from api.service.samples import TRACKERS, make_report
from model.report import Evidence, Finding, FindingProduct, Unverified

T0 = 1_700_000_000.0


def _with_site_wide_finding(report, index: int):
    key, name, company_id, company, category, host = TRACKERS[index]
    evidence = [Evidence(kind="request", visit="reject", url=f"https://{host}/collect", t_ms=120.0,
                         detail="120 ms after the reject click")]
    report.findings.append(Finding(
        code="TRACKING_AFTER_REJECT", severity="high", title="Tracking continues after \"Reject all\"",
        explanation=f"After the banner's reject button was clicked, the site still contacted {name} ({company}).",
        visit="reject", evidence=evidence,
        products=[FindingProduct(id=key, name=name, product_id=key, company=company, company_id=company_id,
                                 category=category, evidence=evidence)]))
    return report


@pytest.fixture(scope="module")
async def http(tmp_path_factory):
    path = tmp_path_factory.mktemp("products") / "cw.db"
    tracking = _with_site_wide_finding(make_report("tracks.com", T0, [0, 1], [0, 1]), 1)
    plain = make_report("plain.com", T0, [0], [0])
    plain.unverified = [Unverified(code="BANNER_NOT_SEEN", text="not verified: consent — no cookie banner was seen")]
    blocked = make_report("walled.com", T0, [], [])
    blocked.blocked = True
    blocked.unverified = [Unverified(code="BLOCKED", text="not verified: anything — the homepage answered 403")]
    async with serving(str(path), (tracking, plain, blocked)) as session:
        yield session



async def test_product_filter(http):
    first, second = TRACKERS[0][0], TRACKERS[1][0]
    assert await _domains(http, f"product={first}") == ["plain.com", "tracks.com"]
    assert await _domains(http, f"product={second}") == ["tracks.com"]
    assert await _domains(http, f"product={second}&finding=TRACKING_AFTER_REJECT") == ["tracks.com"]
    assert await _domains(http, "product=no-such-product") == []
    for bad in ("product=Meta%20Pixel", "product=" + "x" * 80, "product=-x"):
        async with http.get(f"/v1/sites?{bad}") as r:
            assert r.status == 400, bad


async def test_summary_carries_products_and_caveats(http):
    async with http.get("/v1/sites/tracks.com/summary") as r:
        summary = await r.json()
    top = next(f for f in summary["top_findings"] if f["code"] == "TRACKING_AFTER_REJECT")
    assert top["products"] == [{"id": TRACKERS[1][0], "name": TRACKERS[1][1], "company": TRACKERS[1][3],
                                "category": TRACKERS[1][4]}]
    async with http.get("/v1/sites/plain.com/summary") as r:
        plain = await r.json()
    assert plain["not_verified"] == ["not verified: consent — no cookie banner was seen"] and plain["blocked"] is False
    async with http.get("/v1/sites/walled.com/summary") as r:
        walled = await r.json()
    assert walled["blocked"] is True and walled["not_verified"][0].startswith("not verified: anything")
    async with http.get("/v1/sites/tracks.com/report") as r:
        report = await r.json()
    finding = next(f for f in report["findings"] if f["code"] == "TRACKING_AFTER_REJECT")
    assert finding["products"][0]["evidence"][0]["url"].endswith("/collect")


async def test_openapi_documents_the_filter_and_the_fields(http):
    async with http.get("/v1/openapi.json") as r:
        spec = await r.json()
    params = {p["name"] for p in spec["paths"]["/v1/sites"]["get"]["parameters"]}
    assert "product" in params
    schemas = spec["components"]["schemas"]
    assert "products" in schemas["Finding"]["properties"] and "not_verified" in schemas["SiteSummary"]["properties"]
