"""Keeps a hostile page from spending the crawl's time: popups are closed and downloads cancelled
the moment they start, and both are remembered so the capture can say what the site tried.

Like a desktop browser's popup blocker, ``window.open`` without a user gesture opens nothing (Playwright
switches Chromium's own blocker off); whatever still opens a window (a click we made, a target=_blank
link) is closed at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from playwright.async_api import BrowserContext, Download, Page

POPUP_BLOCKER_JS = """
(() => {
  const open = window.open;
  let blocked = 0;
  Object.defineProperty(window, '__consentwatchBlockedPopups', {get: () => blocked, configurable: true});
  const gesture = () => !!(navigator.userActivation && navigator.userActivation.isActive);
  window.open = function (...args) {
    if (gesture()) return open.apply(this, args);
    blocked += 1;
    return null;
  };
  // A scripted click on a link into a new window is a popup too.
  addEventListener('click', (event) => {
    const link = event.target && event.target.closest ? event.target.closest('a[target], area[target]') : null;
    if (!link || event.isTrusted || gesture() || ['', '_self', '_parent', '_top'].includes(link.target)) return;
    event.preventDefault();
    blocked += 1;
  }, true);
})();
"""

MAX_REMEMBERED = 20  # a popup storm opens thousands: keep the count, a few URLs as evidence


@dataclass
class PageGuard:
    context: BrowserContext
    allowed: set[Page] = field(default_factory=set)
    popups_closed: int = 0
    popups_blocked: int = 0
    downloads_cancelled: int = 0
    popup_urls: list[str] = field(default_factory=list)
    download_urls: list[str] = field(default_factory=list)
    _tasks: set[asyncio.Task] = field(default_factory=set)
    _opening: list[Page] | None = None  # pages that appeared while new_page() was running

    async def install(self) -> PageGuard:
        self.context.on("page", self._on_page)
        await self.context.add_init_script(POPUP_BLOCKER_JS)
        return self

    async def blocked_popups(self, page: Page, timeout_s: float = 2.0) -> int:
        """How many popups the page's main frame tried to open without a gesture."""
        try:
            return int(await asyncio.wait_for(page.evaluate("window.__consentwatchBlockedPopups || 0"), timeout_s))
        except Exception:  # noqa: BLE001 - a busy or closed page: the count is lost, nothing else
            return 0

    async def new_page(self, open_page: Callable[[], Awaitable[Page]] | None = None) -> Page:
        """Our own page (kept open; its downloads are still cancelled), opened by ``open_page`` when
        the browser has its own way to open pages (crawler/disguise.py)."""
        self._opening = []
        try:
            page = await (open_page() if open_page is not None else self.context.new_page())
        finally:
            appeared, self._opening = self._opening, None
        self.allowed.add(page)
        for other in appeared:
            if other is not page:  # a popup that raced our new_page()
                self._spawn(self._close(other))
        return page

    def _on_page(self, page: Page) -> None:
        page.on("download", self._on_download)
        if self._opening is not None:
            self._opening.append(page)  # new_page() fires "page" before it returns
        elif page not in self.allowed:
            self._spawn(self._close(page))

    async def _close(self, page: Page) -> None:
        self.popups_closed += 1
        if len(self.popup_urls) < MAX_REMEMBERED:
            self.popup_urls.append(page.url)
        await page.close()

    def _on_download(self, download: Download) -> None:
        self.downloads_cancelled += 1
        if len(self.download_urls) < MAX_REMEMBERED:
            self.download_urls.append(download.url)
        self._spawn(download.cancel())

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(_quiet(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def notes(self) -> list[str]:
        out = [f"{self.popups_blocked} popup(s) blocked (window.open without a gesture)"] if self.popups_blocked else []
        if self.popups_closed:
            out.append(f"{self.popups_closed} popup(s) closed at once: {', '.join(self.popup_urls[:3])}")
        if self.downloads_cancelled:
            out.append(f"{self.downloads_cancelled} download(s) cancelled at once: {', '.join(self.download_urls[:3])}")
        return out


async def _quiet(coro) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001 - the page or context may already be gone
        pass
