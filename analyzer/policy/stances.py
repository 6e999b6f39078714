"""Stances on browser privacy signals (Do Not Track, Global Privacy Control).

A signal's sentences are the ones naming it plus the ones right after that continue the topic
("…these signals"). A sentence is read in this order:

1. sentence-wide refusals: the same collection whatever the signal ("whatever your browser
   sends, we collect the same …", "DNT has no effect") or no ability to read it ("our site is
   not configured to detect …");
2. each response verb ("respond", "honor", "ignore") by what stands just before it: a hedge
   ("may not"), a negation ("do not currently"; a negated refusal such as "we will not ignore"
   is a commitment), wording that only describes the law or the reader ("how we respond"), or
   nothing (an affirmation);
3. a commitment phrased as behaviour: a condition on the signal and a privacy-protective effect
   ("if your browser sends DNT, we treat your visit as if you declined …").

A commitment that rests on effort or feasibility ("we try to respect … where technically
possible") is a hedge, not a promise.

Sentences in the other languages policy discovery supports are read by their own, simpler rules
(analyzer/policy/languages.py, wording in stance_languages.yaml)."""

from __future__ import annotations

from typing import Literal

from analyzer.policy.languages import languages, read_signal
from analyzer.policy.scan import Scan, gated_matches
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary
from model.policy import PolicyStance, Stance

Reading = Literal["negative", "hedged", "positive", "mention"]
_PREFIX_CHARS = 80
_FOLLOWUPS = 4
_MASK = " SIGNALCUE "  # a word no policy contains, so clauses naming the signal can be found


def signal_sentences(sentences: SentenceIndex, cue_sentences: list[int], vocab: Vocabulary) -> list[int]:
    """The sentences naming the signal and the ones right after that continue its topic."""
    chosen: set[int] = set()
    for i in cue_sentences:
        chosen.add(i)
        for j in range(i + 1, min(i + 1 + _FOLLOWUPS, len(sentences.sentences))):
            text = sentences.text_of(j)
            if vocab.stance_followup.search(text) or languages().followup.search(text):
                chosen.add(j)
    return sorted(chosen)


def read_sentence(sentence: str, cue_spans: list[tuple[int, int]], vocab: Vocabulary) -> Reading:
    """How one sentence stands on the signal.

    The clauses naming the signal are read first, so "we do not respond to DNT, but we honor
    GPC" reads differently for each signal; the whole sentence is read when those clauses say
    nothing definite ("Browsers offer DNT; we do not respond to these signals")."""
    # The cue itself ("do not track") holds a negation that must not be read as the site's.
    masked = sentence
    for start, end in sorted(cue_spans, reverse=True):
        masked = masked[:start] + _MASK + masked[end:]
    as_english, others = languages().readers_for(masked)
    reading: Reading = _read_english(masked, cue_spans, vocab) if as_english else "mention"
    for lang in others:
        if reading != "mention":
            break
        reading = read_signal(masked, lang)  # analyzer/policy/languages.py
    return reading


def _read_english(masked: str, cue_spans: list[tuple[int, int]], vocab: Vocabulary) -> Reading:
    if _refuses_outright(masked, vocab):
        return "negative"
    reading = _read_verbs(masked, cue_spans, vocab)
    if reading in ("mention", "positive") and _behaves_as_honouring(masked, vocab):
        reading = "positive"
    if reading == "positive" and vocab.stance_hedge_commitment.search(masked):
        return "hedged"
    return reading


def _read_verbs(masked: str, cue_spans: list[tuple[int, int]], vocab: Vocabulary) -> Reading:
    clauses = _clauses(masked, vocab)
    if cue_spans:
        # Masking shifts offsets; the mask token marks where the cues are.
        naming = [(s, e) for s, e in clauses if _MASK.strip() in masked[s:e]]
        reading = _read_span(masked, naming, vocab)
        if reading != "mention":
            return reading
    return _read_span(masked, clauses, vocab)


def _refuses_outright(masked: str, vocab: Vocabulary) -> bool:
    """The same practice whatever the signal says, or no means to read the signal at all."""
    if vocab.stance_same_regardless.search(masked):
        return True
    for incapable in vocab.stance_incapable.finditer(masked):
        # "we have no …"/"our site lacks …" only when what is missing is a capability.
        if not incapable.group().lower().rstrip().endswith(("have", "has", "lack", "lacks", "lacking", "no")):
            return True
        if vocab.stance_incapable_object.search(masked, incapable.end(), incapable.end() + 40):
            return True
    return False


def _behaves_as_honouring(masked: str, vocab: Vocabulary) -> bool:
    return bool(vocab.signal_condition.search(masked) and vocab.protective_effect.search(masked))


def _clauses(masked: str, vocab: Vocabulary) -> list[tuple[int, int]]:
    spans, start = [], 0
    for brk in vocab.clause_break.finditer(masked):
        spans.append((start, brk.start()))
        start = brk.start()
    spans.append((start, len(masked)))
    return spans


def _read_span(masked: str, clauses: list[tuple[int, int]], vocab: Vocabulary) -> Reading:
    readings: set[str] = set()
    for start, end in clauses:
        clause = masked[start:end]
        readings.update(_read_verb(clause, verb.start(), verb.group(), vocab) for verb in vocab.response_verbs.finditer(clause))
        if vocab.honor_phrases.search(clause):
            readings.add("positive")
    if "negative" in readings:
        return "hedged" if vocab.stance_hedge_sentence.search(masked) else "negative"
    for reading in ("hedged", "positive"):
        if reading in readings:
            return reading
    return "mention"


def _read_verb(masked: str, start: int, verb: str, vocab: Vocabulary) -> Reading:
    prefix = masked[max(0, start - _PREFIX_CHARS) : start]
    if vocab.stance_neutral_before.search(prefix):
        return "mention"
    if vocab.stance_double_negation_before.search(prefix):
        return "positive"  # "we never fail to honour"
    if vocab.stance_hedge_before.search(prefix):
        return "hedged"
    negated = bool(vocab.stance_negation_before.search(prefix))
    if vocab.stance_inverting_verbs.fullmatch(verb):
        return "positive" if negated else "negative"  # "we will not ignore" commits to the signal
    refusal = bool(vocab.refusal_verbs.fullmatch(verb))
    return "negative" if negated or refusal else "positive"


def signal_stance(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary, signal: str) -> Stance:
    cues: dict[int, list[tuple[int, int]]] = {}
    for cue in (vocab.signals[signal].cue, languages().cues[signal]):
        for i, match in gated_matches(sentences, scan.gated.get(signal, []), cue):
            spans = cues.setdefault(i, [])
            if not any(match.start() < end and start < match.end() for start, end in spans):
                spans.append(match.span())
    if not cues:
        return Stance(value="silent")
    by_reading: dict[Reading, list[str]] = {"negative": [], "hedged": [], "positive": [], "mention": []}
    for i in signal_sentences(sentences, sorted(cues), vocab):
        sentence = sentences.text_of(i)
        by_reading[read_sentence(sentence, cues.get(i, []), vocab)].append(sentence)
    # A plain refusal is the site's practice; a hedge only matters when nothing is definite.
    decisive: tuple[tuple[Reading, PolicyStance], ...] = (
        ("negative", "does_not_honor"), ("hedged", "unclear"), ("positive", "honors"))
    for reading, value in decisive:
        if by_reading[reading]:
            return Stance(value=value, evidence=by_reading[reading])
    return Stance(value="unclear", evidence=by_reading["mention"])
