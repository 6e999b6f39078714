"""Final URL, title, and the window globals scripts added (tracker globals such as ``fbq``)."""

from __future__ import annotations

from playwright.async_api import Page

from model.capture import Visit

from .base import Collector, Inputs

# Compare the page's window with a pristine one: what remains was added by the page's scripts.
ADDED_GLOBALS = """
() => {
  const f = document.createElement('iframe');
  f.style.display = 'none';
  document.documentElement.appendChild(f);
  const clean = new Set(Object.getOwnPropertyNames(f.contentWindow));
  f.remove();
  return Object.getOwnPropertyNames(window)
    .filter(k => !clean.has(k) && !/^\\d+$/.test(k) && !k.startsWith('__consentwatch')).slice(0, 500);
}
"""


class PageInfoCollector(Collector[None]):
    name = "page_info"

    def __init__(self, state) -> None:
        super().__init__(state)
        self._title: str | None = None
        self._url: str | None = None
        self._globals: list[str] = []

    async def after_load(self, page: Page) -> None:
        self._url = page.url
        self._title = await page.title()
        self._globals = sorted(await page.evaluate(ADDED_GLOBALS))

    async def collect(self, visit: Visit, inputs: Inputs) -> None:
        visit.final_url = self._url or visit.final_url
        visit.title = self._title
        visit.js_globals = self._globals
