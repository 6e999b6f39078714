"""Who owns what (issue 13 §5), from attribution to coverage: a subsidiary's product is reported
under its owner with the operating company kept, and the declarations of the operating company or
of any owner cover it — in coverage, its note and the declared-but-not-seen list alike."""

from __future__ import annotations

import pytest

from analyzer.attribution import Attributor
from analyzer.external import ExternalLists
from analyzer.findings import AuditContext, coverage_note, coverage_of, declared_not_seen
from analyzer.knowledge import load_knowledge
from analyzer.observed import TrackerObservation, tracker_key
from analyzer.policy import analyze_policy
from model.report import ObservedTracker

SITE = "some-shop.example"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def attributor(kb):
    return Attributor(kb, ExternalLists())


def observed(url: str, attributor) -> ObservedTracker:
    a = attributor.attribute_request(url, SITE)
    return ObservedTracker(key=tracker_key(a), name=a.product_name or a.company_name, product_id=a.product_id,
                           company_id=a.company_id, company_name=a.company_name, category=a.category,
                           operating_company_id=a.operating_company_id, operating_company_name=a.operating_company_name)


YOUTUBE = "https://www.youtube.com/embed/abc"
INSTAGRAM = "https://www.instagram.com/p/xyz/embed/"
INSIGHT = "https://snap.licdn.com/li.lms-analytics/insight.min.js"
ANALYTICS = "https://www.google-analytics.com/g/collect?v=2"


@pytest.mark.parametrize(
    "url, policy, level",
    [
        (YOUTUBE, "We share usage data with Google.", "company"),  # the owner covers its subsidiary's product
        (YOUTUBE, "Videos are hosted by YouTube LLC.", "company"),  # the operating company covers it too
        (YOUTUBE, "We use Alphabet Inc. services.", "company"),  # so does the holding above them
        (INSTAGRAM, "Our partners include Meta Platforms.", "company"),
        (INSIGHT, "We work with Microsoft Corporation.", "company"),
        (ANALYTICS, "Videos are hosted by YouTube LLC.", "none"),  # a subsidiary covers nothing of its owner's
        (INSTAGRAM, "We do not share data with Meta.", "negated"),
    ],
)
def test_declarations_of_the_operator_or_an_owner_cover(kb, attributor, url, policy, level):
    tracker = observed(url, attributor)
    assert coverage_of(tracker, analyze_policy(policy, knowledge=kb), kb).level == level


def test_the_note_names_operator_and_owner(kb, attributor):
    tracker = observed(YOUTUBE, attributor)
    assert (tracker.company_name, tracker.operating_company_name) == ("Google", "YouTube")
    cov = coverage_of(tracker, analyze_policy("We share data with Google.", knowledge=kb), kb)
    note = coverage_note(tracker, cov)
    assert "Google, which owns YouTube" in note


def test_declared_not_seen_counts_subsidiaries_as_seen(kb, attributor):
    analysis = analyze_policy("We share data with Meta Platforms. We also work with Microsoft Corporation.", knowledge=kb)
    tracker = observed(INSTAGRAM, attributor)
    ctx = AuditContext(capture=None, analysis=analysis, observations={tracker.key: TrackerObservation(tracker)},
                       knowledge=kb, rules=None)
    # Meta is seen through its Instagram embed; Microsoft is not seen at all.
    assert [d.company_id for d in declared_not_seen(ctx)] == ["microsoft"]


def test_company_only_hosts_of_a_subsidiary_keep_their_own_key(attributor):
    google_host = attributor.attribute_request("https://www.google.com/search?q=x", SITE)
    youtube_host = attributor.attribute_request("https://youtu.be/abc", SITE)
    assert google_host.company_id == youtube_host.company_id == "google"
    assert (tracker_key(google_host), tracker_key(youtube_host)) == ("company:google", "company:youtube")
