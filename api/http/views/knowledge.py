"""The analyzer's tracker knowledge as a compact domain map for clients (the extension names the
companies behind a tab's third parties on sites never audited, offline from its cached copy)."""

from __future__ import annotations

import functools
import hashlib

import msgspec
from aiohttp import web

from analyzer.knowledge import Knowledge, load_knowledge
from analyzer.knowledge.index import SignatureIndex

from .common import etag_matches

# The data changes only with a new release of the service: a day fresh, then revalidated (ETag).
DOMAINS_CACHE = "public, max-age=86400"


class DomainEntry(msgspec.Struct, array_like=True, frozen=True):
    """What is known about a host suffix: [product, company, category] (product and category
    are null where the domain only says which company it belongs to)."""

    product: str | None
    company: str
    category: str | None


class DomainMap(msgspec.Struct, frozen=True):
    """Host suffix → entry. A host belongs to the entry of its longest listed suffix."""

    version: str
    domains: dict[str, DomainEntry]


def domain_map(knowledge: Knowledge) -> dict[str, DomainEntry]:
    index = SignatureIndex(knowledge)
    # Name the company reports name (YouTube's products → Google), so the live view and a later
    # audit of the same site agree.
    def company_name(company_id: str) -> str:
        reported = knowledge.reported_company(company_id)
        return knowledge.companies[reported].name if reported in knowledge.companies else reported

    out: dict[str, DomainEntry] = {}
    for host in sorted(index.hosts):
        exact = [c for c in index.candidates(host) if c.signature.host.lower() == host]
        products = {c.product.id: c.product for c in exact}
        catch_all = [c.product for c in exact if c.path is None and c.query is None]
        if catch_all:  # the product every request to this host belongs to, unless a path says otherwise
            product = catch_all[0]
            out[host] = DomainEntry(product.name, company_name(product.company), product.category)
            continue
        companies = {p.company for p in products.values()}
        if len(companies) == 1:  # several products by path: the company is certain, the product not
            company = companies.pop()
            categories = {p.category for p in products.values()}
            out[host] = DomainEntry(None, company_name(company),
                                    categories.pop() if len(categories) == 1 else None)
    for company in knowledge.companies.values():
        for domain in company.domains:
            out.setdefault(domain.lower(), DomainEntry(None, company_name(company.id), None))
    return dict(sorted(out.items()))


@functools.cache
def encoded_map() -> tuple[bytes, str]:
    """The map as JSON and its ETag, built once per process (the knowledge is packaged data)."""
    domains = domain_map(load_knowledge())
    version = hashlib.sha256(msgspec.json.encode(domains)).hexdigest()[:16]
    return msgspec.json.encode(DomainMap(version=version, domains=domains)), f'"{version}"'


async def knowledge_domains(request: web.Request) -> web.Response:
    body, etag = encoded_map()
    headers = {"ETag": etag, "Cache-Control": DOMAINS_CACHE}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)
