"""Stance wording besides English: loads ``stance_languages.yaml`` (validated), tells a sentence's
language, and reads signal and sale stances in it.

English keeps its own, finer reader (stances.py, sale.py over vocabulary.yaml). A sentence goes to
another language's reader when that language's function words outnumber English ones; on a tie,
and for a sentence with no function word of any language, the English reader goes first and the
others only read what it found nothing definite in."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import msgspec
import yaml

Reading = Literal["negative", "hedged", "positive", "mention"]
SIGNALS = ("dnt", "gpc")
_FLAGS = re.IGNORECASE | re.VERBOSE
_WORD = re.compile(r"\w+")
_SOURCE = "stance_languages.yaml"


class _SaleSpec(msgspec.Struct, forbid_unknown_fields=True):
    data_object: str
    sell_verb: str
    we_sell: str
    considered_sale: str
    share_verb: str
    ad_recipient: str
    excluded_data: str


class _CueSpec(msgspec.Struct, forbid_unknown_fields=True):
    dnt: str
    gpc: str


class _TriggerSpec(msgspec.Struct, forbid_unknown_fields=True):
    dnt: list[str]
    gpc: list[str]
    sale: list[str]


class _LanguageSpec(msgspec.Struct, forbid_unknown_fields=True):
    markers: list[str]
    cues: _CueSpec
    followup: str
    clause_break: str
    negation: str
    response_verbs: str
    ignore_verbs: str
    honour_phrases: str
    hedge: str
    same_regardless: str
    incapable: str
    signal_condition: str
    protective_effect: str
    sale: _SaleSpec
    triggers: _TriggerSpec


class _FileSpec(msgspec.Struct, forbid_unknown_fields=True):
    english_markers: list[str]
    languages: dict[str, _LanguageSpec]


@dataclass(frozen=True, slots=True)
class SaleWording:
    data_object: re.Pattern[str]
    sell_verb: re.Pattern[str]
    we_sell: re.Pattern[str]
    considered_sale: re.Pattern[str]
    share_verb: re.Pattern[str]
    ad_recipient: re.Pattern[str]
    excluded_data: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class LanguageWording:
    code: str
    markers: frozenset[str]
    cues: dict[str, re.Pattern[str]]
    followup: re.Pattern[str]
    clause_break: re.Pattern[str]
    negation: re.Pattern[str]
    response_verbs: re.Pattern[str]
    ignore_verbs: re.Pattern[str]
    honour_phrases: re.Pattern[str]
    hedge: re.Pattern[str]
    same_regardless: re.Pattern[str]
    incapable: re.Pattern[str]
    signal_condition: re.Pattern[str]
    protective_effect: re.Pattern[str]
    sale: SaleWording
    triggers: dict[str, list[str]]
    trigger_gates: dict[str, re.Pattern[str]]  # per feature: any of its trigger words

    def clauses(self, sentence: str) -> list[str]:
        return [c for c in self.clause_break.split(sentence) if c and c.strip()]

    def triggered(self, feature: str, lowered: str) -> bool:
        """Whether the lower-cased sentence holds one of this language's trigger words for ``feature``
        (its patterns cannot match without one: the same rule as the scan's triggers)."""
        gate = self.trigger_gates.get(feature)
        return gate is not None and gate.search(lowered) is not None


@dataclass(frozen=True, slots=True)
class Languages:
    english_markers: frozenset[str]
    wordings: tuple[LanguageWording, ...]  # in file order
    cues: dict[str, re.Pattern[str]]  # per signal: any language's cue
    followup: re.Pattern[str]  # any language's follow-up wording
    marker_index: dict[str, tuple[int, ...]]  # function word -> positions in `wordings` it marks

    def readers_for(self, sentence: str) -> tuple[bool, list[LanguageWording]]:
        """Whether to read ``sentence`` as English first, and the other languages to try (in order)."""
        english = 0
        counts = [0] * len(self.wordings)
        for word in _WORD.findall(sentence.lower()):
            english += word in self.english_markers
            for position in self.marker_index.get(word, ()):
                counts[position] += 1
        scores = list(zip(counts, self.wordings))
        best_score, best = max(scores, key=lambda pair: pair[0], default=(0, None))
        if best is None or english > best_score:
            return True, []
        if best_score > english:
            others = [lang for _, lang in scores if lang is not best] if english == 0 else []
            return False, [best, *others]
        if english:  # a tie ("No respondemos …": "no" is English and Spanish): English first, then the tied
            return True, [lang for score, lang in scores if score == english]
        return True, list(self.wordings)  # no function word of any language: try them all


class LanguageFileError(ValueError):
    """stance_languages.yaml does not have the shape or the patterns it must have."""


def _compile(source: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(source.strip(), _FLAGS)
    except re.error as error:
        raise LanguageFileError(f"{_SOURCE}: {where}: bad pattern: {error}") from error


def _wording(code: str, spec: _LanguageSpec) -> LanguageWording:
    def rx(key: str, source: str) -> re.Pattern[str]:
        return _compile(source, f"{code}.{key}")

    sale = SaleWording(**{k: rx(f"sale.{k}", getattr(spec.sale, k)) for k in _SaleSpec.__struct_fields__})
    simple = {
        key: rx(key, getattr(spec, key))
        for key in ("followup", "clause_break", "negation", "response_verbs", "ignore_verbs", "honour_phrases",
                    "hedge", "same_regardless", "incapable", "signal_condition", "protective_effect")
    }
    triggers = {feature: [t.lower() for t in getattr(spec.triggers, feature)] for feature in ("dnt", "gpc", "sale")}
    for feature, words in triggers.items():
        if not words or not all(w.strip() for w in words):
            raise LanguageFileError(f"{_SOURCE}: {code}.triggers.{feature}: needs non-empty trigger words")
    if not spec.markers:
        raise LanguageFileError(f"{_SOURCE}: {code}.markers: needs function words")
    return LanguageWording(
        code=code,
        markers=frozenset(m.lower() for m in spec.markers),
        cues={signal: rx(f"cues.{signal}", getattr(spec.cues, signal)) for signal in SIGNALS},
        sale=sale,
        triggers=triggers,
        trigger_gates={f: re.compile("|".join(re.escape(w) for w in words)) for f, words in triggers.items()},
        **simple,
    )


def compile_languages(data: Any) -> Languages:
    """The languages of ``data`` (the parsed YAML); :class:`LanguageFileError` says what is wrong."""
    try:
        spec = msgspec.convert(data, type=_FileSpec)
    except msgspec.ValidationError as error:
        raise LanguageFileError(f"{_SOURCE}: {error}") from error
    if "en" in spec.languages:
        raise LanguageFileError(f"{_SOURCE}: English wording belongs in vocabulary.yaml")
    wordings = tuple(_wording(code, lang) for code, lang in spec.languages.items())

    def union(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), _FLAGS)

    return Languages(
        english_markers=frozenset(m.lower() for m in spec.english_markers),
        wordings=wordings,
        cues={signal: union([w.cues[signal] for w in wordings]) for signal in SIGNALS},
        followup=union([w.followup for w in wordings]),
        marker_index={
            word: tuple(n for n, w in enumerate(wordings) if word in w.markers)
            for word in set().union(*(w.markers for w in wordings))
        },
    )


@functools.cache
def languages() -> Languages:
    text = resources.files("analyzer.policy").joinpath(_SOURCE).read_text(encoding="utf-8")
    return compile_languages(yaml.safe_load(text))


def triggers() -> dict[str, list[str]]:
    """Every language's trigger words per feature (dnt, gpc, sale), for the scan."""
    merged: dict[str, list[str]] = {}
    for wording in languages().wordings:
        for feature, words in wording.triggers.items():
            merged.setdefault(feature, []).extend(words)
    return merged


# ------------------------------------------------------------------------------------ readers


def read_signal(masked: str, lang: LanguageWording) -> Reading:
    """How a sentence (its signal words masked as SIGNALCUE) stands on the signal, in ``lang``."""
    if lang.same_regardless.search(masked) or lang.incapable.search(masked):
        return "negative"
    readings: set[Reading] = set()
    for clause in lang.clauses(masked):
        negated = bool(lang.negation.search(clause))
        if lang.response_verbs.search(clause) or lang.honour_phrases.search(clause):
            readings.add("negative" if negated else "positive")
        if lang.ignore_verbs.search(clause):
            readings.add("positive" if negated else "negative")  # "nous n'ignorons pas" honours
    hedged = bool(lang.hedge.search(masked))
    definites: tuple[Reading, ...] = ("negative", "positive")  # a refusal outweighs a commitment
    for definite in definites:
        if definite in readings:
            return "hedged" if hedged else definite
    if lang.signal_condition.search(masked) and lang.protective_effect.search(masked):
        return "hedged" if hedged else "positive"
    return "mention"


def sale_affirms(sentence: str, lang: LanguageWording) -> bool:
    """The site sells, counts as selling, or shares with advertisers (in ``lang``)."""
    sale = lang.sale
    for clause in lang.clauses(sentence):
        if lang.negation.search(clause):
            continue
        if sale.considered_sale.search(clause):
            return True
        if sale.we_sell.search(clause) and sale.data_object.search(sentence):
            return True
        if sale.share_verb.search(clause) and sale.ad_recipient.search(clause) and not sale.excluded_data.search(clause):
            return True
    return False


def sale_denies(sentence: str, lang: LanguageWording) -> bool:
    """A negated sale verb in a sentence about data ("Wir verkaufen Ihre Daten nicht")."""
    if not lang.sale.data_object.search(sentence):
        return False
    return any(lang.sale.sell_verb.search(c) and lang.negation.search(c) for c in lang.clauses(sentence))
