"""Read endpoints for audited sites: summary (the popup's hot path), report, history, list, CSV."""

from __future__ import annotations

import re

import msgspec
from aiohttp import web

from analyzer.legal import codes_for_rule
from model.report import SiteSummary, decode_report

from ...errors import BadRequestError, NotFoundError, SiteNotFoundError
from ...service.export import build_csv
from ...service.history import brief, compare
from ...service.targets import canonical_domain
from ...store.base import SiteQuery, SiteRow
from ..html import html_response, render_report_page
from ..keys import STORE
from ..schemas import History, HistoryEntry, SiteList, SiteListItem
from .common import etag_matches, int_param, json_response, link

_decode_summary = msgspec.json.Decoder(SiteSummary).decode
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_RULE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_PRODUCT = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
SUMMARY_CACHE = "public, max-age=60"


def site_links(request: web.Request, domain: str) -> tuple[str, str]:
    return link(request, f"/v1/sites/{domain}/summary"), link(request, f"/v1/sites/{domain}/report")


# Already the form the store keys by, if stored at all: lower-case ASCII labels.
_LOOKS_CANONICAL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


async def site_summary(request: web.Request) -> web.Response:
    raw = request.match_info["domain"]
    store = request.app[STORE]
    # The extension asks by registrable domain: a stored domain is canonical by construction, so a hit on
    # the name as sent skips the public-suffix lookup a first sighting costs (~15 µs of a ~100 µs request).
    blob = await store.summary(raw) if _LOOKS_CANONICAL.match(raw) else None
    domain = raw
    if blob is None:
        domain = canonical_domain(raw)
        if domain != raw:
            blob = await store.summary(domain)
    if blob is None:
        raise SiteNotFoundError(f"{domain} has not been audited yet")
    if etag_matches(request.headers.get("If-None-Match"), blob.etag):
        return web.Response(status=304, headers={"ETag": blob.etag, "Cache-Control": SUMMARY_CACHE})
    # Content-Type as a plain header: the content_type= path parses it again on every response.
    return web.Response(body=blob.body, headers={"Content-Type": "application/json", "ETag": blob.etag,
                                                 "Cache-Control": SUMMARY_CACHE})


def _report_id(request: web.Request) -> int | None:
    raw = request.query.get("report_id")
    return int_param(request, "report_id", 0, 1, 2**62) if raw is not None else None


async def site_report(request: web.Request) -> web.Response:
    domain = canonical_domain(request.match_info["domain"])
    stored = await request.app[STORE].report(domain, _report_id(request))
    if stored is None:
        raise SiteNotFoundError(f"no such report for {domain}")
    return web.Response(body=stored.body, content_type="application/json",
                        headers={"Cache-Control": "public, max-age=60"})


async def site_report_html(request: web.Request) -> web.Response:
    domain = canonical_domain(request.match_info["domain"])
    store = request.app[STORE]
    stored = await store.report(domain, _report_id(request))
    if stored is None:
        raise SiteNotFoundError(f"no such report for {domain}")
    capture = await store.capture(stored.capture_id) if stored.capture_id else None
    html = render_report_page(request.app, decode_report(stored.body), stored.report_id, capture,
                              report_json_url=link(request, f"/v1/sites/{domain}/report?report_id={stored.report_id}"))
    return html_response(html)


async def site_history(request: web.Request) -> web.Response:
    domain = canonical_domain(request.match_info["domain"])
    limit = int_param(request, "limit", 20, 1, 200)
    store = request.app[STORE]
    audits = await store.history(domain)
    if not audits:
        raise SiteNotFoundError(f"{domain} has not been audited yet")
    window = audits[-(limit + 1):]  # one more than shown, to compare the oldest shown against
    reports = [decode_report((await store.report(domain, a.report_id)).body) for a in window]  # type: ignore[union-attr]
    entries = []
    for i, audit in enumerate(window):
        if i == 0 and len(window) > limit:
            continue
        entries.append(HistoryEntry(
            report_id=audit.report_id, audited_at=audit.audited_at, grade=audit.grade, score=audit.score,
            reachable=audit.reachable, counts=audit.counts,
            report_url=link(request, f"/v1/sites/{domain}/report?report_id={audit.report_id}"),
            changes=brief(reports[i - 1], reports[i]) if i > 0 else None))
    return json_response(History(domain=domain, audits=entries[::-1]))


async def site_changes(request: web.Request) -> web.Response:
    domain = canonical_domain(request.match_info["domain"])
    store = request.app[STORE]
    audits = await store.history(domain)
    if not audits:
        raise SiteNotFoundError(f"{domain} has not been audited yet")
    ids = [a.report_id for a in audits]
    new_id = int_param(request, "to", ids[-1], 1, 2**62)
    if new_id not in ids:
        raise NotFoundError(f"report {new_id} is not an audit of {domain}")
    older = [i for i in ids if i < new_id]
    if "from" in request.query:
        old_id: int | None = int_param(request, "from", 0, 1, 2**62)
    else:
        old_id = older[-1] if older else None
    if old_id is None:
        raise NotFoundError(f"{domain} has no audit before report {new_id} to compare with")
    if old_id not in ids:
        raise NotFoundError(f"report {old_id} is not an audit of {domain}")
    old, new = await store.report(domain, old_id), await store.report(domain, new_id)
    assert old is not None and new is not None
    change = compare(decode_report(old.body), decode_report(new.body), old_id, new_id,
                     await store.policy_text(old_id), await store.policy_text(new_id))
    return json_response(change)


def site_query(request: web.Request) -> SiteQuery:
    grade = request.query.get("grade")
    if grade is not None and not re.fullmatch(r"[A-Fa-f?]", grade):
        raise BadRequestError("grade must be one letter A … F")
    finding = request.query.get("finding")
    if finding is not None and not _CODE.match(finding):
        raise BadRequestError("finding must be a finding code such as UNDECLARED_TRACKER")
    company = request.query.get("company")
    if company is not None and not 0 < len(company) <= 100:
        raise BadRequestError("company must be 1 … 100 characters")
    product = request.query.get("product")
    if product is not None and not _PRODUCT.match(product):
        raise BadRequestError("product must be a tracker product id such as meta-pixel")
    rule = request.query.get("rule")
    rule_codes = codes_for_rule(rule) if rule is not None and _RULE.match(rule) else None
    if rule is not None and rule_codes is None:
        raise BadRequestError("rule must be a legal reference id such as eprivacy-5-3 (see docs/api.md)")
    return SiteQuery(grade=grade, finding=finding, company=company, product=product, rule_codes=rule_codes,
                     limit=int_param(request, "limit", 50, 1, 200), offset=int_param(request, "offset", 0, 0, 10**9))


def _list_item(request: web.Request, row: SiteRow) -> SiteListItem:
    summary = _decode_summary(row.summary)
    summary_url, report_url = site_links(request, row.domain)
    return SiteListItem(domain=row.domain, audited_at=row.audited_at, grade=row.grade, score=row.score,
                        summary=summary.summary, counts=summary.counts, summary_url=summary_url, report_url=report_url)


async def site_list(request: web.Request) -> web.Response:
    query = site_query(request)
    rows, total = await request.app[STORE].list_sites(query)
    next_url = None
    if query.offset + len(rows) < total:
        params = {k: v for k, v in request.query.items() if k != "offset"}
        params["offset"] = str(query.offset + len(rows))
        next_url = str(request.rel_url.with_query(params))
    return json_response(SiteList(total=total, limit=query.limit, offset=query.offset, next=next_url,
                                  sites=[_list_item(request, r) for r in rows]))


async def export_csv(request: web.Request) -> web.Response:
    body = await build_csv(request.app[STORE], site_query(request))  # all of it before any header is sent
    return web.Response(body=body, headers={"Content-Type": "text/csv; charset=utf-8",
                                            "Content-Disposition": 'attachment; filename="consentwatch.csv"',
                                            "X-Content-Type-Options": "nosniff"})
