"""Loads ``vocabulary.yaml`` and compiles it once: the analyzer's wording knowledge is data."""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

# Verbose mode: long patterns are folded over several YAML lines, so layout whitespace must not
# count; patterns spell every real space as \s.
_X = re.VERBOSE
_I = re.IGNORECASE | _X


@dataclass(frozen=True, slots=True)
class SignalVocabulary:
    cue: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    abbreviations: list[str]
    never_alone: frozenset[str]
    ordinary_words: frozenset[str]  # lower-case
    exact_case_max_len: int
    non_declaration_phrases: re.Pattern[str]
    non_declaration_sentences: re.Pattern[str]
    non_declaration_lead_ins: re.Pattern[str]
    lead_in_end: re.Pattern[str]
    platform_kind_after: re.Pattern[str]  # anchored at a name's end; group names are category ids
    platform_kind_before: re.Pattern[str]  # searched in the text before a name; same groups
    platform_window: int
    ad_placement_lead_ins: re.Pattern[str]
    ad_placement_run: re.Pattern[str]
    ad_placement_after: re.Pattern[str]  # anchored at a name's end
    negation_before: re.Pattern[str]
    negation_after: re.Pattern[str]
    negation_neither: re.Pattern[str]
    restriction_verb: re.Pattern[str]
    restriction_tail: re.Pattern[str]
    negation_exception: re.Pattern[str]
    clause_break: re.Pattern[str]
    categories: re.Pattern[str]  # one alternation, group names are category ids
    third_party_generic: re.Pattern[str]
    third_party_characterized: re.Pattern[str]
    response_verbs: re.Pattern[str]
    refusal_verbs: re.Pattern[str]
    stance_negation_before: re.Pattern[str]
    stance_hedge_before: re.Pattern[str]
    stance_neutral_before: re.Pattern[str]
    stance_hedge_sentence: re.Pattern[str]
    stance_inverting_verbs: re.Pattern[str]
    stance_double_negation_before: re.Pattern[str]
    stance_hedge_commitment: re.Pattern[str]
    stance_same_regardless: re.Pattern[str]
    stance_incapable: re.Pattern[str]
    stance_incapable_object: re.Pattern[str]
    signal_condition: re.Pattern[str]
    protective_effect: re.Pattern[str]
    stance_followup: re.Pattern[str]
    honor_phrases: re.Pattern[str]
    signals: dict[str, SignalVocabulary]
    sale_data_object: re.Pattern[str]
    sale_verb: re.Pattern[str]
    sale_denial: re.Pattern[str]
    sale_affirm: re.Pattern[str]
    sale_affirm_negated_before: re.Pattern[str]
    sale_clause_break: re.Pattern[str]
    sale_disclosure_list: re.Pattern[str]
    sale_disclosure_none: re.Pattern[str]
    sale_table_header_cell: re.Pattern[str]
    sale_table_yes_cell: re.Pattern[str]
    sale_table_no_cell: re.Pattern[str]
    sale_share_for_ads: re.Pattern[str]
    sale_share_excluded_data: re.Pattern[str]
    sale_opt_out_link: re.Pattern[str]
    cookie_phrases: re.Pattern[str]  # group names are cookie category ids
    cookie_labels: re.Pattern[str]  # line-leading labels, group names are cookie category ids
    date_updated: re.Pattern[str]
    date_effective: re.Pattern[str]
    date_window: int
    date_formats: list[re.Pattern[str]]
    months: dict[str, int]
    triggers: dict[str, list[str]]  # feature -> lower-case substrings its matches contain


def _clean(source: str) -> str:
    return source.strip()


def _rx(source: str, flags: int = _I) -> re.Pattern[str]:
    return re.compile(_clean(source), flags)


def group_name(category: str) -> str:
    """Regex group names cannot hold '-'; category ids do."""
    return category.replace("-", "_")


def category_of(group: str) -> str:
    return group.replace("_", "-")


def _grouped(table: dict[str, Any], flags: int = _I, prefix: str = "", suffix: str = "") -> re.Pattern[str]:
    """One alternation whose named groups say which key matched (``match.lastgroup``)."""
    parts = []
    for key, patterns in table.items():
        alternatives = patterns if isinstance(patterns, list) else [patterns]
        body = "|".join(f"(?:{_clean(p)})" for p in alternatives)
        parts.append(f"(?P<{group_name(key)}>{prefix}(?:{body}){suffix})")
    return re.compile("|".join(parts), flags)


def _alternation(table: dict[str, Any]) -> str:
    """Named groups (``match.lastgroup`` is the key) as regex source, for embedding."""
    parts = []
    for key, patterns in table.items():
        alternatives = patterns if isinstance(patterns, list) else [patterns]
        parts.append(f"(?P<{group_name(key)}>" + "|".join(f"(?:{_clean(p)})" for p in alternatives) + ")")
    return "|".join(parts)


def _signal(entry: dict[str, Any]) -> SignalVocabulary:
    flags = _X if entry.get("cue_case_sensitive") else _I
    return SignalVocabulary(cue=_rx(entry["cue"], flags))


def compile_vocabulary(data: dict[str, Any]) -> Vocabulary:
    platforms = data["platforms"]
    nd, neg, tp, st, sale, cc, dates = (
        data["non_declarations"],
        data["negation"],
        data["third_parties"],
        data["stances"],
        data["sale"],
        data["cookie_categories"],
        data["dates"],
    )
    months = {k.lower(): int(v) for k, v in dates["months"].items()}
    month_alt = "|".join(sorted(months, key=len, reverse=True))
    cookie_phrases = {k: v for k, v in cc.items() if k not in ("labels", "label_end")}
    return Vocabulary(
        abbreviations=list(data["sentences"]["abbreviations"]),
        never_alone=frozenset(data["names"]["never_alone"]),
        ordinary_words=frozenset(str(w).lower() for w in data["names"]["ordinary_words"]),
        exact_case_max_len=int(data["names"]["exact_case_max_len"]),
        non_declaration_phrases=re.compile(
            r"(?<!\w)(?:" + "|".join(f"(?:{_clean(p)})" for p in nd["phrases"]) + r")(?!\w)", _I
        ),
        non_declaration_sentences=re.compile("|".join(f"(?:{_clean(p)})" for p in nd["sentences"]), _I),
        non_declaration_lead_ins=re.compile("|".join(f"(?:{_clean(p)})" for p in nd["lead_ins"]), _I),
        lead_in_end=_rx(nd["lead_in_end"]),
        platform_kind_after=re.compile(
            "^" + _clean(platforms["between"]) + "(?i:" + _alternation(platforms["kinds"]) + r")(?!\w)", _X
        ),
        platform_kind_before=re.compile(
            r"(?<!\w)(?:" + _alternation(platforms["kinds"]) + ")" + _clean(platforms["kind_before_end"]), _I
        ),
        platform_window=int(platforms["window"]),
        ad_placement_lead_ins=re.compile("|".join(f"(?:{_clean(p)})" for p in platforms["ad_placement_lead_ins"]), _I),
        ad_placement_run=re.compile(_clean(platforms["ad_placement_run"]), _X),
        ad_placement_after=re.compile(
            "^" + _clean(platforms["between"]) + "(?i:" + _clean(platforms["ad_placement_after"]) + r")(?!\w)", _X
        ),
        negation_before=_rx(neg["before"]),
        negation_after=_rx(neg["after"]),
        negation_neither=_rx(neg["neither"]),
        restriction_verb=_rx(neg["restriction_verb"]),
        restriction_tail=_rx(neg["restriction_tail"]),
        negation_exception=_rx(neg["exception"]),
        clause_break=_rx(neg["clause_break"]),
        categories=_grouped(data["categories"], prefix=r"\b", suffix=r"\b"),
        third_party_generic=_rx(tp["generic"]),
        third_party_characterized=_rx(tp["characterized"]),
        response_verbs=_rx(st["response_verbs"]),
        refusal_verbs=_rx(st["refusal_verbs"]),
        stance_negation_before=_rx(st["negation_before"]),
        stance_hedge_before=_rx(st["hedge_before"]),
        stance_neutral_before=_rx(st["neutral_before"]),
        stance_hedge_sentence=_rx(st["hedge_sentence"]),
        stance_inverting_verbs=_rx(st["inverting_verbs"]),
        stance_double_negation_before=_rx(st["double_negation_before"]),
        stance_hedge_commitment=_rx(st["hedge_commitment"]),
        stance_same_regardless=_rx(st["same_regardless"]),
        stance_incapable=_rx(st["incapable"]),
        stance_incapable_object=_rx(st["incapable_object"]),
        signal_condition=_rx(st["signal_condition"]),
        protective_effect=_rx(st["protective_effect"]),
        stance_followup=_rx(st["followup"]),
        honor_phrases=_rx(st["honor_phrases"]),
        signals={name: _signal(st[name]) for name in ("dnt", "gpc")},
        sale_data_object=_rx(sale["data_object"]),
        sale_verb=_rx(sale["sell_verb"]),
        sale_denial=_rx(sale["denial"]),
        sale_affirm=_rx(sale["affirm"]),
        sale_affirm_negated_before=_rx(sale["affirm_negated_before"]),
        sale_clause_break=_rx(sale["clause_break"]),
        sale_disclosure_list=_rx(sale["disclosure_list"]),
        sale_disclosure_none=_rx(sale["disclosure_none"]),
        sale_table_header_cell=_rx(sale["table_header_cell"]),
        sale_table_yes_cell=_rx(sale["table_yes_cell"]),
        sale_table_no_cell=_rx(sale["table_no_cell"]),
        sale_share_for_ads=_rx(sale["share_for_ads"]),
        sale_share_excluded_data=_rx(sale["share_excluded_data"]),
        sale_opt_out_link=_rx(sale["opt_out_link"], _X if sale.get("opt_out_link_case_sensitive") else _I),
        cookie_phrases=_grouped(cookie_phrases, prefix=r"\b"),
        cookie_labels=_grouped(cc["labels"], prefix=r"(?:[\W\d]{0,6}\s*)?", suffix=_clean(cc["label_end"])),
        date_updated=_rx(dates["updated"]),
        date_effective=_rx(dates["effective"], _I | re.MULTILINE),
        date_window=int(dates["window"]),
        date_formats=[_rx(f.replace("{month}", month_alt)) for f in dates["formats"]],
        months=months,
        triggers={feature: [str(w) for w in words] for feature, words in data["triggers"].items()},
    )


@functools.cache
def vocabulary() -> Vocabulary:
    text = resources.files("analyzer.policy").joinpath("vocabulary.yaml").read_text(encoding="utf-8")
    vocab = compile_vocabulary(yaml.safe_load(text))
    # The other languages' stance wording (stance_languages.yaml) must pass the same trigger gate.
    from analyzer.policy.languages import triggers as language_triggers

    merged = {feature: list(words) for feature, words in vocab.triggers.items()}
    for feature, words in language_triggers().items():
        merged.setdefault(feature, []).extend(w for w in words if w not in merged[feature])
    return dataclasses.replace(vocab, triggers=merged)
