"""What changed between two audits of a domain: trackers, findings, grade and policy text."""

from __future__ import annotations

import difflib

import msgspec

from model.report import Finding, ObservedTracker, Report

MAX_DIFF_LINES = 400


class TrackerRef(msgspec.Struct, kw_only=True):
    key: str
    name: str
    company_name: str | None = None


class FindingRef(msgspec.Struct, kw_only=True):
    code: str
    severity: str
    title: str
    company_name: str | None = None
    product_name: str | None = None


class ChangeBrief(msgspec.Struct, kw_only=True):
    trackers_appeared: list[TrackerRef] = []
    trackers_disappeared: list[TrackerRef] = []
    findings_opened: list[FindingRef] = []
    findings_closed: list[FindingRef] = []
    grade_from: str | None = None
    grade_to: str | None = None
    policy_changed: bool = False


class Change(ChangeBrief, kw_only=True):
    domain: str
    from_report_id: int
    to_report_id: int
    from_audited_at: float
    to_audited_at: float
    policy_diff: str | None = None  # unified diff of the privacy policy text, capped


def _tracker_ref(t: ObservedTracker) -> TrackerRef:
    return TrackerRef(key=t.key, name=t.name, company_name=t.company_name)


def _finding_key(f: Finding) -> tuple[str, str]:
    # A finding is "the same" across audits when code and subject match; evidence may differ.
    return f.code, f.product_id or f.company_id or ""


def _finding_ref(f: Finding) -> FindingRef:
    return FindingRef(code=f.code, severity=f.severity, title=f.title, company_name=f.company_name,
                      product_name=f.product_name)


def brief(old: Report, new: Report) -> ChangeBrief:
    old_t = {t.key: t for t in old.trackers if not t.first_party}
    new_t = {t.key: t for t in new.trackers if not t.first_party}
    old_f = {_finding_key(f): f for f in old.findings}
    new_f = {_finding_key(f): f for f in new.findings}
    return ChangeBrief(
        trackers_appeared=[_tracker_ref(new_t[k]) for k in sorted(new_t.keys() - old_t.keys())],
        trackers_disappeared=[_tracker_ref(old_t[k]) for k in sorted(old_t.keys() - new_t.keys())],
        findings_opened=[_finding_ref(new_f[k]) for k in sorted(new_f.keys() - old_f.keys())],
        findings_closed=[_finding_ref(old_f[k]) for k in sorted(old_f.keys() - new_f.keys())],
        grade_from=old.grade.letter,
        grade_to=new.grade.letter,
        policy_changed=old.policy.text_sha256 != new.policy.text_sha256,
    )


def policy_diff(old_text: str | None, new_text: str | None, old_label: str, new_label: str) -> str | None:
    if (old_text or "") == (new_text or ""):
        return None
    lines = list(difflib.unified_diff((old_text or "").splitlines(), (new_text or "").splitlines(),
                                      old_label, new_label, lineterm="", n=1))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"… {len(lines) - MAX_DIFF_LINES} more lines"]
    return "\n".join(lines)


def compare(old: Report, new: Report, old_id: int, new_id: int,
            old_policy: str | None, new_policy: str | None) -> Change:
    summary = brief(old, new)
    diff = policy_diff(old_policy, new_policy, f"report {old_id}", f"report {new_id}")
    fields = msgspec.structs.asdict(summary)
    fields["policy_changed"] = summary.policy_changed or diff is not None
    return Change(**fields, domain=new.domain, from_report_id=old_id, to_report_id=new_id,
                  from_audited_at=old.audited_at, to_audited_at=new.audited_at, policy_diff=diff)
