"""The human report page: findings first (grouped by company), evidence expandable, a chart of
trackers per visit and a consent timeline — rendered server-side with Jinja2, no scripts needed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from itertools import groupby
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from model.capture import decode_capture
from model.report import SEVERITY_ORDER, Finding, Report

from .keys import TEMPLATES


def template_env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("api.http", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)
    env.filters["when"] = lambda t: dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    env.filters["web_url"] = web_url
    return env


# Browsers drop tabs and newlines anywhere in a URL and C0 controls and spaces around it, so
# "java\tscript:" is a javascript: URL to them: judge the URL the way they will read it.
_URL_DROPPED = re.compile(r"[\t\n\r]")


def web_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None: stored URLs come from crawled
    sites, and only these may become links (never ``javascript:``, ``data:`` …)."""
    if not url:
        return None
    cleaned = _URL_DROPPED.sub("", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10"
                                          "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return cleaned


def _inline_style_hash() -> str:
    """CSP source for the one inline <style> block of base.html.j2 (pages carry no scripts at all)."""
    source, _, _ = jinja2.PackageLoader("api.http", "templates").get_source(jinja2.Environment(), "base.html.j2")
    style = re.search(r"<style>(.*?)</style>", source, re.S)
    assert style is not None, "base.html.j2 has no <style> block"
    return "'sha256-" + base64.b64encode(hashlib.sha256(style[1].encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src {_inline_style_hash()}; "
                           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HTML_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer"}


def html_response(html: str) -> web.Response:
    """A page with the headers every HTML answer carries: a strict CSP, nosniff, no referrer."""
    return web.Response(text=html, content_type="text/html", headers=HTML_HEADERS)


@dataclass
class FindingGroup:
    company: str
    worst: str
    findings: list[Finding]


@dataclass
class Bar:
    label: str
    trackers: int
    third_party_requests: int
    names: list[str]


@dataclass
class Timeline:
    visit: str
    outcome: str
    cmp: str | None
    span_ms: float
    events: list[tuple[float, str, str]] = field(default_factory=list)  # t_ms, event, detail
    marks: list[tuple[float, int]] = field(default_factory=list)  # per event: x on the axis, label row
    rows: int = 1


AXIS_X0, AXIS_WIDTH, LABEL_GAP = 10.0, 740.0, 16.0


def place_marks(events: list[tuple[float, str, str]], span_ms: float) -> tuple[list[tuple[float, int]], int]:
    """x of each event on the axis, and a label row such that labels in a row never overlap."""
    row_ends: list[float] = []
    marks = []
    for t_ms, _, _ in events:
        x = round(AXIS_X0 + t_ms / span_ms * AXIS_WIDTH, 1)
        row = next((i for i, end in enumerate(row_ends) if x - end >= LABEL_GAP), len(row_ends))
        if row == len(row_ends):
            row_ends.append(x)
        row_ends[row] = x
        marks.append((x, row))
    return marks, max(1, len(row_ends))


def finding_groups(report: Report) -> list[FindingGroup]:
    def company(f: Finding) -> str:
        return f.company_name or "This site"

    ordered = sorted(report.findings, key=lambda f: (company(f), SEVERITY_ORDER[f.severity]))
    groups = [FindingGroup(name, "", list(items)) for name, items in groupby(ordered, key=company)]
    for group in groups:
        group.worst = group.findings[0].severity
    return sorted(groups, key=lambda g: (SEVERITY_ORDER[g.worst], -len(g.findings), g.company))


def visit_bars(report: Report) -> list[Bar]:
    names = {t.key: t.name for t in report.trackers}
    return [Bar(v.name, len(v.trackers), v.third_party_requests, [names.get(k, k) for k in v.trackers])
            for v in report.visits]


def consent_timelines(capture_json: bytes | None) -> list[Timeline]:
    if not capture_json:
        return []
    timelines = []
    for visit in decode_capture(capture_json).visits:
        consent = visit.consent
        if consent is None or consent.outcome == "not_attempted":
            continue
        events = [(e.t_ms, e.event, e.detail) for e in consent.timeline]
        if consent.banner_shown_ms is not None and not any(e[1] == "banner_shown" for e in events):
            events.append((consent.banner_shown_ms, "banner_shown", ""))
        if consent.click_ms is not None and not any(e[1] == "click" for e in events):
            events.append((consent.click_ms, "click", consent.method or ""))
        events.sort()
        span = max([visit.duration_ms, *(e[0] for e in events), 1.0])
        marks, rows = place_marks(events, span)
        timelines.append(Timeline(visit.name, consent.outcome, consent.cmp, span, events, marks, rows))
    return timelines


def render_report_page(app: web.Application, report: Report, report_id: int, capture_json: bytes | None,
                       report_json_url: str) -> str:
    template = app[TEMPLATES].get_template("report.html.j2")
    bars = visit_bars(report)
    return template.render(
        report=report, report_id=report_id, groups=finding_groups(report), bars=bars,
        bar_max=max([1, *(b.trackers for b in bars)]), timelines=consent_timelines(capture_json),
        trackers=sorted(report.trackers, key=lambda t: (t.declared != "none", t.company_name or "", t.name)),
        report_json_url=report_json_url,
    )
