"""``analyze_policy``: one policy (and optionally its cookie policy) → ``PolicyAnalysis``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from analyzer.policy.cookies import cookie_purposes, ordered, purpose_declarations
from analyzer.policy.dates import policy_date
from analyzer.policy.declarations import category_mentions, mentions_any, vendor_mentions
from analyzer.policy.names import Knowledge
from analyzer.policy.sale import sale_stance
from analyzer.policy.scan import Scan, scanner
from analyzer.policy.sentences import SentenceIndex, index_sentences
from analyzer.policy.stances import signal_stance
from analyzer.policy.vocabulary import Vocabulary, vocabulary
from model.policy import Declaration, PolicyAnalysis, ReferenceLevel, Source, Stance


@dataclass(frozen=True, slots=True)
class _Document:
    source: Source
    sentences: SentenceIndex
    scan: Scan


def analyze_policy(
    text: str, *, cookie_policy_text: str | None = None, knowledge: Knowledge | None = None
) -> PolicyAnalysis:
    """Declarations, denials, category mentions and stances of a privacy policy.

    ``knowledge`` defaults to the packaged tracker knowledge base. Mentions found in the cookie
    policy are reported with ``source="cookie_policy"``; stances and the date come from the
    privacy policy, with the cookie policy as fallback where the privacy policy is silent."""
    if knowledge is None:
        from analyzer.knowledge import load_knowledge

        knowledge = load_knowledge()
    vocab = vocabulary()
    scan_of = scanner(knowledge)
    documents: list[_Document] = []
    bodies: tuple[tuple[Source, str | None], ...] = (("privacy_policy", text), ("cookie_policy", cookie_policy_text))
    for source, body in bodies:
        if body:
            sentences = index_sentences(body)
            documents.append(_Document(source, sentences, scan_of.scan(sentences)))

    vendors = [
        d for doc in documents for d in vendor_mentions(doc.sentences, doc.scan, vocab, doc.source, scan_of.names)
    ]
    categories = [d for doc in documents for d in category_mentions(doc.sentences, doc.scan, vocab, doc.source)]
    declarations = _first_per_id(d for d in vendors if not d.negated)
    category_declared = _first_per_id(d for d in categories if not d.negated)
    listed = [(doc, cookie_purposes(doc.sentences, doc.scan, vocab)) for doc in documents]
    purposes = _first_per_id(
        d for doc, found in listed for d in purpose_declarations(found, doc.sentences, vocab, doc.source)
    )
    return PolicyAnalysis(
        declarations=declarations,
        negations=_first_per_id(d for d in vendors + categories if d.negated),
        category_mentions=category_declared,
        dnt=_first_said(documents, lambda doc: signal_stance(doc.sentences, doc.scan, vocab, "dnt")),
        gpc=_first_said(documents, lambda doc: signal_stance(doc.sentences, doc.scan, vocab, "gpc")),
        sale=_first_said(documents, lambda doc: sale_stance(doc.sentences, doc.scan, vocab)),
        cookie_purposes=purposes,
        cookie_categories=ordered({p.category for _, found in listed for p in found}),
        policy_date=next((date for doc in documents if (date := policy_date(doc.sentences, doc.scan, vocab))), None),
        third_party_reference_level=_reference_level(documents, declarations, category_declared, vocab),
    )


def _first_per_id(declarations: Iterable[Declaration]) -> list[Declaration]:
    """One declaration per (level, id, source): the first sentence is the evidence shown."""
    seen: dict[tuple[str, str | None, Source], Declaration] = {}
    for d in declarations:
        key = (d.level, d.product_id or d.company_id or d.category, d.source)
        seen.setdefault(key, d)
    return list(seen.values())


def _first_said(documents: list[_Document], stance_of: Callable[[_Document], Stance]) -> Stance:
    for doc in documents:
        stance = stance_of(doc)
        if stance.value != "silent":
            return stance
    return Stance(value="silent")


def _reference_level(
    documents: list[_Document], declarations: list[Declaration], categories: list[Declaration], vocab: Vocabulary
) -> ReferenceLevel:
    if declarations:
        return "named"

    def mentions(feature: str, pattern: re.Pattern[str]) -> bool:
        return any(mentions_any(d.sentences, d.scan.gated.get(feature, []), pattern) for d in documents)

    if categories or mentions("third_party_characterized", vocab.third_party_characterized):
        return "characterized_only"
    if mentions("third_party_generic", vocab.third_party_generic):
        return "unnamed_only"
    return "none"
