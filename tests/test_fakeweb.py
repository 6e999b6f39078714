"""The fake internet behaves like the real one, in real Chromium (one browser for the module)."""

from __future__ import annotations

import asyncio
import html
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, async_playwright
from playwright.async_api import Error as PlaywrightError

from crawler.testing import NXDOMAIN_HOST, FakeInternet, ServedRequest

pytestmark = [pytest.mark.browser]

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
GPC_INIT = """
Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true, configurable: true});
Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1', configurable: true});
"""


def chromium_path() -> str | None:
    env = os.environ.get("CONSENTWATCH_CHROMIUM")
    if env:
        return env
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def web():
    async with FakeInternet(seeds_dir=SEEDS if SEEDS.is_dir() else None) as w:
        yield w


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser(web: FakeInternet):
    """A persistent profile that accepts third-party cookies; tests open isolated contexts from it."""
    profile = Path(tempfile.mkdtemp(prefix="cw-fakeweb-profile-"))
    (profile / "Default").mkdir()
    (profile / "Default" / "Preferences").write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    args = [*web.chromium_args, "--disable-quic", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    async with async_playwright() as p:
        persistent = await p.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path(), headless=True, args=args)
        try:
            yield persistent.browser
        finally:
            await persistent.close()
            shutil.rmtree(profile, ignore_errors=True)


async def new_context(browser, *, gpc: bool = False) -> BrowserContext:
    if not gpc:
        return await browser.new_context()
    ctx = await browser.new_context(extra_http_headers={"DNT": "1", "Sec-GPC": "1"})
    await ctx.add_init_script(GPC_INIT)
    return ctx


async def until(pred: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def since(web: FakeInternet, t0: float, host: str | None = None, path: str | None = None,
          prefix: bool = False) -> list[ServedRequest]:
    return [r for r in web.requests(host, path, prefix=prefix) if r.t >= t0]


def query(r: ServedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(r.query, keep_blank_values=True).items()}


async def cookies_by_name(ctx: BrowserContext) -> dict[str, dict]:
    return {c["name"]: c for c in await ctx.cookies()}


def client(web: FakeInternet) -> aiohttp.ClientSession:
    """A Python HTTP client that resolves every name to the fake internet and trusts its CA."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=web.resolver(), ssl=web.client_ssl_context()))


# ---------------------------------------------------------------------------- Google Consent Mode
async def test_consent_mode_denied_by_default_then_granted(web, browser):
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("consent-mode-lab.com"))
    hits = await until(lambda: since(web, t0, "region1.google-analytics.com", "/g/collect"), what="GA hit")
    ads = await until(lambda: since(web, t0, "googleads.g.doubleclick.net", "/pagead/viewthroughconversion/", prefix=True))
    first = query(hits[0])
    assert first["tid"] == "G-CWLAB0001" and first["en"] == "page_view"
    assert first["gcs"] == "G100" and first["gcd"] == "13p3p3p3p1" and first["npa"] == "1"
    assert query(ads[0])["gcs"] == "G100"
    await page.wait_for_timeout(300)
    jar = await cookies_by_name(ctx)
    assert not {"_ga", "_ga_CWLAB0001", "_gcl_au", "IDE"} & set(jar), "denied consent must not store cookies"

    t1 = time.monotonic()
    await page.evaluate("gtag('consent', 'update', {analytics_storage: 'granted'})")
    hit = await until(lambda: since(web, t1, "region1.google-analytics.com", "/g/collect"), what="hit after update")
    assert query(hit[0])["gcs"] == "G101" and query(hit[0])["gcd"].startswith("13p3r")
    jar = await until(lambda: _has(ctx, "_ga"), what="_ga after analytics consent")
    assert jar["_ga"]["domain"] == ".consent-mode-lab.com" and jar["_ga"]["value"].startswith("GA1.1.")
    assert "_ga_CWLAB0001" in jar and "IDE" not in jar and "_gcl_au" not in jar
    assert query(hit[0])["cid"] == jar["_ga"]["value"].split(".", 2)[2]

    t2 = time.monotonic()
    await page.evaluate("gtag('consent', 'update', "
                        "{ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted'})")
    ad = await until(lambda: since(web, t2, "googleads.g.doubleclick.net", "/pagead/viewthroughconversion/", prefix=True))
    assert query(ad[0])["gcs"] == "G111" and query(ad[0])["npa"] == "0"
    jar = await until(lambda: _has(ctx, "IDE"), what="IDE after ad consent")
    ide = jar["IDE"]
    assert ide["domain"] == ".doubleclick.net" and ide["httpOnly"] and ide["secure"] and ide["sameSite"] == "None"
    assert "_gcl_au" in jar
    await ctx.close()


async def _has(ctx: BrowserContext, name: str) -> dict[str, dict] | None:
    jar = await cookies_by_name(ctx)
    return jar if name in jar else None


async def test_gtag_without_consent_mode_sets_cookies_and_omits_gcs(web, browser):
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("consent-mode-lab.com", "/no-consent-mode"))
    hit = await until(lambda: since(web, t0, "region1.google-analytics.com", "/g/collect"))
    assert "gcs" not in query(hit[0]) and query(hit[0])["tid"] == "G-CWLAB0002"
    jar = await until(lambda: _has(ctx, "IDE"), what="IDE without consent mode")
    assert {"_ga", "_ga_CWLAB0002", "_gcl_au"} <= set(jar)
    await ctx.close()


async def test_consent_queued_before_gtag_loads_is_replayed_in_order(web, browser):
    web.add_page("queued-consent.com", "/", """<!DOCTYPE html><html><head><title>q</title><script>
      window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}
      gtag('consent', 'default', {ad_storage: 'denied', analytics_storage: 'denied'});
      gtag('js', new Date()); gtag('config', 'G-QUEUED01');
      gtag('consent', 'update', {analytics_storage: 'granted'});
    </script><script async src="https://www.googletagmanager.com/gtag/js?id=G-QUEUED01"></script></head>
    <body>queued</body></html>""")
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("queued-consent.com"))
    hits = await until(lambda: len(s := since(web, t0, "region1.google-analytics.com", "/g/collect")) >= 2 and s)
    # In the order the tag sent them (its hit counter, _s): two beacons in flight may reach the server in
    # either order (a loaded clean-clone run saw user_engagement arrive first).
    sent = sorted((query(h) for h in hits), key=lambda q: int(q["_s"]))
    assert [(q["_s"], q["en"], q["gcs"]) for q in sent[:2]] == [("1", "page_view", "G100"), ("2", "user_engagement", "G101")]
    await ctx.close()


async def test_gtm_container_fires_consent_gated_tags(web, browser):
    web.registries["gtm_containers"]["GTM-CWTEST1"] = {"tags": [
        {"kind": "gtag", "id": "G-GTMTEST01", "requires": []},
        {"kind": "html", "html": "<script>window.__adTagRan = true;</script>", "requires": ["ad_storage"]}]}
    web.add_page("gtm-consent.com", "/", """<!DOCTYPE html><html><head><title>gtm</title><script>
      window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}
      gtag('consent', 'default', {ad_storage: 'denied', analytics_storage: 'granted'});
      (function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start': new Date().getTime(),event:'gtm.js'});
      var f=d.getElementsByTagName(s)[0], j=d.createElement(s);j.async=true;
      j.src='https://www.googletagmanager.com/gtm.js?id='+i;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-CWTEST1');
    </script></head><body>gtm</body></html>""")
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("gtm-consent.com"))
    hit = await until(lambda: since(web, t0, "region1.google-analytics.com", "/g/collect"))
    assert query(hit[0])["tid"] == "G-GTMTEST01" and query(hit[0])["gcs"] == "G101"
    assert since(web, t0, "www.googletagmanager.com", "/gtag/js")
    await page.wait_for_timeout(300)
    assert await page.evaluate("window.__adTagRan === undefined"), "ad tag must wait for ad_storage"
    await page.evaluate("gtag('consent', 'update', {ad_storage: 'granted'})")
    await until(lambda: page.evaluate("window.__adTagRan === true"), what="ad tag after consent")
    await ctx.close()


# ---------------------------------------------------------------------------- Meta
async def test_meta_pixel_sets_fbp_and_fr(web, browser):
    web.add_page("meta-only.com", "/", _tag_page("meta-pixel", id="123451234512345"))
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("meta-only.com"))
    tr = await until(lambda: since(web, t0, "www.facebook.com", "/tr", prefix=True), what="pixel hit")
    q = query(tr[0])
    assert q["id"] == "123451234512345" and q["ev"] == "PageView" and q["fbp"].startswith("fb.1.")
    jar = await until(lambda: _has(ctx, "fr"), what="fr cookie")
    assert jar["_fbp"]["domain"] == ".meta-only.com" and jar["_fbp"]["value"] == q["fbp"]
    assert jar["fr"]["domain"] == ".facebook.com" and jar["fr"]["httpOnly"] and jar["fr"]["sameSite"] == "None"
    assert since(web, t0, "connect.facebook.net", "/signals/config/123451234512345")
    await ctx.close()


async def test_meta_pixel_consent_revoke_holds_hits_until_grant(web, browser):
    web.add_page("meta-revoked.com", "/", _tag_page("meta-pixel", id="555550000055555", revoke=True))
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("meta-revoked.com"))
    await until(lambda: since(web, t0, "connect.facebook.net", "/en_US/fbevents.js"))
    await page.wait_for_timeout(700)
    assert not since(web, t0, "www.facebook.com", "/tr", prefix=True)
    assert "_fbp" not in await cookies_by_name(ctx)
    await page.evaluate("fbq('consent', 'grant')")
    tr = await until(lambda: since(web, t0, "www.facebook.com", "/tr", prefix=True), what="held hit after grant")
    assert query(tr[0])["ev"] == "PageView"
    await until(lambda: _has(ctx, "_fbp"))
    await ctx.close()


def _tag_page(tag: str, **params: Any) -> str:
    from crawler.testing.sites import render_tag

    return f"<!DOCTYPE html><html><head><title>{tag}</title>{render_tag({'tag': tag, **params})}</head><body>x</body></html>"


# ---------------------------------------------------------------------------- every stub at once
# product → (cookie name, cookie domain) pairs and hosts its hits must reach, on tracker-zoo.com
ZOO = {
    "google-analytics": ([("_ga", ".tracker-zoo.com"), ("_ga_CWZOO0001", ".tracker-zoo.com")], ["region1.google-analytics.com"]),
    "google-ads": ([("IDE", ".doubleclick.net"), ("_gcl_au", ".tracker-zoo.com")], ["googleads.g.doubleclick.net"]),
    "google-tag-manager": ([], ["www.googletagmanager.com"]),
    "meta-pixel": ([("_fbp", ".tracker-zoo.com"), ("fr", ".facebook.com")], ["connect.facebook.net", "www.facebook.com"]),
    "facebook-social-plugins": ([("datr", ".facebook.com")], ["static.xx.fbcdn.net"]),
    "youtube": ([("YSC", ".youtube.com"), ("VISITOR_INFO1_LIVE", ".youtube.com")], ["www.youtube.com", "i.ytimg.com"]),
    "hotjar": ([("_hjSessionUser_1000001", ".tracker-zoo.com"), ("_hjSession_1000001", ".tracker-zoo.com")],
               ["static.hotjar.com", "in.hotjar.com", "content.hotjar.io"]),
    "linkedin-insight": ([("bcookie", ".linkedin.com"), ("lidc", ".linkedin.com")], ["snap.licdn.com", "px.ads.linkedin.com"]),
    "tiktok-pixel": ([("_ttp", ".tracker-zoo.com"), ("_ttp", ".tiktok.com")], ["analytics.tiktok.com"]),
    "microsoft-clarity": ([("_clck", ".tracker-zoo.com"), ("_clsk", ".tracker-zoo.com"), ("MUID", ".clarity.ms")],
                          ["www.clarity.ms", "scripts.clarity.ms", "z.clarity.ms"]),
    "microsoft-advertising": ([("_uetsid", ".tracker-zoo.com"), ("_uetvid", ".tracker-zoo.com"), ("MUID", ".bing.com")],
                              ["bat.bing.com"]),
    "x-pixel": ([("_twpid", ".tracker-zoo.com"), ("personalization_id", ".twitter.com"), ("muc_ads", ".t.co")],
                ["static.ads-twitter.com", "analytics.twitter.com", "t.co"]),
    "pinterest-tag": ([("_pin_unauth", ".tracker-zoo.com"), ("ar_debug", ".pinterest.com")],
                      ["s.pinimg.com", "ct.pinterest.com"]),
    "snap-pixel": ([("_scid", ".tracker-zoo.com"), ("sc_at", ".snapchat.com")], ["sc-static.net", "tr.snapchat.com"]),
    "criteo": ([("cto_bundle", ".tracker-zoo.com"), ("uid", ".criteo.com")],
               ["static.criteo.net", "bidder.criteo.com", "gum.criteo.com"]),
    "hubspot": ([("hubspotutk", ".tracker-zoo.com"), ("__hstc", ".tracker-zoo.com")],
                ["js.hs-scripts.com", "js.hs-analytics.net", "track.hubspot.com"]),
    "segment": ([("ajs_anonymous_id", ".tracker-zoo.com")], ["cdn.segment.com", "api.segment.io"]),
    "mixpanel": ([("mp_cwzoo0mixpaneltoken000000000001_mixpanel", ".tracker-zoo.com")], ["cdn.mxpnl.com", "api-js.mixpanel.com"]),
    "amplitude": ([("AMP_cwzoo0ampl", ".tracker-zoo.com")], ["cdn.amplitude.com", "api2.amplitude.com"]),
    "fullstory": ([("fs_uid", ".tracker-zoo.com")], ["edge.fullstory.com", "rs.fullstory.com"]),
    "adobe-analytics": ([("AMCV_EN0123456789abcdef%40AdobeOrg", ".tracker-zoo.com"), ("demdex", ".demdex.net")],
                        ["assets.adobedtm.com", "dpm.demdex.net", "cwen01234567.sc.omtrdc.net"]),
    "amazon-ads": ([("ad-id", ".amazon-adsystem.com")], ["c.amazon-adsystem.com", "aax.amazon-adsystem.com"]),
    "taboola": ([("t_gid", ".tracker-zoo.com"), ("t_gid", ".taboola.com")], ["cdn.taboola.com", "trc.taboola.com"]),
    "outbrain": ([("obuid", ".outbrain.com")], ["widgets.outbrain.com", "odb.outbrain.com"]),
}


async def test_every_tracker_stub_sets_its_cookies_and_sends_its_hits(web, browser):
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("tracker-zoo.com"))
    wanted = {(n, d) for cookies, _ in ZOO.values() for n, d in cookies}

    async def all_cookies() -> bool:
        return wanted <= {(c["name"], c["domain"]) for c in await ctx.cookies()}

    try:
        await until(all_cookies, timeout=10, what="every tracker cookie")
    finally:
        have = {(c["name"], c["domain"]) for c in await ctx.cookies()}
    assert not wanted - have, f"missing cookies: {sorted(wanted - have)}"
    hosts = {r.host for r in since(web, t0)}
    missing = {p: [h for h in hs if h not in hosts] for p, (_, hs) in ZOO.items()}
    assert not {p: m for p, m in missing.items() if m}
    assert await page.evaluate("typeof fbq === 'function' && typeof gtag === 'function' && typeof ttq === 'object'")
    assert await page.evaluate("localStorage.getItem('ajs_anonymous_id')") == json.dumps(
        next(c["value"] for c in await ctx.cookies() if c["name"] == "ajs_anonymous_id"))
    await ctx.close()


# ---------------------------------------------------------------------------- behaviours
async def test_behaviours_lab_with_dnt_and_gpc(web, browser):
    """One DNT+GPC visit of the lab: every behaviour happens, and the signals reach the server on subresources."""
    ctx = await new_context(browser, gpc=True)
    sw_requests: list[str] = []
    ctx.on("request", lambda r: sw_requests.append(r.url) if r.service_worker else None)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("behaviour-lab.com"))
    doc = since(web, t0, "behaviour-lab.com", "/")[0]
    late = await until(lambda: since(web, t0, "lab-metrics.net", "/late"), timeout=8, what="late fetch")
    # never before 3 s; the upper bounds leave room for timer delay on a loaded 2-core machine
    assert 3.0 <= late[0].t - doc.t < 8.0
    fired_after_load = await page.evaluate("window.__lab.lateFiredAt - window.__lab.loadAt")
    assert 3000 <= fired_after_load < 4500

    lab = await until(lambda: page.evaluate("window.__lab.sw === 'ready' && window.__lab.storage && window.__lab"))
    assert lab["worker"] == "worker fetched" and lab["beacon"] is True
    assert lab["ws"][:2] == ["hello from the fake internet", "echo: ping"]
    assert since(web, t0, "behaviour-lab.com", "/api/sw-fetch") and since(web, t0, "lab-metrics.net", "/sw-ping")
    assert any("/api/sw-fetch" in u for u in sw_requests), "the service worker's own fetch is visible to Playwright"
    assert since(web, t0, "behaviour-lab.com", "/api/worker-fetch") and since(web, t0, "lab-metrics.net", "/beacon")
    assert [r.method for r in since(web, t0, "lab-metrics.net", "/beacon")] == ["POST"]
    assert await page.evaluate("[localStorage.getItem('lab_local'), sessionStorage.getItem('lab_session_store')]") == [
        "local-value", "session-value"]
    assert await page.evaluate("""new Promise(ok => { const r = indexedDB.open('lab-db');
        r.onsuccess = () => { const g = r.result.transaction('kv').objectStore('kv').get('lab_idb');
                              g.onsuccess = () => ok(g.result); }; })""") == "idb-value"
    jar = {(c["name"], c["domain"]): c for c in await ctx.cookies()}
    assert jar[("partner_uid", "widget-partner.net")]["httpOnly"] and ("partner_js", "widget-partner.net") in jar
    assert jar[("lab_session", "behaviour-lab.com")]["httpOnly"] and ("lab_js", "behaviour-lab.com") in jar

    for host, path in [("behaviour-lab.com", "/"), ("behaviour-lab.com", "/assets/site.js"), ("widget-partner.net", "/frame"),
                       ("widget-partner.net", "/pixel.gif"), ("lab-metrics.net", "/beacon"), ("lab-metrics.net", "/late"),
                       ("behaviour-lab.com", "/api/worker-fetch")]:
        r = since(web, t0, host, path)[0]
        assert (r.header("DNT"), r.header("Sec-GPC")) == ("1", "1"), f"{host}{path}"
    assert await page.evaluate("navigator.globalPrivacyControl === true && navigator.doNotTrack === '1'")
    await ctx.close()


async def test_redirect_chain_crosses_three_sites(web, browser):
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    resp = await page.goto(web.url("redirect-chain.com"))
    assert page.url == "https://redirect-landing.org/" and resp.status == 200
    hops = [(r.host, r.status) for r in since(web, t0) if r.host in {"redirect-chain.com", "hop-two.net", "redirect-landing.org"}
            and r.path in {"/", "/step"}]
    assert hops == [("redirect-chain.com", 301), ("hop-two.net", 302), ("redirect-landing.org", 200)]
    assert since(web, t0, "redirect-landing.org", "/")[0].header("Sec-GPC") is None, "no signal in a plain context"
    chain = []
    req = resp.request
    while req:
        chain.append(req.url)
        req = req.redirected_from
    assert chain[::-1] == ["https://redirect-chain.com/", "https://hop-two.net/step", "https://redirect-landing.org/"]
    await ctx.close()


async def test_pathological_sites(web, browser):
    ctx = await new_context(browser)
    # a fresh page per failing navigation: a late error page would interrupt the next goto
    with pytest.raises(PlaywrightError, match="Timeout"):
        await (await ctx.new_page()).goto(web.url("hanging-site.com"), timeout=1500)
    assert web.requests("hanging-site.com", "/")[-1].status is None, "still hanging"
    with pytest.raises(PlaywrightError, match="ERR_TOO_MANY_REDIRECTS"):
        await (await ctx.new_page()).goto(web.url("redirect-loop.com"))
    with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
        await (await ctx.new_page()).goto(web.url(NXDOMAIN_HOST))
    assert (await (await ctx.new_page()).goto(web.url("server-error-site.com"))).status == 500

    page = await ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), asyncio.ensure_future(d.dismiss())))
    async with ctx.expect_page() as popup:
        await page.goto(web.url("dialog-spam.com"))
    assert (await popup.value).url.startswith("https://popup-target.net/")
    await until(lambda: len(dialogs) >= 3, what="dialogs")
    assert dialogs[:3] == ["alert", "confirm", "prompt"]
    await ctx.close()

    busy = await new_context(browser)
    page = await busy.new_page()
    await page.goto(web.url("busy-script.com"))
    await page.wait_for_timeout(400)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(page.evaluate("1 + 1"), timeout=1.5)
    await busy.close()


# ---------------------------------------------------------------------------- server, TLS, content
async def test_secure_context_and_certificates_for_late_added_hosts(web, browser):
    ctx = await new_context(browser)
    page = await ctx.new_page()
    await page.goto(web.url("maple-street-bakery.com"))
    assert await page.evaluate("window.isSecureContext && location.protocol === 'https:'")
    await ctx.close()
    url = web.add_page("added-later.org", "/hello", "hi", content_type="text/plain", headers={"X-Test": ["a", "b"]})
    async with client(web) as http:  # verifies the certificate names against the fake CA
        async with http.get(url) as r:
            assert (r.status, await r.text(), r.headers.getall("X-Test")) == (200, "hi", ["a", "b"])
        async with http.get("https://maple-street-bakery.com/.well-known/gpc.json") as r:
            assert (await r.json())["gpc"] is True
        async with http.get("http://maple-street-bakery.com/nope") as r:
            assert r.status == 404
    assert web.requests("added-later.org", "/hello")[-1].scheme == "https"


async def test_discovery_sites_link_their_policies():
    async with FakeInternet(demo=False) as web, client(web) as http:
        cases = {"sonnenhof-moebel.de": ("Datenschutzerklärung", "/datenschutz"),
                 "atelier-lumiere.fr": ("Politique de confidentialité", "/politique-de-confidentialite"),
                 "ferreteria-solano.es": ("Política de privacidad", "/politica-de-privacidad"),
                 "trattoria-belvedere.it": ("Informativa sulla privacy", "/informativa-privacy"),
                 "fietsenmaker-dekker.nl": ("Privacyverklaring", "/privacyverklaring"),
                 "livraria-aurora.com.br": ("Política de Privacidade", "/politica-de-privacidade"),
                 "sklep-zielony.pl": ("Polityka prywatności", "/polityka-prywatnosci"),
                 "maple-street-bakery.com": ("Privacy Policy", "/privacy-policy")}
        for host, (text, path) in cases.items():
            async with http.get(f"https://{host}/") as r:
                home = await r.text()
            assert f'<a href="{path}">{text}</a>' in home and "<footer" in home, host
            async with http.get(f"https://{host}{path}") as r:
                assert r.status == 200 and text.split()[0] in await r.text(), host
        async with http.get("https://quiet-ledger.com/") as r:
            assert "privacy" not in (await r.text()).lower()
        async with http.get("https://quiet-ledger.com/privacy-policy") as r:
            assert r.status == 200
        for path in ["/privacy", "/privacy-policy", "/legal/privacy"]:
            async with http.get(f"https://no-policy-here.com{path}") as r:
                assert r.status == 404


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"needs the seed policies at {SEEDS} (../shared/seeds)")
async def test_seed_sites_serve_the_seed_policies(web):
    assert sorted(web.seed_domains.values()) == [f"seed-00{i}.com" for i in range(5)]
    async with client(web) as http:
        for stem, host in web.seed_domains.items():
            async with http.get(f"https://{host}/") as r:
                assert 'href="/privacy-policy">Privacy Policy</a>' in await r.text()
            async with http.get(f"https://{host}/privacy-policy") as r:
                page = await r.text()
            # a distinctive line of the seed text must be on the page
            line = max((SEEDS / f"{stem}.txt").read_text().splitlines(), key=len)[:60]
            assert html.escape(line) in page, host


# ---------------------------------------------------------------------------- the demo web
async def _visit_products(browser, url: str, gpc: bool, expected: set[str]) -> set[str]:
    """Products a homepage visit requests (Playwright's view, per context), after things settle."""
    from crawler.testing.expectations import products_seen

    ctx = await new_context(browser, gpc=gpc)
    seen: list[tuple[str, str]] = []

    def on_request(r) -> None:
        parts = r.url.split("/", 3)
        seen.append((parts[2], "/" + (parts[3] if len(parts) > 3 else "")))

    ctx.on("request", on_request)
    page = await ctx.new_page()
    await page.goto(url)
    try:
        await until(lambda: expected <= products_seen(seen), what=f"{expected} on {url}")
    except AssertionError:
        pass  # the assertion below reports the difference
    await page.wait_for_timeout(1000)  # anything that should NOT load has had its chance
    await ctx.close()
    return products_seen(seen)


async def test_demo_sites_load_what_expected_yaml_says(web, browser):
    from crawler.testing.expectations import demo_expectations

    sites = demo_expectations()["sites"]
    assert sorted(web.demo_domains) == sorted(sites)
    for gpc, key in [(False, "loads"), (True, "loads_with_gpc")]:
        results = await asyncio.gather(*[_visit_products(browser, web.url(d), gpc, set(s[key])) for d, s in sites.items()])
        got = {d: sorted(r) for d, r in zip(sites, results)}
        assert got == {d: sorted(s[key]) for d, s in sites.items()}, key


async def test_demo_policies_are_linked_and_say_what_expected_yaml_says(web):
    from bs4 import BeautifulSoup

    from crawler.testing.expectations import demo_expectations

    async with client(web) as http:
        for domain, site in demo_expectations()["sites"].items():
            async with http.get(f"https://{domain}/") as r:
                home = BeautifulSoup(await r.text(), "lxml")
            for kind in ("privacy_policy", "cookie_policy"):
                spec = site[kind]
                if spec is None:
                    continue
                links = {a.get_text(strip=True): a["href"] for a in home.select("footer a")}
                assert links.get(spec["link_text"]) == spec["path"], (domain, kind, links)
                async with http.get(f"https://{domain}{spec['path']}") as r:
                    text = BeautifulSoup(await r.text(), "lxml").get_text(" ")
                assert len(text.split()) >= (600 if kind == "privacy_policy" else 150), (domain, kind)
                prefix = "" if kind == "privacy_policy" else "cookie_policy_"
                for phrase in site.get(f"{prefix}policy_mentions", []):
                    assert phrase in text, (domain, kind, phrase)
                for phrase in site.get(f"{prefix}policy_never_mentions", []):
                    assert phrase not in text, (domain, kind, phrase)
            for name, spec in site["well_known"].items():
                async with http.get(f"https://{domain}/.well-known/{name}") as r:
                    assert r.status == 200
                    if isinstance(spec, dict):
                        assert (await r.json())["gpc"] is spec["gpc"]
            async with http.get(f"https://www.{domain}/pricing?x=1", allow_redirects=False) as r:
                assert (r.status, r.headers["Location"]) == (301, f"https://{domain}/pricing?x=1")


async def test_banner_slot_defers_gated_tags_until_consent(web, browser):
    ctx = await new_context(browser)
    page = await ctx.new_page()
    t0 = time.monotonic()
    await page.goto(web.url("deferred-tags.com"))
    hit = await until(lambda: since(web, t0, "region1.google-analytics.com", "/g/collect"))
    assert query(hit[0])["gcs"] == "G100"
    await page.wait_for_timeout(500)
    assert not since(web, t0, "connect.facebook.net") and not since(web, t0, "static.hotjar.com")
    assert await page.locator("#simple-consent-banner").is_visible()
    await page.click("#accept-all")
    await until(lambda: since(web, t0, "www.facebook.com", "/tr", prefix=True), what="meta pixel after accept")
    await until(lambda: since(web, t0, "static.hotjar.com"), what="hotjar after accept")
    jar = await until(lambda: _has(ctx, "_ga"))
    assert {"_fbp", "_hjSessionUser_3000003"} <= set(jar)
    await ctx.close()


async def test_demo_sites_redirect_http_to_https(web):
    async with client(web) as http:
        async with http.get("http://tunnelmoss.com/pricing", allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (301, "https://tunnelmoss.com/pricing")
        async with http.get("http://tunnelmoss.com/pricing") as r:
            assert r.status == 200 and str(r.url) == "https://tunnelmoss.com/pricing"
