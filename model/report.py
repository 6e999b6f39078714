"""The audit report: what one domain's policy declares, what it loads, and the findings between.

Versioned JSON (``schema_version``); documented in docs/report-schema.md and docs/findings.md.
This module is the contract between the analyzer (which builds it) and the API/extension (which
store and show it). ``summary_of(report)`` is the small payload the browser extension reads.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .capture import ConsentOutcome, VisitName
from .consent import VisitConsent
from .policy import PolicyAnalysis

REPORT_SCHEMA_VERSION = 1

Severity = Literal["high", "medium", "low", "info"]
DeclarationLevel = Literal["product", "company", "category", "negated", "none"]
SignalName = Literal["dnt", "gpc", "sale", "banner"]
StanceSource = Literal["privacy_policy", "well_known_gpc_json"]
SOURCE_SHOWN: dict[StanceSource, str] = {"well_known_gpc_json": "/.well-known/gpc.json"}  # privacy_policy: nothing
LEGACY_GPC_JSON_STANCE = "honors (/.well-known/gpc.json)"  # how reports before the source field spelled it


class Struct(msgspec.Struct, kw_only=True):
    pass


class Evidence(Struct, kw_only=True):
    """One observable fact a finding rests on."""

    kind: str  # request | cookie | policy_sentence | well_known | consent_state | storage
    visit: str | None = None
    url: str | None = None  # request URL, or the policy / well-known URL
    cookie: str | None = None  # "name @ domain"
    text: str | None = None  # policy sentence, well-known body, decoded consent state …
    t_ms: float | None = None  # since navigation start (or since the consent click: see detail)
    detail: str | None = None


class FindingProduct(Struct, kw_only=True):
    """One tracker a site-wide finding names, as data (issue 13 §6), with its own evidence."""

    id: str  # the tracker's key: product id when known, else "company:<id>" / "host:<domain>"
    name: str
    product_id: str | None = None
    company: str | None = None  # company name
    company_id: str | None = None
    category: str | None = None
    evidence: list[Evidence] = []


class RuleReference(Struct, kw_only=True, omit_defaults=True):
    """A rule a finding may touch (analyzer/data/legal_references.yaml): a pointer, never a verdict or legal advice."""

    id: str  # the instrument id, e.g. "eprivacy-5-3": the value of `/v1/sites?rule=`
    jurisdiction: str  # EU, FR, US, US-CA, US-CO …
    instrument: str
    article: str
    url: str  # official text, always https
    summary: str | None = None  # what the rule asks, in a line (absent in the summary payload)


class Finding(Struct, kw_only=True):
    code: str  # stable: see docs/findings.md
    severity: Severity
    title: str
    explanation: str
    product_id: str | None = None
    product_name: str | None = None
    company_id: str | None = None  # the company that answers for it (Google for YouTube)
    company_name: str | None = None
    category: str | None = None
    visit: str | None = None
    evidence: list[Evidence] = []
    operating_company_id: str | None = None  # the company that runs it (YouTube), when known
    operating_company_name: str | None = None
    products: list[FindingProduct] = []  # site-wide findings: every tracker they name, with its evidence
    references: list[RuleReference] = []  # rules this finding may touch (issue 14 §5): "may breach", not advice


class ObservedTracker(Struct, kw_only=True):
    """A tracker product (or an unattributed third party) seen in at least one visit."""

    key: str  # product id, or "company:<id>", or "host:<registrable domain>"
    name: str
    product_id: str | None = None
    company_id: str | None = None  # the company that answers for it: the operator's owner below any holding
    company_name: str | None = None
    operating_company_id: str | None = None  # the company that runs it (YouTube under Google), when known
    operating_company_name: str | None = None
    category: str | None = None
    source: str = "own"  # own | duckduckgo | ghostery | disconnect | unattributed
    first_party: bool = False  # served from the site's own domain (e.g. first-party _ga cookie only)
    visits: list[str] = []
    request_count: int = 0
    evidence_urls: list[str] = []  # capped sample
    cookies: list[str] = []  # "name @ domain"
    declared: DeclarationLevel = "none"
    declaration_sentence: str | None = None
    declaration_note: str | None = None  # how the declaration covers it, e.g. by its company's name


class DeclaredNotSeen(Struct, kw_only=True):
    product_id: str | None = None
    company_id: str | None = None
    name: str
    sentence: str


class PolicyPart(Struct, kw_only=True):
    found: bool
    url: str | None = None
    cookie_policy_url: str | None = None
    language: str | None = None
    text_sha256: str | None = None
    truncated: str | None = None  # set when a size cap cut the policy page: what was read of how much
    analysis: PolicyAnalysis | None = None  # what analyzer/policy read in it (see docs/report-schema.md)


class Signal(Struct, kw_only=True):
    """One privacy signal: what the site claims about it, and what the visits showed.

    ``dnt``, ``gpc``, ``sale``: ``policy`` is a ``model.policy.PolicyStance`` (or ``no policy``) and ``source``
    says where the claim stands (the privacy policy, or the site's ``/.well-known/gpc.json`` when that says
    ``gpc: true`` and the policy does not say it honours GPC). ``banner``: ``policy`` is what the banner
    offers, in words, and ``source`` is None.
    """

    policy: str  # a PolicyStance or "no policy" (dnt, gpc, sale); the banner on offer ("onetrust (autoconsent)" …)
    observed: str  # what the visit showed (e.g. "3 advertising trackers loaded with DNT/GPC on")
    contradicted: bool = False
    source: StanceSource | None = None

    def __post_init__(self) -> None:
        # Reports stored before the source was a field wrote it into the stance: decode them as written today.
        if self.policy == LEGACY_GPC_JSON_STANCE:
            self.policy, self.source = "honors", "well_known_gpc_json"

    def claim(self) -> str:
        """The stance with where it stands when that is not the policy: ``honors (/.well-known/gpc.json)``."""
        where = SOURCE_SHOWN.get(self.source) if self.source else None
        return f"{self.policy} ({where})" if where else self.policy


class Counts(Struct, kw_only=True):
    declared: int = 0  # products/companies the policy names (positive declarations)
    loaded: int = 0  # third-party trackers observed
    undeclared: int = 0
    declared_not_seen: int = 0


class Unverified(Struct, kw_only=True):
    """Something the audit could not verify (analyzer/verification.py): the grade is then not clean."""

    code: str  # BLOCKED | VISIT_INCOMPLETE | BANNER_NOT_SEEN | POLICY_UNREADABLE
    text: str  # "not verified: …", shown as is in the report, the summary and the popup


class Grade(Struct, kw_only=True):
    letter: str  # A … F
    score: int  # 0 … 100
    reasons: list[str] = []


class VisitSummary(Struct, kw_only=True):
    name: VisitName
    ok: bool
    status: int | None = None
    error: str | None = None
    partial: bool = False
    requests: int = 0
    third_party_requests: int = 0
    cookies: int = 0
    third_party_cookies: int = 0
    trackers: list[str] = []  # ObservedTracker keys seen in this visit
    consent_outcome: ConsentOutcome | None = None
    consent: VisitConsent | None = None  # decoded consent state: banner, TCF, GPP, USP, Consent Mode (analyzer/consent)
    plan: list[str] = []  # how the audit plan shortened or merged this visit, and why (crawler Visit.plan)
    cut: list[str] = []  # what a deadline or budget cut from this visit (crawler Visit.cut)


class SkippedVisit(Struct, kw_only=True):
    """A visit the audit plan did not run, and why (crawler Capture.skipped)."""

    name: str
    reason: str


class Report(Struct, kw_only=True):
    schema_version: int = REPORT_SCHEMA_VERSION
    domain: str
    audited_at: float
    start_url: str | None = None
    reachable: bool = True
    error: str | None = None
    partial: bool = False
    cut: list[str] = []  # why partial, for the crawl as a whole (each visit's own is in visits[].cut)
    discovery_notes: list[str] = []  # what policy discovery tried and could not use, and why
    policy: PolicyPart
    trackers: list[ObservedTracker] = []
    declared_not_seen: list[DeclaredNotSeen] = []
    findings: list[Finding] = []
    counts: Counts = msgspec.field(default_factory=Counts)
    signals: dict[SignalName, Signal] = {}
    visits: list[VisitSummary] = []
    plan: str | None = None  # the audit plan that ran: "lean" or "classic" (None: before plans had names)
    skipped_visits: list[SkippedVisit] = []  # visits that plan did not run, and why
    summary: str = ""
    grade: Grade = msgspec.field(default_factory=lambda: Grade(letter="?", score=0))
    blocked: bool = False  # a bot wall answered instead of the homepage: not audited
    unverified: list[Unverified] = []
    legal_notice: str | None = None  # the "may … not legal advice" wording, set when a finding has references


class SummaryProduct(Struct, kw_only=True):
    id: str
    name: str
    company: str | None = None
    category: str | None = None


class SummaryFinding(Struct, kw_only=True):
    code: str
    severity: Severity
    title: str
    company_name: str | None = None
    products: list[SummaryProduct] = []  # the trackers a site-wide finding names (no evidence: see the report)
    references: list[RuleReference] = []  # rules it may touch, without their summaries (the popup's one line)


class CompanyTrackers(Struct, kw_only=True):
    """Undeclared trackers of one company, with a few request URLs as evidence (popup list)."""

    company: str  # company name, or the tracker's own name when unattributed
    trackers: list[str] = []
    evidence_urls: list[str] = []  # capped sample


class DeclaredSentence(Struct, kw_only=True):
    name: str
    sentence: str


class SiteSummary(Struct, kw_only=True):
    """The small payload the extension's popup reads (GET /v1/sites/{domain}/summary)."""

    domain: str
    audited_at: float
    grade: Grade
    summary: str
    counts: Counts
    policy_found: bool
    policy_url: str | None = None
    signals: dict[SignalName, Signal] = {}
    top_findings: list[SummaryFinding] = []
    undeclared: list[str] = []  # tracker names, most severe first
    reachable: bool = True
    # Added for the popup's lists (api, issue 5); defaulted so older stored summaries still decode.
    undeclared_by_company: list[CompanyTrackers] = []
    declared_loaded: list[str] = []  # tracker names the policy declares and the site loads
    declared_not_seen: list[DeclaredSentence] = []  # declared, never observed, with the policy sentence
    banner: str | None = None  # consent-banner outcome of the reject (else accept) visit
    partial: bool = False
    # Issue 13: a clean grade must be earned. "not verified: …" sentences, and whether a bot wall blocked the audit.
    blocked: bool = False
    not_verified: list[str] = []
    legal_notice: str | None = None  # issue 14 §5: the report's "may … not legal advice" wording


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


def summary_of(report: Report, top: int = 5) -> SiteSummary:
    findings = sorted(report.findings, key=lambda f: SEVERITY_ORDER[f.severity])
    return SiteSummary(
        domain=report.domain,
        audited_at=report.audited_at,
        grade=report.grade,
        summary=report.summary,
        counts=report.counts,
        policy_found=report.policy.found,
        policy_url=report.policy.url,
        signals=report.signals,
        top_findings=[SummaryFinding(code=f.code, severity=f.severity, title=f.title, company_name=f.company_name,
                                     products=[SummaryProduct(id=p.id, name=p.name, company=p.company, category=p.category)
                                               for p in f.products],
                                     references=[msgspec.structs.replace(r, summary=None) for r in f.references])
                      for f in findings[:top]],
        undeclared=[t.name for t in report.trackers
                    if t.declared in ("none", "negated") and t.source != "unattributed"],
        reachable=report.reachable,
        undeclared_by_company=_undeclared_by_company(report),
        declared_loaded=[t.name for t in report.trackers
                         if t.declared not in ("none", "negated") and not t.first_party],
        declared_not_seen=[DeclaredSentence(name=d.name, sentence=d.sentence) for d in report.declared_not_seen],
        banner=_banner_outcome(report),
        partial=report.partial,
        blocked=report.blocked,
        not_verified=[u.text for u in report.unverified],
        legal_notice=report.legal_notice if any(f.references for f in findings[:top]) else None,
    )


def _undeclared_by_company(report: Report, evidence_per_company: int = 2) -> list[CompanyTrackers]:
    groups: dict[str, CompanyTrackers] = {}
    for tracker in report.trackers:
        if tracker.declared not in ("none", "negated") or tracker.first_party:
            continue
        company = tracker.company_name or tracker.name
        group = groups.setdefault(company, CompanyTrackers(company=company))
        group.trackers.append(tracker.name)
        room = evidence_per_company - len(group.evidence_urls)
        group.evidence_urls.extend(tracker.evidence_urls[:max(0, room)])
    return sorted(groups.values(), key=lambda g: (-len(g.trackers), g.company))


def _banner_outcome(report: Report) -> str | None:
    by_name = {v.name: v.consent_outcome for v in report.visits if v.consent_outcome}
    return by_name.get("reject") or by_name.get("accept")


def encode_report(report: Report) -> bytes:
    return msgspec.json.encode(report)


def decode_report(data: bytes | str) -> Report:
    return msgspec.json.decode(data, type=Report)
