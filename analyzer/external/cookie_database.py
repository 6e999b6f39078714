"""Open Cookie Database (CSV): cookie name → platform, category, data controller.

``Wildcard match=1`` rows are name prefixes (``_ga_``). Rows whose ``Domain`` column names a
domain (``doubleclick.net (3rd party)``, ``.linkedin.com``) describe a cookie set by that
domain: they only match cookies on it, so a site's own cookie that happens to be called
``uid`` or ``fr`` is not pinned on Adform or Facebook. Rows without a domain match anywhere.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Final

import msgspec

from analyzer.external.model import CookieMatch
from model.domains import host_matches

SOURCE: Final = "open-cookie-database"

CATEGORY_MAP = {
    "Analytics": "analytics",
    "Marketing": "advertising",
    "Functional": "functional",
    "Security": "functional",
    "Necessary": "functional",
    "Personalization": "functional",
}

_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+", re.IGNORECASE)


class _Row(msgspec.Struct, frozen=True):
    match: CookieMatch
    domains: tuple[str, ...]  # empty: not tied to a domain

    def applies_to(self, cookie_host: str) -> bool:
        return not self.domains or any(host_matches(cookie_host, d) for d in self.domains)


class OpenCookieDatabase:
    source = SOURCE

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self._exact: dict[str, list[_Row]] = {}
        self._prefix: dict[str, list[_Row]] = {}
        for raw in rows:
            name = (raw.get("Cookie / Data Key name") or "").strip()
            if not name:
                continue
            wildcard = (raw.get("Wildcard match") or "").strip() == "1"
            row = _Row(match=_cookie_match(raw, name, wildcard), domains=_domains(raw.get("Domain") or ""))
            (self._prefix if wildcard else self._exact).setdefault(name, []).append(row)
        # Domain-tied rows first: when they apply they are the more precise description.
        for table in (self._exact, self._prefix):
            for candidates in table.values():
                candidates.sort(key=lambda r: not r.domains)

    def __len__(self) -> int:
        return sum(map(len, self._exact.values())) + sum(map(len, self._prefix.values()))

    def lookup(self, name: str, cookie_host: str) -> CookieMatch | None:
        """Exact name first, then the longest wildcard prefix, each limited to its domain."""
        found = _first_applicable(self._exact.get(name), cookie_host)
        if found is not None:
            return found
        for end in range(len(name), 0, -1):
            found = _first_applicable(self._prefix.get(name[:end]), cookie_host)
            if found is not None:
                return found
        return None


def _first_applicable(rows: list[_Row] | None, cookie_host: str) -> CookieMatch | None:
    for row in rows or ():
        if row.applies_to(cookie_host):
            return row.match
    return None


def _cookie_match(raw: dict[str, str], name: str, wildcard: bool) -> CookieMatch:
    return CookieMatch(
        source=SOURCE,
        name=name,
        platform=(raw.get("Platform") or "").strip(),
        company_name=(raw.get("Data Controller") or "").strip() or None,
        category=CATEGORY_MAP.get((raw.get("Category") or "").strip()),
        wildcard=wildcard,
    )


def _domains(text: str) -> tuple[str, ...]:
    return tuple(d.lower().lstrip(".") for d in _DOMAIN.findall(text))


def load_cookie_database(path: Path) -> OpenCookieDatabase:
    with path.open(encoding="utf-8", newline="") as handle:
        return OpenCookieDatabase(list(csv.DictReader(handle)))
