"""Disconnect tracking protection: ``services.json`` (category → entity → domains) and
``entities.json`` (entity → owned ``properties`` and tracking ``resources``)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import msgspec

from analyzer.external.model import CATEGORY_PRIORITY, ListMatch, first_category
from model.domains import longest_suffix_match

SOURCE: Final = "disconnect"

CATEGORY_MAP = {
    "Advertising": "advertising",
    "Email": "advertising",
    "EmailAggressive": "advertising",
    "FingerprintingInvasive": "advertising",
    "FingerprintingGeneral": "advertising",
    "Analytics": "analytics",
    "Social": "social",
    "Content": "embedded-content",
    "ConsentManagers": "consent-manager",
    "Anti-fraud": "functional",
}


class _Services(msgspec.Struct):
    """``services.json``: category → [{entity → {site URL → domains, or a flag ("performance": "true")}}]."""

    categories: dict[str, list[dict[str, dict[str, list[str] | str]]]] = {}


class _Entity(msgspec.Struct):
    properties: list[str] = []
    resources: list[str] = []


class _Entities(msgspec.Struct):
    """``entities.json``: entity → the domains it owns (``properties``) and tracks from (``resources``)."""

    entities: dict[str, _Entity] = {}


class Disconnect:
    source = SOURCE

    def __init__(self, services: _Services, entities: _Entities | None) -> None:
        # host → (host, entity, categories): one host can be listed under several categories.
        self._services: dict[str, tuple[str, str, set[str]]] = {}
        for category, listed in services.categories.items():
            for item in listed:
                for entity, sites in item.items():
                    for domains in sites.values():
                        if isinstance(domains, list):  # skip flags such as "performance": "true"
                            self._add_service(entity, category, domains)
        self._owned: dict[str, str] = {}
        for entity, info in (entities.entities if entities is not None else {}).items():
            for domain in [*info.properties, *info.resources]:
                self._owned.setdefault(domain.lower(), entity)

    def __len__(self) -> int:
        return len(self._services)

    @property
    def hosts(self) -> list[str]:
        return list(self._services)

    def _add_service(self, entity: str, category: str, domains: list[str]) -> None:
        for domain in domains:
            _, owner, categories = self._services.setdefault(domain.lower(), (domain.lower(), entity, set()))
            if owner == entity:
                categories.add(category)

    def match(self, host: str) -> ListMatch | None:
        found: tuple[str, str, set[str]] | None = longest_suffix_match(host, self._services)
        if found is None:
            return None
        listed, entity, categories = found
        return ListMatch(
            source=SOURCE,
            entity=entity,
            company_name=entity,
            category=first_category(categories, CATEGORY_MAP, CATEGORY_PRIORITY),
            matched=listed,
        )

    def owner(self, domain: str) -> ListMatch | None:
        entity = self.owner_key(domain)
        if entity is None:
            return None
        return ListMatch(source=SOURCE, entity=entity, company_name=entity, matched=domain)

    def owner_key(self, domain: str) -> str | None:
        entity: str | None = longest_suffix_match(domain, self._owned)
        return entity


def load_disconnect(services_path: Path, entities_path: Path | None = None) -> Disconnect:
    services = msgspec.json.decode(services_path.read_bytes(), type=_Services)
    entities = None
    if entities_path is not None and entities_path.exists():
        entities = msgspec.json.decode(entities_path.read_bytes(), type=_Entities)
    return Disconnect(services, entities)
