"""The main text of a policy page, without navigation, footer or cookie-banner boilerplate.

Linear in the size of the page: lxml parses, then two walks over the tree (no mutation) measure the
main-region candidates and write the text. A hostile page (megabytes of tiny blocks, deep nesting,
one huge text node) costs time in proportion to its size, never its square.

The rules reproduce what the former BeautifulSoup version did, string for string (tests compare
them on generated pages): drop-tags, roles and boilerplate attributes remove whole subtrees;
whitespace-only strings outside <pre>/<textarea> count as one space or one newline; ruby annotations
(<rt>, <rp>) carry no text; each block element starts and ends a line. One deliberate change: an
annotation marked as the main region (<rt class=content>) no longer reads as its annotation text alone.
Text nested deeper than libxml2's 2047 levels is not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

DROP_TAGS = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form", "iframe", "button")
DROP_ROLES = ("navigation", "banner", "contentinfo", "dialog", "alertdialog", "search")
BOILERPLATE = re.compile(
    r"cookie[-_]?(banner|consent|notice|bar)|consent|onetrust|cookiebot|usercentrics|didomi|cmp|"
    r"gdpr-banner|(^|[-_ ])(nav|navbar|menu|breadcrumbs?|sidebar|footer|header|skip-link|newsletter|social|share|"
    r"sharing|related|most-read|promo|subscribe)($|[-_ ])",
    re.I,
)
BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "pre", "blockquote", "div", "section",
          "article", "br", "tr")
MIN_MAIN_CHARS = 400
MAX_POLICY_TEXT_CHARS = 500_000  # several times the longest real policies; the analyzer reads no further
# Most specific first: a page's <main> often still wraps breadcrumbs and share bars.
MAIN_SELECTORS = ("article", "[role=main]", "main", "#content", ".content")

_DROP_TAGS = frozenset(DROP_TAGS)
_DROP_ROLES = frozenset(DROP_ROLES)
_BLOCKS = frozenset(BLOCKS)
_NEVER_BOILERPLATE = frozenset(("html", "body", "main", "article"))
_NO_TEXT = frozenset(("rt", "rp"))  # ruby annotations: BeautifulSoup's get_text skipped them
_PRESERVE_WHITESPACE = frozenset(("pre", "textarea"))
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
_SPACES = re.compile(r"[ \t\u00a0]+")


def extract_main_text(html: str) -> str:
    root, include_root = _parse(html)
    if root is None:
        return ""
    region = _main_region(root, include_root)
    if region is not None:
        root, include_root = region, False
    return _lines("".join(_block_pieces(root, include_root)))


def policy_text(html: str, max_chars: int = MAX_POLICY_TEXT_CHARS) -> tuple[str, int | None]:
    """The main text cut to ``max_chars`` (at a line end when one is near), and the uncut length when cut."""
    text = extract_main_text(html)
    if len(text) <= max_chars:
        return text, None
    cut = text[:max_chars]
    line_end = cut.rfind("\n")
    if line_end > max_chars * 0.9:
        cut = cut[:line_end]
    return cut.rstrip(), len(text)


def _parse(html: str) -> tuple[etree._Element | None, bool]:
    """The <body>, or without one the whole document (whose root element then counts as content)."""
    # huge_tree: nesting up to libxml2's 2047 levels (the default stops building at 255, dropping the rest).
    parser = etree.HTMLParser(huge_tree=True)
    try:
        parser.feed(html[1:] if html.startswith("\ufeff") else html)
        document = parser.close()
    except etree.XMLSyntaxError:  # empty document
        return None, False
    if document is None:
        return None, False
    body = next(document.iter("body"), None)
    return (body, False) if body is not None else (document, True)


def _is_dropped(el: etree._Element) -> bool:
    tag = el.tag
    if not isinstance(tag, str):
        return False
    if tag in _DROP_TAGS or el.get("role") in _DROP_ROLES:
        return True
    if tag in _NEVER_BOILERPLATE:
        return False
    attrs = " ".join([el.get("id") or "", " ".join((el.get("class") or "").split()), el.get("aria-label") or ""])
    return bool(attrs.strip()) and bool(BOILERPLATE.search(attrs))


def _string(text: str, preserve: bool) -> str:
    # BeautifulSoup's parse collapsed whitespace-only strings to one newline or one space.
    if not preserve and not text.strip(_ASCII_SPACES):
        return "\n" if "\n" in text else " "
    return text


def _walk(root: etree._Element, include_root: bool) -> Iterator[tuple[int, etree._Element | str, bool]]:
    """Kept content in document order: (OPEN, element), (TEXT, string, counts_as_text), (CLOSE, element).

    Iterative, so a page nested thousands deep cannot exhaust the stack; dropped subtrees are skipped
    whole (their tails stay: the text after a removed element belongs to its parent)."""
    # Frames: (element, children iterator, preserve-whitespace, inside ruby annotation)
    preserve = any(a.tag in _PRESERVE_WHITESPACE for a in root.iterancestors())
    no_text = any(a.tag in _NO_TEXT for a in root.iterancestors())
    if include_root and _is_dropped(root):
        return
    stack = []

    def enter(el):
        p = stack[-1][2] if stack else preserve
        n = stack[-1][3] if stack else no_text
        if isinstance(el.tag, str):
            p = p or el.tag in _PRESERVE_WHITESPACE
            n = n or el.tag in _NO_TEXT
        stack.append((el, iter(el), p, n))

    enter(root)
    if include_root:
        yield OPEN, root, False
    if isinstance(root.tag, str) and root.text:
        yield TEXT, _string(root.text, stack[-1][2]), not stack[-1][3]
    while stack:
        el, children, p, n = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if (stack or include_root) and isinstance(el.tag, str):
                yield CLOSE, el, False
            if stack and el.tail:
                yield TEXT, _string(el.tail, stack[-1][2]), not stack[-1][3]
            continue
        if _is_dropped(child):
            if child.tail:
                yield TEXT, _string(child.tail, p), not n
            continue
        enter(child)
        if isinstance(child.tag, str):
            yield OPEN, child, False
            if child.text:
                yield TEXT, _string(child.text, stack[-1][2]), not stack[-1][3]


OPEN, TEXT, CLOSE = 0, 1, 2


def _candidate_selectors(el: etree._Element) -> Iterator[int]:
    if el.tag == "article":
        yield 0
    if el.get("role") == "main":
        yield 1
    if el.tag == "main":
        yield 2
    if el.get("id") == "content":
        yield 3
    if "content" in (el.get("class") or "").split():
        yield 4


def _main_region(root: etree._Element, include_root: bool) -> etree._Element | None:
    """The best candidate of the first selector that has one with enough text; None: the whole root.

    A candidate's size is the length of its text joined by spaces, stripped (get_text(" ", strip=True)),
    summed bottom-up in one walk."""
    candidates: list[list[tuple[int, int, etree._Element]]] = [[] for _ in MAIN_SELECTORS]
    totals: list[list[int]] = []  # per open element: [chars, strings, document order]
    opened = 0
    for kind, item, counts in _walk(root, include_root):
        if kind == OPEN:
            totals.append([0, 0, opened])
            opened += 1
        elif kind == TEXT:
            stripped = len(item.strip()) if counts else 0
            if stripped and totals:
                totals[-1][0] += stripped
                totals[-1][1] += 1
        else:
            chars, strings, order = totals.pop()
            if totals:
                totals[-1][0] += chars
                totals[-1][1] += strings
            for selector in _candidate_selectors(item):
                candidates[selector].append((chars + max(strings - 1, 0), -order, item))
    for found in candidates:
        if found:
            # The longest; on a tie the first in document order (candidates close innermost first).
            size, _, best = max(found, key=lambda c: (c[0], c[1]))
            if size >= MIN_MAIN_CHARS:
                return best
    return None


def _block_pieces(root: etree._Element, include_root: bool) -> Iterator[str]:
    for kind, item, counts in _walk(root, include_root):
        if kind == TEXT:
            if counts:
                yield item
        elif item.tag in _BLOCKS and item is not root:
            yield "\n"


def _lines(text: str) -> str:
    out: list[str] = []
    for line in text.splitlines():
        line = _SPACES.sub(" ", line).strip()
        if line:
            out.append(line)
        elif out and out[-1] != "":
            out.append("")
    return "\n".join(out).strip()


def page_language(html: str) -> str | None:
    match = re.search(r"<html[^>]*\blang=[\"']?([A-Za-z-]+)", html[:5000], re.I)
    return match.group(1).lower() if match else None
