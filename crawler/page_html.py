"""A page's HTML as Chromium serialises it, read with a size cap.

``page.content()`` would bring a 50 MB DOM into Python whole (and its copies into the gigabytes):
the browser slices the serialisation first and reports the full length, so the cut can be told.
"""

from __future__ import annotations

from playwright.async_api import Page

MAX_PAGE_HTML_CHARS = 5_000_000  # ~100× a long policy page; extraction of this much takes about a second

# The doctype as page.content() gives it, then the root element; sliced in the page.
READ_HTML_JS = """
(max) => {
  const d = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
  const root = document.documentElement ? document.documentElement.outerHTML : '';
  return [d.length + root.length, (d + root).slice(0, max)];
}
"""


async def read_page_html(page: Page, max_chars: int = MAX_PAGE_HTML_CHARS) -> tuple[str, int]:
    """The page's HTML, at most ``max_chars`` characters, and the length of the whole serialisation
    (greater than ``len(html)`` when it was cut)."""
    length, html = await page.evaluate(READ_HTML_JS, max_chars)
    return html, int(length)


def cut_length(html: str, original_length: int) -> int | None:
    """The original length when the HTML was cut, else None (as PolicyDocument records it)."""
    return original_length if original_length > len(html) else None
