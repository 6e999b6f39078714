"""What the crawler records, in real Chromium on the fake internet: every request type, frame and
visit attribution, cookies (third-party, HttpOnly), storage writes, DNT/GPC, policy discovery."""

from __future__ import annotations

import pytest
import pytest_asyncio
from side_by_side import SideBySide

from crawler import Crawler
from crawler.collectors.network import is_browser_noise
from model.capture import decode_capture, encode_capture

GPC_PROBE = """<html><head><title>probe</title></head><body>
<img src="https://probe-pixels.net/p.gif">
<iframe src="https://probe-frames.net/frame"></iframe>
<script>fetch('/probe?where=main&gpc=' + navigator.globalPrivacyControl + '&dnt=' + navigator.doNotTrack);</script>
</body></html>"""
GPC_FRAME = """<html><body><script>
fetch('/probe?where=frame&gpc=' + navigator.globalPrivacyControl + '&dnt=' + navigator.doNotTrack);
</script></body></html>"""


pytestmark = pytest.mark.browser  # real Chromium crawls of the fake internet


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def crawls(fake_web, web_crawler, options_for) -> SideBySide:
    """This file's own crawls, side by side (each mostly waits; one after the other they took 29 s): the
    behaviours lab, the lab again keeping values, the GPC probe, the cross-domain redirect chain."""
    fake_web.add_page("gpc-probe.com", "/", GPC_PROBE)
    fake_web.add_page("probe-frames.net", "/frame", GPC_FRAME)
    fake_web.add_page("probe-pixels.net", "/p.gif", b"GIF89a", content_type="image/gif")
    for host in ("gpc-probe.com", "probe-frames.net"):
        fake_web.add_page(host, "/probe", "ok", content_type="text/plain")

    async def keeping_values():
        async with Crawler(options_for(fake_web, keep_values=True, visits=("baseline",), settle_s=0.5)) as crawler:
            return await crawler.crawl(fake_web.sites["behaviours"])

    return await SideBySide.run({
        "lab": web_crawler.crawl(fake_web.sites["behaviours"]),
        "keep_values": keeping_values(),
        "gpc_probe": web_crawler.crawl("gpc-probe.com"),
        "redirect_chain": web_crawler.crawl(fake_web.sites["redirect_chain"]),
    })


@pytest.fixture(scope="module")
def lab(crawls):
    """The behaviours lab's crawl, shared by the tests below."""
    return crawls.result("lab")


def _urls(visit) -> list[str]:
    return [r.url for r in visit.requests]


def _find(visit, fragment: str):
    found = [r for r in visit.requests if fragment in r.url]
    assert found, f"no request containing {fragment!r} in {visit.name}: {_urls(visit)}"
    return found[0]


@pytest.mark.parametrize("visit_name", ["baseline", "gpc"])
def test_every_request_type_is_captured_in_each_visit(lab, visit_name):
    visit = lab.visit(visit_name)
    assert visit.ok, visit.error
    beacon = _find(visit, "lab-metrics.net/beacon")
    assert beacon.resource_type == "ping" and beacon.method == "POST" and beacon.post_data_size > 0
    late = _find(visit, "lab-metrics.net/late")
    assert late.t_ms >= 3000, "the fetch fired 3 s after load must be caught, with its time"
    frame_doc = _find(visit, "widget-partner.net/frame")
    assert frame_doc.resource_type == "document" and frame_doc.is_navigation and not frame_doc.is_main_frame
    assert frame_doc.frame_url.startswith("https://behaviour-lab.com/")
    pixel = _find(visit, "widget-partner.net/pixel.gif")
    assert pixel.frame_url == "https://widget-partner.net/frame", "a cross-site iframe's subrequest belongs to it"
    assert _find(visit, "/api/worker-fetch").status == 200
    sw_fetch = _find(visit, "/api/sw-fetch")
    assert sw_fetch.worker_url and sw_fetch.worker_url.endswith("/sw.js")
    ws = _find(visit, "/ws")
    assert ws.resource_type == "websocket" and ws.url.startswith("wss://")
    main = visit.requests[0]
    assert main.is_main_frame and main.resource_type == "document" and main.status in (200, 301)
    assert all(r.t_ms >= 0 for r in visit.requests)
    assert not [u for u in _urls(visit) if is_browser_noise(u)]


def test_www_redirect_is_captured_with_its_chain(lab):
    visit = lab.visit("baseline")
    documents = [r for r in visit.requests if r.is_main_frame and r.resource_type == "document"]
    if len(documents) > 1:  # the lab redirects www ↔ apex; the later hop names the earlier one
        assert documents[-1].redirect_chain and documents[-1].redirected_from == documents[-1].redirect_chain[-1]


def test_cookies_include_third_party_and_httponly_with_redacted_values(lab):
    visit = lab.visit("baseline")
    cookies = {(c.name, c.domain.lstrip(".")): c for c in visit.cookies}
    partner = cookies[("partner_uid", "widget-partner.net")]
    assert partner.http_only and partner.secure and partner.same_site == "None" and partner.first_party is False
    assert partner.value is None and partner.value_len == len("p4rtn3r") and len(partner.value_sha256) == 16
    assert partner.expires and partner.expires > lab.started_at
    assert cookies[("lab_session", "behaviour-lab.com")].http_only
    lab_js = cookies[("lab_js", "behaviour-lab.com")]
    assert lab_js.first_party is True and lab_js.first_seen_ms is not None
    assert ("partner_js", "widget-partner.net") in cookies
    assert ("lm_late", "lab-metrics.net") in cookies, "a cookie set by the late request is in the store"
    headers = [h for r in visit.requests for h in r.set_cookie_headers]
    raw = next(h for h in headers if h.name == "partner_uid")
    assert "HttpOnly" in raw.attributes and raw.value is None and raw.url.startswith("https://widget-partner.net/")


def test_storage_writes_are_timestamped_per_origin(lab):
    visit = lab.visit("baseline")
    writes = {(s.origin, s.kind, s.key): s for s in visit.storage}
    assert writes[("https://behaviour-lab.com", "local", "lab_local")].t_ms is not None
    assert ("https://behaviour-lab.com", "session", "lab_session_store") in writes
    assert ("https://behaviour-lab.com", "indexeddb", "lab-db") in writes
    assert ("https://behaviour-lab.com", "indexeddb", "lab-db/kv") in writes
    assert ("https://widget-partner.net", "local", "partner_local") in writes
    assert ("https://behaviour-lab.com", "cookie_write", "lab_js") in writes


def test_values_are_not_kept_by_default(lab):
    assert lab.values_kept is False


def test_capture_round_trips_as_json(lab):
    again = decode_capture(encode_capture(lab))
    assert again == lab


def test_keep_values_keeps_values(crawls):
    capture = crawls.result("keep_values")
    cookie = next(c for c in capture.visit("baseline").cookies if c.name == "partner_uid")
    assert cookie.value == "p4rtn3r"
    assert capture.values_kept  # tells the store to keep request bodies too (api/store/records.py)


def test_gpc_visit_sends_dnt_and_gpc_everywhere_and_baseline_does_not(fake_web, crawls):
    capture = crawls.result("gpc_probe")
    gpc, baseline = capture.visit("gpc"), capture.visit("baseline")
    assert gpc.signals == {"DNT": "1", "Sec-GPC": "1"} and baseline.signals == {}
    assert any("where=main&gpc=true&dnt=1" in u for u in _urls(gpc))
    assert any("where=frame&gpc=true&dnt=1" in u for u in _urls(gpc)), "GPC visible inside a cross-site iframe"
    assert any("where=main&gpc=undefined&dnt=null" in u for u in _urls(baseline))
    served = fake_web.requests(host="probe-frames.net", path="/probe")
    with_gpc = [r for r in served if "gpc=true" in r.query]
    without = [r for r in served if "gpc=undefined" in r.query]
    assert with_gpc and without
    assert all(r.header("Sec-GPC") == "1" and r.header("DNT") == "1" for r in with_gpc)
    assert all(r.header("Sec-GPC") is None and r.header("DNT") is None for r in without)
    pixels = fake_web.requests(host="probe-pixels.net", path="/p.gif")
    assert {r.header("Sec-GPC") for r in pixels} == {"1", None}, "subresources carry the headers only in the gpc visit"


def test_redirect_chain_across_domains(crawls):
    capture = crawls.result("redirect_chain")
    visit = capture.visit("baseline")
    landing = next(r for r in visit.requests if r.url == "https://redirect-landing.org/")
    assert landing.redirect_chain == ["https://redirect-chain.com/", "https://hop-two.net/step"]
    assert visit.final_url == "https://redirect-landing.org/"
    assert capture.policies and capture.policies[0].final_url == "https://redirect-landing.org/privacy-policy"


DISCOVERY_ROLES = [
    "discovery_en", "discovery_de", "discovery_fr", "discovery_es", "discovery_it", "discovery_nl", "discovery_pt",
    "discovery_pl", "discovery_wellknown_path", "discovery_nav_only", "discovery_boilerplate",
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def discovered(fake_web, shared_crawls) -> dict:
    """The discovery sites crawled side by side, as a batch is: the session's shared crawls, which
    tests/test_plan_equivalence.py holds to their recorded findings too (these sites are among them)."""
    roles = [*DISCOVERY_ROLES, "discovery_none"]
    return dict(zip(roles, await shared_crawls.crawl_all(fake_web.sites[role] for role in roles)))


@pytest.mark.parametrize("role", DISCOVERY_ROLES)
def test_policy_discovery(fake_web, discovered, role):
    capture = discovered[role]
    privacy = [p for p in capture.policies if p.kind == "privacy"]
    assert privacy, f"no privacy policy found on {fake_web.sites[role]}"
    doc = privacy[0]
    assert doc.status == 200 and len(doc.text) > 100
    if role == "discovery_wellknown_path":
        assert doc.found_via == "well_known_path"
    else:
        assert doc.found_via == "link" and doc.link_text
    if role == "discovery_boilerplate":
        lowered = doc.text.lower()
        assert "effective date" in lowered and "global privacy control" in lowered
        for boilerplate in ("accept all", "most read", "share this page", "top stories", "home ›", "newsletter"):
            assert boilerplate not in lowered, boilerplate


def test_no_policy_site_reports_none(discovered):
    capture = discovered["discovery_none"]
    assert capture.reachable and not capture.policies


def test_capture_names_the_browser_build_that_ran(lab):
    from crawler.browser import browser_build, find_chromium

    assert lab.browser_version
    assert lab.browser_build == browser_build(find_chromium())
