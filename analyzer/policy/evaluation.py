"""Scores the analyzer against labelled policies (OPP-115 style labels, see shared/opp115-dev).

Shared by ``bench/policy_accuracy.py`` (prints confusion matrices) and the accuracy-floor tests,
so both measure the same thing. Label names are mapped to knowledge-base companies with the
analyzer's own name matcher; labelled names the knowledge base does not know (retailers,
payment firms) cannot be found by design and are counted apart as ``unmapped``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict

import msgspec

from analyzer.policy.analyze import analyze_policy
from analyzer.policy.names import Knowledge
from analyzer.policy.scan import scanner
from model.policy import PolicyAnalysis, Stance


class _DntEvidence(TypedDict):
    text: str


class _SaleEvidence(TypedDict):
    segment_id: int
    segment_text: str


class _SaleClaim(TypedDict):
    value: bool
    evidence: list[_SaleEvidence]


class LabelRow(TypedDict):
    """One line of ``labels.jsonl`` (the fields read here; see shared/opp115-dev/README.md)."""

    id: str
    dnt: str
    dnt_evidence: list[_DntEvidence]
    named_third_parties: list[str]
    third_party_reference_level: str
    does_not_sell_claim: _SaleClaim


@dataclass
class Confusion:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (gold, predicted) -> n

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
    sale_outweighed: int = 0  # policies whose "does not sell" claim sharing for advertising outweighs


def label_companies(names: Iterable[str], knowledge: Knowledge) -> tuple[set[str], list[str]]:
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


def evaluate(rows: list[LabelRow], texts: dict[str, str], knowledge: Knowledge) -> Evaluation:
    result = Evaluation()
    for row in rows:
        analysis = analyze_policy(texts[row["id"]], knowledge=knowledge)
        _score(row, analysis, knowledge, result)
    return result


def _score(row: LabelRow, analysis: PolicyAnalysis, knowledge: Knowledge, result: Evaluation) -> None:
    result.dnt.add(row["dnt"], analysis.dnt.value)
    # The label says whether the policy *claims* not to sell. The analyzer's value can be
    # sells_or_shares although the claim is there ("we do not sell … we provide your information
    # to our advertisers"): the claim is then kept as outweighed evidence, and counts here.
    gold_sale = "does_not_sell" if row["does_not_sell_claim"]["value"] else "no_claim"
    claims = analysis.sale.value == "does_not_sell" or bool(analysis.sale.outweighed)
    predicted_sale = "does_not_sell" if claims else "no_claim"
    result.sale_outweighed += analysis.sale.value == "sells_or_shares" and bool(analysis.sale.outweighed)
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


# ---------------------------------------------------------------------------- stance sentences


@dataclass(frozen=True)
class StanceItem:
    """One labelled sentence or passage of the stance set (bench/data/policy_stances.yaml)."""

    field: StanceField
    label: str
    cls: str  # the class of sentence it stands for ("double_negation", "ccpa_table" …)
    split: str  # dev | heldout
    text: str
    source: str  # "own" or "opp115:<policy id>"
    lang: str = "en"  # the policy language the sentence is written in


StanceField = Literal["dnt", "gpc", "sale"]


class _StanceEntry(msgspec.Struct, forbid_unknown_fields=True):
    """One item as written in the YAML set: its own ``text`` and ``label``, or an ``opp115`` policy
    id (plus, for sale, the ``segment`` of its "does not sell" evidence)."""

    field: StanceField
    cls: str = msgspec.field(name="class")
    split: str
    text: str | None = None
    label: str | None = None
    opp115: str | None = None
    segment: int | None = None
    lang: str = "en"


@dataclass
class StanceScores:
    by_field: dict[str, Confusion] = field(default_factory=dict)
    by_split: dict[tuple[str, str], Confusion] = field(default_factory=dict)  # (field, split)
    by_class: dict[tuple[str, str], Confusion] = field(default_factory=dict)  # (field, class)
    by_lang: dict[tuple[str, str], Confusion] = field(default_factory=dict)  # (language, field)
    errors: list[str] = field(default_factory=list)


def load_stance_set(path: Path | str, opp115_dir: Path | str | None = None) -> list[StanceItem]:
    """Items from the YAML set; ``opp115:`` items are resolved against the OPP-115 directory
    (skipped when it is absent): the policy's longest DNT evidence text and its label, or the
    named segment of its "does not sell" evidence."""
    import json

    import yaml

    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["items"]
    try:
        entries = msgspec.convert(raw, list[_StanceEntry])
    except msgspec.ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from None
    labels: dict[str, LabelRow] = {}
    if opp115_dir is not None and (Path(opp115_dir) / "labels.jsonl").is_file():
        for line in (Path(opp115_dir) / "labels.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row: LabelRow = json.loads(line)
                labels[row["id"]] = row
    items: list[StanceItem] = []
    for entry in entries:
        if entry.opp115 is not None:
            found = labels.get(entry.opp115)
            if found is None:
                continue
            text, label = _opp115_text(found, entry)
            source = f"opp115:{entry.opp115}"
        elif entry.text is not None and entry.label is not None:
            text, label, source = entry.text, entry.label, "own"
        else:
            raise ValueError(f"{path}: an item needs `text` and `label`, or `opp115`: {entry}")
        items.append(StanceItem(entry.field, label, entry.cls, entry.split, text, source, entry.lang))
    return items


def _opp115_text(row: LabelRow, entry: _StanceEntry) -> tuple[str, str]:
    if entry.field == "dnt":
        # Only evidence that names the signal stands alone ("…in response to these signals" does not).
        texts = [e["text"] for e in row["dnt_evidence"] if re.search(r"(?i)\btrack|\bdnt\b", e["text"])]
        if not texts:
            raise ValueError(f"{row['id']}: no DNT evidence that names the signal")
        return max(texts, key=len), row["dnt"]
    if entry.label is None:
        raise ValueError(f"{row['id']}: a {entry.field} item from OPP-115 needs its own `label`")
    segment = next(e for e in row["does_not_sell_claim"]["evidence"] if e["segment_id"] == entry.segment)
    return segment["segment_text"], entry.label


def score_stances(items: list[StanceItem], knowledge: Knowledge) -> StanceScores:
    scores = StanceScores()
    for item in items:
        analysis = analyze_policy(item.text, knowledge=knowledge)
        predicted = _stance(analysis, item.field).value
        scores.by_field.setdefault(item.field, Confusion()).add(item.label, predicted)
        scores.by_lang.setdefault((item.lang, item.field), Confusion()).add(item.label, predicted)
        for table, key in ((scores.by_split, (item.field, item.split)), (scores.by_class, (item.field, item.cls))):
            table.setdefault(key, Confusion()).add(item.label, predicted)
        if predicted != item.label:
            lang = "" if item.lang == "en" else f"{item.lang} "
            scores.errors.append(f"{lang}{item.field} {item.split} {item.cls}: want {item.label}, got {predicted}: {item.text!r}")
    return scores


def _stance(analysis: PolicyAnalysis, name: StanceField) -> Stance:
    return {"dnt": analysis.dnt, "gpc": analysis.gpc, "sale": analysis.sale}[name]
