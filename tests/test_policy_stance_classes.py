"""The stance reader on the classes of sentences real policies use (issue 13 §3), in wording of
this file's own (the bench set, bench/data/policy_stances.yaml, uses other sentences)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy import analyze_policy
from analyzer.policy.evaluation import load_stance_set, score_stances

ROOT = Path(__file__).resolve().parents[1]
OPP115 = ROOT.parent / "shared" / "opp115-dev"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def stance(text: str, field: str, kb) -> str:
    return getattr(analyze_policy(text, knowledge=kb), field).value


SIGNALS = {"dnt": "Do Not Track", "gpc": "Global Privacy Control"}

# Each template names the signal as {signal}; every class is checked for DNT and GPC alike.
SIGNAL_CLASSES = {
    "double_negation": (
        "honors",
        [
            "Our service will not ignore {signal} signals.",
            "{signal} requests sent by your browser are not disregarded.",
            "We have never ignored {signal}.",
            "We do not fail to honour {signal} settings.",
        ],
    ),
    "behaviour_commitment": (
        "honors",
        [
            "If your browser transmits {signal}, we handle your visit as if you had rejected advertising cookies.",
            "When {signal} is active, our advertising tags stay switched off.",
            "Browsers sending {signal} are treated as an opt-out of targeted advertising.",
            "Once {signal} is detected, we will not set any marketing cookies.",
            "With {signal} on, no third-party analytics cookies are stored.",
        ],
    ),
    "hedge": (
        "unclear",
        [
            "We try to follow {signal} where technically possible, but some embedded services may not.",
            "We endeavour to act on {signal} signals.",
            "Where practicable, we honour {signal}.",
            "We make reasonable efforts to respect {signal}, though we cannot guarantee it.",
        ],
    ),
    "same_regardless": (
        "does_not_honor",
        [
            "Whatever your browser sends, including {signal}, we collect the same information.",
            "Our collection practices stay the same whether or not {signal} is enabled.",
            "{signal} does not change what we collect.",
            "We collect browsing data regardless of {signal} settings.",
        ],
    ),
    "not_configured": (
        "does_not_honor",
        [
            "Our site is not configured to detect {signal} signals.",
            "Our web pages are not built to recognise {signal}.",
            "We do not have a mechanism to read {signal} signals.",
            "This website cannot detect {signal} preferences.",
        ],
    ),
}


@pytest.mark.parametrize("field", ["dnt", "gpc"])
@pytest.mark.parametrize(
    "cls, expected, template",
    [(cls, expected, t) for cls, (expected, templates) in SIGNAL_CLASSES.items() for t in templates],
)
def test_signal_classes(kb, field, cls, expected, template):
    text = template.format(signal=SIGNALS[field])
    assert stance(text, field, kb) == expected, (cls, text)
    other = "gpc" if field == "dnt" else "dnt"
    assert stance(text, other, kb) == "silent"


@pytest.mark.parametrize(
    "text, expected",
    [
        # The old readings stay: plain refusals, hedged refusals, descriptions of the law.
        ("We do not respond to Do Not Track signals.", "does_not_honor"),
        ("We ignore Do Not Track.", "does_not_honor"),
        ("We currently do not respond to DNT but might in future.", "unclear"),
        ("The law requires us to say whether we honor Do Not Track.", "unclear"),
        # "does not change/affect" counts as a refusal only when it is about what is collected.
        ("We honour Do Not Track; turning it on does not affect the layout of our pages.", "honors"),
        # Behaviour without a condition on the signal is not read as a commitment.
        ("We disable cookies on request. Our site mentions Do Not Track in the FAQ.", "unclear"),
        # A hedged refusal stays a hedge; a refusal beside a hedged promise stays a refusal.
        ("We do not honor Do Not Track, although we try to limit tracking where possible.", "does_not_honor"),
    ],
)
def test_signal_readings_kept(kb, text, expected):
    assert stance(text, "dnt", kb) == expected


SALE_CLASSES = {
    "deny_sell_but_share": [
        "We do not sell personal information, but we share advertising IDs with ad networks for cross-context "
        "behavioral advertising.",
        "Your data is not sold. We do share cookie IDs with our advertising partners so they can target ads.",
        "We don't sell your information; we do, however, provide browsing history to advertisers.",
    ],
    "ccpa_table": [
        "Categories sold or shared during the last 12 months: identifiers; internet or other electronic network activity.",
        "Personal Information Category\tSold or Shared\nIdentifiers\tYes\nProfessional information\tNo",
        "In the last twelve months we have shared device identifiers with advertising networks.",
    ],
    "may_be_sale": [
        "Letting advertisers set cookies on our pages may be deemed a sale.",
        "This kind of data exchange could constitute \"sharing\" under California law.",
        "Such tracking by ad partners is regarded as a sale in some states.",
    ],
    "no_money_but_disclose": [
        "We are not paid by anyone for your data; however, we disclose your browsing activity to ad tech companies.",
        "No money changes hands, but advertising networks obtain information about your visits through our pages.",
    ],
}


@pytest.mark.parametrize("cls, text", [(cls, t) for cls, texts in SALE_CLASSES.items() for t in texts])
def test_sale_classes_are_sells_or_shares(kb, cls, text):
    assert stance(text, "sale", kb) == "sells_or_shares", (cls, text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("We do not sell, rent or share your personal data with advertisers.", "does_not_sell"),
        ("We neither sell nor share personal information for cross-context behavioral advertising.", "does_not_sell"),
        ("Categories of personal information sold or shared in the last 12 months: none.", "silent"),
        ("Disclosures to our service providers do not constitute a sale.", "silent"),
        ("We share anonymised, aggregate statistics with advertisers.", "silent"),
        ("We do not sell furniture to businesses outside the EU.", "silent"),
    ],
)
def test_sale_non_affirmations(kb, text, expected):
    assert stance(text, "sale", kb) == expected


def test_an_outweighed_denial_is_kept_as_such(kb):
    text = "We do not sell your personal information. We share cookie identifiers with advertising partners."
    sale = analyze_policy(text, knowledge=kb).sale
    assert sale.value == "sells_or_shares"
    assert sale.evidence == ["We share cookie identifiers with advertising partners."]
    assert sale.outweighed == ["We do not sell your personal information."]


def test_the_labelled_stance_set_is_large_and_read_accurately(kb):
    items = load_stance_set(ROOT / "bench" / "data" / "policy_stances.yaml", OPP115 if OPP115.is_dir() else None)
    own = [i for i in items if i.source == "own"]
    assert len(own) >= 150
    assert {i.field for i in own} == {"dnt", "gpc", "sale"} and {i.split for i in own} == {"dev", "heldout"}
    scores = score_stances(items, kb)
    # Floors just under what was reached (see bench/policy_accuracy.py); held-out items were
    # written after the rules and never used to change one.
    for field in ("dnt", "gpc", "sale"):
        assert scores.by_split[(field, "dev")].accuracy >= 0.97, field
        assert scores.by_split[(field, "heldout")].accuracy >= 0.9, field
