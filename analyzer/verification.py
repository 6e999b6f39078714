"""What an audit could not verify, so that "no problems found" is earned, not assumed.

Each check reads the capture and names a gap: a bot wall instead of the homepage (then nothing was
audited at all), a visit that did not complete, no banner seen although trackers set cookies before
any choice (a banner hidden from us, or one we failed to see), a policy link whose page was unreadable.
A report with a gap is never graded clean; a blocked site gets no grade.
"""

from __future__ import annotations

from model.capture import Capture, Visit
from model.report import Unverified

from .findings import AuditContext

BLOCKING_STATUSES = {403: "403 Forbidden", 429: "429 Too Many Requests", 503: "503 Service Unavailable"}
MIN_HOMEPAGE_TEXT = 1  # a homepage with no visible text at all is an empty shell (often a JS challenge)
MIN_POLICY_TEXT = 200


def bot_wall(capture: Capture) -> str | None:
    """Why the homepage is a bot wall rather than the site, or None. Judged on the first visit that
    reached the site (the baseline unless it failed)."""
    visit = next((v for v in capture.visits if v.status is not None), None)
    if visit is None:
        return None
    if visit.bot_wall_markers:
        vendors = sorted({m.split(":", 1)[0] for m in visit.bot_wall_markers})
        return f"the homepage answered with a bot check ({', '.join(vendors)}: {visit.bot_wall_markers[0].split(': ', 1)[-1]})"
    if visit.status in BLOCKING_STATUSES:
        return f"the homepage answered {BLOCKING_STATUSES[visit.status]} to the audit's browser"
    if visit.text_chars is not None and visit.text_chars < MIN_HOMEPAGE_TEXT and not visit.partial:
        return "the homepage came back empty (no visible text)"
    return None


def unverified(ctx: AuditContext) -> list[Unverified]:
    capture = ctx.capture
    if not capture.reachable:
        return []  # unreachable is its own state: nothing was audited
    wall = bot_wall(capture)
    if wall is not None:
        return [Unverified(code="BLOCKED", text=f"not verified: anything — {wall}; the site was not audited")]
    out = []
    incomplete = [v for v in capture.visits if v.partial or not v.ok]
    if incomplete:
        out.append(Unverified(code="VISIT_INCOMPLETE", text="not verified: " + "; ".join(_incomplete(v) for v in incomplete)))
    hidden = _banner_not_seen(ctx)
    if hidden:
        out.append(Unverified(code="BANNER_NOT_SEEN", text=(
            "not verified: consent — no cookie banner was seen, yet " + hidden + " set cookies before any choice; "
            "a banner hidden from automated visits (or one the audit missed) cannot be ruled out")))
    unreadable = _unreadable_policies(capture)
    if unreadable:
        out.append(Unverified(code="POLICY_UNREADABLE", text="not verified: the policy — " + "; ".join(unreadable)))
    return out


def _incomplete(visit: Visit) -> str:
    why = visit.error or "it was cut short"
    return f"the {visit.name} visit did not complete ({why})"


def _banner_not_seen(ctx: AuditContext) -> str:
    outcomes = [v.consent.outcome for v in ctx.capture.visits
                if v.name in ("reject", "accept") and v.consent is not None]
    if not outcomes or any(outcome not in ("no_banner", "not_attempted") for outcome in outcomes):
        return ""
    tracking = sorted({o.tracker.name for o in ctx.known()
                       if o.tracker.category in ctx.rules.tracking_categories
                       and any(s.visit == "baseline" and s.cookie is not None for s in o.sightings)})
    return ", ".join(tracking)


def _unreadable_policies(capture: Capture) -> list[str]:
    out = []
    for doc in capture.policies:
        if doc.status is not None and doc.status >= 400:
            out.append(f"the {doc.kind} policy at {doc.url} answered {doc.status}")
        elif len(doc.text.strip()) < MIN_POLICY_TEXT:
            out.append(f"the {doc.kind} policy at {doc.url} has almost no readable text ({len(doc.text.strip())} characters)")
    return out
