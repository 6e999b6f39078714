"""Finding privacy and cookie policy links among a homepage's anchors (vocabulary in data/policy_links.yaml)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from urllib.parse import unquote, urljoin, urlsplit

import yaml

FOOTER_BONUS = 3
NAV_BONUS = 1
TEXT_EXACT = 10
TEXT_CONTAINS = 6
URL_MATCH = 4


@dataclass(frozen=True)
class Anchor:
    """A link on the page, as the page's DOM reported it."""

    href: str
    text: str
    in_footer: bool = False
    in_nav: bool = False


@dataclass(frozen=True)
class PolicyLink:
    kind: str  # privacy | cookie
    url: str
    text: str
    score: int


@dataclass(frozen=True)
class _Vocabulary:
    text: dict[str, tuple[str, ...]]  # kind → phrases (all languages)
    url: dict[str, tuple[str, ...]]
    well_known_paths: dict[str, tuple[str, ...]]
    page_words: tuple[str, ...]


@functools.cache
def vocabulary() -> _Vocabulary:
    raw = yaml.safe_load(resources.files("crawler.data").joinpath("policy_links.yaml").read_text("utf-8"))
    text = {kind: tuple(p.lower() for phrases in raw[kind]["text"].values() for p in phrases) for kind in ("privacy", "cookie")}
    url = {kind: tuple(raw[kind]["url"]) for kind in ("privacy", "cookie")}
    wk = {kind: tuple(paths) for kind, paths in raw["well_known_paths"].items()}
    return _Vocabulary(text, url, wk, tuple(raw["policy_page_words"]))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _text_score(text: str, phrases: tuple[str, ...]) -> int:
    if not text or len(text) > 120:
        return 0
    best = 0
    for phrase in phrases:
        if text == phrase:
            return TEXT_EXACT + len(phrase) // 8
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text):
            best = max(best, TEXT_CONTAINS + len(phrase) // 8)
    return best


def _url_score(href: str, fragments: tuple[str, ...]) -> int:
    path = unquote(urlsplit(href).path + "?" + urlsplit(href).query).lower()
    return URL_MATCH if any(f in path for f in fragments) else 0


def score_anchor(anchor: Anchor, kind: str) -> int:
    vocab = vocabulary()
    text = _norm(anchor.text)
    score = _text_score(text, vocab.text[kind]) + _url_score(anchor.href, vocab.url[kind])
    if kind == "privacy":
        # "Cookie policy" names the other document, even when it says "privacy & cookies" in the URL.
        cookie_text = _text_score(text, vocab.text["cookie"])
        if cookie_text >= TEXT_EXACT or (cookie_text and not _text_score(text, vocab.text["privacy"])):
            return 0
    if score == 0:
        return 0
    if anchor.in_footer:
        score += FOOTER_BONUS
    elif anchor.in_nav:
        score += NAV_BONUS
    return score


def find_policy_links(anchors: list[Anchor], base_url: str) -> dict[str, PolicyLink]:
    """Best privacy and cookie link (when any); the two never point at the same URL."""
    found: dict[str, PolicyLink] = {}
    for kind in ("privacy", "cookie"):
        best: PolicyLink | None = None
        for anchor in anchors:
            url = _absolute(anchor.href, base_url)
            if url is None:
                continue
            score = score_anchor(anchor, kind)
            if score and (best is None or score > best.score):
                best = PolicyLink(kind, url, _norm(anchor.text), score)
        if best is not None:
            found[kind] = best
    if "cookie" in found and "privacy" in found and _same_doc(found["cookie"].url, found["privacy"].url):
        del found["cookie"]
    return found


def _absolute(href: str, base_url: str) -> str | None:
    if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    url = urljoin(base_url, href)
    return url if urlsplit(url).scheme in ("http", "https") else None


def _same_doc(a: str, b: str) -> bool:
    return a.split("#", 1)[0].rstrip("/") == b.split("#", 1)[0].rstrip("/")


def looks_like_policy(text: str) -> bool:
    lowered = text.lower()
    return len(lowered) > 200 and any(word in lowered for word in vocabulary().page_words)
