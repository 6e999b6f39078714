"""Accuracy floors on the OPP-115 development split (../shared/opp115-dev), measured with the same
code as bench/policy_accuracy.py. Floors sit just under what the analyzer reached; they guard
against regressions, not a target (the held-out half measures generalisation).

Reached on the dev split: DNT stance 60/60; "does not sell" agreement 57/60 (the three
disagreements are denials the silver label misses); named third parties, company level, recall
21/21 over labelled names the knowledge base knows, precision 21/56 against labels drawn only
from sharing practices (most extra names are real mentions: social login, ad servers, opt-outs,
or the site's own company); reference level 42/60 (policies naming only companies outside the
knowledge base read as characterized_only). The reference-level floor leaves room for knowledge
base growth, which moves policies between "named" and "characterized_only"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy.evaluation import Evaluation, evaluate, label_companies

OPP115 = Path(__file__).resolve().parents[1].parent / "shared" / "opp115-dev"

pytestmark = pytest.mark.skipif(not OPP115.is_dir(), reason=f"needs the OPP-115 dev split at {OPP115} (../shared/opp115-dev)")


@pytest.fixture(scope="module")
def result() -> Evaluation:
    rows = [json.loads(line) for line in (OPP115 / "labels.jsonl").read_text().splitlines() if line.strip()]
    texts = {r["id"]: (OPP115 / "policies" / f"{r['id']}.txt").read_text(encoding="utf-8") for r in rows}
    assert len(rows) == 60
    return evaluate(rows, texts, load_knowledge())


def test_dnt_stance_accuracy(result):
    assert result.dnt.total == 60
    assert result.dnt.accuracy >= 0.95
    # Every labelled refusal is found as a refusal.
    assert result.dnt.counts[("does_not_honor", "does_not_honor")] >= 14


def test_sale_claim_agreement(result):
    assert result.sale.accuracy >= 0.93


def test_named_third_parties(result):
    assert result.named.recall >= 0.95
    assert result.named.precision >= 0.33


def test_third_party_reference_level(result):
    assert result.reference_level.accuracy >= 0.65


def test_label_names_map_to_knowledge_ids():
    kb = load_knowledge()
    companies, unmapped = label_companies(["Google Analytics", "DoubleClick", "Facebook Connect", "Starbucks"], kb)
    assert companies == {"google", "meta"} and unmapped == ["Starbucks"]
