"""Sentence segmentation with character offsets into the original text.

Policies are web text: headings, bullets, table rows and wrapped lines rather than tidy prose,
so lines are the first boundary (a heading or bullet is its own unit) and only then are lines
split at sentence punctuation. Offsets are kept so evidence is an exact substring of the text."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from analyzer.policy.vocabulary import vocabulary

# A line that does not end a sentence and a next line that starts lower-case: a wrapped line.
_OPEN_END = re.compile(r"[^.!?:;\s]\s*$")
_LOWER_START = re.compile(r"\s*[a-z]")
# Candidate split: terminal punctuation, optional closing quote/bracket, space, capital/digit/quote.
_SPLIT = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([\w.&]+)[.!?]$")
_TRIM = " \t\r\f\v\u00a0\u2022\u25cf\u25aa\u2023\u2013\u2014-*·"


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    paragraph: int


class Segmenter:
    def __init__(self, abbreviations: list[str]) -> None:
        self._abbreviations = frozenset(a.lower().rstrip(".") for a in abbreviations)

    def split(self, text: str) -> list[Sentence]:
        sentences: list[Sentence] = []
        for index, (start, end) in enumerate(self._paragraphs(text)):
            for s, e in self._split_block(text, start, end):
                s, e = _trim(text, s, e)
                if e > s:
                    sentences.append(Sentence(s, e, index))
        return sentences

    def paragraphs(self, text: str) -> list[tuple[int, int]]:
        """Line spans as ``Sentence.paragraph`` numbers them, untrimmed: a table cell holding only
        "—" is a paragraph here although no sentence is left of it."""
        return self._paragraphs(text)

    def _paragraphs(self, text: str) -> list[tuple[int, int]]:
        """Line spans, with wrapped continuation lines merged into the line they continue."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for line in text.split("\n"):
            end = pos + len(line)
            if line.strip():
                previous = spans[-1] if spans else None
                if (
                    previous is not None
                    and previous[1] == pos - 1
                    and _OPEN_END.search(text, previous[0], previous[1])
                    and _LOWER_START.match(line)
                ):
                    spans[-1] = (previous[0], end)
                else:
                    spans.append((pos, end))
            pos = end + 1
        return spans

    def _split_block(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        pieces: list[tuple[int, int]] = []
        current = start
        for match in _SPLIT.finditer(text, start, end):
            if text[match.start()] == "." and self._is_abbreviation(text, current, match.start() + 1):
                continue
            pieces.append((current, match.end()))
            current = match.end()
        pieces.append((current, end))
        return pieces

    def _is_abbreviation(self, text: str, start: int, stop: int) -> bool:
        word = _WORD_BEFORE.search(text, max(start, stop - 24), stop)
        if word is None:
            return False
        token = word.group(1).lower().rstrip(".")
        last = token.rsplit(".", 1)[-1] if "." in token else token
        # Single letters are initials ("J. Smith"), dotted tokens are "U.S." / "e.g."
        return len(last) == 1 or token in self._abbreviations or last in self._abbreviations


@functools.cache
def default_segmenter() -> Segmenter:
    """The segmenter with the vocabulary's abbreviations."""
    return Segmenter(vocabulary().abbreviations)


def index_sentences(text: str) -> SentenceIndex:
    return SentenceIndex(text, default_segmenter().split(text))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class SentenceIndex:
    """Maps a character offset to the sentence holding it."""

    def __init__(self, text: str, sentences: list[Sentence]) -> None:
        self.text = text
        self.sentences = sentences
        self._starts = [s.start for s in sentences]

    def at(self, offset: int) -> int | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.sentences[i].end:
            return i
        return None

    def text_of(self, i: int) -> str:
        s = self.sentences[i]
        return self.text[s.start : s.end]

    def paragraph_spans(self, paragraphs: set[int] | None = None) -> list[tuple[int, int]]:
        """``(start, end)`` of each paragraph (only the given ones, when given), in text order."""
        spans: dict[int, tuple[int, int]] = {}
        for s in self.sentences:
            if paragraphs is not None and s.paragraph not in paragraphs:
                continue
            first = spans.get(s.paragraph)
            spans[s.paragraph] = (first[0] if first else s.start, s.end)
        return list(spans.values())
