"""The OpenAPI 3.1 description of ``/v1``, built from the route table and the structs the handlers encode."""

from __future__ import annotations

from typing import Any

import msgspec

from model.report import Report, SiteSummary

from ..service.history import Change
from ..version import package_version
from .routes import DOMAIN_SCHEMA, ROUTES, Route
from .schemas import CrawlAccepted, CrawlRequest, ErrorBody, Health, History, JobList, JobView, SiteList
from .views.knowledge import DomainMap

MODELS = [SiteSummary, Report, SiteList, History, Change, CrawlRequest, CrawlAccepted, JobView, JobList, ErrorBody,
          Health, DomainMap]

# msgspec cannot say "exactly one of domain / domains"; the handler enforces it, the spec says it.
CRAWL_REQUEST = {
    "title": "CrawlRequest", "description": "One domain or a list of domains to crawl.",
    "oneOf": [
        {"type": "object", "properties": {"domain": DOMAIN_SCHEMA}, "required": ["domain"],
         "additionalProperties": False},
        {"type": "object", "properties": {"domains": {"type": "array", "items": DOMAIN_SCHEMA, "minItems": 1,
                                                      "maxItems": 100}},
         "required": ["domains"], "additionalProperties": False},
    ],
}


def spec(routes: list[Route] = ROUTES) -> dict[str, Any]:
    _, components = msgspec.json.schema_components(MODELS, ref_template="#/components/schemas/{name}")
    components["CrawlRequest"] = CRAWL_REQUEST
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = route.operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "consentwatch API", "version": package_version(),
                 "description": "Audits of whether websites do what their privacy policies say. "
                                "Reads are public; writes need an Authorization: Bearer token."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
