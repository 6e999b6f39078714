"""Synthetic but well-formed audits (Report + Capture) for the store tests and the API benchmark.

Built from the analyzer's own structs, so they are exactly what the store receives from a real
crawl; the companies and products are real names from the tracker knowledge base.
"""

from __future__ import annotations

import hashlib
import random

from model.capture import Capture, ConsentRecord, PolicyDocument, TimelineEvent, Visit
from model.report import (
    Counts,
    DeclaredNotSeen,
    Evidence,
    Finding,
    Grade,
    ObservedTracker,
    PolicyPart,
    Report,
    Signal,
    VisitSummary,
)

TRACKERS = [  # key, name, company id, company name, category, host
    ("google-analytics", "Google Analytics", "google", "Google", "analytics", "www.google-analytics.com"),
    ("google-ads", "Google Ads", "google", "Google", "advertising", "googleads.g.doubleclick.net"),
    ("meta-pixel", "Meta Pixel", "meta", "Meta", "advertising", "connect.facebook.net"),
    ("hotjar", "Hotjar", "hotjar", "Hotjar", "session-recording", "static.hotjar.com"),
    ("tiktok-pixel", "TikTok Pixel", "bytedance", "ByteDance", "advertising", "analytics.tiktok.com"),
    ("microsoft-clarity", "Microsoft Clarity", "microsoft", "Microsoft", "session-recording", "www.clarity.ms"),
]
GRADES = [("A", 95), ("B", 82), ("C", 68), ("D", 51), ("E", 35), ("F", 12)]


def tracker(index: int, declared: str) -> ObservedTracker:
    key, name, company_id, company, category, host = TRACKERS[index]
    return ObservedTracker(key=key, name=name, product_id=key, company_id=company_id, company_name=company,
                           category=category, visits=["baseline", "gpc"], request_count=3,
                           evidence_urls=[f"https://{host}/collect?id=1"], declared=declared,
                           declaration_sentence=f"We use {name}." if declared != "none" else None)


def undeclared_finding(t: ObservedTracker) -> Finding:
    return Finding(code="UNDECLARED_TRACKER", severity="high", title=f"{t.name} loads but the policy does not name it",
                   explanation=f"{t.name} ({t.company_name}) was observed, and the privacy policy does not declare it.",
                   product_id=t.product_id, product_name=t.name, company_id=t.company_id, company_name=t.company_name,
                   category=t.category, visit="baseline",
                   evidence=[Evidence(kind="request", visit="baseline", url=t.evidence_urls[0], t_ms=420.0)])


def make_report(domain: str, audited_at: float, loaded: list[int], declared: list[int],
                policy_text: str = "We use Google Analytics.", grade: tuple[str, int] = ("C", 68)) -> Report:
    """A report where trackers ``loaded`` were observed and those in ``declared`` are named by the policy."""
    trackers = [tracker(i, "product" if i in declared else "none") for i in loaded]
    findings = [undeclared_finding(t) for t in trackers if t.declared == "none"]
    not_seen = [DeclaredNotSeen(product_id=TRACKERS[i][0], name=TRACKERS[i][1], sentence=f"We use {TRACKERS[i][1]}.")
                for i in declared if i not in loaded]
    if not_seen:
        findings.append(Finding(code="DECLARED_NOT_SEEN", severity="info", title="Declared trackers were not seen",
                                explanation="The policy names trackers the site did not load."))
    undeclared = sum(1 for t in trackers if t.declared == "none")
    return Report(
        domain=domain, audited_at=audited_at, start_url=f"https://{domain}/",
        policy=PolicyPart(found=True, url=f"https://{domain}/privacy",
                          text_sha256=hashlib.sha256(policy_text.encode()).hexdigest()),
        trackers=trackers, declared_not_seen=not_seen, findings=findings,
        counts=Counts(declared=len(declared), loaded=len(trackers), undeclared=undeclared,
                      declared_not_seen=len(not_seen)),
        signals={"gpc": Signal(policy="silent", observed=f"{len(trackers)} trackers loaded with GPC on")},
        visits=[VisitSummary(name=v, ok=True, status=200, requests=20, third_party_requests=3 * len(trackers),
                             trackers=[t.key for t in trackers], consent_outcome="done" if v == "reject" else None)
                for v in ("baseline", "gpc", "reject")],
        summary=f"{domain} loads {len(trackers)} trackers; its policy leaves {undeclared} undeclared.",
        grade=Grade(letter=grade[0], score=grade[1], reasons=[f"{undeclared} undeclared trackers"]),
    )


def make_capture(report: Report, policy_text: str = "We use Google Analytics.") -> Capture:
    consent = ConsentRecord(outcome="done", cmp="onetrust", method="autoconsent", banner_shown_ms=800.0,
                            click_ms=1500.0, timeline=[TimelineEvent(t_ms=800.0, event="banner_shown"),
                                                       TimelineEvent(t_ms=1500.0, event="click", detail="reject all")])
    visits = [Visit(name=v.name, url=f"https://{report.domain}/", ok=True, status=200, duration_ms=4000.0,
                    consent=consent if v.name == "reject" else None) for v in report.visits]
    return Capture(domain=report.domain, start_url=f"https://{report.domain}/", started_at=report.audited_at - 10,
                   finished_at=report.audited_at, visits=visits,
                   policies=[PolicyDocument(kind="privacy", url=f"https://{report.domain}/privacy", found_via="link",
                                            text=policy_text)])


def random_report(domain: str, rng: random.Random, audited_at: float) -> Report:
    loaded = rng.sample(range(len(TRACKERS)), rng.randint(0, 4))
    declared = [i for i in range(len(TRACKERS)) if rng.random() < 0.3]
    return make_report(domain, audited_at, loaded, declared, grade=rng.choice(GRADES))
