"""Ghostery TrackerDB: product-level patterns ("Google Analytics", "Facebook Custom Audience").

A pattern is found through its ``domains`` (host suffixes) or its network ``filters`` (adblock
syntax). Filters anchored on a host (``||host/path^$3p``) are indexed by that host and their
path part compiled to a regex on first use; filters without a host anchor (about 200 generic
path filters like ``/addthis_widget.js``) are not used: they would need a scan of every
request against all of them and name products by a file name, not by who serves it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import msgspec

from analyzer.external.model import ListMatch
from model.domains import host_suffixes

SOURCE: Final = "ghostery"

CATEGORY_MAP = {
    "advertising": "advertising",
    "pornvertising": "advertising",
    "site_analytics": "analytics",
    "social_media": "social",
    "audio_video_player": "embedded-content",
    "consent": "consent-manager",
    "customer_interaction": "functional",
    "hosting": "functional",
    "utilities": "functional",
}

_HOST_ANCHOR = re.compile(r"^\|\|([a-z0-9.-]+)(.*)$", re.IGNORECASE)


class _Pattern(msgspec.Struct):
    name: str
    category: str | None = None
    organization: str | None = None
    domains: list[str] = []
    filters: list[str] = []


class _Organization(msgspec.Struct):
    name: str


class _TrackerDB(msgspec.Struct):
    patterns: dict[str, _Pattern] = {}
    organizations: dict[str, _Organization] = {}


class _Filter(msgspec.Struct):
    pattern_id: str
    rest: str  # the filter after the host: "" / "^" for host-only, else a path pattern
    compiled: re.Pattern[str] | None = None


class GhosteryTrackerDB:
    source = SOURCE

    def __init__(self, db: _TrackerDB) -> None:
        self._patterns = db.patterns
        self._organizations = db.organizations
        self._by_domain: dict[str, str] = {}
        self._filters: dict[str, list[_Filter]] = {}
        self._matches: dict[tuple[str, str], ListMatch] = {}
        for pattern_id, pattern in db.patterns.items():
            for domain in pattern.domains:
                self._by_domain.setdefault(domain.lower(), pattern_id)
            for text in pattern.filters:
                self._index_filter(pattern_id, text)

    def __len__(self) -> int:
        return len(self._patterns)

    @property
    def hosts(self) -> list[str]:
        return list(self._by_domain) + list(self._filters)

    def knows(self, host: str) -> bool:
        """Whether any pattern or host-anchored filter is listed for a suffix of ``host``."""
        return any(s in self._by_domain or s in self._filters for s in host_suffixes(host))

    def match(self, host: str, rest: str) -> ListMatch | None:
        """``rest`` is the URL after the host: path plus ``?query``. Longest host suffix first;
        at one suffix a filter with a matching path beats a host-only filter beats ``domains``."""
        for suffix in host_suffixes(host):
            pattern_id = self._filter_match(suffix, rest) or self._by_domain.get(suffix)
            if pattern_id is not None:
                return self._match(pattern_id, suffix)
        return None

    def _index_filter(self, pattern_id: str, text: str) -> None:
        anchored = _HOST_ANCHOR.match(text.split("$", 1)[0])
        if anchored is None or anchored.group(2)[:1] not in ("", "^", "/"):
            return  # generic path filter, or a wildcard inside the host
        host, rest = anchored.group(1).lower(), anchored.group(2)
        self._filters.setdefault(host, []).append(_Filter(pattern_id=pattern_id, rest=rest.lstrip("^")))

    def _filter_match(self, host: str, rest: str) -> str | None:
        host_only = None
        for entry in self._filters.get(host, ()):
            if not entry.rest:
                host_only = host_only or entry.pattern_id
                continue
            if entry.compiled is None:
                entry.compiled = _compile(entry.rest)
            if entry.compiled.match(rest):
                return entry.pattern_id
        return host_only

    def _match(self, pattern_id: str, matched: str) -> ListMatch:
        cached = self._matches.get((pattern_id, matched))
        if cached is None:
            pattern = self._patterns[pattern_id]
            org = self._organizations.get(pattern.organization) if pattern.organization else None
            cached = ListMatch(
                source=SOURCE,
                entity=pattern.organization,
                company_name=org.name if org else None,
                product_name=pattern.name,
                category=CATEGORY_MAP.get(pattern.category or ""),
                matched=matched,
            )
            self._matches[(pattern_id, matched)] = cached
        return cached


def _compile(adblock: str) -> re.Pattern[str]:
    """Adblock path pattern → regex anchored at the path: ``*`` any run, ``^`` a separator."""
    out = []
    for char in adblock:
        if char == "*":
            out.append(".*")
        elif char == "^":
            out.append(r"(?:[^\w.%-]|$)")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE)


def load_ghostery(path: Path) -> GhosteryTrackerDB:
    return GhosteryTrackerDB(msgspec.json.decode(path.read_bytes(), type=_TrackerDB))
