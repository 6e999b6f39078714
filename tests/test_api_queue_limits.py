"""Issue 9 §6: what one token can ask for. A per-token quota of active (queued or running) crawl jobs
and a global queue cap, answered 429 + Retry-After in the API's JSON error shape; a batch that would
exceed either is refused whole. Real aiohttp server, real SQLite file."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp.test_utils import TestServer

from api.http.app import create_app
from api.service.auth import create_token
from api.service.config import ServiceConfig
from api.store import SqliteStore


async def public_address(host: str) -> list[str]:
    return ["93.184.216.34"]  # the SSRF guard only classifies this address; nothing connects to it


@contextlib.asynccontextmanager
async def service(tmp_path, **limits) -> AsyncIterator[tuple[aiohttp.ClientSession, dict[str, str]]]:
    db = str(tmp_path / "cw.db")
    store = SqliteStore(db)
    await store.open()
    tokens = {name: (await create_token(store, name))[0] for name in ("alice", "bob")}
    await store.close()
    config = ServiceConfig(db=db, run_jobs=False, rate_limit=1000, rate_burst=1000, resolve=public_address,
                           queue_retry_after_s=42, **limits)
    server = TestServer(create_app(config), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
            yield http, tokens
    finally:
        await server.close()


async def post(http: aiohttp.ClientSession, token: str, *domains: str) -> tuple[int, dict, str | None]:
    async with http.post("/v1/crawls", json={"domains": list(domains)},
                         headers={"Authorization": f"Bearer {token}"}) as r:
        return r.status, await r.json(), r.headers.get("Retry-After")


async def queued(http: aiohttp.ClientSession) -> list[str]:
    async with http.get("/v1/crawls?state=queued&limit=500") as r:
        return sorted(j["domain"] for j in (await r.json())["jobs"])


async def test_a_token_beyond_its_quota_gets_429_and_another_token_still_can(tmp_path):
    async with service(tmp_path, max_queued_per_token=3) as (http, tokens):
        status, body, _ = await post(http, tokens["alice"], "a1.com", "a2.com", "a3.com")
        assert status == 202 and len(body["jobs"]) == 3
        status, body, retry_after = await post(http, tokens["alice"], "a4.com")
        assert status == 429 and retry_after == "42"
        assert body["error"]["code"] == "queue_full" and "quota" in body["error"]["message"]
        status, body, _ = await post(http, tokens["bob"], "b1.com", "b2.com", "b3.com")
        assert status == 202, body
        assert "a4.com" not in await queued(http)


async def test_a_batch_beyond_the_quota_is_refused_whole_and_known_domains_do_not_count(tmp_path):
    async with service(tmp_path, max_queued_per_token=3) as (http, tokens):
        assert (await post(http, tokens["alice"], "a1.com", "a2.com"))[0] == 202
        status, body, retry_after = await post(http, tokens["alice"], "a3.com", "a4.com")  # 2 + 2 > 3
        assert status == 429 and retry_after and "nothing was queued" in body["error"]["message"]
        assert await queued(http) == ["a1.com", "a2.com"]  # all or nothing
        # Domains that already have an active job reuse it: only a3.com is new, and it fits.
        status, body, _ = await post(http, tokens["alice"], "a1.com", "a2.com", "a3.com")
        assert status == 202 and [j["domain"] for j in body["jobs"]] == ["a1.com", "a2.com", "a3.com"]
        # A cancelled job no longer counts.
        async with http.delete(body["jobs"][0]["url"], headers={"Authorization": f"Bearer {tokens['alice']}"}) as r:
            assert r.status == 200
        assert (await post(http, tokens["alice"], "a4.com"))[0] == 202


async def test_the_global_cap_applies_across_tokens(tmp_path):
    async with service(tmp_path, max_queued_per_token=100, max_queued=5) as (http, tokens):
        assert (await post(http, tokens["alice"], "a1.com", "a2.com", "a3.com"))[0] == 202
        assert (await post(http, tokens["bob"], "b1.com", "b2.com"))[0] == 202
        for token in tokens.values():
            status, body, retry_after = await post(http, token, "c1.com")
            assert status == 429 and retry_after == "42"
            assert body["error"]["code"] == "queue_full" and "queue is full" in body["error"]["message"]
        assert len(await queued(http)) == 5


async def test_politeness_holds_one_active_job_per_domain_whoever_asks(tmp_path):
    async with service(tmp_path, max_queued_per_token=2) as (http, tokens):
        _, first, _ = await post(http, tokens["alice"], "shared.com")
        status, second, _ = await post(http, tokens["bob"], "shared.com")
        assert status == 202 and second["jobs"][0]["id"] == first["jobs"][0]["id"]
        # bob's quota was not spent on alice's job: he can still queue two of his own.
        assert (await post(http, tokens["bob"], "b1.com", "b2.com"))[0] == 202
        assert (await post(http, tokens["bob"], "b3.com"))[0] == 429
