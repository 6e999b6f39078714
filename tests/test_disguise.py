"""An audit must look like a visitor's browser: no webdriver, no HeadlessChrome, consistent client hints.

Checked in the main frame, a cross-site iframe, a dedicated worker, a shared worker and a service worker,
in what scripts see (read when each worker's script starts, before any message arrives) and in every request
header the fake internet receives (each worker fetches from its own path), on each installed Chromium build.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import async_playwright

from crawler import Crawler
from crawler.browser import BrowserOptions, LaunchedBrowser, launch
from crawler.worker_disguise import WorkerDisguise

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


@contextlib.asynccontextmanager
async def _browser(web, build: str) -> AsyncIterator[LaunchedBrowser]:
    """One Chromium of ``build`` that reaches the fake internet, closed on the way out."""
    async with async_playwright() as p:
        browser = await launch(p, BrowserOptions(chromium=build, host_rules=web.host_rules,
                                                 extra_args=tuple(web.trust_args)))
        try:
            yield browser
        finally:
            await browser.close()


async def _probe(web, build: str) -> tuple[dict, list[str]]:
    """What each place reported, and the service workers the disguise could not confirm it reached in time."""
    async with _browser(web, build) as browser:
        context = await browser.new_context()
        page = await browser.new_page(context)
        await page.goto(web.url("disguise-lab.com"))
        await page.wait_for_function(f"window.results && {' && '.join(f'window.results.{f}' for f in FIELDS)}",
                                     timeout=20000)
        results = await page.evaluate("window.results")
        await context.close()
        return results, browser.undisguised_service_workers(context)


# A service worker's override can lose the race to its first statements (crawler/worker_disguise.py: Playwright's
# own session may resume the worker first; ~1-5 % of service workers, more under load). The disguise checks every
# service worker and reports the ones it cannot confirm (a visit lists them as cut): what such a worker read at
# start is the shell's, and that is said. Every other worker must report the page's hints.
def _unconfirmed(undisguised: list[str], url: str) -> bool:
    return url in undisguised


@pytest.mark.parametrize("build", BUILDS)
async def test_pages_frames_and_workers_see_a_visitors_browser(disguise_site, build):
    if not shutil.which(build):
        pytest.skip(f"{build} is not installed on this machine")
    web = disguise_site
    first_request = len(web.log)
    results, undisguised = await _probe(web, build)
    for where in FIELDS:
        seen = results[where]
        assert seen["webdriver"] in (False, "undefined"), (where, seen)
        assert "HeadlessChrome" not in seen["ua"] + seen["appVersion"], (where, seen)
        assert seen["ua"] == results["main"]["ua"], (where, seen)
        if where == "service_worker" and _unconfirmed(undisguised, web.url("disguise-lab.com", "/sw.js")):
            continue
        assert seen["brands"] == results["main"]["brands"], (where, seen, undisguised)  # one browser, one brand list
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


# The headless shell's shared and service workers are targets of their own: the page's
# Emulation.setUserAgentOverride does not reach them, and no CDP session reaches them before their script runs
# (measured with Chromium 156 and Playwright 1.65: browser-level Target.setAutoAttach is flatten-only and
# Playwright's Python CDPSession cannot address flat child sessions; a page-level non-flat auto-attach reaches
# service workers, never shared ones, and Playwright's own session resumes them before an override lands).
# Their scripts are patched instead, as they load (crawler/worker_disguise.py). What every worker kind reports,
# read when its script starts, must equal the page's: brands, every high-entropy hint, toJSON.
HINTS = ["architecture", "bitness", "brands", "formFactors", "fullVersionList", "model", "platformVersion",
         "uaFullVersion", "wow64"]
HINTS_PROBE = f"""(async () => {{
  const d = navigator.userAgentData;
  const proto = NavigatorUAData.prototype;
  const natives = [Object.getOwnPropertyDescriptor(proto, 'brands').get, proto.getHighEntropyValues, proto.toJSON,
                   Function.prototype.toString].map(f => [String(f), f.name, f.length]);
  return {{brands: d.brands.map(b => b.brand + '/' + b.version), json: JSON.stringify(d), natives,
          hints: await d.getHighEntropyValues({HINTS!r})}};
}})()"""
KINDS_HOST, CDN_HOST = "worker-kinds.com", "worker-kinds-cdn.com"
KINDS_PAGE = f"""<!doctype html><script>
window.kinds = {{}};
const got = name => data => {{ window.kinds[name] = data; }};
{HINTS_PROBE}.then(got('main'));
const shared = (url, name, options) => {{
  const w = new SharedWorker(url, options); w.port.onmessage = e => got(name)(e.data); w.port.start();
}};
shared('/shared-classic.js', 'shared_classic');
shared('/shared-gzip.js', 'shared_gzip');
shared('/shared-strict.js', 'shared_strict');
shared('/shared-plain.js', 'shared_plain');
shared('/shared-module.js', 'shared_module', {{type: 'module'}});
const dedicated = new Worker('/dedicated-module.js', {{type: 'module'}});
dedicated.onmessage = e => got('dedicated_module')(e.data);
const sw = (url, scope, name, options) => navigator.serviceWorker.register(url, {{scope, ...options}}).then(reg => {{
  const worker = reg.installing || reg.waiting || reg.active;
  navigator.serviceWorker.addEventListener('message', e => {{ if (e.source === worker) got(name)(e.data); }});
  worker.postMessage('probe');
}});
sw('/sw-classic.js', '/classic/', 'service_classic');
sw('/sw-module.js', '/module/', 'service_module', {{type: 'module'}});
</script>"""
SHARED_REPLY = "onconnect = e => atStart.then(data => e.ports[0].postMessage(data));"
SERVICE_REPLY = "self.onmessage = e => atStart.then(data => e.source.postMessage(data));"
KIND_SCRIPTS = {
    "/shared-classic.js": f"const atStart = {HINTS_PROBE};\n{SHARED_REPLY}",
    "/shared-plain.js": f"const atStart = {HINTS_PROBE};\n{SHARED_REPLY}",
    # A directive prologue and line numbers survive the patch: the script stays strict, errors keep their lines.
    "/shared-strict.js": ("#!/usr/bin/env node\n'use strict'\n/* prologue */\n"
                          "const strict = (function () { return this === undefined; })();\n"
                          "const line = Number(/shared-strict\\.js:(\\d+):/.exec(new Error().stack)[1]);\n"
                          f"const atStart = {HINTS_PROBE}.then(data => ({{...data, strict, line}}));\n{SHARED_REPLY}"),
    # A module's static imports run before its own body: the first import is patched too (it reads at load).
    "/shared-module.js": f"import {{atStart}} from 'https://{CDN_HOST}/probe.mjs';\n{SHARED_REPLY}",
    "/dedicated-module.js": "import {atStart} from './probe.mjs';\natStart.then(data => postMessage(data));",
    "/probe.mjs": f"export const atStart = {HINTS_PROBE};",
    "/sw-classic.js": f"const atStart = {HINTS_PROBE};\n{SERVICE_REPLY}",
    "/sw-module.js": f"import {{atStart}} from './probe.mjs';\n{SERVICE_REPLY}",
}
KINDS = ("shared_classic", "shared_gzip", "shared_strict", "shared_plain", "shared_module", "dedicated_module",
         "service_classic", "service_module")
SHELL = "/usr/bin/chromium-headless-shell"
SERVICE_SCRIPTS = {"service_classic": "/sw-classic.js", "service_module": "/sw-module.js"}


@pytest.fixture(scope="module")
def worker_kinds_site(fake_web):
    fake_web.add_page(KINDS_HOST, "/", KINDS_PAGE)
    for path, body in KIND_SCRIPTS.items():
        content_type = "text/plain" if path == "/shared-plain.js" else "text/javascript; charset=utf-8"
        fake_web.add_page(KINDS_HOST, path, body, content_type=content_type)
    fake_web.add_page(KINDS_HOST, "/shared-gzip.js", gzip.compress(KIND_SCRIPTS["/shared-classic.js"].encode()),
                      content_type="application/javascript", headers={"Content-Encoding": "gzip"})
    fake_web.add_page(CDN_HOST, "/probe.mjs", KIND_SCRIPTS["/probe.mjs"], content_type="text/javascript",
                      headers={"Access-Control-Allow-Origin": "*"})
    return fake_web


def _skip_without(build: str) -> None:
    if not shutil.which(build):
        pytest.skip(f"{build} is not installed on this machine")


async def _visit(browser, url: str, ready: str) -> tuple[dict, list[str]]:
    context = await browser.new_context()
    try:
        page = await browser.new_page(context)
        await page.goto(url)
        await page.wait_for_function(ready, timeout=20000)
        kinds = await page.evaluate("window.kinds")
    finally:
        await context.close()
    return kinds, browser.undisguised_service_workers(context)


@pytest.mark.parametrize("build", BUILDS)
async def test_every_kind_of_worker_reports_the_pages_client_hints(worker_kinds_site, build):
    _skip_without(build)
    web = worker_kinds_site
    async with _browser(web, build) as browser:
        kinds, undisguised = await _visit(browser, web.url(KINDS_HOST), " && ".join(f"window.kinds.{k}" for k in KINDS))
    main = kinds["main"]
    assert not any(b.startswith("HeadlessChrome") for b in main["brands"]), main
    for kind in KINDS:
        seen = kinds[kind]
        assert seen["natives"] == main["natives"], (kind, seen)  # the getters and methods look native
        if kind in SERVICE_SCRIPTS and _unconfirmed(undisguised, web.url(KINDS_HOST, SERVICE_SCRIPTS[kind])):
            continue
        assert seen["brands"] == main["brands"], (kind, seen, undisguised)
        assert seen["hints"] == main["hints"], (kind, seen)
        assert seen["json"] == main["json"], (kind, seen)
    assert kinds["shared_strict"]["strict"] is True and kinds["shared_strict"]["line"] == 5, kinds["shared_strict"]
    if build == SHELL:
        assert main["hints"]["uaFullVersion"] and main["hints"]["fullVersionList"], main  # a real check, not ""s
        disguise = browser.worker_disguise
        assert disguise is not None and not disguise.failed
        # Five shared worker scripts and the cross-origin module one of them imports patched; both service
        # workers overridden; the page's dedicated module worker and the service worker's import left alone.
        assert (disguise.patched, disguise.overridden, disguise.passed) == (6, 2, 3), disguise
    else:
        assert browser.worker_disguise is None  # the full browser shows a visitor's brands by itself


UPDATE_HOST = "worker-update.com"
UPDATE_PAGE = """<!doctype html><script>
window.kinds = {};
const ask = worker => new Promise(resolve => {
  const channel = new MessageChannel(); channel.port1.onmessage = e => resolve(e.data);
  worker.postMessage('probe', [channel.port2]);
});
const activated = worker => new Promise(resolve => {
  if (worker.state === 'activated') resolve();
  else worker.addEventListener('statechange', () => { if (worker.state === 'activated') resolve(); });
});
window.registered = navigator.serviceWorker.register('/sw.js').then(async reg => {
  const first = reg.installing || reg.waiting || reg.active;
  window.kinds.first = await ask(first);
  await activated(first);
  window.kinds.ready = true;
  return reg;
});
// An update check: did a new version install, and what does it report?
window.checkUpdate = async () => {
  const reg = await window.registered;
  await reg.update();  // resolves once the check is done; a changed script is then reg.installing
  const installing = reg.installing;
  return {installing: !!installing, seen: installing ? await ask(installing) : null};
};
</script>"""


BRANDS = "navigator.userAgentData.brands.map(b => b.brand + '/' + b.version)"


def _deploy_worker(web, version: str) -> None:
    """Serve (or redeploy) the update site's service worker script as ``version``."""
    script = (f"const atStart = {HINTS_PROBE}.then(data => ({{...data, version: '{version}'}}));\n"
              "self.onmessage = e => atStart.then(data => e.ports[0].postMessage(data));")
    web.add_page(UPDATE_HOST, "/sw.js", script, content_type="text/javascript")


def _serve_update_site(web, version: str) -> None:
    web.add_page(UPDATE_HOST, "/", UPDATE_PAGE)
    _deploy_worker(web, version)


async def _open(browser, url: str, ready: str):
    context = await browser.new_context()
    page = await browser.new_page(context)
    await page.goto(url)
    await page.wait_for_function(ready, timeout=20000)
    return context, page


async def test_a_service_worker_whose_script_changes_between_visits_keeps_the_pages_hints(fake_web):
    """Each visit's service worker gets the page's hints, the changed script too; an update check of an unchanged
    script installs nothing (the script's bytes are the server's: nothing was spliced into them)."""
    _skip_without(SHELL)
    web = fake_web
    _serve_update_site(web, "v1")
    async with _browser(web, SHELL) as browser:
        context, page = await _open(browser, web.url(UPDATE_HOST), "window.kinds.ready")
        page_brands = await page.evaluate(BRANDS)
        first = await page.evaluate("window.kinds.first")
        unchanged = await page.evaluate("window.checkUpdate()")
        await context.close()
        first_undisguised = browser.undisguised_service_workers(context)
        _deploy_worker(web, "v2")
        next_visit, next_undisguised = await _visit(browser, web.url(UPDATE_HOST), "window.kinds.ready")
        assert browser.worker_disguise is not None and not browser.worker_disguise.failed
    assert unchanged == {"installing": False, "seen": None}, unchanged
    assert first["version"] == "v1" and next_visit["first"]["version"] == "v2"
    assert not any("HeadlessChrome" in b for b in page_brands)
    for seen, undisguised in ((first, first_undisguised), (next_visit["first"], next_undisguised)):
        if not _unconfirmed(undisguised, web.url(UPDATE_HOST, "/sw.js")):
            assert seen["brands"] == page_brands, (seen, undisguised)


# A service worker script that changes on the server while a visit is open is installed by an update check,
# whose fetch no CDP interception sees (measured: neither a browser-, page- nor worker-level Fetch pauses it), and
# the new version starts from the bytes the check read: nothing holds it before it runs. Visits are seconds long
# in fresh contexts, so this needs the site to deploy a new worker during one visit.
@pytest.mark.xfail(strict=True, reason="a service worker version installed by an update check within one visit "
                   "keeps the shell's brands: its script never passes through CDP interception")
async def test_a_service_worker_updated_within_a_visit_keeps_the_pages_hints(fake_web):
    _skip_without(SHELL)
    web = fake_web
    _serve_update_site(web, "w1")
    async with _browser(web, SHELL) as browser:
        context, page = await _open(browser, web.url(UPDATE_HOST), "window.kinds.ready")
        page_brands = await page.evaluate(BRANDS)
        _deploy_worker(web, "w2")
        changed = await page.evaluate("window.checkUpdate()")
        await context.close()
    assert changed["installing"] and changed["seen"]["version"] == "w2", changed
    assert changed["seen"]["brands"] == page_brands, changed


async def test_a_failing_disguise_never_stops_a_worker(worker_kinds_site, monkeypatch):
    """Whatever goes wrong while a worker's script request is held, the request goes on and the worker runs."""
    _skip_without(SHELL)

    async def broken(self, target_id: str) -> bool:
        raise RuntimeError("injected failure")
    monkeypatch.setattr(WorkerDisguise, "_target_type", broken)
    web = worker_kinds_site
    async with _browser(web, SHELL) as browser:
        kinds, _ = await _visit(browser, web.url(KINDS_HOST), " && ".join(f"window.kinds.{k}" for k in KINDS))
        failed = list(browser.worker_disguise.failed)
    assert all(kinds[kind]["brands"] for kind in KINDS)  # every worker ran and answered
    assert failed and all("injected failure" in f for f in failed), failed


# The check behind `undisguised_service_workers`, against the race itself: pages that each start several classic
# service workers at once (the kind that loses it; ~5 % of them on the idle VM, more under load), a few pages side
# by side. Every worker that read the shell's brands at its first statement must be among those reported; and
# the report is a check, not a blanket: most workers are confirmed.
RACE_HOST, RACE_WORKERS, RACE_PAGES = "worker-race.com", 6, 12
RACE_SCRIPT = ("const atStart = navigator.userAgentData.brands.map(b => b.brand);\n"
               "self.onmessage = e => e.source.postMessage(atStart);")
RACE_PAGE = "<!doctype html><script>window.kinds = {};\n" + "".join(
    f"navigator.serviceWorker.register('/sw{i}.js', {{scope: '/s{i}/'}}).then(reg => {{"
    " const w = reg.installing || reg.waiting || reg.active;"
    f" navigator.serviceWorker.addEventListener('message', e => {{ if (e.source === w) window.kinds['{i}'] = e.data; }});"
    " w.postMessage('probe'); });\n" for i in range(RACE_WORKERS)) + "</script>"


async def test_every_service_worker_that_read_the_shells_brands_is_reported(fake_web):
    _skip_without(SHELL)
    web = fake_web
    web.add_page(RACE_HOST, "/", RACE_PAGE)
    for i in range(RACE_WORKERS):
        web.add_page(RACE_HOST, f"/sw{i}.js", RACE_SCRIPT, content_type="text/javascript")
    ready = f"Object.keys(window.kinds).length == {RACE_WORKERS}"
    async with _browser(web, SHELL) as browser:
        pages = await asyncio.gather(*(_visit(browser, web.url(RACE_HOST), ready) for _ in range(RACE_PAGES)))
        assert not browser.worker_disguise.failed, browser.worker_disguise.failed
    unreported, reported = [], 0
    for kinds, undisguised in pages:
        reported += len(undisguised)
        for i, brands in kinds.items():
            if "HeadlessChrome" in brands and not _unconfirmed(undisguised, web.url(RACE_HOST, f"/sw{i}.js")):
                unreported.append((i, brands, undisguised))
    assert not unreported, unreported
    assert reported < RACE_WORKERS * RACE_PAGES / 2, reported


async def test_a_visit_lists_the_service_workers_it_could_not_confirm_as_cut(fake_web, options_for, monkeypatch):
    """The crawler's side of the check: a service worker the disguise cannot confirm is named in its visit's cut
    (here every check is kept from deciding, as if each worker's answer never came)."""
    _skip_without(SHELL)
    web = fake_web
    web.add_page("worker-cut.com", "/", "<!doctype html><title>sw</title><script>navigator.serviceWorker"
                 ".register('/sw.js').then(() => navigator.serviceWorker.ready).then(() => document.title = 'ready')"
                 "</script>")
    web.add_page("worker-cut.com", "/sw.js", RACE_SCRIPT, content_type="text/javascript")
    monkeypatch.setattr(WorkerDisguise, "_check_start", lambda self, session_id, message: None)
    options = options_for(web, visits=("baseline",), settle_s=1.0,
                          browser=BrowserOptions(chromium=SHELL, host_rules=web.host_rules,
                                                 extra_args=tuple(web.trust_args)))
    async with Crawler(options) as crawler:
        capture = await crawler.crawl("worker-cut.com")
    visit = capture.visit("baseline")
    assert visit.status == 200 and web.requests("worker-cut.com", "/sw.js")
    assert [c for c in visit.cut if "service worker https://worker-cut.com/sw.js" in c], visit.cut
    assert visit.partial
