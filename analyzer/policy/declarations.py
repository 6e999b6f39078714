"""Mentions of vendors and of vendor categories, kept only where they declare something.

A name counts unless it sits in a non-declaration phrase ("Google Chrome" in a cookie how-to)
or a non-declaration sentence ("follow us on Facebook", links out to other sites, privacy
seals). Kept mentions carry ``negated`` when the site denies the use ("we do not use …").

Decisions: a vendor's opt-out link or how-to ("opt out of Google Analytics") declares it, as
the site would not explain opting out of a vendor it does not use; social login ("log in with
Facebook") declares the company, since the provider's SDK exchanges data with the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

from analyzer.policy.names import NameTable, Target
from analyzer.policy.negation import is_negated
from analyzer.policy.scan import NameHit, Scan, gated_matches
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary, category_of
from model.policy import Declaration, Source


class _SentenceChecks:
    """Per-sentence non-declaration checks, computed once per sentence that needs them."""

    def __init__(self, sentences: SentenceIndex, vocab: Vocabulary) -> None:
        self.sentences = sentences
        self.vocab = vocab
        self._declaring: dict[int, bool] = {}
        self._blocked: dict[int, list[tuple[int, int]]] = {}
        self._placements: dict[int, list[tuple[int, int]]] = {}

    def declaring(self, i: int) -> bool:
        if i not in self._declaring:
            self._declaring[i] = not self.vocab.non_declaration_sentences.search(self.sentences.text_of(i))
        return self._declaring[i]

    def blocked(self, i: int, start: int, end: int) -> bool:
        """Is ``[start, end)`` (sentence offsets) inside a phrase such as "Google Chrome"?"""
        if i not in self._blocked:
            self._blocked[i] = self._blocked_spans(self.sentences.text_of(i))
        return any(s < end and start < e for s, e in self._blocked[i])

    def ad_placement(self, i: int, start: int, end: int) -> bool:
        """Is ``[start, end)`` a platform in a list of places where the site's ads run?"""
        if i not in self._placements:
            text = self.sentences.text_of(i)
            lead_ins = self.vocab.ad_placement_lead_ins.finditer(text)
            runs = (self.vocab.ad_placement_run.match(text, m.end()) for m in lead_ins)
            self._placements[i] = [run.span() for run in runs if run is not None]
        return any(s <= start and end <= e for s, e in self._placements[i])

    def _blocked_spans(self, text: str) -> list[tuple[int, int]]:
        spans = [m.span() for m in self.vocab.non_declaration_phrases.finditer(text)]
        for lead_in in self.vocab.non_declaration_lead_ins.finditer(text):
            # "follow us on Instagram, and we use Mailchimp": the lead-in reaches the clause end.
            end = self.vocab.lead_in_end.search(text, lead_in.end())
            spans.append((lead_in.start(), end.start() if end else len(text)))
        return spans


def vendor_mentions(
    sentences: SentenceIndex, scan: Scan, vocab: Vocabulary, source: Source, names: NameTable
) -> Iterator[Declaration]:
    checks = _SentenceChecks(sentences, vocab)
    for hit in scan.names:
        declaration = _vendor(hit, sentences, checks, vocab, source, names)
        if declaration is not None:
            yield declaration


def _vendor(
    hit: NameHit, sentences: SentenceIndex, checks: _SentenceChecks, vocab: Vocabulary, source: Source, names: NameTable
) -> Declaration | None:
    i = sentences.at(hit.start)
    if i is None or not checks.declaring(i):
        return None
    offset = hit.start - sentences.sentences[i].start
    end = offset + len(hit.text)
    if checks.blocked(i, offset, end):
        return None
    sentence = sentences.text_of(i)
    target, named = hit.target, hit.text
    if target.level == "company" or target.is_company_name:
        # A platform's own name: a place where the site's ads run declares nothing; followed by
        # a kind of product ("Facebook + Instagram Conversion pixel") it names that product.
        ads_after = vocab.ad_placement_after.match(sentence[end : end + vocab.platform_window])
        if ads_after or checks.ad_placement(i, offset, end):
            return None
        kind = _product_kind(sentence, offset, end, target, vocab, names)
        if kind is not None:
            target, named = kind[0], sentence[kind[1] : kind[2]]
    return Declaration(
        level=target.level,
        product_id=target.product_id,
        company_id=target.company_id,
        category=target.category,
        name_in_text=named,
        sentence=sentence,
        source=source,
        negated=is_negated(sentence, offset, end, vocab),
    )


def _product_kind(
    sentence: str, start: int, end: int, target: Target, vocab: Vocabulary, names: NameTable
) -> tuple[Target, int, int] | None:
    """The product a kind noun next to a platform's name designates, with the span naming it."""
    after = vocab.platform_kind_after.match(sentence[end : end + vocab.platform_window])
    if after is not None and after.lastgroup:
        product = names.product_of_kind(target.company_id, category_of(after.lastgroup))
        if product is not None:
            return product, start, end + after.end()
    before = vocab.platform_kind_before.search(sentence, max(0, start - vocab.platform_window), start)
    if before is not None and before.lastgroup:
        product = names.product_of_kind(target.company_id, category_of(before.lastgroup))
        if product is not None:
            return product, before.start(), end
    return None


def category_mentions(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary, source: Source) -> Iterator[Declaration]:
    checks = _SentenceChecks(sentences, vocab)
    for i, match in gated_matches(sentences, scan.gated.get("categories", []), vocab.categories):
        if match.lastgroup is None or not checks.declaring(i):
            continue
        sentence = sentences.text_of(i)
        negated = is_negated(sentence, match.start(), match.end(), vocab)
        for category in _categories_named(match, vocab):
            yield Declaration(level="category", category=category, name_in_text=match.group(), sentence=sentence,
                              source=source, negated=negated)


def _categories_named(match: re.Match[str], vocab: Vocabulary) -> list[str]:
    """The category the phrase matched, then any other it names ("analytics and advertising providers")."""
    assert match.lastgroup is not None
    matched = category_of(match.lastgroup)
    others = [c for c, words in vocab.category_words.items() if c != matched and words.search(match.group())]
    return [matched, *others]


def mentions_any(sentences: SentenceIndex, indices: list[int], pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(sentences.text_of(i)) for i in indices)
