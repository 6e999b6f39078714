"""The extension in real Firefox (ESR), driven over WebDriver BiDi (tests/firefox_bidi.py): installed
temporarily with webExtension.install, its background scripts recording requests, its popup
against the real service in every state the Chromium tests cover, and what only Firefox does
(host permissions a user can withhold).

Screenshots of each state go to artifacts/extension/firefox/ (git-ignored), next to Chromium's.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path

import pytest
from extension_service import Service, running_service
from firefox_bidi import QUIET_PREFS, Firefox, Tab, fake_internet_prefs, find_firefox, write_profile

from model.domains import registrable_domain

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
EXTENSION = REPO / "extension"
ARTIFACTS = REPO / "artifacts" / "extension" / "firefox"
GECKO_ID = json.loads((EXTENSION / "manifest.json").read_text())["browser_specific_settings"]["gecko"]["id"]
AUDITED = "cirruswaycharter.com"
NO_POLICY = "no-policy-here.com"
REQUESTED = "brightfoldinstruments.com"  # audited through the popup (not the Chromium tests' site)
SHOP = "/cw-firefox/shop"
POPUP = (360, 600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FirefoxEnv:
    def __init__(self, firefox: Firefox, ext_uuid: str, service: Service, web) -> None:
        self.firefox, self.uuid, self.service, self.web = firefox, ext_uuid, service, web
        self._helper: Tab | None = None

    def url(self, page: str) -> str:
        return f"moz-extension://{self.uuid}/{page}"

    async def helper(self) -> Tab:
        """An extension page to call extension APIs from."""
        if self._helper is None:
            self._helper = await self.firefox.new_tab(self.url("how.html"))
        return self._helper

    async def grant(self, origin: str = "<all_urls>") -> None:
        """permissions.request() only answers a user's click: click a button that asks."""
        helper = await self.helper()
        await helper.evaluate("""(origin) => {
            document.getElementById('cw-grant')?.remove();
            const b = document.body.appendChild(document.createElement('button'));
            b.id = 'cw-grant';
            b.textContent = 'grant';
            b.addEventListener('click', () => browser.permissions.request({origins: [origin]}));
        }""", origin)
        await helper.click("#cw-grant")
        await helper.wait_for("(o) => browser.permissions.contains({origins: [o]})", origin)

    async def expect_badge(self, tab_id: int, text: str) -> None:
        helper = await self.helper()
        await helper.wait_for("async (id, t) => (await browser.action.getBadgeText({tabId: id})) === t", tab_id, text,
                              timeout=15, what=f"badge {text!r} on tab {tab_id}")

    async def ext(self, function: str, *args):
        return await (await self.helper()).evaluate(function, *args)

    async def browse(self, url: str) -> tuple[Tab, int, set[str]]:
        """Opens url in a new tab; returns it, its extension tab id and the third-party sites
        Firefox fetched for it (from the fake internet's log: the ground truth)."""
        tabs = "async () => (await browser.tabs.query({})).map((t) => t.id)"
        before = set(await self.ext(tabs))
        started = time.monotonic()
        tab = await self.firefox.new_tab(url)
        await tab.wait_for("() => document.readyState === 'complete'")
        await tab.evaluate("() => new Promise((r) => setTimeout(r, 1500))")  # late beacons and pixels
        new = set(await self.ext(tabs)) - before  # by id: without host access the URL is hidden
        assert len(new) == 1, (url, new)
        site = registrable_domain(url.split("/")[2])
        # A page's requests carry a Referer or an Origin; Firefox's own (remote settings and the
        # like, which tests send to loopback too) carry neither and no tab sees them.
        fetched = {registrable_domain(r.host) for r in self.web.log
                   if r.t >= started and "Firefox/" in (r.header("User-Agent") or "")
                   and (r.header("Referer") or r.header("Origin"))}
        return tab, new.pop(), fetched - {site}

    async def popup(self, query: str) -> Tab:
        page = await self.firefox.new_tab()
        await page.set_viewport(*POPUP)
        await page.goto(self.url(f"popup.html?{query}"))
        await page.wait_for("() => document.getElementById('content')?.getAttribute('aria-busy') === 'false'",
                            what="the popup to load")
        return page

    async def settings(self, backend: str, token: str) -> None:
        page = await self.firefox.new_tab(self.url("options.html"))
        await page.wait_for("() => document.getElementById('backend-url').value !== ''")
        await page.evaluate("(b, t) => { document.getElementById('backend-url').value = b;"
                            " document.getElementById('token').value = t; }", backend, token)
        await page.click("#save")
        await page.wait_for("() => document.getElementById('status').textContent === '✓ Saved.'",
                            what="the settings to be saved")
        await page.close()


async def expect_state(popup: Tab, state: str, timeout: float = 10.0) -> None:
    try:
        await popup.wait_for("(s) => document.getElementById('content').dataset.state === s", state,
                             timeout=timeout)
    except AssertionError as exc:
        text = await popup.text("#content")
        raise AssertionError(f"popup not in state {state!r}; it shows:\n{text}") from exc


AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => (await axe.run(document, {runOnly: {type: 'tag', values:
    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})).violations.map((v) =>
    ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary)}))"""


async def shot(tab: Tab, name: str) -> None:
    """Every state a test screenshots is also checked by axe-core in Firefox: zero violations."""
    assert AXE.exists(), "axe-core is not installed: run `make setup` (npm ci)"
    if await tab.evaluate("() => typeof axe") == "undefined":
        await tab.run_script(AXE.read_text())
    violations = await tab.evaluate(AXE_RUN)
    assert violations == [], f"{name}: {json.dumps(violations, indent=1)}"
    await tab.screenshot(ARTIFACTS / f"{name}.png")


@pytest.fixture(scope="module")
async def ff(tmp_path_factory, fake_web):
    executable = find_firefox()
    if executable is None:
        pytest.fail("Firefox not found: `make setup` installs Debian's firefox-esr")
    tmp = tmp_path_factory.mktemp("extension-firefox")
    fake_web.add_page(REQUESTED, SHOP, (
        "<!doctype html><title>Shop</title><h1>Shop</h1>"
        '<img alt="" src="https://cdn.segment.com/v1/cw-ff-shop.gif">'
        '<img alt="" src="https://widgets.outbrain.com/cw-ff-shop.gif">'))
    ext_uuid = str(uuid.uuid4())
    write_profile(tmp / "profile", {
        **QUIET_PREFS, **fake_internet_prefs(fake_web.http_port, fake_web.https_port),
        # A fixed moz-extension:// origin for the extension's pages.
        "extensions.webextensions.uuids": json.dumps({GECKO_ID: ext_uuid}),
        # permissions.request() answers without a doorhanger a headless test can't click.
        "extensions.webextOptionalPermissionPrompts": False,
    })
    async with running_service(tmp, fake_web) as service:
        firefox = await Firefox(executable, tmp / "profile").start()
        try:
            assert int(firefox.version.split(".")[0]) >= 140, firefox.version
            assert await firefox.install_extension(EXTENSION) == GECKO_ID
            # Every visit fetches afresh, so the fake internet's log is what each tab contacted.
            await firefox.send("network.setCacheBehavior", {"cacheBehavior": "bypass"})
            env = FirefoxEnv(firefox, ext_uuid, service, fake_web)
            await (await env.helper()).wait_for("() => typeof browser.runtime.getURL === 'function'")
            for domain in (AUDITED, NO_POLICY):
                await service.queue(domain)
            await env.settings(service.base, service.token)
            yield env
        finally:
            await firefox.close()


# ---------------------------------------------------------------------------------- the background
async def test_background_runs_as_scripts_with_session_storage(ff: FirefoxEnv):
    # Firefox has no extension service workers: the manifest's background.scripts run in an event
    # page; storage.session exists (Firefox 115+) and the host permission was granted at install.
    info = await ff.ext("""async () => ({
        session: typeof browser.storage.session?.get,
        all: await browser.permissions.contains({origins: ['<all_urls>']}),
        manifest: browser.runtime.getManifest().background,
    })""")
    assert info["session"] == "function"
    assert info["all"] is True
    assert info["manifest"]["scripts"][-1] == ff.url("background.js")


# ------------------------------------------------------------------------------ options and errors
async def test_options_then_backend_unreachable(ff: FirefoxEnv):
    dead = f"http://127.0.0.1:{free_port()}"
    await ff.settings(dead, "")
    tab, tab_id, _ = await ff.browse(f"https://{AUDITED}/")
    popup = await ff.popup(f"tabId={tab_id}")
    await expect_state(popup, "unreachable")
    assert await popup.text("#backend-url") == dead
    assert await popup.text("#site") == AUDITED
    await shot(popup, "unreachable")
    await ff.settings(ff.service.base, ff.service.token)
    await ff.service.audited(AUDITED)
    await popup.click("#retry")
    await expect_state(popup, "result")
    await popup.close()
    await tab.close()


async def test_options_page(ff: FirefoxEnv):
    page = await ff.firefox.new_tab(ff.url("options.html"))
    await page.wait_for("(b) => document.getElementById('backend-url').value === b", ff.service.base)
    assert await page.evaluate("() => document.querySelector('input[name=badge]:checked').value") == "grade"
    await page.click("#test")
    await page.wait_for("() => document.getElementById('status').textContent.startsWith('✓ Reached consentwatch')",
                        what="the service reached")
    await shot(page, "options")
    await page.close()


async def test_browser_internal_page(ff: FirefoxEnv):
    tab = await ff.firefox.new_tab("about:blank")
    tabs = await ff.ext("async () => (await browser.tabs.query({})).map((t) => [t.id, t.url])")
    blank = [i for i, u in tabs if not u]  # without the "tabs" permission Firefox hides about: URLs
    assert blank, tabs
    popup = await ff.popup(f"tabId={blank[-1]}")
    await expect_state(popup, "internal")
    assert await popup.text("#site") == "No website"
    assert "is part of the browser, not a website" in await popup.text("#content")
    await shot(popup, "internal-page")
    await popup.close()
    await tab.close()


# ------------------------------------------------------------------------------------- audited sites
async def test_audited_site_result_and_live_requests(ff: FirefoxEnv):
    summary, _ = await ff.service.audited(AUDITED)
    tab, tab_id, fetched = await ff.browse(f"https://{AUDITED}/")
    popup = await ff.popup(f"tabId={tab_id}")
    await expect_state(popup, "result")
    assert await popup.text("#insight") == summary["summary"]
    assert await popup.text(".count-undeclared .number") == str(summary["counts"]["undeclared"])
    assert await popup.text("#audit-meta time") == "just now"
    # Firefox's webRequest (originUrl/documentUrl, its own types) records what Firefox fetched.
    assert len(fetched) >= 5, fetched
    listed = "() => [...document.querySelectorAll('.live-parties .party')].map((e) => e.dataset.domain)"
    try:
        await popup.wait_for(f"() => ({listed})().length === {len(fetched)}", what="every contacted party listed")
    finally:
        assert set(await popup.evaluate(listed)) == fetched
    assert await popup.text("#live-sentence") == f"All {len(fetched)} third parties this tab contacted are in our audit."
    # The toolbar badge: Firefox resets a tab's badge on navigation; it is set again once loaded.
    await ff.expect_badge(tab_id, summary["grade"]["letter"])
    await popup.click(".section-undeclared .disclosure-button")
    assert await popup.evaluate(
        "() => document.querySelector('.section-undeclared .disclosure-button').getAttribute('aria-expanded')") == "true"
    await shot(popup, "result-expanded")
    await popup.close()
    await tab.close()


async def test_no_policy_found(ff: FirefoxEnv):
    _summary, _ = await ff.service.audited(NO_POLICY)
    tab, tab_id, _ = await ff.browse(f"https://{NO_POLICY}/")
    popup = await ff.popup(f"tabId={tab_id}")
    await expect_state(popup, "no-policy")
    assert await popup.text(".count-declared .number") == "—"
    assert await popup.text("#policy-link-missing") == "No privacy policy found"
    await shot(popup, "no-policy")
    await popup.close()
    await tab.close()


# -------------------------------------------------------------- not audited → request → result, live
async def test_request_audit_then_result_and_live_parties_not_in_audit(ff: FirefoxEnv):
    async with ff.service.http.get(f"/v1/sites/{REQUESTED}/summary") as r:
        assert r.status == 404
    tab, tab_id, fetched = await ff.browse(f"https://{REQUESTED}{SHOP}")
    assert fetched == {"segment.com", "outbrain.com"}
    popup = await ff.popup(f"tabId={tab_id}")
    await expect_state(popup, "not-audited")
    assert await popup.text("#live-sentence") == "This tab contacted 2 third parties."
    # Never audited: the companies behind them, from the service's knowledge map.
    await popup.wait_for("() => !!document.getElementById('live-companies')", what="the companies named")
    # Segment is reported under its parent Twilio, as an audit of the site would name it.
    assert await popup.text("#live-companies") == "Companies behind them: Outbrain, Twilio."
    await ff.expect_badge(tab_id, "?")
    await shot(popup, "not-audited")
    await popup.click("#request-audit")
    await expect_state(popup, "running")
    await shot(popup, "audit-running")
    await expect_state(popup, "result", timeout=120)
    summary = await ff.service.api(f"/v1/sites/{REQUESTED}/summary")
    assert await popup.text("#insight") == summary["summary"]
    await popup.wait_for("() => document.getElementById('live-sentence')?.textContent.includes('not in our audit')",
                         what="the live view compared with the new audit")
    assert await popup.text("#live-sentence") == "2 third parties not in our audit (of 2 this tab contacted)."
    await ff.expect_badge(tab_id, summary["grade"]["letter"])
    await shot(popup, "live-not-in-audit")
    await popup.close()
    await tab.close()


# ------------------------------------------------------------------ host access a user can withhold
async def test_site_access_withheld_then_allowed(ff: FirefoxEnv):
    # Firefox lets a user take back "Access your data for all websites" (about:addons →
    # Permissions). Then the tab's address is hidden and webRequest sees nothing: the popup must
    # say so and ask, not call the site a browser page or show an empty live list.
    await ff.service.audited(AUDITED)
    assert await ff.ext("() => browser.permissions.remove({origins: ['<all_urls>']})") is True
    try:
        tab, tab_id, fetched = await ff.browse(f"https://{AUDITED}/")
        assert fetched
        stored = await ff.ext("(k) => browser.storage.session.get(k)", f"tab:{tab_id}")
        assert stored == {}  # no access, no requests seen
        popup = await ff.popup(f"tabId={tab_id}")
        await expect_state(popup, "needs-access")
        assert await popup.text("#site") == "Site hidden by the browser"  # not "No website": we can't tell
        await shot(popup, "needs-access")
        await popup.click("#allow-access")  # a real click: permissions.request needs the gesture
        await expect_state(popup, "result")
        assert await popup.text("#site") == AUDITED
        # Allowed after the page loaded: nothing was recorded, so the live view asks for a reload.
        assert "Reload to see live requests" in await popup.text("#live-reload")
        await popup.click("#reload-tab")
        await popup.wait_for("() => document.querySelectorAll('.live-parties .party').length > 0",
                             what="the reloaded tab's requests")
    finally:
        await ff.grant()
    assert await ff.ext("() => browser.permissions.contains({origins: ['<all_urls>']})") is True
    await popup.close()
    await tab.close()



async def test_access_to_one_site_only_shows_the_audit_and_asks_for_the_rest(ff: FirefoxEnv):
    # Firefox's "Always allow on this site": the tab's address is known, but the requests to
    # third parties are not seen. The live view must not say "no third parties": it asks.
    await ff.service.audited(AUDITED)
    assert await ff.ext("() => browser.permissions.remove({origins: ['<all_urls>']})") is True
    try:
        await ff.grant(f"*://{AUDITED}/*")
        tab, tab_id, fetched = await ff.browse(f"https://{AUDITED}/")
        assert fetched
        popup = await ff.popup(f"tabId={tab_id}")
        await expect_state(popup, "result")
        assert await popup.text("#site") == AUDITED
        assert "No access to websites" in await popup.text("#live-access")
        assert await popup.evaluate("() => document.querySelectorAll('.live-parties, #live-sentence').length") == 0
        await shot(popup, "live-needs-access")
        await popup.click("#allow-live-access")
        await popup.wait_for("() => !!document.getElementById('live-reload')", what="the popup reloaded with access")
        await expect_state(popup, "result")
    finally:
        await ff.grant()
    await popup.close()
    await tab.close()
