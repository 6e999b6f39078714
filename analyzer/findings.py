"""The comparison: what the policy declares vs what the visits observed, as findings with evidence.

Each rule is a producer: a function that reads the shared ``AuditContext`` and returns findings,
built with ``build_finding``. The producers of this module and of ``behaviour``/``consent`` run in
the order of ``analyzer/producers.py``'s ``PRODUCERS``. Rules never emit a finding without evidence.
Severities, titles and category sets are data (``data/findings.yaml``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from model.capture import Capture, RequestRecord
from model.policy import Declaration, PolicyAnalysis
from model.report import (
    DeclarationLevel,
    DeclaredNotSeen,
    Evidence,
    Finding,
    FindingProduct,
    ObservedTracker,
    RuleReference,
)

from .knowledge import Knowledge
from .legal import references_for
from .observed import Sighting, TrackerObservation, is_known_tracker
from .rules import Rules

if TYPE_CHECKING:
    from model.consent import VisitConsent

    from .behaviour.detect import BehaviourReport
    from .behaviour.practices import Declared

MAX_EVIDENCE = 6


@dataclass
class Coverage:
    """How the policy covers one observed tracker."""

    level: DeclarationLevel
    declaration: Declaration | None = None  # None only for level "none"
    via_parent: str | None = None  # company name when a parent company's declaration covers it


@dataclass
class AuditContext:
    capture: Capture
    analysis: PolicyAnalysis | None  # None when no policy was found
    observations: dict[str, TrackerObservation]
    knowledge: Knowledge
    rules: Rules
    coverage: dict[str, Coverage] = field(default_factory=dict)
    # Decoded on first use by the producers that read them (consent.findings, behaviour.findings):
    consents: dict[str, VisitConsent] | None = None  # visit name → its decoded consent state
    behaviour: tuple[BehaviourReport, dict[str, Declared]] | None = None  # what scripts did, what is declared

    @property
    def policy_found(self) -> bool:
        return self.analysis is not None

    def known(self) -> list[TrackerObservation]:
        return [o for o in self.observations.values() if is_known_tracker(o.tracker)]


Producer = Callable[[AuditContext], list[Finding]]


# ---------------------------------------------------------------------------- coverage


def coverage_of(tracker: ObservedTracker, analysis: PolicyAnalysis | None, knowledge: Knowledge) -> Coverage:
    if analysis is None or not is_known_tracker(tracker):
        return Coverage("none")
    # Declarations of the operating company or any of its owners cover it (a "YouTube" or a
    # "Google" declaration covers YouTube embeds).
    operator = _operator(tracker)
    chain = knowledge.company_chain(operator) if operator in knowledge.companies else ([operator] if operator else [])
    for d in analysis.declarations:
        if tracker.product_id and d.level == "product" and d.product_id == tracker.product_id:
            return Coverage("product", d)
    for d in analysis.negations:
        if (tracker.product_id and d.product_id == tracker.product_id and d.level == "product") or (
                d.level == "company" and d.company_id in chain):
            return Coverage("negated", d)
    for d in analysis.declarations:
        if d.level == "company" and d.company_id in chain:
            parent = None if d.company_id == operator else _company_name(knowledge, d.company_id)
            return Coverage("company", d, parent)
    for d in [*analysis.category_mentions, *analysis.cookie_purposes]:
        if d.category and d.category == tracker.category:
            return Coverage("category", d)
    return Coverage("none")


def coverage_note(tracker: ObservedTracker, cov: Coverage) -> str | None:
    """Plain words for how the policy covers a tracker (shown with the tracker in reports)."""
    d = cov.declaration
    if d is None:
        return None
    if cov.level == "product":
        return f"named in the policy as “{d.name_in_text}”"
    if cov.level == "company":
        operator = tracker.operating_company_name or tracker.company_name
        owner = f"{cov.via_parent}, which owns {operator}" if cov.via_parent else operator
        return (f"not named itself; covered by the company-level declaration “{d.name_in_text}” "
                f"({tracker.name} is a product of {owner})")
    if cov.level == "category":
        return f"only covered by a general mention of {tracker.category} (“{d.name_in_text}”)"
    if cov.level == "negated":
        return f"the policy denies using it (“{d.name_in_text}”)"
    return None


def _operator(tracker: ObservedTracker) -> str | None:
    return tracker.operating_company_id or tracker.company_id


def _company_name(knowledge: Knowledge, company_id: str | None) -> str | None:
    company = knowledge.companies.get(company_id) if company_id else None
    return company.name if company else company_id


# ---------------------------------------------------------------------------- evidence


def sighting_evidence(sightings: list[Sighting], limit: int = MAX_EVIDENCE) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[str, ...]] = set()
    for s in sightings:
        key: tuple[str, ...]
        if s.request is not None:
            key = ("r", s.visit, s.request.url)
            ev = Evidence(kind="request", visit=s.visit, url=s.request.url, t_ms=s.request.t_ms,
                          detail=f"{s.request.resource_type} from {s.request.frame_url or s.request.worker_url or '?'}"
                          + _caused_by(s.request))
        elif s.cookie is not None:
            c = s.cookie
            key = ("c", s.visit, c.name, c.domain)
            ev = Evidence(kind="cookie", visit=s.visit, cookie=f"{c.name} @ {c.domain}", t_ms=c.first_seen_ms,
                          detail=("third-party" if c.first_party is False else "first-party")
                          + (", HttpOnly" if c.http_only else ""))
        else:
            continue  # a sighting is a request or a cookie
        if key not in seen:
            seen.add(key)
            out.append(ev)
        if len(out) >= limit:
            break
    return out


def _caused_by(request: RequestRecord) -> str:
    """Which script made the request (CDP initiator), when it is not simply the page's HTML."""
    script = request.initiator_script
    if not script or script == request.frame_url:
        return ""
    return f", caused by {script}"


def sentence_evidence(sentence: str | None, source: str = "privacy_policy", url: str | None = None) -> list[Evidence]:
    if not sentence:
        return []
    return [Evidence(kind="policy_sentence", text=sentence, url=url, detail=source)]


def finding_product(tracker: ObservedTracker, evidence: list[Evidence]) -> FindingProduct:
    return FindingProduct(id=tracker.key, name=tracker.name, product_id=tracker.product_id,
                          company=tracker.company_name, company_id=tracker.company_id, category=tracker.category,
                          evidence=evidence)


def build_finding(ctx: AuditContext, code: str, tracker: ObservedTracker | None = None, *,
                  category: str | None = None, visit: str | None = None, evidence: list[Evidence],
                  product_list: Sequence[FindingProduct] = (), **fields: object) -> Finding:
    """A finding of ``code``: severity and texts from data/findings.yaml, filled with ``fields`` (and the
    tracker's name, company, category and visits when one is given), with its legal references."""
    rules = ctx.rules
    if tracker is not None:
        fields.setdefault("product", tracker.name)
        fields.setdefault("company", tracker.company_name or "an unknown company")
        fields.setdefault("category", tracker.category or "unknown")
        fields.setdefault("visits", ", ".join(tracker.visits))
        category = category or tracker.category
    return Finding(
        code=code,
        severity=rules.severity(code, category),
        title=rules.title(code, **fields),
        explanation=rules.explanation(code, **fields),
        product_id=tracker.product_id if tracker else None,
        product_name=tracker.name if tracker else None,
        company_id=tracker.company_id if tracker else None,
        company_name=tracker.company_name if tracker else None,
        operating_company_id=tracker.operating_company_id if tracker else None,
        operating_company_name=tracker.operating_company_name if tracker else None,
        category=category,
        visit=visit,
        evidence=evidence,
        products=list(product_list),
        references=rule_references(code),
    )


def rule_references(code: str) -> list[RuleReference]:
    """The rules ``code`` may touch, copied from analyzer/data/legal_references.yaml into the report."""
    return [RuleReference(id=r.id, jurisdiction=r.jurisdiction, instrument=r.instrument, article=r.article,
                          url=r.url, summary=r.summary) for r in references_for(code)]


def _policy_url(ctx: AuditContext) -> str | None:
    privacy = next((p for p in ctx.capture.policies if p.kind == "privacy"), None)
    return (privacy.final_url or privacy.url) if privacy else None


# ---------------------------------------------------------------------------- rules


def no_policy(ctx: AuditContext) -> list[Finding]:
    if ctx.policy_found or not ctx.capture.reachable:
        return []
    baseline = ctx.capture.visit("baseline") or (ctx.capture.visits[0] if ctx.capture.visits else None)
    evidence = [Evidence(kind="request", url=ctx.capture.start_url, visit=baseline.name if baseline else None,
                         detail="homepage links no privacy policy; well-known policy paths answered none")]
    return [build_finding(ctx, "NO_POLICY_FOUND", evidence=evidence)]


def declaration_findings(ctx: AuditContext) -> list[Finding]:
    if not ctx.policy_found:
        return []
    out = []
    for obs in ctx.known():
        tracker, cov = obs.tracker, ctx.coverage[obs.tracker.key]
        seen = sighting_evidence(obs.sightings)
        url = _policy_url(ctx)
        if cov.level == "none":
            out.append(build_finding(ctx, "UNDECLARED_TRACKER", tracker, evidence=seen))
        elif cov.level == "negated" and cov.declaration is not None:
            d = cov.declaration
            out.append(build_finding(ctx, "NEGATED_BUT_OBSERVED", tracker, name_in_text=d.name_in_text,
                                     evidence=sentence_evidence(d.sentence, d.source, url) + seen))
        elif cov.level == "category" and cov.declaration is not None:
            d = cov.declaration
            out.append(build_finding(ctx, "VAGUELY_DECLARED_TRACKER", tracker, phrase=d.name_in_text,
                                     evidence=sentence_evidence(d.sentence, d.source, url) + seen))
    return out


def declared_not_observed(ctx: AuditContext) -> list[Finding]:
    out = []
    for item in declared_not_seen(ctx):
        # Not observed, but the finding names it like an observed tracker: same fields, no sightings.
        reported = _reported(ctx.knowledge, item.company_id)
        subject = ObservedTracker(key=item.product_id or f"company:{item.company_id}", name=item.name,
                                  product_id=item.product_id, company_id=reported,
                                  company_name=_company_name(ctx.knowledge, reported),
                                  operating_company_id=item.company_id,
                                  operating_company_name=_company_name(ctx.knowledge, item.company_id))
        out.append(build_finding(ctx, "DECLARED_NOT_OBSERVED", subject, name=item.name,
                                 evidence=sentence_evidence(item.sentence, "privacy_policy", _policy_url(ctx))))
    return out


def declared_not_seen(ctx: AuditContext) -> list[DeclaredNotSeen]:
    analysis = ctx.analysis
    if analysis is None:
        return []
    products = {o.tracker.product_id for o in ctx.known() if o.tracker.product_id}
    companies: set[str] = set()
    for o in ctx.known():
        if operator := _operator(o.tracker):
            companies.update(_chain(ctx.knowledge, operator))
    out: list[DeclaredNotSeen] = []
    listed: set[str] = set()
    for d in analysis.declarations:
        if d.level == "product" and d.product_id and d.product_id not in products and d.product_id not in listed:
            listed.add(d.product_id)
            product = ctx.knowledge.products.get(d.product_id)
            out.append(DeclaredNotSeen(product_id=d.product_id, company_id=d.company_id,
                                       name=product.name if product else d.name_in_text, sentence=d.sentence))
        elif d.level == "company" and d.company_id and d.company_id not in companies and d.company_id not in listed:
            listed.add(d.company_id)
            out.append(DeclaredNotSeen(company_id=d.company_id, name=_company_name(ctx.knowledge, d.company_id)
                                       or d.name_in_text, sentence=d.sentence))
    return out


def _reported(knowledge: Knowledge, company_id: str | None) -> str | None:
    return knowledge.reported_company(company_id) if company_id in knowledge.companies else company_id


def _chain(knowledge: Knowledge, company_id: str) -> list[str]:
    return knowledge.company_chain(company_id) if company_id in knowledge.companies else [company_id]


def _in_visit(ctx: AuditContext, visit: str, categories: frozenset[str]) -> list[TrackerObservation]:
    return [o for o in ctx.known() if o.tracker.category in categories and o.in_visit(visit)]


def product_names(observations: list[TrackerObservation]) -> str:
    """The trackers as "Name (Company), …", for a finding's ``products`` field."""
    return ", ".join(f"{o.tracker.name} ({o.tracker.company_name})" for o in observations)


def _products(observations: list[TrackerObservation], visit: str) -> list[FindingProduct]:
    return [finding_product(o.tracker, sighting_evidence(o.in_visit(visit), limit=2)) for o in observations]


def _visit_evidence(observations: list[TrackerObservation], visit: str) -> list[Evidence]:
    out: list[Evidence] = []
    for o in observations:
        out.extend(sighting_evidence(o.in_visit(visit), limit=2))
    return out


def dnt_contradicted(ctx: AuditContext) -> list[Finding]:
    claim = _dnt_claim(ctx)
    if claim is None or ctx.capture.visit("gpc") is None:
        return []
    loaded = _in_visit(ctx, "gpc", ctx.rules.tracking_categories)
    if not loaded:
        return []
    return [build_finding(ctx, "DNT_CLAIM_CONTRADICTED", visit="gpc", count=len(loaded), products=product_names(loaded),
                          evidence=claim + _visit_evidence(loaded, "gpc"), product_list=_products(loaded, "gpc"))]


def _dnt_claim(ctx: AuditContext) -> list[Evidence] | None:
    if ctx.analysis is not None and ctx.analysis.dnt.value == "honors":
        return sentence_evidence(ctx.analysis.dnt.evidence[0] if ctx.analysis.dnt.evidence else None,
                                 url=_policy_url(ctx)) or None
    for wk in ctx.capture.well_known:
        if wk.path.endswith("dnt-policy.txt") and wk.status == 200 and "do not track" in (wk.body or "").lower():
            return [Evidence(kind="well_known", url=wk.url, text=(wk.body or "")[:300],
                             detail="the site serves the EFF Do Not Track compliance policy")]
    return None


def gpc_claim(ctx: AuditContext) -> tuple[str, list[Evidence]] | None:
    for wk in ctx.capture.well_known:
        if wk.path.endswith("gpc.json") and wk.status == 200 and wk.body:
            try:
                if json.loads(wk.body).get("gpc") is True:
                    return "/.well-known/gpc.json", [Evidence(kind="well_known", url=wk.url, text=wk.body[:300])]
            except (ValueError, AttributeError):
                pass
    if ctx.analysis is not None and ctx.analysis.gpc.value == "honors" and ctx.analysis.gpc.evidence:
        return "The privacy policy", sentence_evidence(ctx.analysis.gpc.evidence[0], url=_policy_url(ctx))
    return None


def gpc_findings(ctx: AuditContext) -> list[Finding]:
    if ctx.capture.visit("gpc") is None:
        return []
    loaded = _in_visit(ctx, "gpc", ctx.rules.advertising_categories)
    if not loaded:
        return []
    evidence = _visit_evidence(loaded, "gpc")
    claim = gpc_claim(ctx)
    if claim is not None:
        source, claim_evidence = claim
        return [build_finding(ctx, "GPC_CLAIM_CONTRADICTED", visit="gpc", claim_source=source, count=len(loaded),
                              products=product_names(loaded), evidence=claim_evidence + evidence,
                              product_list=_products(loaded, "gpc"))]
    return [build_finding(ctx, "GPC_NOT_HONORED", visit="gpc", count=len(loaded), products=product_names(loaded),
                          evidence=evidence, product_list=_products(loaded, "gpc"))]


def sale_contradicted(ctx: AuditContext) -> list[Finding]:
    if ctx.analysis is None or ctx.analysis.sale.value != "does_not_sell":
        return []
    ads = [o for o in ctx.known() if o.tracker.category in ctx.rules.advertising_categories and not o.tracker.first_party]
    if not ads:
        return []
    cookies = ", ".join(c for o in ads for c in o.tracker.cookies[:2]) or "identifiers in request URLs"
    visit = "baseline" if any(o.in_visit("baseline") for o in ads) else ads[0].tracker.visits[0]
    evidence = sentence_evidence(ctx.analysis.sale.evidence[0] if ctx.analysis.sale.evidence else None,
                                 url=_policy_url(ctx)) + _visit_evidence(ads, visit)
    products = [finding_product(o.tracker, sighting_evidence(o.sightings, limit=2)) for o in ads]
    return [build_finding(ctx, "SALE_CLAIM_CONTRADICTED", visit=visit, products=product_names(ads), cookies=cookies,
                          evidence=evidence, product_list=products)]
