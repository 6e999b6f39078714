"""Cookie purpose categories a policy (or cookie policy) says the site uses, each with its sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from analyzer.policy.negation import is_negated
from analyzer.policy.scan import Scan, gated_matches
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary, category_of
from model.policy import Declaration, Source

ORDER = ("strictly-necessary", "functional", "analytics", "advertising", "social-media")

# An item of a purpose list whose label our vocabulary does not know ("Security: …"): it keeps the
# list open for the items after it.
_ANY_LABEL = re.compile(r"[\W\d]{0,6}\s*[A-Z][\w ,&/'-]{0,40}\s*[:–—]\s")


@dataclass(frozen=True, slots=True)
class Purpose:
    category: str  # cookie category id
    sentence: int  # index of the sentence that states it
    words: str  # the phrase or list label that names it


def cookie_purposes(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary) -> list[Purpose]:
    gated = scan.gated.get("cookies", [])
    return [*_from_phrases(sentences, gated, vocab), *_from_labels(sentences, gated, vocab)]


def purpose_declarations(
    purposes: list[Purpose], sentences: SentenceIndex, vocab: Vocabulary, source: Source
) -> Iterator[Declaration]:
    """Listed cookie purposes as vague declarations of the tracker category each one covers."""
    for purpose in purposes:
        category = vocab.cookie_tracker_categories.get(purpose.category)
        if category is not None:
            yield Declaration(level="category", category=category, name_in_text=purpose.words,
                              sentence=sentences.text_of(purpose.sentence), source=source)


def _from_phrases(sentences: SentenceIndex, gated: list[int], vocab: Vocabulary) -> Iterator[Purpose]:
    for i, match in gated_matches(sentences, gated, vocab.cookie_phrases):
        # "we do not use advertising cookies" lists a category the site rules out.
        sentence = sentences.text_of(i)
        if match.lastgroup and not is_negated(sentence, match.start(), match.end(), vocab):
            end = match.end()
            while end < len(sentence) and sentence[end].isalpha():  # "technolog" → "technologies"
                end += 1
            yield Purpose(category_of(match.lastgroup), i, sentence[match.start():end])


def _from_labels(sentences: SentenceIndex, gated: list[int], vocab: Vocabulary) -> Iterator[Purpose]:
    """Cookie tables and purpose lists: a line led by a category label that talks about cookies, or
    that stands in a list introduced by a line about cookies ("We use these technologies for the
    following purposes:" then "Analytics: to measure …")."""
    text = sentences.text
    gated_paragraphs = {sentences.sentences[i].paragraph for i in gated}
    list_open = False
    for paragraph, start, end in _paragraphs(sentences):
        segment = text[start:end]
        label = vocab.cookie_labels.match(segment)
        if label is not None and label.lastgroup and (list_open or "cookie" in segment.lower()):
            first = sentences.at(start)
            if first is not None:
                yield Purpose(category_of(label.lastgroup), first, label.group().strip(" \t:.-–—(/&"))
            continue
        if list_open and _ANY_LABEL.match(segment):
            continue
        list_open = paragraph in gated_paragraphs and vocab.cookie_list_lead_in.search(segment) is not None


def _paragraphs(sentences: SentenceIndex) -> Iterator[tuple[int, int, int]]:
    """``(paragraph number, start, end)`` in text order."""
    current: list[int] | None = None
    for s in sentences.sentences:
        if current is not None and current[0] == s.paragraph:
            current[2] = s.end
            continue
        if current is not None:
            yield current[0], current[1], current[2]
        current = [s.paragraph, s.start, s.end]
    if current is not None:
        yield current[0], current[1], current[2]


def ordered(categories: set[str]) -> list[str]:
    return [c for c in ORDER if c in categories]
