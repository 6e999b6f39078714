"""The crawler against hostile, hanging, broken and unreachable sites: partial results, never a hang."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from machine_stalls import MachineStalls

from crawler import Crawler, crawl_domain
from crawler.browser import BrowserNotFoundError, find_chromium
from crawler.browser_process import browser_process_groups
from crawler.collectors import DEFAULT_COLLECTORS, Collector
from crawler.page_guard import PageGuard
from crawler.testing import NXDOMAIN_HOST
from crawler.testing.behaviours import hang
from model.capture import Capture
from model.domains import normalize_domain
from model.errors import InvalidDomainError

SIMPLE = "<html><head><title>ok</title></head><body><p>hello</p><img src='https://pixels-r-us.com/p.gif'></body></html>"


@pytest.mark.parametrize("raw,expected", [
    ("Example.COM", "example.com"),
    ("https://www.example.co.uk/path?q=1", "www.example.co.uk"),
    ("bücher.de", "xn--bcher-kva.de"),
    ("example.com:8080", "example.com"),
])
def test_domain_normalisation(raw, expected):
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize("raw", ["", "not a domain", "localhost", "127.0.0.1", "ftp://example.com", "-bad-.com",
                                 "a..com", "example.123"])
def test_bad_domains_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidDomainError) as info:
        normalize_domain(raw)
    assert str(info.value)


async def test_bad_domain_fails_before_any_browser_starts():
    started = time.monotonic()
    with pytest.raises(InvalidDomainError):
        await crawl_domain("no spaces allowed.com")
    assert time.monotonic() - started < 1.0


def test_chromium_discovery_error_names_all_three_ways(monkeypatch, tmp_path):
    monkeypatch.delenv("CONSENTWATCH_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.setattr("crawler.browser.HEADLESS_SHELL_PATHS", ())  # Debian's fixed path, outside PATH
    with pytest.raises(BrowserNotFoundError) as info:
        find_chromium()
    message = str(info.value)
    assert "CONSENTWATCH_CHROMIUM" in message and "--chromium" in message
    assert "apt-get install chromium" in message
    assert "playwright install" in message


def test_chromium_discovery_prefers_explicit_then_system(monkeypatch, tmp_path):
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CONSENTWATCH_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    with pytest.raises(BrowserNotFoundError):
        find_chromium(str(tmp_path / "missing"))
    monkeypatch.delenv("CONSENTWATCH_CHROMIUM")
    assert find_chromium() is not None and Path(find_chromium()).name.startswith(("chromium", "google-chrome"))


@pytest.mark.browser
async def test_unreachable_domain_is_a_capture_not_an_exception(web_crawler):
    capture = await web_crawler.crawl(NXDOMAIN_HOST)
    assert capture.reachable is False
    assert "unreachable" in capture.error and "ERR_NAME_NOT_RESOLVED" in capture.error
    assert capture.visits == []


# ------------------------------------------------------------------ sites that waste the crawler's time
# Each scenario crawls its own site in a crawler of its own, as before; the scenarios start together (most
# of each is waiting on a timeout), and each test reads its own outcome.
async def _hanging_homepage(fake_web, options_for):
    fake_web.add_route("hangs-forever.com", "/", hang(fake_web))
    async with Crawler(options_for(fake_web, timeout_s=3.0, settle_s=0.5)) as crawler:
        return await crawler.crawl("hangs-forever.com")


async def _hanging_subresource(fake_web, options_for):
    fake_web.add_page("slow-assets.com", "/", SIMPLE.replace("</body>", "<script src='/never.js'></script></body>"))
    fake_web.add_route("slow-assets.com", "/never.js", hang(fake_web))
    async with Crawler(options_for(fake_web, timeout_s=3.0, settle_s=0.5, visits=("baseline",))) as crawler:
        return await crawler.crawl("slow-assets.com")


# A page whose main thread stops answering after load: every collector that reads the page waits on it. It
# is held in a synchronous request that never answers, not in a spinning loop: the crawler sees the same (an
# evaluate that never returns; tests/test_fakeweb.py checks a spinning page does that too), but a spin burned
# a core for the visit's ~20 s, starving the scenarios beside it and the other worker's crawls.
FROZEN = ("addEventListener('load', () => setTimeout(() => { const stuck = new XMLHttpRequest();"
          " stuck.open('GET', '/stuck', false); stuck.send(); }, 300));")
FROZEN_GPC = '{"gpc": true, "lastUpdate": "2026-01-01"}'


async def _frozen_page(fake_web, options_for):
    page = SIMPLE.replace("</body>", f"<script>alert('hi'); confirm('sure?');{FROZEN}</script></body>")
    fake_web.add_page("frozen-page.com", "/", page)
    fake_web.add_route("frozen-page.com", "/stuck", hang(fake_web))
    fake_web.add_page("frozen-page.com", "/.well-known/gpc.json", FROZEN_GPC, content_type="application/json")
    async with Crawler(options_for(fake_web, settle_s=1.0, timeout_s=5.0, visits=("baseline",))) as crawler:
        return await crawler.crawl("frozen-page.com")


class BrokenCollector(Collector):
    name = "broken"

    async def setup(self):
        raise RuntimeError("setup exploded")

    async def after_load(self, page):
        raise RuntimeError("after_load exploded")

    async def collect(self, visit, inputs):
        raise RuntimeError("collect exploded")


async def _broken_collector(fake_web, options_for):
    fake_web.add_page("isolation-check.com", "/", SIMPLE)
    async with Crawler(options_for(fake_web, collectors=(BrokenCollector, *DEFAULT_COLLECTORS))) as crawler:
        return await crawler.crawl("isolation-check.com")


SCENARIOS = {"hanging_homepage": _hanging_homepage, "hanging_subresource": _hanging_subresource,
             "frozen_page": _frozen_page, "broken_collector": _broken_collector}


@dataclass
class Outcome:
    """A scenario's capture, or its exception, and how long its crawl took."""

    capture: Capture | None
    error: Exception | None
    elapsed_s: float
    stalls: MachineStalls

    def result(self) -> Capture:
        if self.error is not None:
            raise self.error
        assert self.capture is not None
        return self.capture

    def check_within(self, limit_s: float) -> None:
        """The crawl's own time, less the time the whole VM stood still, is under ``limit_s``."""
        assert self.elapsed_s - self.stalls.seconds < limit_s, f"{self.elapsed_s:.1f} s; {self.stalls.describe()}"


async def _timed(scenario, fake_web, options_for) -> Outcome:
    with MachineStalls() as stalls:  # time the whole VM stood still is not the crawler's
        started = time.monotonic()
        try:
            capture, error = await scenario(fake_web, options_for), None
        except Exception as exc:  # noqa: BLE001 - the scenario's own test raises it
            capture, error = None, exc
        elapsed = time.monotonic() - started
    return Outcome(capture, error, elapsed, stalls)


# The URL of every page the scenarios' visits asked for its blocked-popup count (filled by `scenarios`).
POPUP_COUNTS_ASKED: list[str] = []


def _recording(blocked_popups):
    async def asked(guard, page, *args, **kwargs):
        POPUP_COUNTS_ASKED.append(page.url)
        return await blocked_popups(guard, page, *args, **kwargs)

    return asked


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scenarios(fake_web, options_for) -> dict[str, Outcome]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PageGuard, "blocked_popups", _recording(PageGuard.blocked_popups))
        outcomes = await asyncio.gather(*(_timed(s, fake_web, options_for) for s in SCENARIOS.values()))
    return dict(zip(SCENARIOS, outcomes))


@pytest.mark.browser
def test_hanging_homepage_ends_with_a_clear_error(scenarios):
    outcome = scenarios["hanging_homepage"]
    capture = outcome.result()
    outcome.check_within(30)
    assert capture.reachable is False
    assert "no response within 3 s" in capture.error
    # A page still waiting on its navigation ran no site code: asking it how many popups it tried waited
    # 2 s per attempt for nothing. The pages that loaded were asked.
    assert "about:blank" not in POPUP_COUNTS_ASKED, POPUP_COUNTS_ASKED
    assert "https://isolation-check.com/" in POPUP_COUNTS_ASKED, POPUP_COUNTS_ASKED


@pytest.mark.browser
def test_hanging_subresource_gives_partial_visits_with_what_was_seen(scenarios):
    capture = scenarios["hanging_subresource"].result()
    visit = capture.visit("baseline")
    assert visit.partial and "did not finish loading within 3 s" in visit.error
    assert visit.status == 200, "the document answered; only a subresource hangs"
    urls = [r.url for r in visit.requests]
    assert "https://slow-assets.com/" in urls and "https://slow-assets.com/never.js" in urls


@pytest.mark.browser
async def test_redirect_loop_is_reported(fake_web, web_crawler):
    async def bounce(request):
        target = "/b" if request.path == "/a" else "/a"
        raise web.HTTPFound(target)

    for path in ("/", "/a", "/b"):
        fake_web.add_route("loops-forever.com", path, bounce)
    capture = await web_crawler.crawl("loops-forever.com")
    assert capture.reachable is False
    assert "ERR_TOO_MANY_REDIRECTS" in capture.error


@pytest.mark.browser
def test_frozen_page_and_dialogs_yield_partial_results(fake_web, scenarios):
    outcome = scenarios["frozen_page"]
    capture = outcome.result()
    outcome.check_within(60)
    assert fake_web.requests("frozen-page.com", "/stuck"), "the page never froze: the test proves nothing"
    visit = capture.visit("baseline")
    assert visit.status == 200
    assert visit.partial and any(e.stage == "after_load" for e in visit.collector_errors)
    assert any(r.url == "https://pixels-r-us.com/p.gif" for r in visit.requests)
    # What would have waited on the frozen page is not asked of it: the popup count is said to be missing,
    # and discovery loads the /.well-known/ files in its own context (an in-page fetch waited out the whole
    # discovery budget and kept nothing).
    assert "https://frozen-page.com/" not in POPUP_COUNTS_ASKED, POPUP_COUNTS_ASKED
    assert any("popups blocked not counted: the page had stopped answering" in c for c in visit.cut), visit.cut
    gpc = next(w for w in capture.well_known if w.path == "/.well-known/gpc.json")
    assert (gpc.status, gpc.body) == (200, FROZEN_GPC), gpc
    dnt = next(w for w in capture.well_known if w.path == "/.well-known/dnt-policy.txt")
    assert dnt.status == 404 and dnt.body is None, dnt


@pytest.mark.browser
def test_one_broken_collector_never_sinks_the_others(scenarios):
    capture = scenarios["broken_collector"].result()
    for visit in capture.visits:
        stages = {e.stage for e in visit.collector_errors if e.collector == "broken"}
        assert stages == {"setup", "after_load", "collect"}
        assert visit.partial and visit.status == 200
        assert any(r.url == "https://pixels-r-us.com/p.gif" for r in visit.requests)
        assert visit.title == "ok"


async def _until(condition, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.05)


@pytest.mark.browser
async def test_crashed_browser_is_replaced_and_the_crawl_reports_it(fake_web, options_for):
    fake_web.add_page("crash-victim.com", "/", SIMPLE)
    async with Crawler(options_for(fake_web, settle_s=4.0, visits=("baseline",))) as crawler:
        groups = browser_process_groups(crawler.browser.profile_dir)
        assert groups, "could not find the browser process"
        served = len(fake_web.requests("crash-victim.com", "/"))
        crawl = asyncio.ensure_future(crawler.crawl("crash-victim.com"))
        # Kill it mid-visit: once the visit (which hosts discovery) has loaded the page (4 s settle follows).
        await _until(lambda: len(fake_web.requests("crash-victim.com", "/")) >= served + 1, within_s=60)
        for group in groups:
            os.killpg(group, signal.SIGKILL)
        capture = await asyncio.wait_for(crawl, 60)
        assert capture.error or any(v.error for v in capture.visits)
        again = await crawler.crawl("crash-victim.com")
    assert again.reachable and again.visit("baseline").status == 200


def _cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_cli_bad_domain_exits_2_with_a_message():
    result = _cli("crawl", "not a domain")
    assert result.returncode == 2
    assert "not a valid domain name" in result.stderr


@pytest.mark.browser
def test_cli_unreachable_site_exits_nonzero_and_still_writes_the_capture(tmp_path):
    out = tmp_path / "capture.json"
    result = _cli("crawl", NXDOMAIN_HOST, "--demo-web", "--settle", "0", "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "unreachable" in result.stdout
    from model.capture import decode_capture

    assert decode_capture(out.read_bytes()).reachable is False
