"""DuckDuckGo Tracker Data Set (``tds.json``): trackers by host, entities, owned domains, CNAMEs.

Matching follows DuckDuckGo's own algorithm: the tracker is the entry for the longest suffix
of the request host; its regex ``rules`` are tried in order and the first that matches decides
(``action: ignore``, per-site/per-type ``exceptions``); with no matching rule the tracker's
``default`` decides. Attribution uses the owner; the verdict is reported as ``blocked``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import msgspec

from analyzer.external.model import CATEGORY_PRIORITY, ListMatch, first_category
from model.domains import host_matches, longest_suffix_match

SOURCE: Final = "duckduckgo"

CATEGORY_MAP = {
    "Session Replay": "session-recording",
    "Tag Manager": "tag-manager",
    "Consent Management Platform": "consent-manager",
    "Advertising": "advertising",
    "Ad Motivated Tracking": "advertising",
    "Action Pixels": "advertising",
    "Ad Fraud": "advertising",
    "Analytics": "analytics",
    "Audience Measurement": "analytics",
    "Third-Party Analytics Marketing": "analytics",
    "Social Network": "social",
    "Social - Share": "social",
    "Social - Comment": "social",
    "Federated Login": "social",
    "SSO": "functional",
    "Embedded Content": "embedded-content",
    "Badge": "embedded-content",
    "Content Delivery": "functional",
    "Online Payment": "functional",
    "Support Chat Widget": "functional",
}


class _Owner(msgspec.Struct, frozen=True):
    name: str = ""
    displayName: str = ""  # noqa: N815 - the list's field name
    ownedBy: str | None = None  # noqa: N815


class _Scope(msgspec.Struct):
    domains: list[str] = []
    types: list[str] = []


class _Rule(msgspec.Struct):
    rule: str
    action: str | None = None
    exceptions: _Scope | None = None
    options: _Scope | None = None


class _Tracker(msgspec.Struct):
    domain: str
    owner: _Owner = _Owner()
    categories: list[str] = []
    default: str = "block"
    rules: list[_Rule] = []


TrackerEntry = _Tracker  # what ``DuckDuckGoTDS.entry`` hands out for ``verdict`` (opaque to callers)


class _Entity(msgspec.Struct):
    domains: list[str] = []
    displayName: str | None = None  # noqa: N815


class _TDS(msgspec.Struct):
    trackers: dict[str, _Tracker] = {}
    entities: dict[str, _Entity] = {}
    domains: dict[str, str] = {}
    cnames: dict[str, str] = {}


class DuckDuckGoTDS:
    source = SOURCE

    def __init__(self, tds: _TDS) -> None:
        self._trackers = tds.trackers
        self._entities = tds.entities
        self._domain_owner = tds.domains
        self._cnames = tds.cnames
        self._compiled: dict[str, list[tuple[re.Pattern[str], _Rule]]] = {}
        # Sub-brand entities ("Google Ads") point to their owner ("Google LLC") only through
        # the trackers' ``ownedBy``; the ``domains`` table names the sub-brand.
        self._parent = {t.owner.name: t.owner.ownedBy for t in tds.trackers.values() if t.owner.ownedBy}

    @property
    def tracker_hosts(self) -> list[str]:
        return list(self._trackers)

    def __len__(self) -> int:
        return len(self._trackers)

    def tracker(self, host: str) -> ListMatch | None:
        """The owner of the longest-suffix tracker entry, without a per-request verdict."""
        entry = self.entry(host)
        return None if entry is None else self._match(entry, blocked=None)

    def match(self, host: str, url: str, site_domain: str, resource_type: str | None = None) -> ListMatch | None:
        entry = self.entry(host)
        if entry is None:
            return None
        return self._match(entry, blocked=self.verdict(entry, url, site_domain, resource_type))

    def entry(self, host: str) -> _Tracker | None:
        """The tracker entry for ``host`` (opaque; pass it to ``verdict``), for per-host caching."""
        entry: _Tracker | None = longest_suffix_match(host, self._trackers)
        return entry

    def with_verdict(self, entry: _Tracker, blocked: bool | None) -> ListMatch:
        return self._match(entry, blocked)

    def owner(self, domain: str) -> ListMatch | None:
        """Company-level match from the ``domains`` table (owned, not necessarily tracking)."""
        entity = self.owner_key(domain)
        if entity is None:
            return None
        return ListMatch(source=SOURCE, entity=entity, company_name=self._display(entity), matched=domain)

    def owner_key(self, domain: str) -> str | None:
        entity: str | None = longest_suffix_match(domain, self._domain_owner)
        return self._parent.get(entity, entity) if entity is not None else None

    def uncloak(self, host: str) -> str | None:
        """The tracker host a first-party subdomain is a CNAME of (CNAME cloaking), if listed."""
        return self._cnames.get(host)

    def _match(self, entry: _Tracker, blocked: bool | None) -> ListMatch:
        entity = entry.owner.ownedBy or entry.owner.name or None
        # "Google Analytics" owned by "Google LLC" names a product; a plain owner names the company.
        product = entry.owner.name if entry.owner.ownedBy else None
        return ListMatch(
            source=SOURCE,
            entity=entity,
            company_name=self._display(entity) if entity else None,
            product_name=product,
            category=first_category(entry.categories, CATEGORY_MAP, CATEGORY_PRIORITY),
            matched=entry.domain,
            blocked=blocked,
        )

    def _display(self, entity: str) -> str:
        info = self._entities.get(entity)
        return (info.displayName if info and info.displayName else None) or entity

    def _rules(self, entry: _Tracker) -> list[tuple[re.Pattern[str], _Rule]]:
        # Compiled on first use: most of the 2,000 rules are never needed in one run.
        compiled = self._compiled.get(entry.domain)
        if compiled is None:
            compiled = [(re.compile(rule.rule), rule) for rule in entry.rules]
            self._compiled[entry.domain] = compiled
        return compiled

    def verdict(self, entry: _Tracker, url: str, site_domain: str, resource_type: str | None = None) -> bool:
        """DuckDuckGo's decision for one request to this tracker: first matching rule, else default."""
        for pattern, rule in self._rules(entry):
            if not pattern.search(url) or not _in_scope(rule.options, site_domain, resource_type, True):
                continue
            if rule.action == "ignore":
                return False
            return not _in_scope(rule.exceptions, site_domain, resource_type, False)
        return entry.default == "block"


def _in_scope(scope: _Scope | None, site_domain: str, resource_type: str | None, empty: bool) -> bool:
    """Whether a rule's ``options`` (restrict) or ``exceptions`` (exempt) cover this request."""
    if scope is None:
        return empty
    by_site = any(host_matches(site_domain, d) for d in scope.domains)
    by_type = resource_type is not None and _ddg_type(resource_type) in scope.types
    if scope.domains and scope.types:
        return by_site and by_type
    return by_site or by_type


def _ddg_type(resource_type: str) -> str:
    # Playwright's resource types → the extension's webRequest types the list uses.
    return {"xhr": "xmlhttprequest", "fetch": "xmlhttprequest", "document": "main_frame"}.get(
        resource_type, resource_type
    )


def load_duckduckgo(path: Path) -> DuckDuckGoTDS:
    return DuckDuckGoTDS(msgspec.json.decode(path.read_bytes(), type=_TDS))
