"""Category-level declarations as policies write them (issue 13 §4, the class behind quaykite's
"Analytics: …" purpose list and ridgeloft's "companies that help us with analytics and marketing"):
a phrase naming two purposes declares both, third-party technologies described by what they do
declare their category, and a listed cookie purpose declares the trackers of that purpose, vaguely.
No browser; the sentences are our own."""

from __future__ import annotations

import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy import analyze_policy


def _categories(text: str) -> set[str]:
    analysis = analyze_policy(text, knowledge=load_knowledge())
    return {d.category for d in analysis.category_mentions if d.category}


def _purposes(text: str) -> dict[str, str]:
    analysis = analyze_policy(text, knowledge=load_knowledge())
    return {d.category: d.sentence for d in analysis.cookie_purposes if d.category}


@pytest.mark.parametrize(("sentence", "expected"), [
    ("We work with analytics and advertising providers who set cookies on our pages.", {"analytics", "advertising"}),
    ("We share limited data with companies that help us with analytics and marketing.", {"analytics", "advertising"}),
    ("Some data goes to vendors who assist us with marketing and analytics.", {"analytics", "advertising"}),
    ("Partners that support us with our advertising receive a device identifier.", {"advertising"}),
    ("We may use third-party cookies and pixels to show you ads on other websites.", {"advertising"}),
    ("Third-party tags or similar technologies are used to serve advertisements when you browse elsewhere.",
     {"advertising"}),
    ("You may see ads tailored to your interests on our site.", {"advertising"}),
    ("We may use software tools to measure and collect session information such as clicks.", {"session-recording"}),
    ("Tools that record your session data help us fix broken pages.", {"session-recording"}),
])
def test_category_phrases_as_policies_write_them(sentence, expected):
    assert expected <= _categories(sentence), (sentence, _categories(sentence))


@pytest.mark.parametrize("sentence", [
    "We do not share data with companies that help us with analytics and marketing.",
    "We never use third-party cookies to show you ads.",
])
def test_denied_category_phrases_declare_nothing(sentence):
    assert not _categories(sentence) & {"analytics", "advertising"}, sentence


def test_a_purpose_list_under_a_cookie_lead_in_declares_each_purpose():
    text = ("Cookies and similar technologies\n\n"
            "We use these technologies for the following purposes:\n\n"
            "Security: to keep your account safe.\n\n"
            "Analytics: to count visits and see which pages are read.\n\n"
            "Marketing: to show offers from us on other websites.\n\n"
            "Our support team answers within two days.\n\n"
            "Statistics: our annual report lists the number of customers.\n")
    purposes = _purposes(text)
    assert set(purposes) == {"analytics", "advertising"}, purposes
    assert purposes["analytics"].startswith("Analytics: to count visits")
    # The list ended at the unlabelled paragraph: a later "Statistics:" line is not a cookie purpose.
    assert "annual report" not in " ".join(purposes.values())


def test_a_labelled_line_without_a_cookie_lead_in_is_not_a_purpose():
    text = "Our company\n\nAnalytics: our data team has twelve people.\n\nAdvertising: we buy billboards.\n"
    assert _purposes(text) == {}


def test_cookie_phrases_declare_their_tracker_category_unless_denied():
    assert set(_purposes("We use analytics cookies and advertising cookies on this site.")) == {"analytics",
                                                                                              "advertising"}
    assert set(_purposes("We use social media cookies for share buttons.")) == {"social"}
    assert _purposes("We do not use advertising cookies.") == {}
    assert _purposes("Strictly necessary cookies keep you signed in.") == {}
