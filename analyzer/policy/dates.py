"""The policy's own date ("Last updated: July 3rd, 2019", "Effective as of 1 January 2020").

"Updated" wording outranks "effective" wording; within the stronger kind the latest date wins,
since policies often keep an old "Updated …" line above a newer footer."""

from __future__ import annotations

import datetime as dt
import re

from analyzer.policy.scan import Scan, gated_matches
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary


def policy_date(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary) -> str | None:
    candidates: list[tuple[int, str]] = []
    for rank, cue in ((2, vocab.date_updated), (1, vocab.date_effective)):
        for i, match in gated_matches(sentences, scan.gated.get("dates", []), cue):
            # The date may follow on the next line ("Last updated:\nJuly 3, 2019").
            found = _date_after(sentences.text, sentences.sentences[i].start + match.end(), vocab)
            if found is not None:
                candidates.append((rank, found))
    if not candidates:
        return None
    best = max(rank for rank, _ in candidates)
    return max(iso for rank, iso in candidates if rank == best)


def _date_after(text: str, start: int, vocab: Vocabulary) -> str | None:
    window = text[start : start + vocab.date_window + 30]
    best: tuple[int, str] | None = None
    for fmt in vocab.date_formats:
        match = fmt.search(window)
        if match is None or match.start() > vocab.date_window:
            continue
        iso = _iso(match, vocab)
        # The earliest-starting date is the one the cue introduces; ties go to the first
        # (most precise) format in the vocabulary.
        if iso is not None and (best is None or match.start() < best[0]):
            best = (match.start(), iso)
    return best[1] if best else None


def _iso(match: re.Match[str], vocab: Vocabulary) -> str | None:
    parts = match.groupdict()
    year = int(parts["year"]) if parts.get("year") else 2000 + int(parts["yy"])
    month = vocab.months.get(parts["month"].lower().rstrip(".")) if parts.get("month") else int(parts["mnum"])
    if month is None:
        return None
    day = parts.get("day")
    try:
        if day is None:
            dt.date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return dt.date(year, month, int(day)).isoformat()
    except ValueError:
        return None
