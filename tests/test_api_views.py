"""The read API on a real loopback server over a real store filled with stored audits: once on a SQLite file,
once on PostgreSQL (tests/pg_cluster.py)."""

from __future__ import annotations

import csv
import io
import itertools

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from api.http.app import create_app
from api.http.html import place_marks
from api.http.openapi import spec
from api.service.config import ServiceConfig
from api.service.samples import make_capture, make_report
from api.store import open_store
from api.store.records import prepare_audit

T0 = 1_700_000_000.0
OLD_POLICY = "We use Google Analytics.\nWrite to privacy@shop.com."
NEW_POLICY = "We use Google Analytics and Hotjar.\nWrite to privacy@shop.com."


async def fill(location: str) -> dict[str, list[int]]:
    store = open_store(location)
    await store.open()
    ids: dict[str, list[int]] = {}
    audits = [
        ("shop.com", T0, [0, 2], [0], OLD_POLICY, ("D", 50)),
        ("shop.com", T0 + 86400, [0, 3], [0, 3], NEW_POLICY, ("B", 80)),
        ("xn--bcher-kva.de", T0, [1], [], OLD_POLICY, ("F", 10)),
        ("quiet.com", T0, [], [0], OLD_POLICY, ("A", 98)),
    ]
    for domain, at, loaded, declared, policy, grade in audits:
        report = make_report(domain, at, loaded, declared, policy_text=policy, grade=grade)
        ids.setdefault(domain, []).append(await store.save_audit(prepare_audit(make_capture(report, policy), report)))
    await store.close()
    return ids


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def ids_and_server(request, tmp_path_factory):
    if request.param == "sqlite":
        location = str(tmp_path_factory.mktemp("views") / "cw.db")
    else:
        location = request.getfixturevalue("pg_cluster").new_database()
    ids = await fill(location)
    server = TestServer(create_app(ServiceConfig(db=location, run_jobs=False, rate_limit=1000, rate_burst=1000)),
                        host="127.0.0.1")
    await server.start_server()
    yield ids, server
    await server.close()


@pytest.fixture(scope="module")
async def http(ids_and_server):
    _, server = ids_and_server
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as session:
        yield session


@pytest.fixture(scope="module")
def ids(ids_and_server):
    return ids_and_server[0]


async def test_summary_is_small_cacheable_and_canonicalises_input(http):
    async with http.get("/v1/sites/shop.com/summary") as r:
        assert r.status == 200 and r.content_type == "application/json"
        etag = r.headers["ETag"]
        assert "max-age" in r.headers["Cache-Control"]
        body = await r.json()
        raw = await r.read()
    assert len(raw) < 4096
    assert body["grade"]["letter"] == "B" and body["counts"] == {
        "declared": 2, "loaded": 2, "undeclared": 0, "declared_not_seen": 0}
    assert body["declared_loaded"] == ["Google Analytics", "Hotjar"]
    assert body["policy_url"] == "https://shop.com/privacy" and body["audited_at"] == T0 + 86400
    async with http.get("/v1/sites/shop.com/summary", headers={"If-None-Match": etag}) as r:
        assert r.status == 304 and await r.read() == b""
    for spelled in ("www.shop.com", "https%3A%2F%2Fwww.SHOP.com%2Fcart", "SHOP.COM"):
        async with http.get(f"/v1/sites/{spelled}/summary") as r:
            assert r.status == 200 and r.headers["ETag"] == etag, spelled
    async with http.get("/v1/sites/www.bücher.de/summary") as r:  # IDN → punycode
        assert r.status == 200 and (await r.json())["domain"] == "xn--bcher-kva.de"


async def test_summary_groups_undeclared_trackers_by_company(http):
    async with http.get("/v1/sites/xn--bcher-kva.de/summary") as r:
        body = await r.json()
    assert body["undeclared"] == ["Google Ads"]
    assert body["undeclared_by_company"] == [{"company": "Google", "trackers": ["Google Ads"],
                                              "evidence_urls": ["https://googleads.g.doubleclick.net/collect?id=1"]}]
    assert body["top_findings"][0]["code"] == "UNDECLARED_TRACKER"


async def test_unknown_and_invalid_domains(http):
    async with http.get("/v1/sites/never-audited.com/summary") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "site_not_found"
    async with http.get("/v1/sites/not_a_domain/summary") as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_domain"
    async with http.get("/v1/nothing-here") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"


async def test_full_report_latest_and_by_id(http, ids):
    async with http.get("/v1/sites/shop.com/report") as r:
        assert r.status == 200
        latest = await r.json()
    assert latest["audited_at"] == T0 + 86400 and latest["schema_version"] == 1
    async with http.get(f"/v1/sites/shop.com/report?report_id={ids['shop.com'][0]}") as r:
        assert (await r.json())["audited_at"] == T0
    async with http.get(f"/v1/sites/quiet.com/report?report_id={ids['shop.com'][0]}") as r:
        assert r.status == 404  # a report id of another domain is not served under this one


async def test_report_page(http):
    async with http.get("/v1/sites/xn--bcher-kva.de/report.html") as r:
        assert r.status == 200 and r.content_type == "text/html"
        html = await r.text()
    assert html.index("Findings") < html.index("Trackers per visit")  # findings come first
    assert "Google Ads loads but the policy does not name it" in html
    assert "<details>" in html and "https://googleads.g.doubleclick.net/collect?id=1" in html
    assert "Consent timeline" in html and "banner_shown" in html and "reject all" in html


async def test_history_lists_audits_with_what_changed(http, ids):
    async with http.get("/v1/sites/shop.com/history") as r:
        body = await r.json()
    newest, oldest = body["audits"]
    assert [newest["report_id"], oldest["report_id"]] == ids["shop.com"][::-1]
    assert oldest["changes"] is None
    changes = newest["changes"]
    assert [t["name"] for t in changes["trackers_appeared"]] == ["Hotjar"]
    assert [t["name"] for t in changes["trackers_disappeared"]] == ["Meta Pixel"]
    assert [f["product_name"] for f in changes["findings_closed"]] == ["Meta Pixel"]
    assert changes["grade_from"] == "D" and changes["grade_to"] == "B" and changes["policy_changed"]


async def test_changes_between_two_audits_include_a_policy_diff(http, ids):
    async with http.get("/v1/sites/shop.com/changes") as r:
        change = await r.json()
    assert [change["from_report_id"], change["to_report_id"]] == ids["shop.com"]
    assert "-We use Google Analytics." in change["policy_diff"]
    assert "+We use Google Analytics and Hotjar." in change["policy_diff"]
    async with http.get("/v1/sites/quiet.com/changes") as r:
        assert r.status == 404  # one audit: nothing to compare


async def test_site_list_filters_and_paginates(http):
    async def domains(query: str) -> list[str]:
        async with http.get(f"/v1/sites?{query}") as r:
            assert r.status == 200, await r.text()
            return [s["domain"] for s in (await r.json())["sites"]]

    assert await domains("") == ["quiet.com", "shop.com", "xn--bcher-kva.de"]
    assert await domains("grade=f") == ["xn--bcher-kva.de"]
    assert await domains("finding=UNDECLARED_TRACKER") == ["xn--bcher-kva.de"]  # shop.com's latest has none
    assert await domains("company=Hotjar") == ["shop.com"]
    async with http.get("/v1/sites?limit=2") as r:
        page = await r.json()
    assert page["total"] == 3 and len(page["sites"]) == 2
    async with http.get(page["next"]) as r:
        assert [s["domain"] for s in (await r.json())["sites"]] == ["xn--bcher-kva.de"]
    async with http.get("/v1/sites?limit=0") as r:
        assert r.status == 400
    async with http.get("/v1/sites?grade=Z") as r:
        assert r.status == 400


async def test_csv_export(http):
    async with http.get("/v1/export.csv") as r:
        assert r.status == 200 and r.content_type == "text/csv"
        rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert [row["domain"] for row in rows] == ["quiet.com", "shop.com", "xn--bcher-kva.de"]
    assert rows[2]["grade"] == "F" and rows[2]["undeclared_trackers"] == "Google Ads"
    assert rows[2]["top_findings"] == "UNDECLARED_TRACKER"


async def test_openapi_describes_exactly_the_registered_routes(http, ids_and_server):
    async with http.get("/v1/openapi.json") as r:
        document = await r.json()
    assert document["openapi"].startswith("3.") and document == spec()
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    app: web.Application = ids_and_server[1].app
    registered = {(route.method, route.resource.canonical) for route in app.router.routes()
                  if route.method != "HEAD"}
    assert described == registered
    async with http.get("/v1/docs") as r:
        html = await r.text()
    assert r.status == 200 and "/v1/sites/{domain}/summary" in html and "POST" in html


async def test_health(http):
    async with http.get("/v1/health") as r:
        body = await r.json()
    assert body["status"] == "ok" and body["queued"] == 0


def test_consent_timeline_labels_never_overlap():
    events = [(t, "e", "") for t in (100.0, 101.0, 102.0, 5000.0, 5001.0, 9000.0)]
    marks, rows = place_marks(events, 10_000.0)
    assert rows == 3 and [row for _, row in marks] == [0, 1, 2, 0, 1, 0]
    for (x1, r1), (x2, r2) in itertools.pairwise(marks):
        assert r1 != r2 or x2 - x1 >= 16
