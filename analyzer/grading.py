"""A grade with its reasons, and the one-sentence summary a popup shows first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from model.report import Counts, Finding, Grade, Unverified

from .rules import Rules


def grade(findings: list[Finding], policy_found: bool, rules: Rules, unverified: Sequence[Unverified] = ()) -> Grade:
    blocked = next((u for u in unverified if u.code == "BLOCKED"), None)
    if blocked is not None:  # a bot wall was audited, not the site: no grade at all
        return Grade(letter="?", score=0, reasons=[blocked.text])
    score = 100
    reasons: list[str] = []
    by_code = Counter(f.code for f in findings if rules.penalties.get(f.severity, 0))
    for f in findings:
        score -= rules.penalties.get(f.severity, 0)
    for code, n in by_code.most_common():
        sample = next(f for f in findings if f.code == code)
        reasons.append(f"{n}× {code} ({sample.severity})")
    if not policy_found:
        score = min(score, rules.no_policy_cap)
    if unverified:  # what was not verified cannot count as clean
        score = min(score, rules.unverified_cap)
        reasons.extend(u.text for u in unverified)
    score = max(0, min(100, score))
    letter = next(letter for floor, letter in rules.letters if score >= floor)
    if not reasons:
        reasons.append("no problems found")
    return Grade(letter=letter, score=score, reasons=reasons)


def summary_sentence(findings: list[Finding], counts: Counts, policy_found: bool, reachable: bool,
                     unverified: Sequence[Unverified] = ()) -> str:
    if not reachable:
        return "The site could not be reached, so nothing was audited."
    if any(u.code == "BLOCKED" for u in unverified):
        return "The site answered the audit with a bot check instead of its homepage, so nothing was audited."
    codes = Counter(f.code for f in findings)
    if not policy_found:
        return f"No privacy policy found, and {_trackers(counts.loaded)} load." if counts.loaded else \
            "No privacy policy found."
    if codes["NEGATED_BUT_OBSERVED"]:
        n = codes["NEGATED_BUT_OBSERVED"]
        return f"{_trackers(n)} load that the privacy policy says the site does not use."
    if counts.undeclared:
        verb = "loads" if counts.undeclared == 1 else "load"
        return f"{_trackers(counts.undeclared)} {verb} that the privacy policy doesn't mention."
    for code, sentence in (
        ("SALE_CLAIM_CONTRADICTED", "The policy says it doesn't sell or share data, but advertising trackers load."),
        ("GPC_CLAIM_CONTRADICTED", "The site claims to honour Global Privacy Control, but advertising trackers still load."),
        ("DNT_CLAIM_CONTRADICTED", "The policy says it honours Do Not Track, but trackers still load with it on."),
        ("TRACKING_AFTER_REJECT", "Trackers keep running after you reject cookies."),
        ("PRE_CONSENT_TRACKING", "Trackers start before you answer the cookie banner."),
        ("GPC_NOT_HONORED", "Advertising trackers ignore the Global Privacy Control signal."),
        ("VAGUELY_DECLARED_TRACKER", "Some trackers are only covered by vague wording in the policy."),
    ):
        if codes[code]:
            return sentence
    if unverified:
        reason = unverified[0].text.removeprefix("not verified: ")
        return f"No problems found, but not everything could be verified: {reason}."
    return "No problems found in the last audit."


def _trackers(n: int) -> str:
    return f"{n} tracker" + ("" if n == 1 else "s")
