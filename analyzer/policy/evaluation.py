"""Scores the analyzer against labelled policies (OPP-115 style labels, see shared/opp115-dev).

Shared by ``bench/policy_accuracy.py`` (prints confusion matrices) and the accuracy-floor tests,
so both measure the same thing. Label names are mapped to knowledge-base companies with the
analyzer's own name matcher; labelled names the knowledge base does not know (retailers,
payment firms) cannot be found by design and are counted apart as ``unmapped``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from analyzer.policy.analyze import analyze_policy
from analyzer.policy.model import PolicyAnalysis
from analyzer.policy.scan import scanner


@dataclass
class Confusion:
    counts: Counter = field(default_factory=Counter)  # (gold, predicted) -> n

    def add(self, gold: str, predicted: str) -> None:
        self.counts[(gold, predicted)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def accuracy(self) -> float:
        right = sum(n for (g, p), n in self.counts.items() if g == p)
        return right / self.total if self.total else 0.0

    def labels(self) -> list[str]:
        return sorted({x for pair in self.counts for x in pair})

    def table(self) -> str:
        labels = self.labels()
        width = max(len(x) for x in labels + ["gold \\ predicted"]) + 2
        lines = ["gold \\ predicted".ljust(width) + "".join(x.rjust(width) for x in labels)]
        for gold in labels:
            lines.append(gold.ljust(width) + "".join(str(self.counts[(gold, p)]).rjust(width) for p in labels))
        return "\n".join(lines)


@dataclass
class NamedScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    unmapped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "id: +fp / -fn" lines, for reading

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 0.0


@dataclass
class Evaluation:
    dnt: Confusion = field(default_factory=Confusion)
    sale: Confusion = field(default_factory=Confusion)
    reference_level: Confusion = field(default_factory=Confusion)
    named: NamedScore = field(default_factory=NamedScore)


def label_companies(names: Iterable[str], knowledge) -> tuple[set[str], list[str]]:
    """Company ids for labelled third-party names, and the names that map to none."""
    matcher = scanner(knowledge)
    companies: set[str] = set()
    unmapped: list[str] = []
    for name in names:
        hits = matcher.find_names(name)
        if hits:
            companies.update(hit.target.company_id for hit in hits)
        else:
            unmapped.append(name)
    return companies, unmapped


def evaluate(rows: list[dict], texts: dict[str, str], knowledge) -> Evaluation:
    result = Evaluation()
    for row in rows:
        analysis = analyze_policy(texts[row["id"]], knowledge=knowledge)
        _score(row, analysis, knowledge, result)
    return result


def _score(row: dict, analysis: PolicyAnalysis, knowledge, result: Evaluation) -> None:
    result.dnt.add(row["dnt"], analysis.dnt.value)
    gold_sale = "does_not_sell" if row["does_not_sell_claim"]["value"] else "no_claim"
    predicted_sale = "does_not_sell" if analysis.sale.value == "does_not_sell" else "no_claim"
    result.sale.add(gold_sale, predicted_sale)
    result.reference_level.add(row["third_party_reference_level"], analysis.third_party_reference_level)

    gold, unmapped = label_companies(row["named_third_parties"], knowledge)
    predicted = analysis.declared_company_ids()
    named = result.named
    named.unmapped.extend(f"{row['id']}: {name}" for name in unmapped)
    named.true_positives += len(gold & predicted)
    named.false_positives += len(predicted - gold)
    named.false_negatives += len(gold - predicted)
    if predicted != gold:
        named.errors.append(f"{row['id']}: +{sorted(predicted - gold)} -{sorted(gold - predicted)}")
