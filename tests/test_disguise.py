"""An audit must look like a visitor's browser: no webdriver, no HeadlessChrome, consistent client hints.

Checked in the main frame, a cross-site iframe, a dedicated worker, a shared worker and a service worker,
in what scripts see (read when each worker's script starts, before any message arrives) and in every request
header the fake internet receives (each worker fetches from its own path), on each installed Chromium build.
"""

from __future__ import annotations

import shutil

import pytest
from playwright.async_api import async_playwright

from crawler.browser import BrowserOptions, launch

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

BUILDS = ["/usr/bin/chromium", "/usr/bin/chromium-headless-shell"]

PROBE = """(() => {
  const d = navigator.userAgentData;
  return {webdriver: navigator.webdriver === undefined ? 'undefined' : navigator.webdriver,
          ua: navigator.userAgent, appVersion: navigator.appVersion || '',
          brands: d ? d.brands.map(b => b.brand) : null, platform: d ? d.platform : null};
})()"""

PAGE = f"""<!doctype html><html><body><iframe src="https://disguise-frame.com/frame"></iframe><script>
window.results = {{main: {PROBE}}};
window.addEventListener('message', e => {{ window.results.frame = e.data; }});
const w = new Worker('/worker.js'); w.onmessage = e => {{ window.results.worker = e.data; }};
const shared = new SharedWorker('/shared.js');
shared.port.onmessage = e => {{ window.results.shared_worker = e.data; }}; shared.port.start();
navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then(reg => {{
  navigator.serviceWorker.onmessage = e => {{ window.results.service_worker = e.data; }};
  reg.active.postMessage('probe');
}});
</script></body></html>"""
FRAME = f"<script>parent.postMessage({PROBE}, '*')</script>"
WORKER = f"fetch('/from-worker').catch(() => 0); postMessage({PROBE});"
SHARED_WORKER = (f"const atStart = {PROBE}; fetch('/from-shared-worker').catch(() => 0);"
                 "onconnect = e => e.ports[0].postMessage(atStart);")
SERVICE_WORKER = (f"const atStart = {PROBE}; fetch('/from-service-worker').catch(() => 0);"
                  "self.onmessage = e => e.source.postMessage(atStart);")

FIELDS = ("main", "frame", "worker", "shared_worker", "service_worker")
WORKER_FETCHES = {"/from-worker", "/from-shared-worker", "/from-service-worker"}


@pytest.fixture(scope="module")
def disguise_site(fake_web):
    fake_web.add_page("disguise-lab.com", "/", PAGE)
    fake_web.add_page("disguise-lab.com", "/worker.js", WORKER, content_type="application/javascript")
    fake_web.add_page("disguise-lab.com", "/shared.js", SHARED_WORKER, content_type="application/javascript")
    fake_web.add_page("disguise-lab.com", "/sw.js", SERVICE_WORKER, content_type="application/javascript")
    for path in WORKER_FETCHES:
        fake_web.add_page("disguise-lab.com", path, "ok", content_type="text/plain")
    fake_web.add_page("disguise-frame.com", "/frame", FRAME)
    return fake_web


async def _probe(web, build: str) -> dict:
    async with async_playwright() as p:
        browser = await launch(p, BrowserOptions(chromium=build, host_rules=web.host_rules,
                                                 extra_args=tuple(web.trust_args)))
        try:
            context = await browser.new_context()
            page = await browser.new_page(context)
            await page.goto(web.url("disguise-lab.com"))
            await page.wait_for_function(f"window.results && {' && '.join(f'window.results.{f}' for f in FIELDS)}",
                                         timeout=20000)
            results = await page.evaluate("window.results")
            await context.close()
        finally:
            await browser.close()
    return results


@pytest.mark.parametrize("build", BUILDS)
async def test_pages_frames_and_workers_see_a_visitors_browser(disguise_site, build):
    if not shutil.which(build):
        pytest.skip(f"{build} is not installed on this machine")
    web = disguise_site
    first_request = len(web.log)
    results = await _probe(web, build)
    for where in FIELDS:
        seen = results[where]
        assert seen["webdriver"] in (False, "undefined"), (where, seen)
        assert "HeadlessChrome" not in seen["ua"] + seen["appVersion"], (where, seen)
        assert seen["ua"] == results["main"]["ua"], (where, seen)
        if where in SHELL_GAP and build.endswith("headless-shell"):
            continue  # known gap, pinned by test_headless_shell_standalone_workers_still_show_headless_brand
        assert seen["brands"] == results["main"]["brands"], (where, seen)  # one browser, one brand list
    assert results["main"]["webdriver"] is False
    assert "Chromium" in results["main"]["brands"] and "HeadlessChrome" not in results["main"]["brands"]
    assert results["main"]["platform"] == "Linux"
    received = web.log[first_request:]
    ours = [r for r in received if r.host.startswith("disguise-")]
    assert {r.path for r in ours} >= {"/", "/frame", "/worker.js", "/shared.js", "/sw.js"} | WORKER_FETCHES
    for request in received:
        for name, value in request.headers.items():
            assert "HeadlessChrome" not in value, (request.url, name, value)
    document = next(r for r in ours if r.path == "/")
    assert '"Chromium"' in document.header("Sec-CH-UA")
    for fetched in (r for r in ours if r.path in WORKER_FETCHES):
        # Each worker's own fetches: the same user agent as the page, and if a brand list is sent, the page's.
        assert fetched.header("User-Agent") == results["main"]["ua"], (fetched.path, fetched.headers)
        if fetched.header("Sec-CH-UA") is not None:
            assert fetched.header("Sec-CH-UA") == document.header("Sec-CH-UA"), (fetched.path, fetched.headers)


# Measured on Debian chromium-headless-shell 156 with Playwright 1.65 (see crawler/disguise.py): the page's
# Emulation.setUserAgentOverride reaches the frames and dedicated workers it starts, but shared and service
# workers are targets of their own whose brands come from the shell's built-in metadata. Overriding them
# needs a session on the worker before its script runs: browser-level Target.setAutoAttach is flatten-only
# and Playwright's Python CDPSession cannot address flat child sessions; a page-level non-flat auto-attach
# reaches service workers (never shared workers) but Playwright's own session resumes the paused worker
# as soon as it attaches, so the override lands before the script starts only when it wins that race
# (it lost every run with a 50 ms delay before sending it). Network.setUserAgentOverride on the page does
# not reach the worker either; feature UACHOverrideBlank empties the brands instead of correcting them, and
# so does a context-level user_agent (Playwright then overrides workers with metadata that has no brands).
SHELL_GAP = ("shared_worker", "service_worker")


@pytest.mark.xfail(strict=True, reason="shared and service workers of the headless shell keep its built-in brand "
                   "list: no deterministic way to override a standalone worker before its script runs (see SHELL_GAP)")
async def test_headless_shell_standalone_workers_still_show_headless_brand(disguise_site):
    build = "/usr/bin/chromium-headless-shell"
    if not shutil.which(build):
        pytest.skip(f"{build} is not installed on this machine")
    results = await _probe(disguise_site, build)
    for where in SHELL_GAP:
        assert "HeadlessChrome" not in results[where]["brands"], (where, results[where])
