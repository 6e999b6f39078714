"""Every finding producer, in the order the audit runs them (the report lists findings in this order).

A producer reads the ``AuditContext`` and returns findings built with ``findings.build_finding``.
Nothing registers itself: a producer runs because it is listed here, and
tests/test_producer_wiring.py checks that every code in data/findings.yaml comes from one of them.
"""

from __future__ import annotations

from model.report import Finding

from . import findings as policy
from .behaviour import findings as behaviour
from .consent import findings as consent
from .findings import AuditContext, Producer

PRODUCERS: tuple[Producer, ...] = (
    # what the policy declares against what the visits observed (findings.py)
    policy.no_policy,
    policy.declaration_findings,
    policy.declared_not_observed,
    policy.dnt_contradicted,
    policy.gpc_findings,
    policy.sale_contradicted,
    # what scripts did (behaviour/findings.py)
    behaviour.fingerprinting,
    behaviour.session_recording,
    behaviour.keystrokes_before_submit,
    behaviour.pii_to_third_party,
    # the cookie banner and the consent strings (consent/findings.py)
    consent.pre_consent_tracking,
    consent.tracking_after_reject,
    consent.consent_mode_granted_after_reject,
    consent.consent_mode_denied_pings,
    consent.gpc_consent_strings,
    consent.gpc_not_in_consent_strings,
    consent.opt_out_not_recorded,
    consent.banner_without_reject,
)


def run_producers(ctx: AuditContext) -> list[Finding]:
    findings: list[Finding] = []
    for produce in PRODUCERS:
        findings.extend(f for f in produce(ctx) if f.evidence)  # no finding without evidence
    return findings
