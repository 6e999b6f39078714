"""The policy's claim about selling (or, in CPRA terms, sharing) personal data.

``sells_or_shares`` rests on any of:

- affirmative CCPA wording ("we may sell or share … for cross-context behavioral advertising",
  "… may be considered a sale", "we have \\"sold\\" …") not negated just before;
- a CCPA disclosure that lists what was sold or shared ("Categories … sold or shared in the last
  12 months: identifiers") or a disclosure table answering "yes" in its sold/shared column
  (analyzer/policy/sale_tables.py: delimited or one cell per line, either orientation);
- sharing for advertising, whatever the policy says about selling: "we do not sell, but we share
  identifiers with advertising partners", "no one pays us, however we disclose browsing data to
  ad networks" (unless only aggregate or de-identified data goes);
- the "Do Not Sell (or Share) My Personal Information" / "Your Privacy Choices" link text or an
  offered opt-out of sale/sharing (a site only needs them when it sells or shares).

``does_not_sell`` rests on a denial whose object is data ("we do not sell products to children"
is not a claim about data), or on a disclosure table answering "no"/"none"/"—" in every row. A
disclosure list answering "none" ("… sold in the last 12 months: none") affirms nothing, and is
left silent as before. An affirmation anywhere outweighs denials."""

from __future__ import annotations

from analyzer.policy.languages import LanguageWording, languages, sale_affirms, sale_denies
from analyzer.policy.sale_tables import TableReader
from analyzer.policy.scan import Scan
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary
from model.policy import Stance

_OBJECT_AFTER = 120  # characters after the verb where the thing sold is named (after lists of verbs and recipients)
_OBJECT_BEFORE = 90  # characters before a passive denial ("your data will never be sold")
_READER = 25  # "you may not sell…" is a rule for the reader, not the site's claim
_NEGATION_REACH = 30  # characters before an affirmation where "not" cancels it


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


def _not_negated(sentence: str, start: int, vocab: Vocabulary) -> bool:
    """No negation just before ``start`` in the same clause ("we don't sell, but we share …" is
    not negated; "we do not sell, rent or share …" is)."""
    prefix = sentence[max(0, start - _NEGATION_REACH) : start]
    breaks = list(vocab.sale_clause_break.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    return not vocab.sale_affirm_negated_before.search(prefix)


def _readers(sentence: str) -> tuple[bool, list[LanguageWording]]:
    """Read as English first?, and the other languages whose sale words the sentence holds."""
    as_english, others = languages().readers_for(sentence)
    lowered = sentence.lower()
    return as_english, [lang for lang in others if lang.triggered("sale", lowered)]


def _affirms(sentence: str, vocab: Vocabulary, readers: tuple[bool, list[LanguageWording]]) -> bool:
    as_english, others = readers
    if as_english and _affirms_in_english(sentence, vocab):
        return True
    return any(sale_affirms(sentence, lang) for lang in others)  # analyzer/policy/languages.py


def _denies(sentence: str, vocab: Vocabulary, readers: tuple[bool, list[LanguageWording]]) -> bool:
    as_english, others = readers
    if as_english and vocab.sale_verb.search(sentence) and _denies_selling_data(sentence, vocab):
        return True
    return any(sale_denies(sentence, lang) for lang in others)


def _affirms_in_english(sentence: str, vocab: Vocabulary) -> bool:
    if vocab.sale_opt_out_link.search(sentence):
        return True
    if sentence.rstrip(" \"”’'").endswith("?"):
        return False  # a question ("Do we sell your personal information?") heads its answer
    if vocab.sale_disclosure_none.search(sentence):
        return False  # "… shared for cross-context behavioral advertising in the last 12 months: none"
    if vocab.sale_disclosure_list.search(sentence):
        return True
    if any(_not_negated(sentence, m.start(), vocab) for m in vocab.sale_affirm.finditer(sentence)):
        return True
    return _shares_for_advertising(sentence, vocab)


def _shares_for_advertising(sentence: str, vocab: Vocabulary) -> bool:
    for share in vocab.sale_share_for_ads.finditer(sentence):
        # The negation check covers "we do not sell or share …" and "we never share … with advertisers".
        if _not_negated(sentence, share.start(), vocab) and not vocab.sale_share_excluded_data.search(share.group()):
            return True
    return False


def sale_stance(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary) -> Stance:
    affirm: list[str] = []
    denial: list[str] = []
    tables = TableReader(sentences, vocab)
    for i in scan.gated.get("sale", []):
        sentence = sentences.text_of(i)
        readers = _readers(sentence)
        table = None if (affirmed := _affirms(sentence, vocab, readers)) else tables.answer(i)
        if affirmed:
            affirm.append(sentence)
        elif table is not None and table.affirms:
            affirm.extend(table.evidence())
        if table is not None and table.denies:
            denial.extend(table.evidence())
        elif _denies(sentence, vocab, readers):
            denial.append(sentence)
    # A table with two sold/shared columns is read once per column: its rows are evidence once.
    affirm, denial = list(dict.fromkeys(affirm)), list(dict.fromkeys(denial))
    if affirm:
        return Stance(value="sells_or_shares", evidence=affirm, outweighed=denial)
    if denial:
        return Stance(value="does_not_sell", evidence=denial)
    return Stance(value="silent")
