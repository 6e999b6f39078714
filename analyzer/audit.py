"""``analyze_capture``: a capture in, a report out (policy analysis + attribution + findings)."""

from __future__ import annotations

import hashlib
import time

from model.capture import Capture, PolicyDocument, Visit
from model.domains import host_of, registrable_domain
from model.policy import PolicyAnalysis
from model.report import (
    Counts,
    DeclaredNotSeen,
    Finding,
    PolicyPart,
    Report,
    Signal,
    SignalName,
    SkippedVisit,
    StanceSource,
    VisitSummary,
)

from .attribution import Attributor
from .consent import banner_signal, consent_summary
from .findings import AuditContext, coverage_note, coverage_of, declared_not_seen, gpc_claim
from .grading import grade, summary_sentence
from .knowledge import Knowledge
from .legal import legal_data
from .observed import TrackerObservation, is_known_tracker, observe
from .producers import run_producers
from .rules import load_rules
from .verification import unverified


def analyze_capture(capture: Capture, *, attributor: Attributor | None = None,
                    knowledge: Knowledge | None = None) -> Report:
    from .knowledge import load_knowledge
    from .policy import analyze_policy

    knowledge = knowledge or load_knowledge()
    if attributor is None:
        from .attribution import default_attributor

        attributor = default_attributor()
    privacy = _policy(capture, "privacy")
    cookie = _policy(capture, "cookie")
    analysis = None
    if privacy is not None:
        analysis = analyze_policy(privacy.text, cookie_policy_text=cookie.text if cookie else None, knowledge=knowledge)
    observations = observe(capture, attributor)
    ctx = AuditContext(capture, analysis, observations, knowledge, load_rules())
    for key, obs in observations.items():
        cov = coverage_of(obs.tracker, analysis, knowledge)
        ctx.coverage[key] = cov
        obs.tracker.declared = cov.level
        obs.tracker.declaration_sentence = cov.declaration.sentence if cov.declaration is not None else None
        obs.tracker.declaration_note = coverage_note(obs.tracker, cov)
    gaps = unverified(ctx)
    blocked = any(g.code == "BLOCKED" for g in gaps)
    findings = [] if blocked else run_producers(ctx)  # a bot wall's page says nothing about the site
    not_seen = declared_not_seen(ctx)
    counts = _counts(ctx, analysis, not_seen)
    report = Report(
        domain=capture.domain,
        audited_at=capture.finished_at or time.time(),
        start_url=capture.start_url,
        reachable=capture.reachable,
        error=capture.error,
        partial=capture.partial,
        cut=list(capture.cut),
        discovery_notes=list(capture.discovery_notes),
        policy=_policy_part(privacy, cookie, analysis),
        trackers=[o.tracker for o in observations.values()],
        declared_not_seen=not_seen,
        findings=findings,
        counts=counts,
        signals=_signals(ctx, findings),
        visits=[_visit_summary(v, capture.domain, observations) for v in capture.visits],
        plan=capture.plan,
        skipped_visits=[SkippedVisit(name=s.name, reason=s.reason) for s in capture.skipped],
    )
    report.unverified = gaps
    report.blocked = blocked
    report.legal_notice = legal_data().wording if any(f.references for f in findings) else None
    report.grade = grade(findings, privacy is not None or not capture.reachable, ctx.rules, gaps)
    report.summary = summary_sentence(findings, counts, privacy is not None, capture.reachable, gaps)
    return report


def _policy(capture: Capture, kind: str) -> PolicyDocument | None:
    return next((p for p in capture.policies if p.kind == kind and p.text.strip()), None)


def _policy_part(privacy: PolicyDocument | None, cookie: PolicyDocument | None,
                 analysis: PolicyAnalysis | None) -> PolicyPart:
    if privacy is None:
        return PolicyPart(found=False, cookie_policy_url=(cookie.final_url or cookie.url) if cookie else None)
    return PolicyPart(
        found=True,
        url=privacy.final_url or privacy.url,
        cookie_policy_url=(cookie.final_url or cookie.url) if cookie else None,
        language=privacy.language,
        text_sha256=hashlib.sha256(privacy.text.encode()).hexdigest(),
        truncated=_truncation(privacy),
        analysis=analysis,
    )


def _truncation(policy: PolicyDocument) -> str | None:
    cuts = []
    if policy.html_truncated_from:
        cuts.append(f"page HTML read to {len(policy.html):,} of {policy.html_truncated_from:,} characters")
    if policy.text_truncated_from:
        cuts.append(f"text analysed to {len(policy.text):,} of {policy.text_truncated_from:,} characters")
    return "; ".join(cuts) or None


def _counts(ctx: AuditContext, analysis: PolicyAnalysis | None, not_seen: list[DeclaredNotSeen]) -> Counts:
    known = [o.tracker for o in ctx.known()]
    declared = 0
    if analysis is not None:
        declared = len({d.product_id or f"company:{d.company_id}" for d in analysis.declarations
                        if d.product_id or d.company_id})
    return Counts(
        declared=declared,
        loaded=len(known),
        undeclared=sum(1 for t in known if t.declared in ("none", "negated")) if analysis is not None else len(known),
        declared_not_seen=len(not_seen),
    )


def _signals(ctx: AuditContext, findings: list[Finding]) -> dict[SignalName, Signal]:
    codes = {f.code for f in findings}
    analysis = ctx.analysis
    gpc_visit = ctx.capture.visit("gpc")
    tracking = [o for o in ctx.known() if o.tracker.category in ctx.rules.tracking_categories and o.in_visit("gpc")]
    ads = [o for o in tracking if o.tracker.category in ctx.rules.advertising_categories]
    observed_dnt = "not tested" if gpc_visit is None else (
        f"{len(tracking)} tracker(s) loaded with DNT on" if tracking else "no trackers loaded with DNT on")
    observed_gpc = "not tested" if gpc_visit is None else (
        f"{len(ads)} advertising tracker(s) loaded with GPC on" if ads else "no advertising trackers loaded with GPC on")
    source: StanceSource | None = "privacy_policy" if analysis else None
    gpc_policy, gpc_source = analysis.gpc.value if analysis else "no policy", source
    if gpc_claim(ctx) is not None and gpc_policy != "honors":  # the claim is the site's /.well-known/gpc.json
        gpc_policy, gpc_source = "honors", "well_known_gpc_json"
    signals: dict[SignalName, Signal] = {
        "dnt": Signal(policy=analysis.dnt.value if analysis else "no policy", observed=observed_dnt,
                      contradicted="DNT_CLAIM_CONTRADICTED" in codes, source=source),
        "gpc": Signal(policy=gpc_policy, observed=observed_gpc, source=gpc_source,
                      contradicted=bool(codes & {"GPC_CLAIM_CONTRADICTED", "GPC_NOT_HONORED"})),
        "sale": Signal(policy=analysis.sale.value if analysis else "no policy", source=source,
                       observed=f"{sum(1 for o in ctx.known() if o.tracker.category in ctx.rules.advertising_categories)}"
                                " advertising tracker(s) loaded",
                       contradicted="SALE_CLAIM_CONTRADICTED" in codes),
        "banner": banner_signal(ctx, codes),
    }
    return signals


def _visit_summary(visit: Visit, site: str, observations: dict[str, TrackerObservation]) -> VisitSummary:
    site_domain = registrable_domain(site)
    third = sum(1 for r in visit.requests if registrable_domain(host_of(r.url) or site) != site_domain)
    return VisitSummary(
        name=visit.name, ok=visit.ok, status=visit.status, error=visit.error, partial=visit.partial,
        requests=len(visit.requests), third_party_requests=third, cookies=len(visit.cookies),
        third_party_cookies=sum(1 for c in visit.cookies if c.first_party is False),
        trackers=[k for k, o in observations.items() if is_known_tracker(o.tracker) and o.in_visit(visit.name)],
        consent_outcome=visit.consent.outcome if visit.consent else None,
        consent=consent_summary(visit),
        plan=list(visit.plan), cut=list(visit.cut),
    )
