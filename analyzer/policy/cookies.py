"""Cookie purpose categories a policy (or cookie policy) says the site uses."""

from __future__ import annotations

from analyzer.policy.negation import is_negated
from analyzer.policy.scan import Scan, gated_matches
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary, category_of

ORDER = ("strictly-necessary", "functional", "analytics", "advertising", "social-media")


def cookie_categories(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary) -> set[str]:
    gated = scan.gated.get("cookies", [])
    return _from_phrases(sentences, gated, vocab) | _from_labels(sentences, gated, vocab)


def _from_phrases(sentences: SentenceIndex, gated: list[int], vocab: Vocabulary) -> set[str]:
    found: set[str] = set()
    for i, match in gated_matches(sentences, gated, vocab.cookie_phrases):
        # "we do not use advertising cookies" lists a category the site rules out.
        if match.lastgroup and not is_negated(sentences.text_of(i), match.start(), match.end(), vocab):
            found.add(category_of(match.lastgroup))
    return found


def _from_labels(sentences: SentenceIndex, gated: list[int], vocab: Vocabulary) -> set[str]:
    """Cookie tables and numbered lists: a line led by a category label that talks about cookies."""
    found: set[str] = set()
    text = sentences.text
    paragraphs = {sentences.sentences[i].paragraph for i in gated}
    for start, end in sentences.paragraph_spans(paragraphs):
        segment = text[start:end]
        label = vocab.cookie_labels.match(segment)
        if label is not None and label.lastgroup and "cookie" in segment.lower():
            found.add(category_of(label.lastgroup))
    return found


def ordered(categories: set[str]) -> list[str]:
    return [c for c in ORDER if c in categories]
