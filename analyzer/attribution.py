"""Who is behind a request or a cookie: product, company, category, and which source said so.

Order for a request host: our own signatures (product, then owned domain → company) →
DuckDuckGo trackers → Ghostery patterns → Disconnect services → DuckDuckGo/Disconnect owned
domains. An unknown third party is reported as ``source="unattributed"`` labelled with its
registrable domain, never dropped. First party means the site's registrable domain (then only
CNAME-cloaked trackers from DuckDuckGo's ``cnames`` are attributed) or a domain with the same
owner (YouTube's site loading Google Analytics): those are attributed but keep ``party="first"``.

Speed comes from planning once per host (and party): the own signatures that can match the
host and the list answer are cached, and the party once per (host, site); per request only the
path/query regexes of the few candidate signatures (and DuckDuckGo rules of one tracker) run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Literal, TypedDict

import msgspec

from analyzer.external.duckduckgo import DuckDuckGoTDS, TrackerEntry
from analyzer.external.ghostery import GhosteryTrackerDB
from analyzer.external.lists import ExternalLists, load_default_lists
from analyzer.external.model import CookieMatch, ListMatch
from analyzer.knowledge import Knowledge, Product, load_knowledge
from analyzer.knowledge.index import SignatureIndex
from model.domains import host_matches, normalize_host, registrable_domain

_CACHE_LIMIT = 200_000

Party = Literal["first", "third"]
Source = Literal["own", "duckduckgo", "ghostery", "disconnect", "open-cookie-database", "unattributed", "first-party"]


class Attribution(msgspec.Struct, frozen=True, kw_only=True):
    party: Party
    source: Source
    product_id: str | None = None  # None when only the company is known (or a list's product we don't have)
    product_name: str | None = None
    # The company that answers for it: the operating company's owner below any holding
    # (YouTube → Google, Instagram → Meta); our company id, else a slug of the list's company name.
    company_id: str | None = None
    company_name: str | None = None  # for source="unattributed": the registrable domain
    operating_company_id: str | None = None  # the company that runs it (YouTube), when we know it
    operating_company_name: str | None = None
    category: str | None = None  # analytics | advertising | social | ... (None when unknown)
    domain: str = ""  # registrable domain of the request host or cookie domain
    label: str = ""  # product name, else company name, else the registrable domain
    blocked: bool | None = None  # DuckDuckGo's verdict for this request, when DuckDuckGo attributed it

    @property
    def attributed(self) -> bool:
        return self.source not in ("unattributed", "first-party")


# (url, path, query, resource_type, site) → Attribution, for a list that decides per request.
Resolver = Callable[[str, str, str, str | None, str], Attribution]


class _CompanyFields(TypedDict):
    """Attribution's company fields, all given together."""

    company_id: str | None
    company_name: str | None
    operating_company_id: str | None
    operating_company_name: str | None


class _Plan(msgspec.Struct):
    """Everything about one host (seen as first or third party) that does not depend on the path."""

    party: Party
    signatures: list[tuple[re.Pattern[str] | None, re.Pattern[str] | None, Attribution]]
    fallback: Attribution | Resolver  # fixed, or decided per request


class Attributor:
    """``lists=None`` means our own signatures only (reproducible); ``default_attributor()``
    adds the lists the user downloaded with ``consentwatch data update``."""

    def __init__(self, knowledge: Knowledge | None = None, lists: ExternalLists | None = None) -> None:
        self.knowledge = knowledge or load_knowledge()
        self.index = SignatureIndex(self.knowledge)
        self.lists = lists or ExternalLists()
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._host_plans: dict[tuple[str, str], _Plan] = {}
        self._owners: dict[str, frozenset[str]] = {}
        self._sites: dict[str, str] = {}
        self._cookies: dict[tuple[str, str, str], Attribution] = {}

    # -- public API -------------------------------------------------------------------------
    def attribute_request(self, url: str, site_domain: str, resource_type: str | None = None) -> Attribution:
        host, path, query = _split(url)
        site = self._site(site_domain)
        plan = self._plan(host, site)
        for path_re, query_re, attribution in plan.signatures:
            if (path_re is None or path_re.search(path)) and (query_re is None or query_re.search(query)):
                return attribution
        fallback = plan.fallback
        if isinstance(fallback, Attribution):
            return fallback
        return fallback(url, path, query, resource_type, site)

    def attribute_requests(self, urls: Iterable[str], site_domain: str) -> list[Attribution]:
        attribute = self.attribute_request
        return [attribute(url, site_domain) for url in urls]

    def attribute_cookie(self, name: str, cookie_domain: str, site_domain: str) -> Attribution:
        key = (name, normalize_host(cookie_domain), self._site(site_domain))
        found = self._cookies.get(key)
        if found is None:
            found = self._attribute_cookie(*key)
            if len(self._cookies) > _CACHE_LIMIT:
                self._cookies.clear()
            self._cookies[key] = found
        return found

    def party(self, host: str, site_domain: str) -> Party:
        return self._plan(normalize_host(host), self._site(site_domain)).party

    # -- planning ---------------------------------------------------------------------------
    def _site(self, site_domain: str) -> str:
        site = self._sites.get(site_domain)
        if site is None:
            host = _split(site_domain)[0] if "://" in site_domain else normalize_host(site_domain)
            site = self._sites[site_domain] = registrable_domain(host)
        return site

    def _plan(self, host: str, site: str) -> _Plan:
        plan = self._plans.get((host, site))
        if plan is None:
            plan = self._make_plan(host, site)
            if len(self._plans) > _CACHE_LIMIT:
                self._plans.clear()
            self._plans[(host, site)] = plan
        return plan

    def _make_plan(self, host: str, site: str) -> _Plan:
        domain = registrable_domain(host) if host else ""
        if not host or domain == site:
            cloaked = self.lists.duckduckgo.uncloak(host) if self.lists.duckduckgo and host else None
            if cloaked is None:
                return _Plan(party="first", signatures=[], fallback=_first_party(domain))
            # the tracker behind the CNAME, attributed as itself but first party on our domain
            return _with_party(self._host_plan(cloaked, "third"), "first", domain)
        return self._host_plan(host, "first" if self._same_owner(domain, site) else "third")

    def _host_plan(self, host: str, party: Party) -> _Plan:
        plan = self._host_plans.get((host, party))
        if plan is None:
            domain = registrable_domain(host)
            signatures = [(c.path, c.query, self._own(c.product, party, domain)) for c in self.index.candidates(host)]
            plan = _Plan(party=party, signatures=signatures, fallback=self._fallback(host, domain, party))
            if len(self._host_plans) > _CACHE_LIMIT:
                self._host_plans.clear()
            self._host_plans[(host, party)] = plan
        return plan

    def _fallback(self, host: str, domain: str, party: Party) -> Attribution | Resolver:
        company_id = self.index.company_of_domain(host)
        if company_id is not None:
            return self._company_only(company_id, party, domain)
        ddg, ghostery = self.lists.duckduckgo, self.lists.ghostery
        entry = ddg.entry(host) if ddg is not None else None
        if ddg is not None and entry is not None:
            return self._ddg_fallback(ddg, entry, domain, party, host)
        if ghostery is not None and ghostery.knows(host):
            return self._ghostery_fallback(ghostery, host, domain, party)
        return self._fallback_after_ghostery(host, domain, party)

    def _ddg_fallback(self, ddg: DuckDuckGoTDS, entry: TrackerEntry, domain: str, party: Party, host: str) -> Resolver:
        by_verdict = {
            blocked: self._from_list(ddg.with_verdict(entry, blocked), party, domain, host) for blocked in (True, False)
        }

        def resolve(url: str, path: str, query: str, resource_type: str | None, site: str) -> Attribution:
            return by_verdict[ddg.verdict(entry, url, site, resource_type)]

        return resolve

    def _ghostery_fallback(self, ghostery: GhosteryTrackerDB, host: str, domain: str, party: Party) -> Resolver:
        converted: dict[ListMatch | None, Attribution] = {}
        fallback = self._fallback_after_ghostery(host, domain, party)

        def resolve(url: str, path: str, query: str, resource_type: str | None, site: str) -> Attribution:
            match = ghostery.match(host, f"{path}?{query}" if query else path)
            found = converted.get(match)
            if found is None:
                found = converted[match] = fallback if match is None else self._from_list(match, party, domain, host)
            return found

        return resolve

    def _fallback_after_ghostery(self, host: str, domain: str, party: Party) -> Attribution:
        disconnect, ddg = self.lists.disconnect, self.lists.duckduckgo
        for match in (
            disconnect.match(host) if disconnect else None,
            ddg.owner(host) if ddg else None,
            disconnect.owner(host) if disconnect else None,
        ):
            if match is not None:
                return self._from_list(match, party, domain, host)
        return _unattributed(domain, party)

    # -- ownership --------------------------------------------------------------------------
    def _same_owner(self, domain: str, site: str) -> bool:
        return bool(self._owner_keys(domain) & self._owner_keys(site))

    def _owner_keys(self, domain: str) -> frozenset[str]:
        keys = self._owners.get(domain)
        if keys is None:
            found: set[str] = set()
            own = self.index.company_of_domain(domain)
            if own is not None:
                found.add("own:" + self.knowledge.company_chain(own)[-1])
            for source in (self.lists.duckduckgo, self.lists.disconnect):
                entity = source.owner_key(domain) if source is not None else None
                if source is not None and entity is not None:
                    mapped = self.index.company_by_name(entity)
                    found.add("own:" + self.knowledge.company_chain(mapped)[-1] if mapped else f"{source.source}:{entity}")
            keys = self._owners[domain] = frozenset(found)
        return keys

    # -- building attributions --------------------------------------------------------------
    def _company_fields(self, operating_id: str | None) -> _CompanyFields | None:
        """Company fields for a product or domain the company ``operating_id`` runs (None: not ours)."""
        if operating_id is None or operating_id not in self.knowledge.companies:
            return None
        reported = self.knowledge.companies[self.knowledge.reported_company(operating_id)]
        return _CompanyFields(
            company_id=reported.id,
            company_name=reported.name,
            operating_company_id=operating_id,
            operating_company_name=self.knowledge.companies[operating_id].name,
        )

    def _own(self, product: Product, party: Party, domain: str) -> Attribution:
        return Attribution(
            party=party,
            source="own",
            product_id=product.id,
            product_name=product.name,
            category=product.category,
            domain=domain,
            label=product.name,
            **(self._company_fields(product.company) or _NO_COMPANY),
        )

    def _company_only(self, company_id: str, party: Party, domain: str) -> Attribution:
        owners = self._company_fields(company_id) or _NO_COMPANY
        label = owners["operating_company_name"] or company_id
        return Attribution(party=party, source="own", domain=domain, label=label, **owners)

    def _from_list(self, match: ListMatch | CookieMatch, party: Party, domain: str, host: str) -> Attribution:
        """A list's answer in our vocabulary: its product and company mapped to ours when we know them."""
        product_name = match.platform if isinstance(match, CookieMatch) else match.product_name
        product_id = self.index.product_by_name(product_name) if product_name else None
        product = self.knowledge.products.get(product_id) if product_id else None
        company_id = product.company if product else self._list_company(match.company_name, host)
        owners = self._company_fields(company_id) or _CompanyFields(
            company_id=company_id, company_name=match.company_name, operating_company_id=None,
            operating_company_name=None)
        return Attribution(
            party=party,
            source=match.source,
            product_id=product_id,
            product_name=product.name if product else product_name,
            category=product.category if product else match.category,
            domain=domain,
            label=(product.name if product else product_name) or owners["operating_company_name"]
            or owners["company_name"] or domain,
            blocked=match.blocked if isinstance(match, ListMatch) else None,
            **owners,
        )

    def _list_company(self, name: str | None, host: str) -> str | None:
        if host:
            owned = self.index.company_of_domain(host)
            if owned is not None:
                return owned
        if not name:
            return None
        return self.index.company_by_name(name) or _slug(name)

    # -- cookies ----------------------------------------------------------------------------
    def _attribute_cookie(self, name: str, host: str, site: str) -> Attribution:
        plan = self._plan(host, site)
        domain = registrable_domain(host) if host else ""
        product = self.index.cookie(name, host)
        by_host = self.attribute_request(f"https://{host}/", site) if domain != site else None
        if product is not None:
            # The cookie's own domain outranks its name: "MR" is Clarity's name, but an "MR" on
            # .bat.bing.com was set by Microsoft Advertising's host, not by Clarity's.
            if by_host is not None and by_host.product_id not in (None, product.id) and not self._serves(product, host):
                return by_host
            return self._own(product, plan.party, domain)
        if by_host is not None and by_host.attributed:
            return by_host
        match = self.lists.cookies.lookup(name, host) if self.lists.cookies is not None else None
        if match is not None:
            return self._from_list(match, plan.party, domain, "")
        return _first_party(domain) if plan.party == "first" and domain == site else _unattributed(domain, plan.party)

    def _serves(self, product: Product, cookie_host: str) -> bool:
        """Does one of the product's request hosts set or receive cookies on ``cookie_host``?"""
        return any(host_matches(cookie_host, s.host) or host_matches(s.host, cookie_host) for s in product.requests)


@functools.cache
def default_attributor() -> Attributor:
    """Own signatures plus whatever lists are in the user data dir, built once per process."""
    return Attributor(load_knowledge(), load_default_lists())


def _with_party(plan: _Plan, party: Party, domain: str) -> _Plan:
    """A cloaked tracker: the attribution of its real host, but first party and our domain."""

    def fix(a: Attribution) -> Attribution:
        return msgspec.structs.replace(a, party=party, domain=domain)

    fallback = plan.fallback
    new_fallback = fix(fallback) if isinstance(fallback, Attribution) else (lambda *a: fix(fallback(*a)))
    return _Plan(party=party, signatures=[(p, q, fix(a)) for p, q, a in plan.signatures], fallback=new_fallback)


_NO_COMPANY = _CompanyFields(company_id=None, company_name=None, operating_company_id=None, operating_company_name=None)


def _first_party(domain: str) -> Attribution:
    return Attribution(party="first", source="first-party", domain=domain, label=domain)


def _unattributed(domain: str, party: Party) -> Attribution:
    # No company is known: the registrable domain stands in as the name, so every consumer
    # that groups or displays by company name keeps unknown third parties apart.
    return Attribution(party=party, source="unattributed", company_name=domain, domain=domain, label=domain)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or name


# scheme://[userinfo@]host[:port][path][?query][#fragment] — one regex is several times faster
# than urlsplit + .hostname, and attribution runs on every request of every crawl.
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]/]*\]|[^:/?#]*)(?::[0-9]*)?([^?#]*)(?:\?([^#]*))?")


def _split(url: str) -> tuple[str, str, str]:
    """(host, path, query) of a URL; blob: URLs take their origin's host, data: URLs have none."""
    if url.startswith("blob:"):
        url = url[5:]
    found = _URL.match(url)
    if found is None:
        return "", "", ""
    host, path, query = found.groups()
    return host.lower().rstrip("."), path or "/", query or ""
