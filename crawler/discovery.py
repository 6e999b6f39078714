"""Site discovery: is the site reachable, at which URL; where are its privacy and cookie policies; what
do its /.well-known/ GPC and DNT files say.

Two ways to run it. ``discover`` (the classic plan) loads the homepage in a throwaway context of its own.
``FoldedDiscovery`` (the lean plan, crawler/audit_plan.py) rides on the first visit's homepage: it reads
the policy links once that page has loaded and loads the policies in a throwaway context while the visit
settles; the in-page fetches (well-known files, fallback-path probes) wait until the visit has collected
its observation, so nothing discovery does is recorded as the visit's. A page that stopped answering by
then (a frozen main thread) is not asked: the well-known files load in discovery's context instead, and
fallback paths are navigated to without a probe. Policy pages never share a context with a visit: their
cookies never mix with the visits' fresh contexts.

Discovery has a budget (a ``Deadline``): the linked policies get a navigation each; the fallback
well-known paths are first probed with a short in-page fetch from the homepage (status only) and only
those that answer are navigated to. Whatever the budget cut is listed in ``Discovery.cut``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from model.capture import BlockedRequest, PolicyDocument, WellKnown

from .browser import LaunchedBrowser
from .deadline import Deadline
from .errors import CrawlError, first_line
from .offload import run_off_loop
from .page_guard import PageGuard
from .page_html import cut_length, read_page_html
from .policy_links import Anchor, find_policy_links, looks_like_policy, vocabulary
from .text_extract import extract_main_text, page_language, policy_text

WELL_KNOWN_FILES = ("/.well-known/gpc.json", "/.well-known/dnt-policy.txt")
CLOSE_TIMEOUT_S = 5.0  # closing discovery's own context (cut to the deadline's wrap-up step)
MAX_BODY = 200_000
FETCH_TIMEOUT_S = 10.0  # one /.well-known/ file
PROBE_TIMEOUT_S = 3.0  # one fallback path's status (headers only)
FROZEN_HOMEPAGE_NOTE = ("the homepage had stopped answering: the /.well-known/ files were loaded as pages of "
                        "discovery's own context, and fallback policy paths navigated to without a probe")

ANCHORS_JS = """
() => Array.from(document.querySelectorAll('a[href]')).slice(0, 3000).map(a => {
  const inFooter = !!a.closest('footer, [role=contentinfo], #footer, .footer, [class*=footer], [id*=footer]');
  const inNav = !!a.closest('nav, header, [role=navigation], [role=banner]');
  const text = (a.innerText || a.textContent || '').trim() || a.getAttribute('aria-label') || a.getAttribute('title') || '';
  return [(a.getAttribute('href') || '').slice(0, 4000), text.slice(0, 200), inFooter, inNav];
})
"""

FETCH_JS = """
async ([path, ms]) => {
  try {
    const r = await fetch(path, {credentials: 'omit', redirect: 'follow', signal: AbortSignal.timeout(ms)});
    const body = await r.text();
    return [r.status, body.slice(0, %d), null];
  } catch (e) { return [null, null, String(e)]; }
}
""" % MAX_BODY

# Status of a same-origin path without its body: fetch resolves at the headers, then we abort. A
# redirect comes back as status 0 ("opaqueredirect"): worth a navigation, the browser follows it.
PROBE_JS = """
async ([path, ms]) => {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    const r = await fetch(path, {credentials: 'omit', redirect: 'manual', signal: abort.signal});
    return [r.status, null];
  } catch (e) { return [null, String(e)]; }
  finally { clearTimeout(timer); abort.abort(); }
}
"""


@dataclass
class Discovery:
    start_url: str | None = None
    error: str | None = None
    homepage_status: int | None = None
    policies: list[PolicyDocument] = field(default_factory=list)
    well_known: list[WellKnown] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blocked: list[BlockedRequest] = field(default_factory=list)  # refused by the address policy
    cut: list[str] = field(default_factory=list)  # what the budget left undone


@dataclass
class _Search:
    """One discovery's moving parts: its pages, its limits, what it found so far."""

    guard: PageGuard | None  # None: the policy pages' context is opened on first use (folded discovery)
    timeout_s: float
    budget: Deadline
    result: Discovery
    homepage: Page | None = None
    policy_page: Page | None = None
    files_page: Page | None = None  # the /.well-known/ files, when the homepage cannot fetch them
    browser: LaunchedBrowser | None = None
    # Set while in-page fetches from the homepage may run: a folded discovery's homepage is a visit's
    # page, so its fetches wait until that visit's observation is collected.
    homepage_free: asyncio.Event = field(default_factory=asyncio.Event)
    # Why the homepage is not asked at all: its main thread stopped answering (a frozen page), so every
    # in-page fetch would wait out its whole limit; what it would fetch is loaded in discovery's own context.
    homepage_frozen: str | None = None
    _opening: asyncio.Lock = field(default_factory=asyncio.Lock)

    def limit(self) -> float:
        return self.budget.bound(self.timeout_s)

    async def page_for_policies(self) -> Page:
        if self.policy_page is None:
            self.policy_page = await self._own_page()
        return self.policy_page

    async def page_for_files(self) -> Page:
        if self.files_page is None:
            self.files_page = await self._own_page()
        return self.files_page

    async def _own_page(self) -> Page:
        async with self._opening:  # the policy search and the files may both open the context first
            if self.guard is None:
                assert self.browser is not None
                self.guard = await PageGuard(await self.browser.new_context()).install()
        page = await self.guard.new_page()
        page.on("dialog", lambda d: asyncio.ensure_future(_quiet(d.dismiss())))
        return page

    async def homepage_eval(self, script: str, arg, timeout_s: float):
        await asyncio.wait_for(self.homepage_free.wait(), timeout_s)
        if self.homepage_frozen is not None:
            raise TimeoutError(self.homepage_frozen)
        return await asyncio.wait_for(self.homepage.evaluate(script, arg), timeout_s + 1)


async def discover(browser: LaunchedBrowser, domain: str, timeout_s: float, find_policies: bool = True,
                   deadline: Deadline | None = None, budget_s: float | None = None) -> Discovery:
    """Open the homepage (each attempt bounded by ``timeout_s`` and the crawl's ``deadline``), then read
    well-known files and find policies within ``budget_s`` (never past the deadline)."""
    result = Discovery()
    deadline = deadline or Deadline()
    context = await browser.new_context()
    search = _Search(PageGuard(context), timeout_s, deadline, result)
    search.homepage_free.set()
    cut = None
    try:
        await search.guard.install()
        async with deadline.scope() as cut:
            search.homepage = await _open_homepage(search, domain)
        if search.homepage is None:
            _explain_unreachable(browser, context, result)
            return result
        search.budget = deadline.within(budget_s)
        async with search.budget.scope() as cut:
            result.well_known = await _fetch_well_known(search, result.start_url)
            if find_policies:
                await _find_policies(search)
    except (TimeoutError, PlaywrightError) as exc:
        _interrupted(search, deadline, exc, cut is not None and cut.expired())
    finally:
        result.notes.extend(search.guard.notes())
        try:  # bounded by the deadline too: a swamped browser may take long to close a context
            await asyncio.wait_for(context.close(), deadline.step(CLOSE_TIMEOUT_S))
        except Exception:  # noqa: BLE001
            pass
        _note_blocked(browser, context, result)
    return result


def _interrupted(search: _Search, deadline: Deadline, exc: BaseException, expired: bool) -> None:
    result = search.result
    if expired and result.start_url is None:
        result.error = f"site did not answer before the crawl deadline ({deadline.describe()})"
    elif expired:
        result.cut.append(f"discovery stopped at its budget ({search.budget.describe()})"
                          + ("" if any(p.kind == "privacy" for p in result.policies)
                             else " before a privacy policy was found"))
    else:
        message = f"discovery interrupted: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        result.notes.append(message)
        if result.start_url is None:
            result.error = message


class FoldedDiscovery:
    """Discovery on a visit's homepage (the lean plan): ``links`` once the visit's page has loaded (the
    policies then load in a throwaway context of their own, side by side with the visit's settle),
    ``finish`` once the visit has collected its observation (the well-known files and any fallback-path
    probes are fetched from that page then), ``close`` always.

    The budget counts discovery's own time: it starts at ``links`` and starts again at ``finish``, so the
    visit's settle, during which the page is the visit's and discovery's in-page fetches wait, is not
    charged to it (the crawl deadline bounds both)."""

    def __init__(self, browser: LaunchedBrowser, start_url: str, timeout_s: float, find_policies: bool,
                 deadline: Deadline, budget_s: float | None) -> None:
        self.result = Discovery(start_url=start_url)
        self.search = _Search(None, timeout_s, deadline.within(budget_s), self.result, browser=browser)
        self.deadline, self.budget_s, self.find_policies = deadline, budget_s, find_policies
        self._policies: asyncio.Task | None = None
        self._scopes: list[asyncio.Timeout] = []
        self._closed = False

    async def links(self, page: Page) -> None:
        """The homepage has loaded: read its policy links and start loading the policies."""
        self.search.budget = self.deadline.within(self.budget_s)
        self.search.homepage = page
        if self.find_policies:
            self._policies = asyncio.ensure_future(self._guarded(_find_policies(self.search)))

    async def finish(self, page: Page | None, answered: bool = True) -> Discovery:
        """The visit has collected what it observed: its page is free for discovery's own fetches, unless it
        stopped answering (``answered`` False): then what it would fetch is loaded in discovery's context."""
        search = self.search
        search.budget = self.deadline.within(self.budget_s)
        for scope in self._scopes:  # a policy search still running gets the renewed budget too
            if not scope.expired():
                scope.reschedule(None if math.isinf(search.budget.at) else search.budget.work_ends)
        if page is not None:
            search.homepage = search.homepage or page
            if not answered:
                search.homepage_frozen = "the homepage had stopped answering"
                self.result.notes.append(FROZEN_HOMEPAGE_NOTE)
            search.homepage_free.set()
            await self._guarded(self._well_known())
        if self._policies is None and self.find_policies and page is not None:
            self._policies = asyncio.ensure_future(self._guarded(_find_policies(search)))
        elif self._policies is None and self.find_policies:
            self.result.cut.append("no policy search: the homepage never loaded in the first visit")
        if self._policies is not None:
            await self._policies
        return self.result

    async def _well_known(self) -> None:
        self.result.well_known = await _fetch_well_known(self.search, self.result.start_url)

    async def _guarded(self, coro) -> None:
        cut = None
        try:
            async with self.search.budget.scope() as cut:
                self._scopes.append(cut)
                await coro
        except (TimeoutError, PlaywrightError) as exc:
            _interrupted(self.search, self.deadline, exc, cut is not None and cut.expired())
            self.result.cut[:] = list(dict.fromkeys(self.result.cut))  # both parts may stop at one budget

    async def close(self) -> None:
        if self._policies is not None and not self._policies.done():
            self._policies.cancel()
        guard = self.search.guard
        if guard is None or self._closed:
            return
        self._closed = True
        self.result.notes.extend(guard.notes())
        try:  # in the first visit's wrap-up: bounded by the crawl deadline like the visit's own close
            await asyncio.wait_for(guard.context.close(), self.deadline.step(CLOSE_TIMEOUT_S))
        except Exception:  # noqa: BLE001
            pass
        _note_blocked(self.search.browser, guard.context, self.result)


def _explain_unreachable(browser: LaunchedBrowser, context, result: Discovery) -> None:
    if result.error:
        result.error += _why_unreachable(browser, context)


def unreachable_error(browser: LaunchedBrowser, context, errors: list[str]) -> str:
    """"site unreachable: <each URL tried and what it answered>", and why, as the guard proxy saw it."""
    return "site unreachable: " + "; ".join(errors) + _why_unreachable(browser, context)


def _why_unreachable(browser: LaunchedBrowser, context) -> str:
    # Behind the guard proxy Chromium reports only a failed tunnel; the proxy knows why.
    seen = list(dict.fromkeys(browser.unreachable_notes(context)))
    seen += [f"{b.host}:{b.port} blocked by address policy: {b.reason}" for b in browser.blocked_requests(context)]
    return " (" + "; ".join(dict.fromkeys(seen)) + ")" if seen else ""


def _note_blocked(browser: LaunchedBrowser, context, result: Discovery) -> None:
    result.blocked = browser.blocked_requests(context)
    for target in dict.fromkeys(f"{b.host}:{b.port} ({b.reason})" for b in result.blocked):
        result.notes.append(f"refused by the address policy: {target}")


async def _open_homepage(search: _Search, domain: str) -> Page | None:
    errors = []
    result = search.result
    for url in (f"https://{domain}/", f"http://{domain}/"):
        # A fresh page per attempt: leaving a network-error page can be interrupted by Chromium.
        page = await search.guard.new_page()
        page.on("dialog", lambda d: asyncio.ensure_future(_quiet(d.dismiss())))
        timeout_s = search.limit()
        try:
            # "commit": a response proves reachability even when a blocking script stalls the parse.
            response = await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        except PlaywrightTimeoutError:
            errors.append(f"{url}: no response within {timeout_s:g} s")
            continue
        except PlaywrightError as exc:
            errors.append(f"{url}: {str(exc).splitlines()[0]}")
            continue
        result.start_url = url
        result.homepage_status = response.status if response else None
        timeout_s = search.limit()
        try:
            await page.wait_for_load_state("domcontentloaded", timeout=timeout_s * 1000)
        except PlaywrightError:
            result.notes.append(f"{url}: the page did not finish parsing within {timeout_s:.3g} s")
        return page
    result.error = "site unreachable: " + "; ".join(errors)
    return None


async def _fetch_well_known(search: _Search, start_url: str) -> list[WellKnown]:
    out = []
    for path in WELL_KNOWN_FILES:
        url = start_url.rstrip("/") + path
        limit = search.budget.bound(FETCH_TIMEOUT_S)
        if search.homepage_frozen is None:
            status, body, error = await _fetch_in_page(search, path, limit)
        else:
            status, body, error = await _fetch_as_page(search, url, limit)
        out.append(WellKnown(path=path, url=url, status=status, body=body if status == 200 else None, error=error))
    return out


async def _fetch_in_page(search: _Search, path: str, limit: float) -> tuple[int | None, str | None, str | None]:
    try:
        return await search.homepage_eval(FETCH_JS, [path, limit * 1000], limit)
    except (TimeoutError, PlaywrightError) as exc:
        return None, None, first_line(exc) or "timeout"


async def _fetch_as_page(search: _Search, url: str, limit: float) -> tuple[int | None, str | None, str | None]:
    """``url`` loaded as a page of discovery's own context (the homepage cannot fetch it): its status and text."""
    try:
        page = await search.page_for_files()
        response = await page.goto(url, wait_until="load", timeout=limit * 1000)
        if response is None:
            return None, None, "no response"
        body = await asyncio.wait_for(response.text(), search.budget.bound(limit))
        return response.status, body[:MAX_BODY], None
    except (TimeoutError, PlaywrightError) as exc:
        return None, None, first_line(exc) or "timeout"


async def _anchors(page: Page, budget: Deadline) -> list[Anchor]:
    try:
        await page.wait_for_load_state("load", timeout=budget.bound(5.0) * 1000)
    except PlaywrightError:
        pass
    raw = await asyncio.wait_for(page.evaluate(ANCHORS_JS), budget.bound(10.0))
    return [Anchor(href or "", text or "", bool(footer), bool(nav)) for href, text, footer, nav in raw]


async def _find_policies(search: _Search) -> None:
    page = search.homepage
    homepage = page.url
    links = find_policy_links(await _anchors(page, search.budget), homepage)
    privacy = await _load_policy(search, "privacy", links.get("privacy"), homepage)
    cookie_link = links.get("cookie")
    if cookie_link is None and privacy is not None:
        # A privacy policy often links the separate cookie policy it refers to.
        policy_page = await search.page_for_policies()
        cookie_link = find_policy_links(await _anchors(policy_page, search.budget), policy_page.url).get("cookie")
        if cookie_link is not None and cookie_link.url.split("#")[0] == privacy.final_url:
            cookie_link = None
    await _load_policy(search, "cookie", cookie_link, homepage)


async def _load_policy(search: _Search, kind: str, link, homepage: str) -> PolicyDocument | None:
    result = search.result
    if link is not None:
        doc = await _open_policy(search, kind, link.url, "link", link.text)
        if doc is not None:
            result.policies.append(doc)
            return doc
        result.notes.append(f"{kind} policy link {link.url} did not load as a policy")
    base = homepage.split("/", 3)
    origin = "/".join(base[:3])
    for path in vocabulary().well_known_paths.get(kind, ()):
        if not await _answers(search, path):
            continue
        doc = await _open_policy(search, kind, origin + path, "well_known_path", None)
        if doc is not None:
            result.policies.append(doc)
            return doc
    return None


async def _answers(search: _Search, path: str) -> bool:
    """Does the homepage's origin serve ``path`` (status < 400, or a redirect)? Asked from the
    homepage with a short in-page fetch, so a missing path costs milliseconds, a hanging one seconds."""
    limit = search.budget.bound(PROBE_TIMEOUT_S)
    try:
        status, _error = await search.homepage_eval(PROBE_JS, [path, limit * 1000], limit)
    except (TimeoutError, PlaywrightError):
        return True  # the homepage cannot ask (a busy script): let the navigation decide
    return status is not None and status < 400


async def _open_policy(search: _Search, kind: str, url: str, found_via: str,
                       link_text: str | None) -> PolicyDocument | None:
    page = await search.page_for_policies()
    timeout_s = search.limit()
    try:
        response = await page.goto(url, wait_until="load", timeout=timeout_s * 1000)
    except PlaywrightTimeoutError:
        search.result.cut.append(f"{kind} policy candidate {url} did not finish loading within {timeout_s:.3g} s")
        return None
    except PlaywrightError:
        return None
    status = response.status if response else None
    if status is None or status >= 400:
        return None
    html, html_length = await asyncio.wait_for(read_page_html(page), search.budget.bound(search.timeout_s))
    text, text_length = await run_off_loop(policy_text, html)
    # A linked privacy page is kept even when thin (the site calls it its policy); anything else
    # must read like a policy: "Cookie settings" links often lead to a preferences widget.
    if not (kind == "privacy" and found_via == "link") and not looks_like_policy(text):
        return None
    return PolicyDocument(
        kind=kind, url=url, found_via=found_via, link_text=link_text, status=status, final_url=page.url,
        language=page_language(html), title=await asyncio.wait_for(page.title(), search.budget.bound(5.0)),
        html=html, text=text,
        html_truncated_from=cut_length(html, html_length), text_truncated_from=text_length,
    )


async def _quiet(coro) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001
        pass


async def fetch_policy_text(browser: LaunchedBrowser, url: str, timeout_s: float) -> str:
    """Load one policy page in a throwaway context and return its main text."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        try:
            response = await page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        except PlaywrightError as exc:
            raise CrawlError(f"{url}: {str(exc).splitlines()[0]}") from None
        if response is None or response.status >= 400:
            raise CrawlError(f"{url}: HTTP {response.status if response else 'no response'}")
        html, _ = await read_page_html(page)
        return await run_off_loop(extract_main_text, html)
    finally:
        await context.close()
