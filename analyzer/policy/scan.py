"""One Aho-Corasick pass over a policy: vendor names, cookie names and each feature's triggers.

Running every vocabulary regex over every policy costs a few milliseconds each in Python's
``re``; one automaton pass costs less than one of them. Features then run their regexes only on
the sentences where their triggers occur, and vendor names come out ready for checks."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import ahocorasick

from analyzer.policy.names import CookieTable, Knowledge, NameTable, Target
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary, vocabulary

# Same-length normalisation: lower case, every whitespace character a plain space, so offsets
# in the normalised text are offsets in the original.
_SPACES = str.maketrans({c: " " for c in "\t\n\r\f\v\u00a0\u2000\u2001\u2002\u2003\u2009\u202f"})
# Typographic quotes fold to ASCII one for one (offsets stay valid), so a vendor name written
# with quotes ('Facebook “Like” button') matches its plain-quoted spelling in the knowledge base.
_SPACES.update(str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"}))
_NAME, _TRIGGER, _COOKIE = 0, 1, 2
_COOKIE_CHARS = "_-."

# What the automaton stores per word: its length, and every (kind, value) it stands for.
_Entry = tuple[int, tuple[tuple[int, str], ...]]


class _Automaton(Protocol):
    """The part of pyahocorasick's (untyped) ``Automaton`` used here, with the values this module stores."""

    def add_word(self, key: str, value: _Entry) -> bool: ...

    def make_automaton(self) -> None: ...

    def iter(self, string: str) -> Iterator[tuple[int, _Entry]]: ...  # (index of the last character, value)


@dataclass(frozen=True, slots=True)
class NameHit:
    start: int
    end: int
    text: str
    target: Target


@dataclass(slots=True)
class Scan:
    names: list[NameHit] = field(default_factory=list)
    # feature -> sorted indices of sentences holding one of its triggers
    gated: dict[str, list[int]] = field(default_factory=dict)


def normalise(text: str) -> str:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters ("İ") lower-case to two
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.translate(_SPACES)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


class Scanner:
    def __init__(self, names: NameTable, cookies: CookieTable, triggers: dict[str, list[str]]) -> None:
        self.names = names
        self.cookies = cookies
        self._automaton: _Automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[int, str]]] = {}
        for key in names.targets:
            entries.setdefault(key, []).append((_NAME, key))
        for cookie in cookies.words():
            entries.setdefault(cookie.lower(), []).append((_COOKIE, cookie))
        for feature, words in triggers.items():
            for word in words:
                entries.setdefault(word.lower(), []).append((_TRIGGER, feature))
        for word, values in entries.items():
            self._automaton.add_word(word, (len(word), tuple(values)))
        self._automaton.make_automaton()

    def scan(self, sentences: SentenceIndex) -> Scan:
        text = sentences.text
        candidates: list[tuple[int, int, str]] = []
        cookie_starts: set[int] = set()
        gated: dict[str, set[int]] = {}
        for last, (length, values) in self._automaton.iter(normalise(text)):
            start, end = last - length + 1, last + 1
            for kind, value in values:
                if kind == _NAME:
                    candidates.append((start, end, value))
                elif kind == _COOKIE:
                    cookie_starts.add(start)
                else:
                    i = sentences.at(start)
                    if i is not None:
                        gated.setdefault(value, set()).add(i)
        names = self._names(text, candidates) + self._cookie_names(text, cookie_starts)
        return Scan(
            names=sorted(names, key=lambda hit: hit.start),
            gated={feature: sorted(found) for feature, found in gated.items()},
        )

    def find_names(self, text: str) -> list[NameHit]:
        """Vendor names alone (no sentence gating), e.g. to map a label to knowledge ids."""
        candidates = [
            (last - length + 1, last + 1, value)
            for last, (length, values) in self._automaton.iter(normalise(text))
            for kind, value in values
            if kind == _NAME
        ]
        return self._names(text, candidates)

    def _names(self, text: str, candidates: list[tuple[int, int, str]]) -> list[NameHit]:
        """Whole-word, case-fitting hits; the longest wins where hits overlap."""
        fitting = [
            (start, end, key)
            for start, end, key in candidates
            if _whole_word(text, start, end) and self.names.accepts(key, text, start, end)
        ]
        fitting.sort(key=lambda hit: (hit[0], -(hit[1] - hit[0])))
        hits: list[NameHit] = []
        covered = 0
        for start, end, key in fitting:
            if start >= covered:
                hits.append(NameHit(start, end, text[start:end], self.names.targets[key]))
                covered = end
        return hits


    def _cookie_names(self, text: str, starts: set[int]) -> list[NameHit]:
        """Whole cookie-name tokens ("_ga", "_ga_XXXX", "_gat_*") the cookie table knows."""
        hits: list[NameHit] = []
        for start in sorted(starts):
            if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in _COOKIE_CHARS):
                continue
            end = start
            while end < len(text) and (_is_word(text[end]) or text[end] in _COOKIE_CHARS):
                end += 1
            token = text[start:end].rstrip(".-")
            target = self.cookies.target(token)
            if target is not None:
                hits.append(NameHit(start, start + len(token), token, target))
        return hits


def _whole_word(text: str, start: int, end: int) -> bool:
    # "@" and "/" and "." before a name: e-mail addresses, URL paths, host names.
    before_ok = start == 0 or not (_is_word(text[start - 1]) or text[start - 1] in "@/.")
    after_ok = end == len(text) or not (_is_word(text[end]) or text[end] == "@")
    return before_ok and after_ok


@functools.lru_cache(maxsize=4)
def scanner(knowledge: Knowledge) -> Scanner:
    vocab: Vocabulary = vocabulary()
    return Scanner(NameTable(knowledge, vocab), CookieTable(knowledge), vocab.triggers)


def gated_matches(
    sentences: SentenceIndex, indices: list[int], pattern: re.Pattern[str]
) -> Iterator[tuple[int, re.Match[str]]]:
    """``(sentence index, match)`` for every match of ``pattern`` in the given sentences."""
    for i in indices:
        for match in pattern.finditer(sentences.text_of(i)):
            yield i, match

