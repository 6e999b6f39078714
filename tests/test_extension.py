"""The browser extension (extension/), end to end: real Chromium with the unpacked extension, the
real service on loopback with a real SQLite store, real audits of fake-internet sites crawled by
the service itself, and the popup as a user sees it in every state.

Screenshots of each state go to artifacts/extension/ (git-ignored).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from extension_service import Service, running_service
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from crawler.browser import QUIET_ARGS, find_chromium
from model.domains import host_of, registrable_domain

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
EXTENSION = REPO / "extension"
ARTIFACTS = REPO / "artifacts" / "extension"
AUDITED = "cirruswaycharter.com"  # a demo company: undeclared trackers, declared-not-seen, GPC ignored
NO_POLICY = "no-policy-here.com"
REQUESTED = "ridgelofthosting.com"  # audited through the popup's Request audit button
SHOP = "/cw-extension/shop"  # a page on REQUESTED that contacts parties its homepage doesn't
POPUP_VIEWPORT = {"width": 360, "height": 600}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Env:
    def __init__(self, ctx: BrowserContext, ext_id: str, service: Service, web):
        self.ctx, self.ext_id, self.service, self.web = ctx, ext_id, service, web
        self.http, self.base, self.token = service.http, service.base, service.token
        self.api, self.queue, self.wait_job, self.audited = service.api, service.queue, service.wait_job, service.audited

    def url(self, page: str) -> str:
        return f"chrome-extension://{self.ext_id}/{page}"

    async def helper_page(self) -> Page:
        """An extension page to call extension APIs from (tabs, storage); not the options page,
        which runtime.openOptionsPage() would focus instead of opening."""
        for page in self.ctx.pages:
            if page.url == self.url("how.html") and not page.is_closed():
                return page
        page = await self.ctx.new_page()
        await page.goto(self.url("how.html"))
        return page

    async def tab_id(self, page: Page) -> int:
        helper = await self.helper_page()
        tabs = await helper.evaluate("chrome.tabs.query({})")
        ids = [t["id"] for t in tabs if t.get("url") == page.url]
        assert len(ids) == 1, (page.url, tabs)
        return ids[0]

    async def browse(self, url: str) -> tuple[Page, set[str]]:
        """Opens url in a new tab; returns the page and the third-party sites its requests went to
        (as Playwright saw them: the ground truth for what webRequest should have recorded)."""
        page = await self.ctx.new_page()
        seen: set[str] = set()
        page.on("request", lambda req: seen.add(req.url))
        await page.goto(url, wait_until="load")
        await page.wait_for_timeout(1500)  # late requests (beacons, pixels fired after load)
        site = registrable_domain(host_of(url))
        parties = {registrable_domain(host_of(u)) for u in seen if u.startswith(("http://", "https://"))}
        return page, parties - {site}

    async def popup(self, *, tab: Page | None = None, domain: str | None = None, name: str | None = None) -> Page:
        query = f"tabId={await self.tab_id(tab)}" if tab is not None else f"domain={domain}"
        page = await self.ctx.new_page()
        await page.set_viewport_size(POPUP_VIEWPORT)
        await page.goto(self.url(f"popup.html?{query}"))
        await expect(page.locator("#content")).to_have_attribute("aria-busy", "false")
        return page

    async def settings(self, backend: str, token: str) -> Page:
        page = await self.ctx.new_page()
        await page.goto(self.url("options.html"))
        await page.get_by_label("Service URL").fill(backend)
        await page.get_by_label("API token").fill(token)
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("#status")).to_have_text("✓ Saved.")
        return page


async def expect_state(popup: Page, state: str, timeout: float = 5_000) -> None:
    """The popup reaches a state (its #content data-state); on failure, say what it shows instead."""
    try:
        await expect(popup.locator("#content")).to_have_attribute("data-state", state, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"popup not in state {state!r}; it shows:\n{await popup.locator('#content').inner_text()}"
                             ) from exc


AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => (await axe.run(document, {runOnly: {type: 'tag', values:
    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})).violations.map((v) =>
    ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary)}))"""


async def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.2 A/AA and best-practice rules on the page as it is now."""
    assert AXE.exists(), "axe-core is not installed: run `make setup` (npm ci)"
    if await page.evaluate("typeof axe") == "undefined":
        await page.evaluate(AXE.read_text())  # evaluated, not a <script>: the pages' CSP stays as shipped
    return await page.evaluate(AXE_RUN)


async def shot(page: Page, name: str) -> None:
    """Every state a test screenshots is also checked by axe-core: zero violations."""
    violations = await axe_violations(page)
    assert violations == [], f"{name}: {json.dumps(violations, indent=1)}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def chromium_launch_kwargs() -> dict:
    executable = find_chromium(headless_shell=False)  # the headless shell cannot load extensions
    return {"executable_path": executable} if executable else {"channel": "chromium"}


@pytest.fixture(scope="module")
async def env(tmp_path_factory, fake_web):
    tmp = tmp_path_factory.mktemp("extension")
    fake_web.add_page(REQUESTED, SHOP, (
        "<!doctype html><title>Shop</title><h1>Shop</h1>"
        '<img alt="" src="https://www.googletagmanager.com/cw-shop.gif">'  # Google's: in the audit
        '<img alt="" src="https://cdn.segment.com/v1/cw-shop.gif">'  # not in the homepage's audit
        '<img alt="" src="https://widgets.outbrain.com/cw-shop.gif">'))  # nor this
    late_copy = tmp / "late-extension"  # installed mid-test by test_installed_after_the_page_loaded
    shutil.copytree(EXTENSION, late_copy)
    args = [*QUIET_ARGS, f"--disable-extensions-except={EXTENSION},{late_copy}", f"--load-extension={EXTENSION}",
            "--enable-unsafe-extension-debugging", *fake_web.chromium_args]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    async with running_service(tmp, fake_web) as service, async_playwright() as p:
        ctx = await p.chromium.launch_persistent_context(
            str(tmp / "profile"), headless=True, args=args, ignore_default_args=["--disable-extensions"],
            **chromium_launch_kwargs())
        worker = ctx.service_workers[0] if ctx.service_workers else await ctx.wait_for_event("serviceworker")
        assert await worker.evaluate("typeof cwLive") == "object"  # listeners registered before we browse
        e = Env(ctx, worker.url.split("/")[2], service, fake_web)
        e.late_copy = late_copy
        for domain in (AUDITED, NO_POLICY):  # real crawls by the service, worked while the first tests run
            await e.queue(domain)
        yield e
        await ctx.close()


# ---------------------------------------------------------------------------------------------- lint
def test_web_ext_lint_passes():
    npm = shutil.which("npm")
    assert npm, "npm not found: the extension's lint needs Node.js 20+ and npm (then run `make setup`)"
    web_ext = REPO / "node_modules" / ".bin" / "web-ext"
    assert web_ext.exists(), "web-ext is not installed: run `make setup` (npm ci) at the repo root"
    run = subprocess.run([str(web_ext), "lint", "--source-dir", str(EXTENSION), "--output", "json",
                          "--no-config-discovery"], capture_output=True, text=True, timeout=180, cwd=REPO,
                         env={**os.environ, "NO_UPDATE_NOTIFIER": "1"})
    result = json.loads(run.stdout)
    assert run.returncode == 0 and result["errors"] == [], result["errors"]
    # The one expected warning: Firefox ignores background.service_worker (it runs background.scripts).
    assert {w["code"] for w in result["warnings"]} <= {"BACKGROUND_SERVICE_WORKER_IGNORED"}, result["warnings"]
    assert result["notices"] == []
    check = subprocess.run(["node", "extension/tools/vendor.mjs", "--check"], capture_output=True, text=True, cwd=REPO)
    assert check.returncode == 0, check.stderr


def test_no_server_strings_become_markup():
    # textContent only: no innerHTML/outerHTML/insertAdjacentHTML/document.write anywhere in our code.
    ours = [p for p in EXTENSION.rglob("*.js") if "vendor" not in p.parts]
    assert ours
    for path in ours:
        text = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in text, f"{path.relative_to(REPO)} uses {sink}"
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    csp = manifest["content_security_policy"]["extension_pages"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe" not in csp


# ------------------------------------------------------------------------------------ options, errors
async def test_options_then_backend_unreachable(env: Env):
    page = await env.ctx.new_page()
    await page.goto(env.url("options.html"))
    await expect(page.locator("#default-backend")).to_have_text("http://127.0.0.1:8787")  # the service's default
    await expect(page.get_by_label("Service URL")).to_have_value("http://127.0.0.1:8787")

    await page.get_by_label("Service URL").fill("ftp://example.com")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#status")).to_contain_text("✗ Not saved")
    await expect(page.get_by_label("Service URL")).to_have_attribute("aria-invalid", "true")

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    await page.close()
    options = await env.settings(dead, "")
    await options.close()
    tab, _ = await env.browse(f"https://{AUDITED}/")
    popup = await env.popup(tab=tab)
    await expect_state(popup, "unreachable")
    await expect(popup.get_by_role("heading", name="Can't reach the consentwatch service")).to_be_visible()
    await expect(popup.locator("#backend-url")).to_have_text(dead)
    await expect(popup.locator("#site")).to_have_text(AUDITED)
    await shot(popup, "unreachable")
    async with env.ctx.expect_page() as opened:
        await popup.get_by_role("link", name="Open settings").click()
    settings_page = await opened.value
    await settings_page.wait_for_load_state()
    assert settings_page.url == env.url("options.html")
    await expect(settings_page.get_by_label("Service URL")).to_have_value(dead)

    # Point it at the real service: saved, and "Test connection" reaches it.
    await settings_page.get_by_label("Service URL").fill(env.base + "/")
    await settings_page.get_by_label("API token").fill(env.token)
    await settings_page.get_by_role("button", name="Save").click()
    await expect(settings_page.locator("#status")).to_have_text("✓ Saved.")
    await expect(settings_page.get_by_label("Service URL")).to_have_value(env.base)  # normalised
    await settings_page.get_by_role("button", name="Test connection").click()
    await expect(settings_page.locator("#status")).to_contain_text("✓ Reached consentwatch")
    await shot(settings_page, "options")
    await settings_page.reload()
    await expect(settings_page.get_by_label("API token")).to_have_value(env.token)
    await env.audited(AUDITED)  # the crawl queued at start has finished
    await popup.get_by_role("button", name="Try again").click()
    await expect_state(popup, "result")
    for p in (popup, settings_page, tab):
        await p.close()


async def test_browser_internal_page(env: Env):
    tab = await env.ctx.new_page()
    await tab.goto("about:blank")
    helper = await env.helper_page()
    tabs = await helper.evaluate("chrome.tabs.query({})")
    blank = [t["id"] for t in tabs if not t.get("url")]  # no host permission there: the browser hides the URL
    assert blank
    popup = await env.ctx.new_page()
    await popup.set_viewport_size(POPUP_VIEWPORT)
    await popup.goto(env.url(f"popup.html?tabId={blank[-1]}"))
    await expect_state(popup, "internal")
    await expect(popup.get_by_role("heading", name="Nothing to audit on this page")).to_be_visible()
    await expect(popup.locator("#site")).to_have_text("No website")
    await expect(popup.locator("#report-link")).to_be_hidden()
    await shot(popup, "internal-page")
    await popup.close()
    await tab.close()


# --------------------------------------------------------------------------------------- audited site
async def test_audited_site_result_and_live_requests(env: Env):
    summary, report = await env.audited(AUDITED)
    tab, contacted = await env.browse(f"https://{AUDITED}/")
    popup = await env.popup(tab=tab)
    content = popup.locator("#content")
    await expect_state(popup, "result")

    # Header: site, audited-at, policy link.
    await expect(popup.locator("#site")).to_have_text(AUDITED)
    when = popup.locator("#audit-meta time")
    await expect(when).to_have_text("just now")
    iso = await when.get_attribute("datetime")
    assert iso.startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(summary["audited_at"])))
    await expect(popup.get_by_role("link", name="Privacy policy")).to_have_attribute("href", summary["policy_url"])
    await expect(popup.get_by_role("link", name="Full report")).to_have_attribute(
        "href", f"{env.base}/v1/sites/{AUDITED}/report.html")

    # One sentence first: the service's own key insight.
    assert summary["counts"]["undeclared"] >= 1
    await expect(popup.locator("#insight")).to_have_text(summary["summary"])
    assert "doesn't mention" in summary["summary"]
    first = await content.evaluate("el => el.querySelector('section > :not(h2)').id")
    assert first == "insight"

    # Counts.
    counts = summary["counts"]
    for key, label, value in (("declared", "Declared", counts["declared"]), ("loaded", "Loaded", counts["loaded"]),
                              ("undeclared", "Undeclared", counts["undeclared"]),
                              ("not-seen", "Declared, not seen", counts["declared_not_seen"])):
        await expect(popup.locator(f".count-{key} dt")).to_have_text(label)
        await expect(popup.locator(f".count-{key} .number")).to_have_text(str(value))

    # Signals: what the policy says vs what was seen, verdicts with a symbol and words.
    gpc = popup.locator('tr[data-signal="gpc"]')
    assert summary["signals"]["gpc"]["contradicted"]
    await expect(gpc.locator("td").nth(1)).to_have_text(summary["signals"]["gpc"]["observed"])
    await expect(gpc.locator("th")).to_have_text("Global Privacy Control✗ Not honoured")
    await expect(gpc.locator(".verdict")).to_have_text("✗ Not honoured")
    await expect(gpc.locator(".verdict-bad .symbol")).to_have_attribute("aria-hidden", "true")
    dnt = popup.locator('tr[data-signal="dnt"]')
    await expect(dnt.locator("td").first).to_have_text("Doesn't mention it")  # the policy is silent on DNT
    sale_quote = report["policy"]["analysis"]["sale"]["evidence"][0]
    toggle = popup.get_by_role("button", name="Quote the policy's sentence on Selling data")
    await expect(popup.locator('tr[data-signal="sale"] q')).to_be_hidden()
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(popup.locator('tr[data-signal="sale"] q')).to_have_text(sale_quote)
    # This site shows no cookie banner; whether the audit ran banner visits depends on the crawler's visits.
    banner_signal, banner = summary["signals"].get("banner"), summary["banner"]
    assert banner in (None, "no_banner"), banner
    banner_row = popup.locator('tr[data-signal="banner"]')
    await expect(banner_row.locator("td").nth(1)).to_have_text(
        banner_signal["observed"] if banner_signal else "No reject visit in this audit" if banner is None
        else "No cookie banner shown")
    await expect(banner_row.locator(".verdict")).to_have_text("– Not tested" if banner is None else "– No banner shown")

    # Sections: disclosure buttons, collapsed until asked.
    undeclared_known = [t for t in report["trackers"] if t["declared"] in ("none", "negated")
                        and t["source"] != "unattributed" and (t["product_id"] or t["company_id"])]
    assert len(undeclared_known) == counts["undeclared"]
    button = popup.get_by_role("button", name="Loaded but not declared")
    await expect(button).to_have_attribute("aria-expanded", "false")
    await expect(button.locator(".count-badge")).to_have_text(str(counts["undeclared"]))
    await button.focus()
    await popup.keyboard.press("Enter")  # keyboard reachable
    await expect(button).to_have_attribute("aria-expanded", "true")
    panel = popup.locator(f"#{await button.get_attribute('aria-controls')}")
    await expect(panel).to_be_visible()
    tracker = undeclared_known[0]
    await expect(panel.locator(".company")).to_contain_text([tracker["company_name"]])
    await expect(panel.locator(".tracker-line").first).to_contain_text(f"✗ {tracker['name']}")
    await expect(panel.locator(".category").first).to_have_text(tracker["category"].replace("-", " "))
    evidence = panel.get_by_role("button", name=f"Evidence for {tracker['name']}")
    await evidence.click()
    urls = panel.locator(".evidence code")
    await expect(urls).to_have_text(tracker["evidence_urls"])
    copy = panel.get_by_role("button", name=f"Copy URL {tracker['evidence_urls'][0]}")
    await copy.click()
    await expect(copy).to_have_text("Copied")
    # What a user would do next: paste it somewhere.
    await tab.bring_to_front()
    await tab.evaluate("document.body.append(Object.assign(document.createElement('textarea'), {id: 'paste'}))")
    await tab.focus("#paste")
    await tab.keyboard.press("Control+V")
    assert await tab.input_value("#paste") == tracker["evidence_urls"][0]
    await popup.bring_to_front()

    declared = [t for t in report["trackers"] if t["declared"] not in ("none", "negated")
                and t["source"] != "unattributed" and (t["product_id"] or t["company_id"])]
    await popup.get_by_role("button", name="Declared and loaded").click()
    section = popup.locator(".section-declared-loaded .disclosure-panel")
    await expect(section.locator(".tracker")).to_have_count(len(declared))
    ga = next(t for t in declared if t["product_id"] == "google-analytics")
    ga_item = section.locator(".tracker", has_text="Google Analytics")
    await expect(ga_item.locator(".verdict")).to_have_text("✓ Google Analytics")
    await expect(ga_item.locator("q")).to_have_text(ga["declaration_sentence"])  # the sentence it rests on
    vague = next(t for t in declared if t["declared"] == "category")
    await expect(section.locator(".tracker", has_text=vague["name"]).locator(".finding")).to_contain_text(
        "only a vague category")

    not_seen = report["declared_not_seen"]
    assert not_seen
    await popup.get_by_role("button", name="Declared but not seen").click()
    item = popup.locator(".section-not-seen .tracker").first
    await expect(item.locator(".verdict")).to_have_text(f"– {not_seen[0]['name']}")
    await expect(item.locator("q")).to_have_text(not_seen[0]["sentence"])

    # Live on this tab: the third parties webRequest saw are the ones Playwright saw, and the
    # homepage the audit visited contacts nothing the audit missed.
    assert len(contacted) >= 5, contacted
    parties = popup.locator(".live-parties .party")
    await expect(parties).to_have_count(len(contacted))
    assert set(await parties.evaluate_all("els => els.map(e => e.dataset.domain)")) == contacted
    await expect(popup.locator("#live-sentence")).to_have_text(
        f"All {len(contacted)} third parties this tab contacted are in our audit.")
    hotjar = popup.locator('.party[data-domain="hotjar.com"]')
    await expect(hotjar.locator(".verdict")).to_have_text("✓ in audit")
    await expect(hotjar.locator(".note")).to_have_text(re.compile(r"^Hotjar · \d+ requests?$"))
    await expect(popup.get_by_role("button", name="Re-audit")).to_have_count(0)
    await shot(popup, "result-expanded")
    for name in ("Loaded but not declared", "Declared and loaded", "Declared but not seen"):
        await popup.get_by_role("button", name=name).click()
        await expect(popup.get_by_role("button", name=name)).to_have_attribute("aria-expanded", "false")
    await popup.evaluate("window.scrollTo(0, 0)")
    await popup.screenshot(path=str(ARTIFACTS / "result.png"))  # as the 360×600 popup shows it
    await popup.close()
    await tab.close()


async def test_top_findings_name_the_rules_they_may_touch(env: Env):
    # Issue 14 §5: one "Rules this may touch" line per top finding, only official https texts as links,
    # and the report's "not legal advice" wording beside them.
    await (await env.settings(env.base, env.token)).close()
    summary, _ = await env.audited(AUDITED)
    with_rules = [f for f in summary["top_findings"] if f["references"]]
    assert with_rules and "not legal advice" in summary["legal_notice"]
    popup = await env.popup(domain=AUDITED)
    await expect_state(popup, "result")
    items = popup.locator("#top-findings li.top-finding")
    await expect(items).to_have_count(len(summary["top_findings"]))
    for finding in with_rules:
        line = popup.locator(f'#top-findings li[data-code="{finding["code"]}"] .rules').first
        await expect(line).to_contain_text("Rules this may touch: ")
        for ref in finding["references"]:
            link = line.locator(f'a[data-rule="{ref["id"]}"]')
            await expect(link).to_have_text(f'{ref["instrument"]} {ref["article"]}')
            await expect(link).to_have_attribute("href", ref["url"])
    await expect(popup.locator("#top-findings .rules-notice")).to_have_text(summary["legal_notice"])
    await shot(popup, "top-findings-rules")
    await popup.close()


async def test_no_policy_found(env: Env):
    summary, _ = await env.audited(NO_POLICY)
    assert summary["policy_found"] is False
    tab, _ = await env.browse(f"https://{NO_POLICY}/")
    popup = await env.popup(tab=tab)
    await expect_state(popup, "no-policy")
    await expect(popup.locator("#insight")).to_have_text(summary["summary"])
    await expect(popup.locator("#no-policy")).to_contain_text("found none, so there is nothing to compare")
    await expect(popup.locator("#policy-link-missing")).to_have_text("No privacy policy found")
    # Never "0 declared": there is nothing a policy could have declared.
    await expect(popup.locator(".count-declared .number")).to_have_text("—")
    await expect(popup.locator(".count-declared .note")).to_have_text("no policy")
    await expect(popup.locator(".count-not-seen .number")).to_have_text("—")
    await expect(popup.locator(".count-loaded .number")).to_have_text(str(summary["counts"]["loaded"]))
    await expect(popup.get_by_role("button", name="Loaded but not declared")).to_have_count(0)
    await expect(popup.locator('tr[data-signal="gpc"] .verdict')).to_have_text("– Nothing to check against")
    await shot(popup, "no-policy")
    await popup.close()
    await tab.close()


# ------------------------------------------------------------------- not audited → request → result
async def test_request_audit_running_then_result(env: Env):
    async with env.http.get(f"/v1/sites/{REQUESTED}/summary") as r:
        assert r.status == 404  # really not audited yet
    # Without a token the button can't work: it says so instead of failing later.
    await (await env.settings(env.base, "")).close()
    tab, _ = await env.browse(f"https://{REQUESTED}/")
    popup = await env.popup(tab=tab)
    await expect_state(popup, "not-audited")
    await expect(popup.get_by_role("heading", name="Not audited yet")).to_be_visible()
    await expect(popup.get_by_role("button", name="Request audit")).to_be_disabled()
    await expect(popup.locator("#token-needed")).to_contain_text("needs an API token")
    await popup.close()
    await env.settings(env.base, env.token)

    # Keep the service's single worker busy with a hanging site, so "queued" is a state we can see.
    blocker = await env.queue("hanging-site.com")
    await env.wait_job(blocker["url"], {"running"}, timeout=30)
    popup = await env.popup(tab=tab)
    await expect_state(popup, "not-audited")
    # Live requests work without any audit: the tab's third parties, no comparison.
    await expect(popup.locator("#live-sentence")).to_contain_text("This tab contacted")
    await expect(popup.locator(".party .verdict")).to_have_count(0)
    await shot(popup, "not-audited")
    await expect_badge(env, await env.tab_id(tab), "?")
    await popup.get_by_role("button", name="Request audit").click()
    await expect_state(popup, "running")
    await expect(popup.get_by_role("heading", name="Audit running")).to_be_visible()
    await expect(popup.locator("#job-progress")).to_have_text("Queued, starting soon…")
    jobs = (await env.api("/v1/crawls?state=queued"))["jobs"]
    assert [j["domain"] for j in jobs] == [REQUESTED]  # the popup's POST really queued it
    # Opened again meanwhile, the popup finds the job at the service.
    again = await env.popup(tab=tab)
    await expect_state(again, "running")
    await shot(again, "audit-running")
    await again.close()

    async with env.http.delete(blocker["url"], headers={"Authorization": f"Bearer {env.token}"}) as r:
        assert r.status == 200
    await expect(popup.locator("#job-progress")).to_have_text("Visiting the site in a browser…", timeout=30_000)
    await expect_state(popup, "result", timeout=120_000)
    summary = await env.api(f"/v1/sites/{REQUESTED}/summary")
    await expect(popup.locator("#insight")).to_have_text(summary["summary"])
    await expect(popup.locator(".count-undeclared .number")).to_have_text(str(summary["counts"]["undeclared"]))
    await expect(popup.locator("#audit-meta time")).to_have_text("just now")
    await expect(popup.locator("#live-sentence")).to_contain_text("in our audit")
    await expect_badge(env, await env.tab_id(tab), summary["grade"]["letter"])  # the audit landed: so did the badge
    await shot(popup, "result-after-request")
    await popup.close()
    await tab.close()


async def test_live_parties_not_in_audit_survive_a_sleeping_worker_and_reaudit(env: Env):
    report = await env.api(f"/v1/sites/{REQUESTED}/report")
    audit_sites = {registrable_domain(host_of(u)) for t in report["trackers"] for u in t["evidence_urls"]}
    assert "googletagmanager.com" in audit_sites and not {"segment.com", "outbrain.com", "taboola.com"} & audit_sites

    tab, contacted = await env.browse(f"https://{REQUESTED}{SHOP}")
    assert contacted == {"googletagmanager.com", "segment.com", "outbrain.com"}
    # The service worker goes to sleep; the page then contacts one more party: the worker wakes
    # on that request and must add it to what it stored before, not start over.
    helper = await env.helper_page()
    cdp = await env.ctx.new_cdp_session(helper)
    await cdp.send("ServiceWorker.enable")
    await cdp.send("ServiceWorker.stopAllWorkers")
    await cdp.detach()
    await tab.evaluate("fetch('https://cdn.taboola.com/libtrc/cw-late.js', {mode: 'no-cors'}).catch(() => null)")
    tab_id = await env.tab_id(tab)
    key = f"tab:{tab_id}"
    for _ in range(50):
        stored = (await helper.evaluate(f"chrome.storage.session.get('{key}')")).get(key)
        if stored and "taboola.com" in stored["parties"]:
            break
        await asyncio.sleep(0.1)
    assert stored["complete"] is True and set(stored["parties"]) == contacted | {"taboola.com"}, stored

    popup = await env.popup(tab=tab)
    await expect(popup.locator("#live-sentence")).to_have_text("3 third parties not in our audit (of 4 this tab contacted).")
    for domain in ("segment.com", "outbrain.com", "taboola.com"):
        await expect(popup.locator(f'.party[data-domain="{domain}"] .verdict')).to_have_text("✗ not in our audit")
    gtm = popup.locator('.party[data-domain="googletagmanager.com"]')
    await expect(gtm.locator(".verdict")).to_have_text("✓ in audit")
    await expect(gtm.locator(".note")).to_have_text("Google Analytics · 1 request")
    await popup.locator("#live").scroll_into_view_if_needed()
    await shot(popup, "live-not-in-audit")
    before = (await env.api(f"/v1/sites/{REQUESTED}/history"))["audits"]
    await popup.get_by_role("button", name="Re-audit").click()
    await expect_state(popup, "running")
    await expect_state(popup, "result", timeout=120_000)
    after = (await env.api(f"/v1/sites/{REQUESTED}/history"))["audits"]
    assert len(after) == len(before) + 1
    await expect(popup.locator("#live-sentence")).to_have_text("3 third parties not in our audit (of 4 this tab contacted).")
    await popup.close()
    await tab.close()


# ---------------------------------------------------------------------- installed after the page loaded
async def test_installed_after_the_page_loaded(env: Env):
    tab, contacted = await env.browse(f"https://{REQUESTED}{SHOP}")  # a quiet page: no requests after load
    assert len(contacted) == 3
    # Install the extension now (a second copy, from another directory: another id), as a user who
    # adds it while this page is open. It has seen none of the page's requests.
    assert env.ctx.browser is not None, "this Playwright gives no browser for a persistent context"
    cdp = await env.ctx.browser.new_browser_cdp_session()
    late_id = (await cdp.send("Extensions.loadUnpacked", {"path": str(env.late_copy)}))["id"]
    await cdp.detach()
    assert late_id != env.ext_id
    late = Env(env.ctx, late_id, env.service, env.web)
    for _ in range(100):
        if any(w.url.startswith(late.url("")) for w in env.ctx.service_workers):
            break
        await asyncio.sleep(0.1)
    await (await late.settings(env.base, env.token)).close()
    popup = await late.popup(tab=tab)
    await expect_state(popup, "result")
    await expect(popup.locator("#live-reload")).to_contain_text("Reload to see live requests")
    await expect(popup.locator(".live-parties")).to_have_count(0)
    await shot(popup, "reload-needed")
    await popup.get_by_role("button", name="Reload the page").click()
    await expect(popup.locator("#live-reload")).to_have_count(0, timeout=15_000)  # the popup updates live
    await expect(popup.locator(".live-parties .party")).to_have_count(len(contacted), timeout=15_000)
    assert set(await popup.locator(".party").evaluate_all("els => els.map(e => e.dataset.domain)")) == contacted
    await popup.close()
    await tab.close()


# ------------------------------------------------------------------------------------ toolbar badge
NEVER = "tunnelmoss.com"  # a demo site no test audits before test_never_audited_site_…
BADGE_COLOURS = {"good": "#116329", "fair": "#7d4e00", "poor": "#a40e26", "neutral": "#57606a"}


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def badge_of(env: Env, tab_id: int) -> dict:
    helper = await env.helper_page()
    return await helper.evaluate("""async (tabId) => {
        const hex = (c) => '#' + c.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('');
        return {text: await chrome.action.getBadgeText({tabId}),
                background: hex(await chrome.action.getBadgeBackgroundColor({tabId})),
                color: hex(await chrome.action.getBadgeTextColor({tabId})),
                title: await chrome.action.getTitle({tabId})};
    }""", tab_id)


async def expect_badge(env: Env, tab_id: int, text: str, timeout: float = 15.0) -> dict:
    """Waits for the tab's badge text; returns the badge (its colours pass WCAG AA when shown)."""
    deadline = time.monotonic() + timeout
    while True:
        badge = await badge_of(env, tab_id)
        if badge["text"] == text:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"badge of tab {tab_id} is {badge}, not {text!r}")
        await asyncio.sleep(0.1)
    if text:
        assert contrast(badge["background"], badge["color"]) >= 4.5, badge
    return badge


async def choose_badge(env: Env, mode: str) -> None:
    page = await env.ctx.new_page()
    await page.goto(env.url("options.html"))
    await page.locator(f'input[name="badge"][value="{mode}"]').check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#status")).to_have_text("✓ Saved.")
    await page.close()


async def test_toolbar_badge_per_tab_follows_navigation_and_settings(env: Env):
    await (await env.settings(env.base, env.token)).close()
    summary, _ = await env.audited(AUDITED)
    tab, _ = await env.browse(f"https://{AUDITED}/")
    tab_id = await env.tab_id(tab)
    badge = await expect_badge(env, tab_id, summary["grade"]["letter"])
    level = {"A": "good", "B": "good", "C": "fair"}.get(summary["grade"]["letter"], "poor")
    assert badge["background"] == BADGE_COLOURS[level]
    assert f"has grade {summary['grade']['letter']}" in badge["title"]

    # Navigating the same tab to a site never audited: a neutral mark, not a grade.
    await tab.goto(f"https://{NEVER}/")
    badge = await expect_badge(env, tab_id, "?")
    assert badge["background"] == BADGE_COLOURS["neutral"]
    assert "has not been audited yet" in badge["title"]
    # A browser page: nothing.
    await tab.goto("about:blank")
    await expect_badge(env, tab_id, "")
    await tab.goto(f"https://{AUDITED}/")
    await expect_badge(env, tab_id, summary["grade"]["letter"])

    # The setting: the number of undeclared trackers instead, or no badge at all.
    await choose_badge(env, "undeclared")
    badge = await expect_badge(env, tab_id, str(summary["counts"]["undeclared"]))
    assert badge["background"] == BADGE_COLOURS["poor" if summary["counts"]["undeclared"] else "good"]
    await choose_badge(env, "off")
    await expect_badge(env, tab_id, "")
    options = await env.ctx.new_page()
    await options.goto(env.url("options.html"))
    await expect(options.locator('input[name="badge"][value="off"]')).to_be_checked()
    await options.close()
    await choose_badge(env, "grade")
    await expect_badge(env, tab_id, summary["grade"]["letter"])
    await tab.close()


# ----------------------------------------------------------- sites never audited: knowledge, offline
async def never_audited_popup(env: Env, tab: Page) -> Page:
    popup = await env.popup(tab=tab)
    await expect_state(popup, "not-audited")
    return popup


async def test_never_audited_site_names_companies_by_category_offline_and_updates_when_audited(env: Env, tmp_path):
    async with env.http.get(f"/v1/sites/{NEVER}/summary") as r:
        assert r.status == 404
    domains = (await env.api("/v1/knowledge/domains"))["domains"]

    def known(host: str):
        labels = host.split(".")
        return next((domains[".".join(labels[i:])] for i in range(len(labels) - 1) if ".".join(labels[i:]) in domains),
                    None)

    page = await env.ctx.new_page()
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(host_of(req.url)) if req.url.startswith("http") else None)
    await page.goto(f"https://{NEVER}/", wait_until="load")
    await page.wait_for_timeout(1500)
    expected: dict[str, set[str]] = {}  # party → companies its hosts belong to
    for host in hosts - {None}:
        party = registrable_domain(host)
        if party != NEVER and known(host):
            expected.setdefault(party, set()).add(known(host)[1])
    assert len(expected) >= 3, (hosts, expected)

    # A service of its own, so that it can go away: the map is fetched once, then used offline.
    async with running_service(tmp_path, env.web) as other:
        await (await env.settings(other.base, other.token)).close()
        popup = await never_audited_popup(env, page)
        companies = popup.locator("#live-companies")
        await expect(companies).to_contain_text("Companies behind them: ")
        listed = await popup.locator(".party").evaluate_all(
            "els => Object.fromEntries(els.map(e => [e.dataset.domain, e.dataset.company || null]))")
        for party, names in expected.items():
            assert listed.get(party) in names, (party, listed.get(party), names)
        all_companies = sorted({c for c in listed.values() if c}, key=str.lower)
        await expect(companies).to_have_text(f"Companies behind them: {', '.join(all_companies)}.")
        categories = await popup.locator(".live-category").evaluate_all("els => els.map(e => e.dataset.category)")
        assert "advertising" in categories or "analytics" in categories, categories
        await shot(popup, "not-audited-known-companies")
        await popup.close()
    popup = await env.popup(tab=page)  # the service is gone now
    await expect_state(popup, "unreachable")
    await expect(popup.locator("#live-companies")).to_have_text(f"Companies behind them: {', '.join(all_companies)}.")
    await shot(popup, "unreachable-known-companies")
    await popup.close()

    # Back to the real service: the audit is requested elsewhere (not from this popup), and the
    # open popup follows it to the result without being reopened; the badge follows too.
    await (await env.settings(env.base, env.token)).close()
    tab_id = await env.tab_id(page)
    popup = await never_audited_popup(env, page)
    await expect_badge(env, tab_id, "?")
    await env.queue(NEVER)
    await expect_state(popup, "result", timeout=120_000)
    summary = await env.api(f"/v1/sites/{NEVER}/summary")
    await expect(popup.locator("#insight")).to_have_text(summary["summary"])
    await expect(popup.locator(".live-category")).to_have_count(0)  # compared with the audit now
    await expect_badge(env, tab_id, summary["grade"]["letter"])
    await popup.close()
    await page.close()


# ------------------------------------------------------------------------------ keyboard-only use
FOCUSABLE = """() => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
    .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length
            && getComputedStyle(el).visibility !== 'hidden')
    .filter((el) => el.type !== 'radio' || el.checked)
    .map((el) => el.id || el.getAttribute('aria-label') || el.textContent.trim())"""
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    return {name: el.id || el.getAttribute('aria-label') || el.textContent.trim(),
            visible: el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
}"""


async def tab_through(page: Page) -> list[str]:
    """Presses Tab from the top until focus leaves the page; every stop must show its focus."""
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    order: list[str] = []
    for _ in range(80):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused is None or (order and focused["name"] == order[0]):
            break
        assert focused["visible"], f"no visible focus on {focused['name']!r}"
        order.append(focused["name"])
    return order


async def test_keyboard_only_walkthrough(env: Env):
    await (await env.settings(env.base, env.token)).close()
    await env.audited(AUDITED)
    tab, _ = await env.browse(f"https://{AUDITED}/")
    popup = await env.popup(tab=tab)
    await expect_state(popup, "result")
    await expect(popup.locator(".section-undeclared")).to_be_visible()
    # Tab order is the reading order (no positive tabindex), every stop visibly focused.
    order = await tab_through(popup)
    assert order == await popup.evaluate(FOCUSABLE), order
    assert order[0] == "policy-link" and order[-3:] == ["report-link", "how-link", "settings-link"]
    # Disclosure buttons open and close from the keyboard and say so.
    button = popup.get_by_role("button", name="Loaded but not declared")
    await popup.evaluate("document.activeElement.blur()")
    while await popup.evaluate("document.activeElement?.textContent") != await button.text_content():
        await popup.keyboard.press("Tab")
    await popup.keyboard.press("Space")
    await expect(button).to_have_attribute("aria-expanded", "true")
    await popup.keyboard.press("Tab")  # into the panel it opened
    focused = await popup.evaluate(FOCUSED)
    assert focused["name"].startswith("Evidence for") and focused["visible"], focused
    await popup.keyboard.press("Enter")
    await expect(popup.locator(".evidence-disclosure .disclosure-button").first).to_have_attribute("aria-expanded", "true")
    await popup.keyboard.press("Shift+Tab")
    await popup.keyboard.press("Enter")
    await expect(button).to_have_attribute("aria-expanded", "false")
    await expect(popup.locator(".section-undeclared > .disclosure-panel")).to_be_hidden()
    await popup.close()
    await tab.close()

    # The options page: fields, the badge choice (one stop, arrows move within), the buttons.
    options = await env.ctx.new_page()
    await options.goto(env.url("options.html"))
    await expect(options.get_by_label("Service URL")).not_to_have_value("")
    order = await tab_through(options)
    assert order == await options.evaluate(FOCUSABLE), order
    assert order[:2] == ["backend-url", "token"] and order[3:] == ["save", "test", "How we check"], order
    await shot(options, "options-keyboard")
    await options.close()


async def test_badge_follows_an_audit_that_ends_with_the_popup_closed(env: Env):
    # Request audit, close the popup at once: the background watches the job (through a worker
    # that may be stopped meanwhile) and the tab's badge goes from "?" to the grade.
    site = "quaykitetech.com"
    await (await env.settings(env.base, env.token)).close()
    async with env.http.get(f"/v1/sites/{site}/summary") as r:
        assert r.status == 404
    tab, _ = await env.browse(f"https://{site}/")
    tab_id = await env.tab_id(tab)
    await expect_badge(env, tab_id, "?")
    popup = await env.popup(tab=tab)
    await expect_state(popup, "not-audited")
    await popup.get_by_role("button", name="Request audit").click()
    await expect_state(popup, "running")
    await popup.close()
    job = next(j for j in (await env.api("/v1/crawls?limit=50"))["jobs"] if j["domain"] == site)
    helper = await env.helper_page()
    cdp = await env.ctx.new_cdp_session(helper)
    await cdp.send("ServiceWorker.enable")
    await cdp.send("ServiceWorker.stopAllWorkers")  # it must pick the watch up again from storage
    await cdp.detach()
    await tab.reload()  # any event wakes the worker (here a navigation); it resumes the watch
    done = await env.wait_job(job["url"], {"done", "failed", "cancelled"})
    assert done["state"] == "done", done
    summary = await env.api(f"/v1/sites/{site}/summary")
    await expect_badge(env, tab_id, summary["grade"]["letter"], timeout=30)
    await tab.close()
