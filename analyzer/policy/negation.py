"""Is a mention inside a denial? ("we do not use the Facebook pixel", "… is not shared with Google")."""

from __future__ import annotations

from analyzer.policy.vocabulary import Vocabulary


def clause_bounds(sentence: str, start: int, end: int, vocab: Vocabulary) -> tuple[int, int]:
    """The clause around ``sentence[start:end]``: a denial before "; but …" does not reach past it."""
    clause_start = 0
    for brk in vocab.clause_break.finditer(sentence, 0, start):
        clause_start = brk.end()
    following = vocab.clause_break.search(sentence, end)
    return clause_start, following.start() if following else len(sentence)


def is_negated(sentence: str, start: int, end: int, vocab: Vocabulary) -> bool:
    clause_start, clause_end = clause_bounds(sentence, start, end, vocab)
    prefix, suffix = sentence[clause_start:start], sentence[end:clause_end]
    denial = None
    for denial in vocab.negation_before.finditer(prefix):  # noqa: B007 - keeps the last match
        pass
    if denial is not None and not vocab.negation_exception.search(prefix, denial.start()):
        # "we do not allow X to use …" restricts X rather than denying it.
        restriction = vocab.restriction_verb.search(denial.group()) and vocab.restriction_tail.search(suffix)
        return not restriction
    if vocab.negation_neither.search(prefix):
        return True
    return bool(vocab.negation_after.search(suffix))
