"""Security of the service on a real loopback server: bearer tokens for writes, the SSRF guard
(names resolved through the fake internet's mapping, as Chromium would), limits, rate limits, CORS."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from api.errors import TargetRefusedError
from api.http.app import create_app
from api.http.server import with_fake_internet
from api.service.config import ServiceConfig
from api.service.targets import TargetGuard, refusal_reason
from crawler.testing import FakeInternet

CLI = [sys.executable, "-m", "api.cli"]
ALLOWED = "consent-mode-lab.com"


def cli(*args: str) -> str:
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, check=True,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    return done.stdout.strip()


@pytest.fixture(scope="module")
async def web_():
    async with FakeInternet() as web_:
        yield web_


@pytest.fixture(scope="module")
async def env(tmp_path_factory, web_):
    db = str(tmp_path_factory.mktemp("security") / "cw.db")
    token = cli("token", "create", "ci", "--db", db)
    revoked = cli("token", "create", "old", "--db", db)
    cli("token", "revoke", "old", "--db", db)
    config = with_fake_internet(ServiceConfig(db=db, run_jobs=False, rate_limit=1000, rate_burst=1000,
                                              cors_origins=("https://dashboard.example",)), web_)
    server = TestServer(create_app(config), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        yield http, token, revoked
    await server.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_writes_need_a_valid_token_and_reads_do_not(env):
    http, token, revoked = env
    for headers in ({}, {"Authorization": "Basic Y2k6Y2k="}, bearer("cw_not-a-real-token"), bearer(revoked)):
        async with http.post("/v1/crawls", json={"domain": ALLOWED}, headers=headers) as r:
            assert r.status == 401, headers
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
            assert (await r.json())["error"]["code"] == "unauthorized"
    async with http.delete("/v1/crawls/1") as r:
        assert r.status == 401
    async with http.post("/v1/crawls", json={"domain": ALLOWED}, headers=bearer(token)) as r:
        assert r.status == 202, await r.text()
        job = (await r.json())["jobs"][0]
        assert r.headers["Location"] == job["url"] == f"/v1/crawls/{job['id']}"
    async with http.get(job["url"]) as r:  # reads are public
        assert r.status == 200 and (await r.json())["state"] == "queued"
    async with http.delete(job["url"], headers=bearer(token)) as r:
        assert r.status == 200 and (await r.json())["state"] == "cancelled"
    async with http.delete(job["url"], headers=bearer(token)) as r:
        assert r.status == 200  # cancelling twice is harmless


@pytest.mark.parametrize("target", ["127.0.0.1", "http://10.0.0.1/", "169.254.169.254",
                                    "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/", "0x7f.1"])
async def test_ip_literals_are_refused(env, target):
    http, token, _ = env
    async with http.post("/v1/crawls", json={"domain": target}, headers=bearer(token)) as r:
        assert r.status == 400
        assert (await r.json())["error"]["code"] == "invalid_domain"


@pytest.mark.parametrize("target", ["127.0.0.0x", "0x7f.0x.0x.0x", "127.0x", "foo.localhost", "api.localhost.",
                                    "http://[2002:7f00:1::1]/", "http://[64:ff9b::a9fe:a9fe]/"])
async def test_spellings_the_browser_reads_as_internal_are_refused(env, target):
    http, token, _ = env
    async with http.post("/v1/crawls", json={"domain": target}, headers=bearer(token)) as r:
        assert r.status in (400, 403), await r.text()
        assert (await r.json())["error"]["code"] in ("invalid_domain", "target_refused")
    async with http.get("/v1/crawls?state=queued") as r:
        assert (await r.json())["jobs"] == []


async def test_a_name_resolving_to_loopback_is_refused_and_nothing_is_queued(env):
    http, token, _ = env
    async with http.post("/v1/crawls", json={"domains": [ALLOWED, "rebinding-attacker.com"]},
                         headers=bearer(token)) as r:
        assert r.status == 403
        error = (await r.json())["error"]
    assert error["code"] == "target_refused" and "127.0.0.1" in error["message"] and "loopback" in error["message"]
    async with http.get("/v1/crawls?state=queued") as r:
        assert [j["domain"] for j in (await r.json())["jobs"]] == []  # all or nothing


async def test_guard_classifies_addresses():
    refused = {"127.0.0.1": "loopback", "10.0.0.1": "private", "192.168.1.1": "private", "172.16.0.1": "private",
               "169.254.169.254": "metadata", "100.100.100.200": "metadata", "fd00:ec2::254": "metadata",
               "::1": "loopback", "fe80::1": "link-local", "0.0.0.0": "unspecified", "::ffff:127.0.0.1": "loopback",
               "100.64.0.1": "routable", "224.0.0.1": "multicast", "2002:7f00:1::1": "loopback",
               "64:ff9b::a9fe:a9fe": "metadata", "fd00::1": "unique-local", "::7f00:1": "loopback"}
    for text, word in refused.items():
        reason = refusal_reason(ipaddress.ip_address(text))
        assert reason is not None and word in reason, (text, reason)
    assert refusal_reason(ipaddress.ip_address("93.184.216.34")) is None
    assert refusal_reason(ipaddress.ip_address("2606:4700::1111")) is None


async def test_allow_list_by_host_suffix_and_network(web_):
    resolver = web_.resolver()

    async def resolve(host: str) -> list[str]:  # the fake internet maps every name to loopback
        return [e["host"] for e in await resolver.resolve(host, 443)]

    with pytest.raises(TargetRefusedError):
        await TargetGuard([], resolve).check("intranet.com")
    await TargetGuard(["intranet.com"], resolve).check("intranet.com")
    await TargetGuard(["*.corp.com"], resolve).check("wiki.corp.com")
    await TargetGuard(["127.0.0.0/8"], resolve).check("intranet.com")
    with pytest.raises(TargetRefusedError):
        await TargetGuard(["10.0.0.0/8", "*.corp.com"], resolve).check("intranet.com")


async def test_bad_bodies_and_size_limits(env):
    http, token, _ = env
    cases = [(b"not json", 400), (b'{"domain": "a.com", "domains": ["b.com"]}', 400), (b'{"domains": []}', 400),
             (b'{"domain": 5}', 400), (b'{"url": "a.com"}', 400),
             (('{"domains": [%s]}' % ",".join(f'"d{i}.com"' for i in range(101))).encode(), 400),
             (b'{"domain": "' + b"a" * 100_000 + b'.com"}', 413)]
    for body, status in cases:
        async with http.post("/v1/crawls", data=body, headers={**bearer(token), "Content-Type": "application/json"}) as r:
            assert r.status == status, (body[:40], await r.text())
            assert (await r.json())["error"]["message"]


async def test_cors_only_for_extensions_and_configured_origins(env):
    http, _, _ = env
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    for origin, allowed in (("chrome-extension://abcdefghijklmnop", True), ("moz-extension://1234-5678", True),
                            ("https://dashboard.example", True), ("https://evil.example", False), ("null", False)):
        async with http.options("/v1/crawls", headers={"Origin": origin, **preflight}) as r:
            assert r.status == 204
            assert (r.headers.get("Access-Control-Allow-Origin") == origin) is allowed, origin
            assert ("Authorization" in r.headers.get("Access-Control-Allow-Headers", "")) is allowed
        async with http.get("/v1/health", headers={"Origin": origin}) as r:
            assert (r.headers.get("Access-Control-Allow-Origin") == origin) is allowed
            assert r.headers["Vary"] == "Origin"
    async with http.get("/v1/sites/nowhere.com/summary", headers={"Origin": "chrome-extension://abc"}) as r:
        assert r.status == 404 and r.headers["Access-Control-Allow-Origin"] == "chrome-extension://abc"
        assert "ETag" in r.headers["Access-Control-Expose-Headers"]


async def test_rate_limit_is_per_client(tmp_path):
    server = TestServer(create_app(ServiceConfig(db=str(tmp_path / "rl.db"), run_jobs=False, rate_limit=0.5,
                                                 rate_burst=3)), host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/v1/health"))
        async with aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(4):
                async with http.get(url) as r:
                    statuses.append(r.status)
                    retry_after = r.headers.get("Retry-After")
            assert statuses == [200, 200, 200, 429] and int(retry_after) >= 1
        # Another client (another loopback source address) has its own bucket.
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
        async with aiohttp.ClientSession(connector=connector) as other:
            async with other.get(url) as r:
                assert r.status == 200
    finally:
        await server.close()
