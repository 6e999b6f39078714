"""The vocabulary's trigger words must cover its patterns: a feature's regexes only run on
sentences holding one of its triggers, so a pattern that can match without one silently loses
matches. Checked by running every pattern ungated over the seeds and the OPP-115 dev policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy.scan import scanner
from analyzer.policy.sentences import SentenceIndex, default_segmenter
from analyzer.policy.vocabulary import vocabulary

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TEXTS = sorted(SHARED.glob("seeds/*.txt")) + sorted(SHARED.glob("opp115-dev/policies/*.txt"))


def _patterns() -> dict[str, list]:
    v = vocabulary()
    return {
        "categories": [v.categories],
        "cookies": [v.cookie_phrases],
        "third_party_generic": [v.third_party_generic],
        "third_party_characterized": [v.third_party_characterized],
        "sale": [v.sale_verb, v.sale_affirm, v.sale_disclosure_list, v.sale_share_for_ads, v.sale_opt_out_link],
        "dnt": [v.signals["dnt"].cue],
        "gpc": [v.signals["gpc"].cue],
        "dates": [v.date_updated],
    }


@pytest.mark.skipif(len(TEXTS) < 60, reason=f"needs the policy texts at {SHARED}/seeds and {SHARED}/opp115-dev/policies "
                                             "(../shared next to the repository)")
@pytest.mark.slow
def test_every_pattern_match_lies_in_a_gated_sentence():
    scan_of = scanner(load_knowledge())
    missed: list[str] = []
    for path in TEXTS:
        text = path.read_text(encoding="utf-8")
        sentences = SentenceIndex(text, default_segmenter().split(text))
        gated = scan_of.scan(sentences).gated
        for feature, patterns in _patterns().items():
            for pattern in patterns:
                for match in pattern.finditer(text):
                    i = sentences.at(match.start())
                    if i is not None and i not in gated.get(feature, []):
                        missed.append(f"{path.name}: {feature}: {match.group()!r}")
    assert missed == []


def test_every_feature_with_patterns_has_triggers():
    assert set(_patterns()) <= set(vocabulary().triggers)
