"""Workers and out-of-process iframes (issue 14): the instrumentation reaches dedicated and service
workers (also those of cross-site iframes), request initiators come from inside cross-site iframes,
and what is not reached (shared workers, a worker's first task) is stated, not hidden.

The collectors are driven by hand on one page so a test can wait for the event it needs (the worker
was instrumented) before the page makes the calls under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from analyzer.audit import analyze_capture
from analyzer.behaviour import detect_behaviour
from crawler import Crawler
from crawler.browser import BrowserOptions
from crawler.collectors.base import Inputs, VisitState
from crawler.collectors.instrumentation import InstrumentationCollector
from crawler.collectors.network import NetworkCollector
from model.capture import Capture, Visit

# A worker that fingerprints on request: OffscreenCanvas text in two colours read back, WebGL's unmasked
# renderer, WorkerNavigator traits; then it sends the result with fetch and over a WebSocket.
FP_WORKER = """
self.onmessage = async (e) => {
  if (e.data !== 'go') return;
  const c = new OffscreenCanvas(240, 60);
  const ctx = c.getContext('2d');
  ctx.font = "14px 'Arial'";
  ctx.fillStyle = '#f60'; ctx.fillRect(125, 1, 62, 20);
  ctx.fillStyle = '#069'; ctx.fillText('Cwm fjordbank glyphs vext quiz', 2, 15);
  ctx.fillStyle = 'rgba(102, 204, 0, 0.7)'; ctx.fillText('Cwm fjordbank glyphs vext quiz', 4, 17);
  const pixels = ctx.getImageData(0, 0, 240, 60).data.length;
  const blob = await c.convertToBlob();
  let gpu = '';
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl');
    const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
    if (info) gpu = String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL));
  } catch (err) {}
  const traits = [navigator.hardwareConcurrency, navigator.deviceMemory, navigator.languages.join(','),
                  navigator.platform, typeof navigator.userAgentData].join('|');
  await fetch('https://fp-vendor.net/collect?from=worker',
              {method: 'POST', mode: 'no-cors', body: traits + blob.size + pixels + gpu});
  postMessage('done');
};
postMessage('ready');
"""
# The clean counterpart: a worker that draws a chart on an OffscreenCanvas and hands it back as a
# bitmap (never read as pixels or an image file).
CHART_WORKER = """
self.onmessage = (e) => {
  if (e.data !== 'go') return;
  const c = new OffscreenCanvas(480, 240);
  const ctx = c.getContext('2d');
  ctx.save();
  ctx.font = '12px sans-serif';
  [['Jan', 78], ['Feb', 61], ['Mar', 55]].forEach(([m, v], i) => {
    ctx.fillStyle = '#2a6'; ctx.fillRect(20 + i * 60, 220 - v * 2, 40, v * 2);
    ctx.fillStyle = '#333'; ctx.fillText(m, 25 + i * 60, 235);
  });
  ctx.restore();
  const bitmap = c.transferToImageBitmap();
  postMessage('done', [bitmap]);
};
postMessage('ready');
"""
# The page starts a worker and says "go" when the test asks (window.go), reporting in the title.
WORKER_PAGE = """<!doctype html><html><head><title>start</title></head><body><script>
const w = new Worker('/WORKER');
w.onmessage = (e) => { document.title = e.data; };
window.go = () => w.postMessage('go');
</script></body></html>"""
SERVICE_WORKER_PAGE = """<!doctype html><html><head><title>start</title></head><body><script>
navigator.serviceWorker.onmessage = (e) => { document.title = e.data; };
navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)
  .then((reg) => { window.go = () => reg.active.postMessage('go'); document.title = 'ready'; });
</script></body></html>"""
SHARED_WORKER_PAGE = """<!doctype html><html><head><title>start</title></head><body><script>
const s = new SharedWorker('/shared.js');
s.port.onmessage = (e) => { document.title = e.data; };
s.port.start();
window.go = () => s.port.postMessage('go');
</script></body></html>"""
# A service worker answers the client that asked; a shared worker answers on its port.
SW_SCRIPT = FP_WORKER.replace("postMessage('done');", "e.source.postMessage('done');").replace("postMessage('ready');", "")
SHARED_SCRIPT = ("onconnect = (c) => { const port = c.ports[0]; port.onmessage = (e) => self.onmessage(e); "
                 "self.postMessage = (m) => port.postMessage(m); port.postMessage('ready'); };\n"
                 + FP_WORKER.replace("postMessage('ready');", ""))


@contextlib.asynccontextmanager
async def instrumented_page(crawler: Crawler, site: str, *, network: bool = False):
    """A page with the instrumentation (and optionally network) collectors attached, as a visit has."""
    context = await crawler.browser.new_context()
    state = VisitState(context=context, site_domain=site)
    collectors = [InstrumentationCollector(state)] + ([NetworkCollector(state)] if network else [])
    try:
        for c in collectors:
            await c.setup()
        page = await context.new_page()
        for c in collectors:
            await c.attach(page)
        yield page, collectors
    finally:
        await context.close()


async def collected(collectors, page) -> Visit:
    visit = Visit(name="baseline", url=page.url)
    for c in collectors:
        if isinstance(c, InstrumentationCollector):
            await c.flush(page)
        await c.collect(visit, Inputs({}))
    return visit


async def wait_until(predicate, what: str, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def instrumented_workers(collector: InstrumentationCollector, kind: str, count: int = 1) -> None:
    async def ready() -> bool:
        return sum(w["type"] == kind for w in collector._workers) >= count
    await wait_until(ready, f"{count} {kind} instrumented")


def serve_worker_site(web, host: str, page: str, scripts: dict[str, str]) -> str:
    web.add_page(host, "/", page)
    for path, body in scripts.items():
        web.add_page(host, path, body, content_type="application/javascript")
    web.add_page("fp-vendor.net", "/collect", "", content_type="text/plain")
    return f"https://{host}/"


@pytest.fixture(scope="module")
def crawler_options(fake_web, options_for):
    return options_for(fake_web, visits=("baseline",), settle_s=0.5, find_policies=False)


async def run_worker_page(fake_web, crawler_options, host: str, page_html: str, scripts: dict[str, str],
                          kind: str | None = "worker", network: bool = False) -> Visit:
    """Load the page, wait until its worker is instrumented (``kind``; None: don't wait), say go, collect."""
    url = serve_worker_site(fake_web, host, page_html, scripts)
    async with Crawler(crawler_options) as crawler:
        async with instrumented_page(crawler, host, network=network) as (page, collectors):
            await page.goto(url)
            if kind is not None:
                await instrumented_workers(collectors[0], kind)
            await wait_until(lambda: _has_go(page), "the page to be ready")
            await page.evaluate("go()")
            await wait_until(lambda: _title_is(page, "done"), "the worker to finish")
            return await collected(collectors, page)


async def _has_go(page) -> bool:
    return await page.evaluate("typeof window.go === 'function'")


async def _title_is(page, title: str) -> bool:
    return await page.title() == title


def worker_rows(visit: Visit, worker_url: str) -> dict[str, list]:
    rows: dict[str, list] = {}
    for call in visit.api_calls:
        if call.worker_url == worker_url:
            rows.setdefault(call.api, []).append(call)
    return rows


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_dedicated_worker_calls_are_recorded_with_worker_and_creator(fake_web, crawler_options):
    page = WORKER_PAGE.replace("WORKER", "fpw.js")
    visit = await run_worker_page(fake_web, crawler_options, "worker-print.com", page, {"/fpw.js": FP_WORKER},
                                  network=True)
    worker = "https://worker-print.com/fpw.js"
    rows = worker_rows(visit, worker)
    for api in ("canvas.fillText", "canvas.fillStyle", "canvas.getImageData", "canvas.convertToBlob",
                "navigator.hardwareConcurrency", "navigator.deviceMemory", "navigator.languages",
                "navigator.platform", "navigator.userAgentData"):
        assert api in rows, (api, sorted(rows))
    every = [c for calls in rows.values() for c in calls]
    assert {c.script_url for c in every} == {worker} and {c.frame_url for c in every} == {"https://worker-print.com/"}
    assert rows["canvas.getImageData"][0].args == ["240x60 of 240x60"]
    assert rows["canvas.convertToBlob"][0].args == ["240x60 image/png"]
    assert rows["webgl.getExtension"][0].args == ["WEBGL_debug_renderer_info"]
    assert rows["webgl.getParameter"][0].args == ["37446"]  # the unmasked renderer
    assert visit.collected["instrumentation"]["workers"] == [
        {"url": worker, "type": "worker", "creator": "https://worker-print.com/"}]


    # Detections count worker calls: canvas (OffscreenCanvas read back) and WebGL, the worker as evidence.
    report = analyze_capture(Capture(domain="worker-print.com", start_url="https://worker-print.com/", visits=[visit]))
    found = {f.category: f for f in report.findings if f.code == "FINGERPRINTING"}
    assert set(found) == {"fingerprinting:canvas", "fingerprinting:webgl"}, [f.title for f in report.findings]
    canvas = found["fingerprinting:canvas"].evidence
    assert canvas[0].kind == "api_calls" and canvas[0].url == worker and "canvas.convertToBlob" in canvas[0].text
    assert f"ran in the worker {worker} created by https://worker-print.com/" in canvas[0].detail
    # The worker's own fetch names the worker as its initiator (Network enabled in the worker's session).
    sent = [e for e in canvas if e.kind == "request"]
    assert sent and sent[0].url == "https://fp-vendor.net/collect?from=worker"


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_worker_drawing_a_chart_is_not_a_fingerprint(fake_web, crawler_options):
    page = WORKER_PAGE.replace("WORKER", "chart.js")
    visit = await run_worker_page(fake_web, crawler_options, "worker-chart.com", page, {"/chart.js": CHART_WORKER})
    rows = worker_rows(visit, "https://worker-chart.com/chart.js")
    assert {"canvas.fillText", "canvas.fillStyle", "canvas.save", "canvas.restore"} <= set(rows)  # it was seen
    capture = Capture(domain="worker-chart.com", start_url="https://worker-chart.com/", visits=[visit])
    assert detect_behaviour(capture).fingerprints == []


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_service_worker_calls_are_recorded(fake_web, crawler_options):
    visit = await run_worker_page(fake_web, crawler_options, "sw-print.com", SERVICE_WORKER_PAGE, {"/sw.js": SW_SCRIPT},
                                  kind="service_worker")
    rows = worker_rows(visit, "https://sw-print.com/sw.js")
    assert {"canvas.convertToBlob", "canvas.fillText", "navigator.hardwareConcurrency"} <= set(rows), sorted(rows)
    capture = Capture(domain="sw-print.com", start_url="https://sw-print.com/", visits=[visit])
    assert {(f.kind, f.script_url) for f in detect_behaviour(capture).fingerprints} >= {
        ("canvas", "https://sw-print.com/sw.js")}


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_shared_worker_is_not_reached(fake_web, crawler_options):
    """A page-level CDP session is never told about shared workers: their calls are missed (documented)."""
    visit = await run_worker_page(fake_web, crawler_options, "shared-print.com", SHARED_WORKER_PAGE,
                                  {"/shared.js": SHARED_SCRIPT}, kind=None)
    assert worker_rows(visit, "https://shared-print.com/shared.js") == {}
    assert not [c for c in visit.api_calls if c.script_url == "https://shared-print.com/shared.js"]
    assert "instrumentation" not in visit.collected  # no worker instrumented, none failed


# ---------------------------------------------------------------------------- cross-site iframes

FRAMED_PAGE = """<!doctype html><html><head><title>host</title></head><body><h1>News</h1>
<iframe src="FRAME_URL"></iframe></body></html>"""
FRAME = """<!doctype html><html><body><p>widget</p><script src="/inject.js"></script></body></html>"""
INJECT = """var s = document.createElement('script'); s.src = 'TRACKER'; document.head.appendChild(s);"""
TRACKER = """navigator.sendBeacon('BEACON', 'seen=1');"""


def isolated_options(fake_web, options_for):
    """Chromium's headless shell keeps cross-site iframes in-process unless told to isolate sites."""
    browser = BrowserOptions(host_rules=fake_web.host_rules, extra_args=(*fake_web.trust_args, "--site-per-process"))
    return options_for(fake_web, browser=browser, visits=("baseline",), settle_s=0.5, find_policies=False)


def serve_framed_site(web, host: str, frame_host: str, tag: str) -> dict[str, str]:
    tracker = f"https://beacon-tracker.net/t-{tag}.js"
    beacon = f"https://beacon-tracker.net/b-{tag}"
    web.add_page(host, "/", FRAMED_PAGE.replace("FRAME_URL", f"https://{frame_host}/frame-{tag}.html"))
    web.add_page(frame_host, f"/frame-{tag}.html", FRAME.replace("/inject.js", f"/inject-{tag}.js"))
    web.add_page(frame_host, f"/inject-{tag}.js", INJECT.replace("TRACKER", tracker), content_type="application/javascript")
    web.add_page("beacon-tracker.net", f"/t-{tag}.js", TRACKER.replace("BEACON", beacon),
                 content_type="application/javascript")
    web.add_page("beacon-tracker.net", f"/b-{tag}", "", content_type="text/plain")
    return {"page": f"https://{host}/", "inject": f"https://{frame_host}/inject-{tag}.js", "tracker": tracker,
            "beacon": beacon}


async def framed_visit(fake_web, options, urls: dict[str, str], host: str) -> tuple[Visit, bool]:
    """Load the page; once the beacon reached the server, collect. Also says whether the iframe was
    out of process (Playwright gives an iframe a CDP session of its own only then)."""
    async with Crawler(options) as crawler:
        async with instrumented_page(crawler, host, network=True) as (page, collectors):
            await page.goto(urls["page"])
            path = urls["beacon"].split("beacon-tracker.net", 1)[1]

            async def beaconed() -> bool:
                return any(r.host == "beacon-tracker.net" and r.path == path for r in fake_web.log)
            await wait_until(beaconed, "the tracker's beacon")
            out_of_process = True
            try:
                await page.context.new_cdp_session(page.frames[1])
            except Exception:  # noqa: BLE001 - "part of the parent frame's session"
                out_of_process = False
            visit = await collected(collectors, page)
            return visit, out_of_process


def initiators(visit: Visit, urls: dict[str, str]) -> tuple[str | None, str | None]:
    by_url = {r.url: r for r in visit.requests}
    return by_url[urls["tracker"]].initiator_script, by_url[urls["beacon"]].initiator_script


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_initiators_inside_an_out_of_process_cross_site_iframe(fake_web, options_for):
    urls = serve_framed_site(fake_web, "framed-news.com", "widget-maker.net", "oopif")
    visit, out_of_process = await framed_visit(fake_web, isolated_options(fake_web, options_for), urls, "framed-news.com")
    assert out_of_process, "the test needs a real out-of-process iframe"
    # tracker ← the iframe's injecting script; beacon ← the tracker
    assert initiators(visit, urls) == (urls["inject"], urls["tracker"])


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("frame_host,tag", [("widget-maker.net", "inproc"), ("framed-daily.com", "samesite")])
async def test_initiators_inside_in_process_iframes(fake_web, crawler_options, frame_host, tag):
    """Same-site iframes, and cross-site ones where the browser keeps them in process (headless shell)."""
    urls = serve_framed_site(fake_web, "framed-daily.com", frame_host, tag)
    visit, out_of_process = await framed_visit(fake_web, crawler_options, urls, "framed-daily.com")
    if tag == "samesite":
        assert not out_of_process
    assert initiators(visit, urls) == (urls["inject"], urls["tracker"])


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_worker_of_an_out_of_process_iframe_is_instrumented(fake_web, options_for):
    host, frame_host = "framed-weather.com", "widget-maker.net"
    frame_url = f"https://{frame_host}/worker-frame.html"
    fake_web.add_page(host, "/", FRAMED_PAGE.replace("FRAME_URL", frame_url))
    fake_web.add_page(frame_host, "/worker-frame.html", WORKER_PAGE.replace("WORKER", "fpw.js"))
    fake_web.add_page(frame_host, "/fpw.js", FP_WORKER, content_type="application/javascript")
    fake_web.add_page("fp-vendor.net", "/collect", "", content_type="text/plain")
    async with Crawler(isolated_options(fake_web, options_for)) as crawler:
        async with instrumented_page(crawler, host) as (page, [instr]):
            await page.goto(f"https://{host}/")
            await instrumented_workers(instr, "worker")
            frame = page.frames[1]
            await frame.evaluate("go()")

            async def done() -> bool:
                return await frame.title() == "done"
            await wait_until(done, "the iframe's worker to finish")
            visit = await collected([instr], page)
    worker = f"https://{frame_host}/fpw.js"
    rows = worker_rows(visit, worker)
    assert {"canvas.convertToBlob", "canvas.fillText", "webgl.getParameter"} <= set(rows), sorted(rows)
    assert {c.frame_url for calls in rows.values() for c in calls} == {frame_url}  # its creator: the iframe


# ---------------------------------------------------------------------------- a whole crawl


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_crawl_finds_worker_fingerprinting_and_not_a_worker_chart(fake_web, crawler_options):
    """The fixture sites (script_behaviours.yaml), crawled with every default collector: the worker
    works when the crawler types its canaries, which is after the worker was instrumented."""
    async with Crawler(crawler_options) as crawler:
        printed = await crawler.crawl(fake_web.sites["fp_worker"])
        chart = await crawler.crawl(fake_web.sites["clean_worker_chart"])
    worker = "https://offscreen-print.com/assets/fp-worker.js"
    found = {f.category: f for f in analyze_capture(printed).findings if f.code == "FINGERPRINTING"}
    assert set(found) == {"fingerprinting:canvas", "fingerprinting:webgl"}
    evidence = found["fingerprinting:canvas"].evidence
    assert evidence[0].url == worker and "created by https://offscreen-print.com/" in evidence[0].detail
    assert any(e.kind == "request" and e.url == "https://fp-vendor.net/collect?kind=worker" for e in evidence)
    chart_visit = chart.visits[0]
    assert any(c.worker_url == "https://offscreen-chart.com/assets/chart-worker.js" and c.api == "canvas.fillText"
               for c in chart_visit.api_calls), "the chart worker was seen drawing"
    assert not [f for f in analyze_capture(chart).findings if f.code == "FINGERPRINTING"]


# ---------------------------------------------------------------------------- tamper resistance, bounds

TAMPER_WORKER = """
self.onmessage = (e) => {
  const out = {};
  const c2d = OffscreenCanvasRenderingContext2D.prototype;
  out.native = Function.prototype.toString.call(c2d.getImageData);
  out.name = OffscreenCanvas.prototype.convertToBlob.name + '/' + c2d.measureText.name + '/' + c2d.measureText.length;
  out.getter = Object.getOwnPropertyDescriptor(WorkerNavigator.prototype, 'hardwareConcurrency').get.toString();
  out.toStringOfToString = Function.prototype.toString.toString();
  out.binding = typeof self[e.data];  // the secret binding name, told by the test
  out.underscored = Object.getOwnPropertyNames(self).filter((k) => /^_[0-9a-f]{24}$/.test(k));
  const ctx = new OffscreenCanvas(10, 10).getContext('2d');
  for (let i = 0; i < 1000000; i++) { if (i % 500 === 0) ctx.font = (8 + i / 500) + 'px serif'; ctx.measureText('x'); }
  postMessage(JSON.stringify(out));
};
postMessage('ready');
"""
TAMPER_PAGE = """<!doctype html><html><head><title>start</title></head><body><script>
const w = new Worker('/tamper.js');
w.onmessage = (e) => { document.title = e.data; };
window.go = (name) => w.postMessage(name);
</script></body></html>"""


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_worker_wrappers_look_native_leave_no_binding_and_stay_bounded(fake_web, crawler_options):
    host = "worker-tamper.com"
    url = serve_worker_site(fake_web, host, TAMPER_PAGE, {"/tamper.js": TAMPER_WORKER})
    async with Crawler(crawler_options) as crawler:
        async with instrumented_page(crawler, host) as (page, [instr]):
            await page.goto(url)
            await instrumented_workers(instr, "worker")
            await page.evaluate("(name) => go(name)", instr._worker_binding)

            async def answered() -> bool:
                return (await page.title()).startswith("{")
            await wait_until(answered, "the worker's answer")
            seen = json.loads(await page.title())
            visit = await collected([instr], page)
    assert seen["native"] == "function getImageData() { [native code] }"
    assert seen["name"] == "convertToBlob/measureText/1"
    assert seen["getter"] == "function get hardwareConcurrency() { [native code] }"
    assert seen["toStringOfToString"] == "function toString() { [native code] }"
    assert seen["binding"] == "undefined" and seen["underscored"] == []
    measured = [c for c in visit.api_calls if c.api == "canvas.measureText" and c.worker_url]
    assert sum(c.count for c in measured) == 1_000_000
    assert all(len(c.args) <= 20 and c.distinct_args <= 1000 for c in measured)
