"""The policy's claim about selling personal data.

``sells_or_shares`` rests on affirmative CCPA wording or on the "Do Not Sell (or Share) My
Personal Information" link text (a site only needs that link when it sells or shares);
``does_not_sell`` on a denial whose object is data ("we do not sell products to children"
is not a claim about data)."""

from __future__ import annotations

from analyzer.policy.model import Stance
from analyzer.policy.scan import Scan
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary

_OBJECT_AFTER = 120  # characters after the verb where the thing sold is named (after lists of verbs and recipients)
_OBJECT_BEFORE = 90  # characters before a passive denial ("your data will never be sold")
_READER = 25  # "you may not sell…" is a rule for the reader, not the site's claim


def _denies_selling_data(sentence: str, vocab: Vocabulary) -> bool:
    for denial in vocab.sale_denial.finditer(sentence):
        before = sentence[max(0, denial.start() - _READER) : denial.start()]
        if "you" in before.lower().split():
            continue
        after = sentence[denial.end() : denial.end() + _OBJECT_AFTER]
        passive = sentence[max(0, denial.start() - _OBJECT_BEFORE) : denial.start()]
        if vocab.sale_data_object.search(after) or (
            denial.group().lower().endswith(("sold", "rented", "traded")) and vocab.sale_data_object.search(passive)
        ):
            return True
    return False


def sale_stance(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary) -> Stance:
    affirm: list[str] = []
    denial: list[str] = []
    for i in scan.gated.get("sale", []):
        sentence = sentences.text_of(i)
        if not vocab.sale_verb.search(sentence):
            continue
        if vocab.sale_affirm.search(sentence) or vocab.sale_opt_out_link.search(sentence):
            affirm.append(sentence)
        elif _denies_selling_data(sentence, vocab):
            denial.append(sentence)
    if affirm:
        return Stance(value="sells_or_shares", evidence=affirm)
    if denial:
        return Stance(value="does_not_sell", evidence=denial)
    return Stance(value="silent")
