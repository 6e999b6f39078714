"""The report's ``banner`` signal: what the banner offers, what the reject/accept visits showed."""

from __future__ import annotations

from model.consent import VisitConsent
from model.report import Signal

from ..findings import AuditContext
from .findings import visit_consents

CONTRADICTING = frozenset({"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT", "CONSENT_MODE_GRANTED_AFTER_REJECT",
                           "BANNER_WITHOUT_REJECT", "OPT_OUT_NOT_RECORDED"})


def banner_signal(ctx: AuditContext, codes: set[str]) -> Signal:
    consent = visit_consents(ctx)
    tested = [consent[n] for n in ("reject", "accept") if n in consent and consent[n].outcome]
    if not tested:
        visited = any(ctx.capture.visit(n) is not None for n in ("reject", "accept"))
        return Signal(policy="no banner" if visited else "not tested",
                      observed="no banner visit ran" if not visited else "no banner answered")
    reject = consent.get("reject")
    shown = next((c for c in tested if c.outcome != "no_banner"), None)
    if shown is None:
        offer = "no banner"
    elif reject is not None and reject.outcome == "no_reject_option":
        offer = f"{shown.cmp or 'banner'} without a reject option"
    else:
        offer = f"{shown.cmp or 'unknown banner'} ({shown.method})"
    observed = "; ".join(_describe(c) for c in tested)
    return Signal(policy=offer, observed=observed, contradicted=bool(codes & CONTRADICTING))


def _describe(c: VisitConsent) -> str:
    text = f"{c.visit}: {c.outcome}"
    if c.click_ms is not None:
        text += f" at {c.click_ms / 1000:.1f} s"
    if c.self_test is not None:
        text += f", self-test {'passed' if c.self_test else 'failed'}"
    if c.reason and c.outcome != "done":
        text += f" ({c.reason})"
    return text
