"""Mentions of vendors and of vendor categories, kept only where they declare something.

A name counts unless it sits in a non-declaration phrase ("Google Chrome" in a cookie how-to)
or a non-declaration sentence ("follow us on Facebook", links out to other sites, privacy
seals). Kept mentions carry ``negated`` when the site denies the use ("we do not use …").

Decisions: a vendor's opt-out link or how-to ("opt out of Google Analytics") declares it, as
the site would not explain opting out of a vendor it does not use; social login ("log in with
Facebook") declares the company, since the provider's SDK exchanges data with the page."""

from __future__ import annotations

import re
from typing import Iterator

from analyzer.policy.model import Declaration, Source
from analyzer.policy.negation import is_negated
from analyzer.policy.scan import NameHit, Scan, gated_matches
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary, category_of


class _SentenceChecks:
    """Per-sentence non-declaration checks, computed once per sentence that needs them."""

    def __init__(self, sentences: SentenceIndex, vocab: Vocabulary) -> None:
        self.sentences = sentences
        self.vocab = vocab
        self._declaring: dict[int, bool] = {}
        self._blocked: dict[int, list[tuple[int, int]]] = {}

    def declaring(self, i: int) -> bool:
        if i not in self._declaring:
            self._declaring[i] = not self.vocab.non_declaration_sentences.search(self.sentences.text_of(i))
        return self._declaring[i]

    def blocked(self, i: int, start: int, end: int) -> bool:
        """Is ``[start, end)`` (sentence offsets) inside a phrase such as "Google Chrome"?"""
        if i not in self._blocked:
            self._blocked[i] = self._blocked_spans(self.sentences.text_of(i))
        return any(s < end and start < e for s, e in self._blocked[i])

    def _blocked_spans(self, text: str) -> list[tuple[int, int]]:
        spans = [m.span() for m in self.vocab.non_declaration_phrases.finditer(text)]
        for lead_in in self.vocab.non_declaration_lead_ins.finditer(text):
            # "follow us on Instagram, and we use Mailchimp": the lead-in reaches the clause end.
            end = self.vocab.lead_in_end.search(text, lead_in.end())
            spans.append((lead_in.start(), end.start() if end else len(text)))
        return spans


def vendor_mentions(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary, source: Source) -> Iterator[Declaration]:
    checks = _SentenceChecks(sentences, vocab)
    for hit in scan.names:
        declaration = _vendor(hit, sentences, checks, vocab, source)
        if declaration is not None:
            yield declaration


def _vendor(
    hit: NameHit, sentences: SentenceIndex, checks: _SentenceChecks, vocab: Vocabulary, source: Source
) -> Declaration | None:
    i = sentences.at(hit.start)
    if i is None or not checks.declaring(i):
        return None
    offset = hit.start - sentences.sentences[i].start
    end = offset + len(hit.text)
    if checks.blocked(i, offset, end):
        return None
    sentence = sentences.text_of(i)
    target = hit.target
    return Declaration(
        level=target.level,  # type: ignore[arg-type]
        product_id=target.product_id,
        company_id=target.company_id,
        category=target.category,
        name_in_text=hit.text,
        sentence=sentence,
        source=source,
        negated=is_negated(sentence, offset, end, vocab),
    )


def category_mentions(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary, source: Source) -> Iterator[Declaration]:
    checks = _SentenceChecks(sentences, vocab)
    for i, match in gated_matches(sentences, scan.gated.get("categories", []), vocab.categories):
        if match.lastgroup is None or not checks.declaring(i):
            continue
        sentence = sentences.text_of(i)
        yield Declaration(
            level="category",
            category=category_of(match.lastgroup),
            name_in_text=match.group(),
            sentence=sentence,
            source=source,
            negated=is_negated(sentence, match.start(), match.end(), vocab),
        )


def mentions_any(sentences: SentenceIndex, indices: list[int], pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(sentences.text_of(i)) for i in indices)
