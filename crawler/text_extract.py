"""The main text of a policy page, without navigation, footer or cookie-banner boilerplate."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

DROP_TAGS = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form", "iframe", "button")
DROP_ROLES = ("navigation", "banner", "contentinfo", "dialog", "alertdialog", "search")
BOILERPLATE = re.compile(
    r"cookie[-_]?(banner|consent|notice|bar)|consent|onetrust|cookiebot|usercentrics|didomi|cmp|"
    r"gdpr-banner|(^|[-_ ])(nav|navbar|menu|breadcrumbs?|sidebar|footer|header|skip-link|newsletter|social|share|"
    r"sharing|related|most-read|promo|subscribe)($|[-_ ])",
    re.I,
)
BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "pre", "blockquote", "div", "section", "article", "br", "tr")
MIN_MAIN_CHARS = 400


def extract_main_text(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    body = soup.body or soup
    for tag in body.find_all(DROP_TAGS):
        tag.decompose()
    for tag in body.find_all(attrs={"role": True}):
        if not tag.decomposed and tag.get("role") in DROP_ROLES:
            tag.decompose()
    for tag in body.find_all(_is_boilerplate):
        tag.decompose()
    root = _main_region(body)
    return _block_text(root)


def _is_boilerplate(tag: Tag) -> bool:
    if tag.decomposed or tag.name in ("html", "body", "main", "article"):
        return False
    attrs = " ".join([tag.get("id") or "", " ".join(tag.get("class") or []), tag.get("aria-label") or ""])
    return bool(attrs.strip()) and bool(BOILERPLATE.search(attrs))


def _main_region(body: Tag) -> Tag:
    # Most specific first: a page's <main> often still wraps breadcrumbs and share bars.
    for selector in ("article", "[role=main]", "main", "#content", ".content"):
        candidates = body.select(selector)
        if candidates:
            best = max(candidates, key=lambda t: len(t.get_text(" ", strip=True)))
            if len(best.get_text(" ", strip=True)) >= MIN_MAIN_CHARS:
                return best
    return body


def _block_text(root: Tag) -> str:
    for tag in root.find_all(BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = root.get_text("")
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines())
    out: list[str] = []
    for line in lines:
        if line:
            out.append(line)
        elif out and out[-1] != "":
            out.append("")
    return "\n".join(out).strip()


def page_language(html: str) -> str | None:
    match = re.search(r"<html[^>]*\blang=[\"']?([A-Za-z-]+)", html[:5000], re.I)
    return match.group(1).lower() if match else None
