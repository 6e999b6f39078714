"""Hostile sites for the SSRF tests: every way a page can send the browser to an internal address.

``install_hostile_sites(web, internal_port)`` adds them to a running FakeInternet and returns
role → host. Each points at ``internal_port`` on loopback (a canary server the tests watch) under a
different spelling, so a guard that misses one spelling or one request kind lets a request through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .routes import static

if TYPE_CHECKING:
    from .server import FakeInternet

# How an attacker spells 127.0.0.1 (or another loopback address) for the browser's URL parser.
LOOPBACK_SPELLINGS = ("127.0.0.1", "127.1", "0x7f.1", "0x7f000001", "2130706433", "0177.0.0.1", "127.0.0.0x",
                      "foo.localhost", "api.localhost.", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
                      "[2002:7f00:1::1]", "[64:ff9b::7f00:1]")

ROLES = {
    "redirect": "redirect-inward.com",  # 302 to the internal address
    "js_navigation": "js-jump-inward.com",  # location.href after load
    "policy_link": "policy-inward.com",  # footer "Privacy Policy" on the internal address
    "subresources": "subresources-inward.com",  # img, script, iframe, fetch, beacon, WebSocket, worker
    "service_worker": "sw-inward.com",  # a service worker fetching the internal address
    "sw_beacons": "sw-beacons-forever.com",  # a service worker beaconing home every 200 ms (section 5)
}


def install_hostile_sites(web_: FakeInternet, internal_port: int, rebinding_host: str | None = None) -> dict[str, str]:
    """Add the hostile sites; ``rebinding_host`` (a name whose DNS turns internal) is used too."""
    spellings = list(LOOPBACK_SPELLINGS) + ([rebinding_host] if rebinding_host else [])
    urls = [f"http://{s}:{internal_port}" for s in spellings]
    hosts = dict(ROLES)
    first = urls[0]

    _plain_http_site(web_, hosts["redirect"], static("", status=302, headers={"Location": f"{first}/secret"}))
    jump = "".join(f"<a href='{u}/admin'>x</a>" for u in urls)
    _plain_http_site(web_, hosts["js_navigation"], static(
        f"<html><body>{jump}<script>setTimeout(() => {{ location.href = '{urls[1]}/js'; }}, 100)</script></body></html>"))
    footer = "".join(f"<a href='{u}/privacy'>Privacy Policy</a> <a href='{u}/cookies'>Cookie Policy</a>" for u in urls)
    _plain_http_site(web_, hosts["policy_link"], static(
        f"<html><body><main><h1>Welcome</h1><p>Shop.</p></main><footer>{footer}</footer></body></html>"))
    _plain_http_site(web_, hosts["subresources"], static(_subresource_page(urls)))
    web_.add_page(hosts["subresources"], "/worker.js", _fetch_all_js(urls, "worker"), content_type="text/javascript")

    sw_host = hosts["service_worker"]
    web_.add_page(sw_host, "/", _sw_page(), headers={"Cache-Control": "no-store"})
    web_.add_page(sw_host, "/sw.js", "self.addEventListener('activate', () => {" + _fetch_all_js(urls, "sw") + "});",
                  content_type="text/javascript")

    beacons = hosts["sw_beacons"]
    web_.add_page(beacons, "/", _sw_page())
    web_.add_page(beacons, "/sw.js", """
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
let n = 0;
setInterval(() => { fetch('/beacon?n=' + (n++), {method: 'POST', body: 'still here'}).catch(() => {}); }, 200);
""", content_type="text/javascript")
    web_.add_page(beacons, "/beacon", "ok", content_type="text/plain")
    return hosts


def _plain_http_site(web_: FakeInternet, host: str, page) -> None:
    # Served over http (the https homepage redirects there) so that no mixed-content rule of the
    # browser stops a request before it reaches the guard: the guard must stop it itself.
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.secure:
            return web.Response(status=302, headers={"Location": f"http://{host}{request.path_qs}"})
        return await page(request)

    web_.add_route(host, "/", handle)


def _fetch_all_js(urls: list[str], tag: str) -> str:
    listed = ", ".join(f"'{u}/{tag}-fetch'" for u in urls)
    return f"[{listed}].forEach(u => fetch(u, {{mode: 'no-cors'}}).catch(() => {{}}));"


def _subresource_page(urls: list[str]) -> str:
    tags = []
    for i, u in enumerate(urls):
        tags.append(f"<img src='{u}/img-{i}.png'><script src='{u}/script-{i}.js'></script>"
                    f"<link rel='stylesheet' href='{u}/style-{i}.css'>")
    # A few frames only: each refused frame costs the browser an error page.
    tags += [f"<iframe src='{u}/frame'></iframe>" for u in (urls[0], urls[7], urls[-1])]
    script = _fetch_all_js(urls, "page") + "".join(
        f"navigator.sendBeacon('{u}/beacon', 'x'); try {{ new WebSocket('{u.replace('http', 'ws', 1)}/ws'); }} catch (e) {{}}"
        for u in urls)
    return (f"<html><body><h1>Subresources</h1>{''.join(tags)}<script>{script}"
            "new Worker('/worker.js');</script></body></html>")


def _sw_page() -> str:
    return ("<html><body><h1>Service worker</h1><script>"
            "navigator.serviceWorker.register('/sw.js').catch(e => document.title = 'sw failed: ' + e);"
            "</script></body></html>")
