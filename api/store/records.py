"""An audit made ready for storage: compressed blobs, the precomputed summary + ETag, index rows.

Built once, off the event loop, by whoever stores an audit; every Store backend writes the same
``PreparedAudit``, so the summary bytes the API serves are computed in one place.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

import msgspec

from model.capture import Capture, encode_capture
from model.report import Report, encode_report, summary_of


class FindingRow(msgspec.Struct, kw_only=True):
    """One finding of a report, indexed for the site list's filters."""

    code: str
    severity: str
    company_id: str | None
    company_name: str | None
    product_id: str | None
    title: str


class TrackerRow(msgspec.Struct, kw_only=True):
    """One tracker seen by a report, indexed for the site list's company filter."""

    key: str
    name: str
    company_id: str | None
    company_name: str | None
    category: str | None
    declared: str
    first_party: bool


@dataclass(frozen=True)
class PreparedAudit:
    domain: str
    audited_at: float
    capture_started_at: float
    capture_finished_at: float
    capture_blob: bytes  # zlib(JSON)
    report_blob: bytes  # zlib(JSON)
    summary_json: bytes
    etag: str
    grade: str
    score: int
    reachable: bool
    policy_sha256: str | None
    policy_text: str | None
    findings: list[FindingRow]
    trackers: list[TrackerRow]


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 6)


def decompress(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def encode_summary(report: Report) -> bytes:
    return msgspec.json.encode(summary_of(report))


def cited_requests(report: Report) -> set[tuple[str | None, str]]:
    """(visit, URL) of every request a finding rests on: findings' own evidence and their products'."""
    evidence = [e for f in report.findings for e in [*f.evidence, *(x for p in f.products for x in p.evidence)]]
    return {(e.visit, e.url) for e in evidence if e.kind == "request" and e.url}


def without_uncited_bodies(capture: Capture, report: Report) -> Capture:
    """The capture with request bodies dropped except where a finding cites the request.

    Bodies are kept during the crawl so the analyzer can look for canaries and hashed e-mails in them;
    what a site's scripts send is the visitor's data, so past analysis only the evidence stays, unless
    the user asked to keep values (``--keep-values``). The body's size stays (``post_data_size``).
    """
    if capture.values_kept:
        return capture
    cited = cited_requests(report)
    visits = []
    for visit in capture.visits:
        requests = [r if r.post_data is None or (visit.name, r.url) in cited or (None, r.url) in cited
                    else msgspec.structs.replace(r, post_data=None) for r in visit.requests]
        visits.append(msgspec.structs.replace(visit, requests=requests))
    return msgspec.structs.replace(capture, visits=visits)


def prepare_audit(capture: Capture, report: Report) -> PreparedAudit:
    summary = encode_summary(report)
    capture = without_uncited_bodies(capture, report)
    privacy = next((p for p in capture.policies if p.kind == "privacy" and p.text), None)
    return PreparedAudit(
        domain=report.domain,
        audited_at=report.audited_at,
        capture_started_at=capture.started_at,
        capture_finished_at=capture.finished_at,
        capture_blob=compress(encode_capture(capture)),
        report_blob=compress(encode_report(report)),
        summary_json=summary,
        etag=etag_of(summary),
        grade=report.grade.letter,
        score=report.grade.score,
        reachable=report.reachable,
        policy_sha256=report.policy.text_sha256 or (hashlib.sha256(privacy.text.encode()).hexdigest() if privacy else None),
        policy_text=privacy.text if privacy else None,
        findings=[FindingRow(code=f.code, severity=f.severity, company_id=f.company_id, company_name=f.company_name,
                             product_id=f.product_id, title=f.title) for f in report.findings],
        trackers=[TrackerRow(key=t.key, name=t.name, company_id=t.company_id, company_name=t.company_name,
                             category=t.category, declared=t.declared, first_party=t.first_party)
                  for t in report.trackers],
    )
