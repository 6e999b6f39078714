"""`/v1/sites?product=`: sites whose latest audit loads a tracker product or names it in a finding, and the
summary payload carrying site-wide findings' products and the "not verified" caveats (issue 13 §2, §6)."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from analyzer.report_model import Evidence, Finding, FindingProduct, Unverified
from api.app import create_app
from api.config import ServiceConfig
from api.records import prepare_audit
from api.samples import TRACKERS, make_capture, make_report
from api.store import SqliteStore

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
    store = SqliteStore(path)
    await store.open()
    tracking = _with_site_wide_finding(make_report("tracks.com", T0, [0, 1], [0, 1]), 1)
    plain = make_report("plain.com", T0, [0], [0])
    plain.unverified = [Unverified(code="BANNER_NOT_SEEN", text="not verified: consent — no cookie banner was seen")]
    blocked = make_report("walled.com", T0, [], [])
    blocked.blocked = True
    blocked.unverified = [Unverified(code="BLOCKED", text="not verified: anything — the homepage answered 403")]
    for report in (tracking, plain, blocked):
        await store.save_audit(prepare_audit(make_capture(report, "We use Google Analytics."), report))
    await store.close()
    server = TestServer(create_app(ServiceConfig(db=str(path), run_jobs=False, rate_limit=1000, rate_burst=1000)),
                        host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as session:
        yield session
    await server.close()


async def _domains(http, query: str) -> list[str]:
    async with http.get(f"/v1/sites?{query}") as r:
        assert r.status == 200, await r.text()
        return [s["domain"] for s in (await r.json())["sites"]]


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
