"""An audit must look like a visitor's browser: no webdriver, no HeadlessChrome, consistent client hints.

Checked in the main frame, a cross-site iframe, a dedicated worker and a service worker, in what
scripts see and in every request header the fake internet receives, on each installed Chromium build.
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
navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then(reg => {{
  navigator.serviceWorker.onmessage = e => {{ window.results.service_worker = e.data; }};
  reg.active.postMessage('probe');
}});
</script></body></html>"""
FRAME = f"<script>parent.postMessage({PROBE}, '*')</script>"
WORKER = f"fetch('/from-worker').catch(() => 0); postMessage({PROBE});"
SERVICE_WORKER = f"self.onmessage = e => e.source.postMessage({PROBE});"

FIELDS = ("main", "frame", "worker", "service_worker")


@pytest.fixture(scope="module")
def disguise_site(fake_web):
    fake_web.add_page("disguise-lab.com", "/", PAGE)
    fake_web.add_page("disguise-lab.com", "/worker.js", WORKER, content_type="application/javascript")
    fake_web.add_page("disguise-lab.com", "/sw.js", SERVICE_WORKER, content_type="application/javascript")
    fake_web.add_page("disguise-lab.com", "/from-worker", "ok", content_type="text/plain")
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
        if where == "service_worker" and build.endswith("headless-shell"):
            continue  # known gap, pinned by test_headless_shell_service_workers_still_show_headless_brand
        assert seen["brands"] == results["main"]["brands"], (where, seen)  # one browser, one brand list
    assert results["main"]["webdriver"] is False
    assert "Chromium" in results["main"]["brands"] and "HeadlessChrome" not in results["main"]["brands"]
    assert results["main"]["platform"] == "Linux"
    received = web.log[first_request:]
    ours = [r for r in received if r.host.startswith("disguise-")]
    assert {r.path for r in ours} >= {"/", "/frame", "/worker.js", "/sw.js", "/from-worker"}
    for request in received:
        for name, value in request.headers.items():
            assert "HeadlessChrome" not in value, (request.url, name, value)
    document = next(r for r in ours if r.path == "/")
    assert '"Chromium"' in document.header("Sec-CH-UA")


@pytest.mark.xfail(strict=True, reason="service workers are their own CDP targets; Playwright's Python API cannot "
                   "override their client hints, so the headless shell's own brand list shows there")
async def test_headless_shell_service_workers_still_show_headless_brand(disguise_site):
    build = "/usr/bin/chromium-headless-shell"
    if not shutil.which(build):
        pytest.skip(f"{build} is not installed on this machine")
    results = await _probe(disguise_site, build)
    assert "HeadlessChrome" not in results["service_worker"]["brands"]
