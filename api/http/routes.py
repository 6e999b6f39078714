"""The route table of ``/v1``: ``ROUTES`` is the one list of (method, path, handler, operation).

``create_app`` registers the handlers from it and ``openapi.spec()`` describes the same list, so the two
cannot drift apart. Import order is one way: views ← routes ← openapi, app; a view never imports this module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from analyzer.legal import legal_data
from model.report import Report, SiteSummary

from ..service.history import Change
from .schemas import CrawlAccepted, CrawlRequest, ErrorBody, Health, History, JobList, JobView, SiteList
from .views import crawls, evidence, knowledge, meta, sites

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ref(model: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _error(description: str) -> dict[str, Any]:
    return _json(ErrorBody, description)


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema,
            "description": description}


# What ``model.domains.normalize_domain`` accepts in ASCII form. The API also takes URLs and
# IDNs (normalised to this); the spec documents the canonical form so generated input is valid.
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN_SCHEMA = {"type": "string", "pattern": f"^({_LABEL}\\.)+[A-Za-z]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?$",
                 "maxLength": 253, "examples": ["example.com"]}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**62}
DOMAIN = _param("domain", "path", DOMAIN_SCHEMA, "A domain (URLs and IDNs work too); its registrable domain is used.")
JOB_ID = _param("id", "path", ID_SCHEMA, "The crawl job's id.")
REPORT_ID = _param("report_id", "query", ID_SCHEMA, "A past audit (default: the latest).")
LIMITED = {"429": _error("Too many requests from this client (see Retry-After)."),
           "503": _error("The store is locked or full for now (see Retry-After).")}
BAD_DOMAIN = {"400": _error("Not a valid domain, or a bad query parameter."),
              "404": _error("The domain has not been audited (or no such report).")}
WRITE = {"401": _error("Missing or unknown bearer token."), "413": _error("Request body too large.")}
SITE_FILTERS = [
    _param("finding", "query", {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
           "Only sites whose latest audit has this finding code."),
    _param("company", "query", {"type": "string", "minLength": 1, "maxLength": 100},
           "Only sites with trackers or findings of this company (id or name)."),
    _param("grade", "query", {"type": "string", "pattern": "^[A-Fa-f?]$"}, "Only sites with this grade."),
    _param("product", "query", {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.:-]{0,63}$"},
           "Only sites whose latest audit loads this tracker product (id, e.g. meta-pixel) or names it in a "
           "finding (site-wide findings list their products)."),
    _param("rule", "query", {"type": "string", "enum": sorted(legal_data().references)},
           "Only sites whose latest audit has a finding that may touch this rule (a legal reference id from "
           "analyzer/data/legal_references.yaml, e.g. eprivacy-5-3). An unknown id is a 400."),
    _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size."),
    _param("offset", "query", {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0}, "Rows to skip."),
]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    operation: dict[str, Any] = field(default_factory=dict)


def _op(op_id: str, summary: str, responses: dict[str, Any], params: list[dict] | None = None,
        body: type | None = None, secured: bool = False, tag: str = "sites") -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag],
                                 "parameters": params or [], "responses": {**LIMITED, **responses}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    if secured:
        operation["security"] = [{"bearer": []}]
        operation["responses"].update(WRITE)
    return operation


ROUTES: list[Route] = [
    Route("GET", "/v1/sites/{domain}/summary", sites.site_summary, _op(
        "getSiteSummary", "The popup's small summary of a site's latest audit (ETag, cacheable).",
        {"200": {**_json(SiteSummary, "The summary."), "headers": {"ETag": {"schema": {"type": "string"}}}},
         "304": {"description": "Not modified (If-None-Match matched the ETag)."}, **BAD_DOMAIN},
        [DOMAIN, _param("If-None-Match", "header", {"type": "string"}, "A previously returned ETag.")])),
    Route("GET", "/v1/sites/{domain}/report", sites.site_report, _op(
        "getSiteReport", "The full report JSON of the latest (or a given) audit.",
        {"200": _json(Report, "The report."), **BAD_DOMAIN}, [DOMAIN, REPORT_ID])),
    Route("GET", "/v1/sites/{domain}/report.html", sites.site_report_html, _op(
        "getSiteReportPage", "The report as a page for people.",
        {"200": {"description": "HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}},
         **BAD_DOMAIN}, [DOMAIN, REPORT_ID])),
    Route("GET", "/v1/sites/{domain}/history", sites.site_history, _op(
        "getSiteHistory", "Past audits, newest first, each with what changed since the one before.",
        {"200": _json(History, "The history."), **BAD_DOMAIN},
        [DOMAIN, _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 20},
                        "Audits to show.")])),
    Route("GET", "/v1/sites/{domain}/changes", sites.site_changes, _op(
        "getSiteChanges", "What changed between two audits (default: the last two), with a policy text diff.",
        {"200": _json(Change, "The change."), **BAD_DOMAIN},
        [DOMAIN, _param("from", "query", ID_SCHEMA, "Older report id."),
         _param("to", "query", ID_SCHEMA, "Newer report id (default: latest).")])),
    Route("GET", "/v1/sites", sites.site_list, _op(
        "listSites", "Audited sites, filtered and paginated.",
        {"200": _json(SiteList, "A page of sites."), "400": _error("Bad filter.")}, SITE_FILTERS)),
    Route("GET", "/v1/export.csv", sites.export_csv, _op(
        "exportCsv", "Every audited site (filters as for /v1/sites) as CSV.",
        {"200": {"description": "CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}},
         "400": _error("Bad filter.")}, SITE_FILTERS[:3])),
    Route("POST", "/v1/crawls", crawls.create_crawls, _op(
        "createCrawls", "Queue crawls of one domain or a list (an already queued domain keeps its job).",
        {"202": {**_json(CrawlAccepted, "Queued; poll the job URLs."),
                 "headers": {"Location": {"schema": {"type": "string"}}}},
         "400": _error("Bad body or domain."), "403": _error("The SSRF guard refused a target."),
         "429": _error("Too many requests, or the token's queue quota or the global queue cap is reached "
                       "(see Retry-After); nothing of the request was queued.")},
        body=CrawlRequest, secured=True, tag="crawls")),
    Route("GET", "/v1/crawls", crawls.list_crawls, _op(
        "listCrawls", "Recent crawl jobs, newest first.", {"200": _json(JobList, "Jobs."), "400": _error("Bad filter.")},
        [_param("state", "query", {"type": "string", "enum": list(crawls.STATES)}, "Only jobs in this state."),
         _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, "How many.")],
        tag="crawls")),
    Route("GET", "/v1/crawls/{id}", crawls.get_crawl, _op(
        "getCrawl", "A crawl job and its progress.", {"200": _json(JobView, "The job."), "404": _error("No such job.")},
        [JOB_ID], tag="crawls")),
    Route("DELETE", "/v1/crawls/{id}", crawls.cancel_crawl, _op(
        "cancelCrawl", "Cancel a queued or running crawl job.",
        {"200": _json(JobView, "The cancelled job."), "404": _error("No such job."),
         "409": _error("The job has already finished.")}, [JOB_ID], secured=True, tag="crawls")),
    Route("GET", "/v1/knowledge/domains", knowledge.knowledge_domains, _op(
        "getKnowledgeDomains", "The tracker knowledge as a domain → [product, company, category] map (ETag, cacheable).",
        {"200": {**_json(knowledge.DomainMap, "The map and its version."),
                 "headers": {"ETag": {"schema": {"type": "string"}}}},
         "304": {"description": "Not modified (If-None-Match matched the ETag)."}},
        [_param("If-None-Match", "header", {"type": "string"}, "A previously returned ETag.")], tag="meta")),
    Route("GET", "/v1/sites/{domain}/audits/{id}/evidence.zip", evidence.audit_evidence, _op(
        "getAuditEvidence", "An audit's evidence bundle: report, capture, HAR per visit, policy snapshots and a "
        "manifest of SHA-256s signed with Ed25519 (check with `consentwatch verify`, key at /v1/keys).",
        {"200": {"description": "Zip.", "content": {"application/zip": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}},
         **BAD_DOMAIN, "503": _error("No signing key on the server (`consentwatch key create`).")},
        [DOMAIN, _param("id", "path", {"type": "string"}, "The audit's report id.", required=True)])),
    Route("GET", "/v1/keys", evidence.list_keys, _op(
        "listKeys", "Public Ed25519 keys that sign evidence bundles (base64 of the raw 32 bytes).",
        {"200": {"description": "The keys.", "content": {"application/json": {"schema": {"type": "object"}}}}},
        tag="meta")),
    Route("GET", "/v1/health", meta.health, _op(
        "health", "Liveness, store state and queue depth.",
        {"200": _json(Health, "OK."), "503": _json(Health, "The store is locked, full or damaged.")}, tag="meta")),
    Route("GET", "/v1/openapi.json", meta.openapi_json, _op(
        "openapi", "This description.", {"200": {"description": "OpenAPI 3.1 JSON.",
                                                 "content": {"application/json": {"schema": {"type": "object"}}}}},
        tag="meta")),
    Route("GET", "/v1/docs", meta.docs_page, _op(
        "docs", "Human-readable API documentation.",
        {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}}, tag="meta")),
]
