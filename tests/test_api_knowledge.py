"""GET /v1/knowledge/domains: the analyzer's tracker knowledge as a compact, cacheable domain map
(what the extension uses to name third parties on sites never audited)."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from analyzer.attribution import Attributor
from analyzer.knowledge import load_knowledge
from api.http.app import create_app
from api.http.openapi import spec
from api.service.config import ServiceConfig


@pytest.fixture(scope="module")
async def http(tmp_path_factory):
    db = tmp_path_factory.mktemp("knowledge") / "cw.db"
    server = TestServer(create_app(ServiceConfig(db=str(db), run_jobs=False, rate_limit=1000, rate_burst=1000)),
                        host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as session:
        yield session
    await server.close()


def longest_suffix(host: str, domains: dict) -> str | None:
    labels = host.split(".")
    return next((".".join(labels[i:]) for i in range(len(labels)) if ".".join(labels[i:]) in domains), None)


async def test_map_is_cacheable_with_a_version(http):
    async with http.get("/v1/knowledge/domains") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.headers["Cache-Control"] == "public, max-age=86400"
        etag = r.headers["ETag"]
        data = await r.json()
        size = len(await r.read())
    assert etag == f'"{data["version"]}"'
    assert size < 64_000, size  # compact: the extension fetches and stores it whole
    async with http.get("/v1/knowledge/domains", headers={"If-None-Match": etag}) as r:
        assert r.status == 304 and r.headers["ETag"] == etag and await r.read() == b""
    async with http.get("/v1/knowledge/domains", headers={"If-None-Match": '"stale"'}) as r:
        assert r.status == 200
    # Readable from the extension's origins like every read.
    async with http.get("/v1/knowledge/domains", headers={"Origin": "moz-extension://0c6b5a4e-1111-2222-3333-444455556666"}) as r:
        assert r.status == 200 and r.headers.get("Access-Control-Allow-Origin")
    assert "/v1/knowledge/domains" in spec()["paths"]
    assert "DomainMap" in spec()["components"]["schemas"]


async def test_map_names_what_the_analyzer_attributes(http):
    # Every product's example request: the map's entry for its host (longest suffix) names the
    # same company as the analyzer's own attribution, and the product where the host says it.
    async with http.get("/v1/knowledge/domains") as r:
        domains = (await r.json())["domains"]
    knowledge = load_knowledge()
    attributor = Attributor(knowledge, lists=None)
    checked = 0
    for product in knowledge.products.values():
        for signature in product.requests:
            if not signature.example:
                continue
            attribution = attributor.attribute_request(signature.example, "some-shop-nobody-knows.com")
            host = aiohttp.client.URL(signature.example).host
            key = longest_suffix(host, domains)
            assert key is not None, (product.id, host)
            name, company, category = domains[key]
            assert company == attribution.company_name, (host, domains[key], attribution)
            if name is not None and signature.path is None and signature.query is None:
                assert (name, category) == (attribution.product_name, attribution.category), (host, domains[key])
            checked += 1
    assert checked >= 100
    # Company-only domains say whose they are, nothing more.
    assert domains["google.com"] == [None, "Google", None]
    assert all(isinstance(v, list) and len(v) == 3 and v[1] for v in domains.values())
