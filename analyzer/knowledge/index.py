"""Lookup structures over the knowledge base, built once: signatures by host suffix (most
specific first), cookie names, owned domains, and names → ids for mapping list entries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.knowledge.loader import Knowledge
from analyzer.knowledge.model import Product, RequestSignature
from model.domains import host_matches, host_suffixes, longest_suffix_match

# Legal-form words dropped before comparing company names ("Facebook, Inc." ~ "Facebook").
_LEGAL_FORMS = {
    "inc", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "gmbh", "ag", "sa",
    "sas", "sarl", "srl", "spa", "bv", "nv", "plc", "ab", "as", "aps", "oy", "kk", "pty",
    "group", "holdings", "holding", "technologies", "the",
}


def normalize_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", text.replace("a/s", "as")).split()
    kept = [w for w in words if w not in _LEGAL_FORMS]
    # Joined without spaces: lists write "IndexExchange" and "Index Exchange" alike.
    return "".join(kept or words)


@dataclass(frozen=True, slots=True)
class CompiledSignature:
    product: Product
    signature: RequestSignature
    path: re.Pattern[str] | None
    query: re.Pattern[str] | None

    def matches(self, path: str, query: str) -> bool:
        return (self.path is None or self.path.search(path) is not None) and (
            self.query is None or self.query.search(query) is not None
        )

    @property
    def specificity(self) -> tuple[int, int]:
        """Longer host suffix first; at one host, constrained signatures before catch-alls."""
        return (self.signature.host.count(".") + 1, (self.path is not None) + (self.query is not None))


class SignatureIndex:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self._by_host: dict[str, list[CompiledSignature]] = {}
        for product in knowledge.products.values():
            for signature in product.requests:
                compiled = CompiledSignature(
                    product=product,
                    signature=signature,
                    path=re.compile(signature.path) if signature.path else None,
                    query=re.compile(signature.query) if signature.query else None,
                )
                self._by_host.setdefault(signature.host.lower(), []).append(compiled)
        for entries in self._by_host.values():
            entries.sort(key=lambda c: -c.specificity[1])  # stable: file order breaks ties
        self._company_domains = {d.lower(): c.id for c in knowledge.companies.values() for d in c.domains}
        self._cookies_exact = _unique_map((n, p) for p in knowledge.products.values() for n in p.cookies_exact)
        self._cookies_prefix = _unique_map((n, p) for p in knowledge.products.values() for n in p.cookies_prefix)
        self._cookies_scoped: dict[str, list[Product]] = {}
        for product in knowledge.products.values():
            for name in product.cookies_scoped:
                self._cookies_scoped.setdefault(name, []).append(product)
        self._company_names = self._build_company_names()
        self._product_names = self._build_product_names()

    # -- requests -------------------------------------------------------------------------
    @property
    def hosts(self) -> list[str]:
        return list(self._by_host)

    def candidates(self, host: str) -> list[CompiledSignature]:
        """Signatures that can match ``host``, in the order they must be tried."""
        return [c for suffix in host_suffixes(host) for c in self._by_host.get(suffix, ())]

    def match(self, host: str, path: str, query: str) -> CompiledSignature | None:
        return next((c for c in self.candidates(host) if c.matches(path, query)), None)

    def company_of_domain(self, host: str) -> str | None:
        company: str | None = longest_suffix_match(host, self._company_domains)
        return company

    # -- cookies --------------------------------------------------------------------------
    def cookie(self, name: str, cookie_host: str) -> Product | None:
        """Scoped names only on the product's own hosts, then exact names, then the longest prefix."""
        for scoped in self._cookies_scoped.get(name, ()):
            if any(_related(cookie_host, s.host) for s in scoped.requests):
                return scoped
        product = self._cookies_exact.get(name)
        if product is not None:
            return product
        for end in range(len(name), 0, -1):
            product = self._cookies_prefix.get(name[:end])
            if product is not None:
                return product
        return None

    # -- names ----------------------------------------------------------------------------
    def company_by_name(self, name: str) -> str | None:
        return self._company_names.get(normalize_name(name))

    def product_by_name(self, name: str) -> str | None:
        return self._product_names.get(normalize_name(name))

    def _build_company_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for company in self.knowledge.companies.values():
            for name in [company.name, *company.aliases]:
                names.setdefault(normalize_name(name), company.id)
        return names

    def _build_product_names(self) -> dict[str, str]:
        """Product names and policy names → product id, leaving out names that are a company's
        ("LinkedIn", "Twitter"): those say who, not which product."""
        owners: dict[str, set[str]] = {}
        for product in self.knowledge.products.values():
            for name in {product.name, *product.policy_names}:
                key = normalize_name(name)
                if key not in self._company_names:
                    owners.setdefault(key, set()).add(product.id)
        return {key: next(iter(ids)) for key, ids in owners.items() if len(ids) == 1}


def _related(cookie_host: str, signature_host: str) -> bool:
    # A cookie on .linkedin.com is sent to px.ads.linkedin.com and vice versa for host cookies.
    return host_matches(cookie_host, signature_host) or host_matches(signature_host, cookie_host)


def _unique_map(pairs: Iterable[tuple[str, Product]]) -> dict[str, Product]:
    out: dict[str, Product] = {}
    for name, product in pairs:
        out.setdefault(name, product)
    return out
