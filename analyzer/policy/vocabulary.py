"""Loads ``vocabulary.yaml`` and compiles it once: the analyzer's wording knowledge is data."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import NotRequired, TypedDict

import msgspec
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
    category_words: dict[str, re.Pattern[str]]  # category id -> words that declare it inside a category phrase
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
    cookie_list_lead_in: re.Pattern[str]  # a paragraph introducing a list of cookie purposes
    cookie_tracker_categories: dict[str, str]  # cookie category id -> the tracker category it declares
    date_updated: re.Pattern[str]
    date_effective: re.Pattern[str]
    date_window: int
    date_formats: list[re.Pattern[str]]
    months: dict[str, int]
    triggers: dict[str, list[str]]  # feature -> lower-case substrings its matches contain


# ``vocabulary.yaml`` as written (its comments say what each pattern is for); checked on load. Patterns
# are regex source; a table maps a category id to its pattern(s).
Table = Mapping[str, str | list[str]]


class _Sentences(TypedDict):
    abbreviations: list[str]


class _Names(TypedDict):
    never_alone: list[str]
    ordinary_words: list[str]
    exact_case_max_len: int


class _NonDeclarations(TypedDict):
    phrases: list[str]
    sentences: list[str]
    lead_ins: list[str]
    lead_in_end: str


class _Platforms(TypedDict):
    between: str
    kinds: dict[str, str | list[str]]
    kind_before_end: str
    window: int
    ad_placement_lead_ins: list[str]
    ad_placement_run: str
    ad_placement_after: str


class _Negation(TypedDict):
    before: str
    after: str
    neither: str
    restriction_verb: str
    restriction_tail: str
    exception: str
    clause_break: str


class _ThirdParties(TypedDict):
    generic: str
    characterized: str


class _SignalCue(TypedDict):
    cue: str
    cue_case_sensitive: NotRequired[bool]


class _Stances(TypedDict):
    dnt: _SignalCue
    gpc: _SignalCue
    response_verbs: str
    refusal_verbs: str
    negation_before: str
    hedge_before: str
    neutral_before: str
    hedge_sentence: str
    inverting_verbs: str
    double_negation_before: str
    hedge_commitment: str
    same_regardless: str
    incapable: str
    incapable_object: str
    signal_condition: str
    protective_effect: str
    followup: str
    honor_phrases: str


class _Sale(TypedDict):
    data_object: str
    sell_verb: str
    denial: str
    affirm: str
    affirm_negated_before: str
    clause_break: str
    disclosure_list: str
    disclosure_none: str
    table_header_cell: str
    table_yes_cell: str
    table_no_cell: str
    share_for_ads: str
    share_excluded_data: str
    opt_out_link: str
    opt_out_link_case_sensitive: NotRequired[bool]


class _Dates(TypedDict):
    updated: str
    effective: str
    window: int
    formats: list[str]
    months: dict[str, int]


class VocabularyFile(TypedDict):
    sentences: _Sentences
    names: _Names
    non_declarations: _NonDeclarations
    platforms: _Platforms
    negation: _Negation
    categories: dict[str, str | list[str]]
    category_words: dict[str, str]
    third_parties: _ThirdParties
    stances: _Stances
    sale: _Sale
    # cookie category id → phrases, plus ``labels`` (category id → line-leading label) and ``label_end``
    cookie_categories: dict[str, str | list[str] | dict[str, str]]
    dates: _Dates
    triggers: dict[str, list[str]]  # feature → lower-case substrings its matches contain


def _clean(source: str) -> str:
    return source.strip()


def _rx(source: str, flags: int = _I) -> re.Pattern[str]:
    return re.compile(_clean(source), flags)


def group_name(category: str) -> str:
    """Regex group names cannot hold '-'; category ids do."""
    return category.replace("-", "_")


def category_of(group: str) -> str:
    return group.replace("_", "-")


def _grouped(table: Table, flags: int = _I, prefix: str = "", suffix: str = "") -> re.Pattern[str]:
    """One alternation whose named groups say which key matched (``match.lastgroup``)."""
    parts = []
    for key, patterns in table.items():
        alternatives = patterns if isinstance(patterns, list) else [patterns]
        body = "|".join(f"(?:{_clean(p)})" for p in alternatives)
        parts.append(f"(?P<{group_name(key)}>{prefix}(?:{body}){suffix})")
    return re.compile("|".join(parts), flags)


def _alternation(table: Table) -> str:
    """Named groups (``match.lastgroup`` is the key) as regex source, for embedding."""
    parts = []
    for key, patterns in table.items():
        alternatives = patterns if isinstance(patterns, list) else [patterns]
        parts.append(f"(?P<{group_name(key)}>" + "|".join(f"(?:{_clean(p)})" for p in alternatives) + ")")
    return "|".join(parts)


def _signal(entry: _SignalCue) -> SignalVocabulary:
    flags = _X if entry.get("cue_case_sensitive") else _I
    return SignalVocabulary(cue=_rx(entry["cue"], flags))


def compile_vocabulary(data: VocabularyFile) -> Vocabulary:
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
    settings = ("labels", "label_end", "list_lead_in", "tracker_categories")
    cookie_phrases = {k: v for k, v in cc.items() if k not in settings and not isinstance(v, dict)}
    cookie_labels, label_end, lead_in = cc.get("labels"), cc.get("label_end"), cc.get("list_lead_in")
    tracker_categories = cc.get("tracker_categories")
    if not isinstance(cookie_labels, dict) or not isinstance(label_end, str) or not isinstance(lead_in, str):
        raise ValueError("vocabulary.yaml: cookie_categories needs `labels` (category → label), `label_end` and"
                         " `list_lead_in` (patterns)")
    if not isinstance(tracker_categories, dict) or not set(tracker_categories) <= set(cookie_phrases):
        raise ValueError("vocabulary.yaml: cookie_categories.tracker_categories must map cookie categories"
                         f" ({', '.join(cookie_phrases)}) to tracker categories")
    unknown_words = set(data["category_words"]) - set(data["categories"])
    if unknown_words:
        raise ValueError(f"vocabulary.yaml: category_words names unknown categories: {sorted(unknown_words)}")
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
        category_words={category: _rx(words) for category, words in data["category_words"].items()},
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
        cookie_labels=_grouped(cookie_labels, prefix=r"(?:[\W\d]{0,6}\s*)?", suffix=_clean(label_end)),
        cookie_list_lead_in=_rx(lead_in),
        cookie_tracker_categories={str(k): str(v) for k, v in tracker_categories.items()},
        date_updated=_rx(dates["updated"]),
        date_effective=_rx(dates["effective"], _I | re.MULTILINE),
        date_window=int(dates["window"]),
        date_formats=[_rx(f.replace("{month}", month_alt)) for f in dates["formats"]],
        months=months,
        triggers={feature: [str(w) for w in words] for feature, words in data["triggers"].items()},
    )


@functools.cache
def vocabulary() -> Vocabulary:
    vocab = parse_vocabulary(resources.files("analyzer.policy").joinpath("vocabulary.yaml").read_text(encoding="utf-8"))
    # The other languages' stance wording (stance_languages.yaml) must pass the same trigger gate.
    from analyzer.policy.languages import triggers as language_triggers

    merged = {feature: list(words) for feature, words in vocab.triggers.items()}
    for feature, words in language_triggers().items():
        merged.setdefault(feature, []).extend(w for w in words if w not in merged[feature])
    return dataclasses.replace(vocab, triggers=merged)


def parse_vocabulary(text: str) -> Vocabulary:
    """vocabulary.yaml's text, checked and compiled: a value of the wrong shape is a ValueError naming where it is."""
    try:
        data = msgspec.convert(yaml.safe_load(text), VocabularyFile)
    except msgspec.ValidationError as exc:
        raise ValueError(f"analyzer/policy/vocabulary.yaml: {exc}") from None
    return compile_vocabulary(data)
