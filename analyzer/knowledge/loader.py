"""Reads the signature database (``companies.yaml`` + ``products/*.yaml``) into a ``Knowledge``."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Protocol, TypeVar

import msgspec
import yaml

from analyzer.knowledge.model import Company, Product, RequestSignature


class _Cookies(msgspec.Struct, forbid_unknown_fields=True):
    exact: list[str] = []
    prefix: list[str] = []
    scoped: list[str] = []


class _ProductEntry(msgspec.Struct, forbid_unknown_fields=True):
    """One product as written in YAML (unknown keys are typos, so they are errors)."""

    id: str
    name: str
    company: str
    category: str
    requests: list[RequestSignature] = []
    cookies: _Cookies = msgspec.field(default_factory=_Cookies)
    globals: list[str] = []
    policy_names: list[str] = []


class _ProductsFile(msgspec.Struct, forbid_unknown_fields=True):
    products: list[_ProductEntry]


class _CompaniesFile(msgspec.Struct, forbid_unknown_fields=True):
    companies: list[Company]


class Knowledge:
    """Products and companies by id, plus the company hierarchy."""

    def __init__(self, companies: list[Company], products: list[Product]) -> None:
        self.companies: dict[str, Company] = _by_id(companies, "company")
        self.products: dict[str, Product] = _by_id(products, "product")

    def company_chain(self, company_id: str) -> list[str]:
        """The company, its parent, grandparent… (stops on unknown ids and cycles)."""
        chain: list[str] = []
        current: str | None = company_id
        while current is not None and current not in chain:
            chain.append(current)
            company = self.companies.get(current)
            current = company.parent if company else None
        return chain

    def root_company(self, company_id: str) -> str:
        return self.company_chain(company_id)[-1]

    def reported_company(self, company_id: str) -> str:
        """The company a report names for a product its subsidiary operates: the top of the
        ownership chain below any holding (YouTube → Google, Instagram → Meta, LinkedIn →
        Microsoft, Google → Google). Unknown ids stand for themselves."""
        chain = self.company_chain(company_id)
        kept = [c for c in chain if not (c in self.companies and self.companies[c].holding)]
        return kept[-1] if kept else chain[0]

    def subsidiaries(self, company_id: str) -> list[str]:
        """The company and every company whose chain contains it."""
        return [cid for cid in self.companies if company_id in self.company_chain(cid)]

    def products_of(self, company_id: str, include_subsidiaries: bool = True) -> list[Product]:
        owners = set(self.subsidiaries(company_id)) if include_subsidiaries else {company_id}
        return [p for p in self.products.values() if p.company in owners]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_Item = TypeVar("_Item", bound=_HasId)
_Decoded = TypeVar("_Decoded")


def _by_id(items: list[_Item], kind: str) -> dict[str, _Item]:
    out: dict[str, _Item] = {}
    for item in items:
        if item.id in out:
            raise ValueError(f"duplicate {kind} id {item.id!r}")
        out[item.id] = item
    return out


def _product(entry: _ProductEntry) -> Product:
    return Product(
        id=entry.id,
        name=entry.name,
        company=entry.company,
        category=entry.category,
        requests=entry.requests,
        cookies_exact=entry.cookies.exact,
        cookies_prefix=entry.cookies.prefix,
        cookies_scoped=entry.cookies.scoped,
        globals=entry.globals,
        policy_names=entry.policy_names,
    )


def _decode(path: Path, kind: type[_Decoded]) -> _Decoded:
    try:
        return msgspec.convert(yaml.safe_load(path.read_text(encoding="utf-8")), kind)
    except (msgspec.ValidationError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def read_knowledge(directory: Path) -> Knowledge:
    """Parse a knowledge directory (uncached; ``load_knowledge`` is the cached entry point)."""
    companies = _decode(directory / "companies.yaml", _CompaniesFile).companies
    products = [
        _product(entry)
        for path in sorted((directory / "products").glob("*.yaml"))
        for entry in _decode(path, _ProductsFile).products
    ]
    return Knowledge(companies, products)


@functools.cache
def load_knowledge() -> Knowledge:
    """The packaged signature database, parsed once per process."""
    return read_knowledge(Path(str(resources.files("analyzer.knowledge"))))
