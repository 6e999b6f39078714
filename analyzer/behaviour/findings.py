"""Findings from script behaviour: FINGERPRINTING, SESSION_RECORDING_UNDECLARED,
KEYSTROKES_SENT_BEFORE_SUBMIT and PII_SENT_TO_THIRD_PARTY.

A practice the policy declares (``practices``) is not a finding; key logging always is (nobody
declares sending what was typed but not submitted).
"""

from __future__ import annotations

from model.capture import RequestRecord, Visit
from model.domains import host_of, registrable_domain
from model.report import Evidence, Finding

from ..findings import MAX_EVIDENCE, AuditContext, build_finding, sighting_evidence
from .detect import BehaviourReport, detect_behaviour
from .leaks import Leak
from .practices import Declared, declared_practices

KIND_WORDS = {
    "canvas": "canvas fingerprinting",
    "font": "canvas font fingerprinting (installed fonts)",
    "webgl": "WebGL fingerprinting (the graphics card)",
    "audio": "AudioContext fingerprinting",
    "webrtc": "WebRTC local IP address discovery",
}
MAX_CHAIN = 4


def _behaviour(ctx: AuditContext) -> tuple[BehaviourReport, dict[str, Declared]]:
    if ctx.behaviour is None:
        ctx.behaviour = (detect_behaviour(ctx.capture), declared_practices(ctx.capture))
    return ctx.behaviour


def _visit(ctx: AuditContext, name: str) -> Visit | None:
    return ctx.capture.visit(name)


def initiator_chain(visit: Visit | None, url: str) -> list[str]:
    """The script that caused ``url``, the script that loaded that one, … (CDP initiators)."""
    if visit is None:
        return []
    by_url = {r.url: r for r in visit.requests}
    chain: list[str] = []
    current = by_url.get(url)
    while current is not None and current.initiator_script and len(chain) < MAX_CHAIN:
        script = current.initiator_script
        if script in chain or script == current.url:
            break
        chain.append(script)
        current = by_url.get(script)
    return chain


def request_evidence(ctx: AuditContext, visit: str, request: RequestRecord, what: str) -> Evidence:
    chain = initiator_chain(_visit(ctx, visit), request.url)
    caused = f"; sent by {' ← loaded by '.join(chain)}" if chain else ""
    body = (request.post_data or "")[:300] or None
    return Evidence(kind="request", visit=visit, url=request.url, t_ms=request.t_ms, text=body,
                    detail=f"{request.method} {request.resource_type}: {what}{caused}")


def _party(ctx: AuditContext, url: str) -> str:
    same = registrable_domain(host_of(url)) == registrable_domain(ctx.capture.domain)
    return "the site's own script" if same else "a third party"


def fingerprinting(ctx: AuditContext) -> list[Finding]:
    report, declared = _behaviour(ctx)
    if "fingerprinting" in declared:
        return []
    out = []
    seen: set[tuple[str, str]] = set()
    for fp in report.fingerprints:
        if (fp.kind, fp.script_url) in seen:
            continue  # the same script in several visits: one finding, first visit's evidence
        seen.add((fp.kind, fp.script_url))
        visits = [f.visit for f in report.fingerprints if (f.kind, f.script_url) == (fp.kind, fp.script_url)]
        evidence = [Evidence(kind="api_calls", visit=fp.visit, url=fp.script_url, text=fp.calls,
                             detail=f"{fp.criteria}; seen in the {', '.join(visits)} visit(s)"
                                    + (f"; ran {fp.where}" if fp.where else ""))]
        visit = _visit(ctx, fp.visit)
        sent = [r for r in (visit.requests if visit else []) if r.initiator_script == fp.script_url][:2]
        evidence += [request_evidence(ctx, fp.visit, r, "a request this script made") for r in sent]
        out.append(build_finding(ctx, "FINGERPRINTING", category=f"fingerprinting:{fp.kind}", visit=fp.visit,
                                 kind=fp.kind, kind_words=KIND_WORDS[fp.kind], criteria=fp.criteria,
                                 script_host=host_of(fp.script_url), party=_party(ctx, fp.script_url),
                                 evidence=evidence))
    return out


def session_recording(ctx: AuditContext) -> list[Finding]:
    report, declared = _behaviour(ctx)
    if "session-recording" in declared:
        return []
    out = []
    known_hosts: set[str] = set()
    for obs in ctx.known():
        if obs.tracker.category != "session-recording":
            continue
        evidence = sighting_evidence(obs.sightings)
        known_hosts.update(registrable_domain(host_of(s.request.url)) for s in obs.sightings if s.request)
        recipient = ", ".join(sorted({registrable_domain(host_of(s.request.url)) for s in obs.sightings
                                      if s.request})) or obs.tracker.company_name or obs.tracker.name
        out.append(build_finding(ctx, "SESSION_RECORDING_UNDECLARED", obs.tracker, visit=obs.tracker.visits[0],
                                 recorder=obs.tracker.name, how="a known session-recording product",
                                 recipient=recipient, evidence=evidence))
    seen: set[str] = set()
    for rec in report.recordings:
        host = registrable_domain(host_of(rec.script_url))
        if host in known_hosts or host in seen:
            continue  # already reported by signature, or in an earlier visit
        seen.add(host)
        recipients = sorted({registrable_domain(host_of(r.url)) for r in rec.requests})
        evidence = [Evidence(kind="api_calls", visit=rec.visit, url=rec.script_url, text=rec.calls,
                             detail="observes the whole DOM and listens to typing and pointer movement")]
        evidence += [request_evidence(ctx, rec.visit, r, "recorded events sent") for r in rec.requests[:3]]
        out.append(build_finding(ctx, "SESSION_RECORDING_UNDECLARED", category="session-recording", visit=rec.visit,
                                 recorder=f"A script from {host}", how="recognised by what it does",
                                 recipient=", ".join(recipients), evidence=evidence))
    return out


def _by_recipient(leaks: list[Leak]) -> dict[str, list[Leak]]:
    grouped: dict[str, list[Leak]] = {}
    for leak in leaks:
        grouped.setdefault(leak.recipient, []).append(leak)
    return grouped


def keystrokes_before_submit(ctx: AuditContext) -> list[Finding]:
    report, _declared = _behaviour(ctx)
    leaks = [leak for leak in report.leaks if leak.kind == "canary" and leak.third_party]
    out = []
    for recipient, items in _by_recipient(leaks).items():
        fields = ", ".join(sorted({leak.canary.field for leak in items if leak.canary}))
        forms = "; ".join(sorted({leak.what for leak in items}))
        scripts = sorted({leak.request.initiator_script for leak in items if leak.request.initiator_script})
        evidence = [request_evidence(ctx, leak.visit, leak.request, leak.what) for leak in items[:MAX_EVIDENCE]]
        out.append(build_finding(ctx, "KEYSTROKES_SENT_BEFORE_SUBMIT", category="key-logging", visit=items[0].visit,
                                 recipient=recipient, fields=fields, forms=forms,
                                 script=", ".join(scripts) or "an unidentified script", evidence=evidence))
    return out


def pii_to_third_party(ctx: AuditContext) -> list[Finding]:
    report, declared = _behaviour(ctx)
    if "hashed-email" in declared:
        return []
    leaks = [leak for leak in report.leaks if leak.kind == "pii_parameter" and leak.third_party]
    out = []
    for recipient, items in _by_recipient(leaks).items():
        what = "; ".join(sorted({leak.what for leak in items}))
        evidence = [request_evidence(ctx, leak.visit, leak.request, leak.what) for leak in items[:MAX_EVIDENCE]]
        out.append(build_finding(ctx, "PII_SENT_TO_THIRD_PARTY", category="pii", visit=items[0].visit,
                                 recipient=recipient, what=what, evidence=evidence))
    return out
