"""The policy's claim about selling (or, in CPRA terms, sharing) personal data.

``sells_or_shares`` rests on any of:

- affirmative CCPA wording ("we may sell or share … for cross-context behavioral advertising",
  "… may be considered a sale", "we have \\"sold\\" …") not negated just before;
- a CCPA disclosure that lists what was sold or shared ("Categories … sold or shared in the last
  12 months: identifiers") or a disclosure table answering "yes" in its sold/shared column;
- sharing for advertising, whatever the policy says about selling: "we do not sell, but we share
  identifiers with advertising partners", "no one pays us, however we disclose browsing data to
  ad networks" (unless only aggregate or de-identified data goes);
- the "Do Not Sell (or Share) My Personal Information" / "Your Privacy Choices" link text or an
  offered opt-out of sale/sharing (a site only needs them when it sells or shares).

``does_not_sell`` rests on a denial whose object is data ("we do not sell products to children"
is not a claim about data). An affirmation anywhere outweighs denials."""

from __future__ import annotations

import re

from analyzer.policy.scan import Scan
from analyzer.policy.sentences import SentenceIndex
from analyzer.policy.vocabulary import Vocabulary
from model.policy import Stance

_OBJECT_AFTER = 120  # characters after the verb where the thing sold is named (after lists of verbs and recipients)
_OBJECT_BEFORE = 90  # characters before a passive denial ("your data will never be sold")
_READER = 25  # "you may not sell…" is a rule for the reader, not the site's claim
_NEGATION_REACH = 30  # characters before an affirmation where "not" cancels it
_TABLE_ROWS = 15  # rows read below a disclosure table's header
_CELL = re.compile(r"\s*(?:\||\t)\s*")


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


def _affirms(sentence: str, vocab: Vocabulary) -> bool:
    if vocab.sale_opt_out_link.search(sentence) or vocab.sale_disclosure_list.search(sentence):
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


def _table_affirms(sentences: SentenceIndex, i: int, vocab: Vocabulary) -> list[str]:
    """A header row with a sold/shared column and the rows below that answer yes in it."""
    header = _CELL.split(sentences.text_of(i).strip(" |\t"))
    columns = [k for k, cell in enumerate(header) if k > 0 and vocab.sale_table_header_cell.search(cell)]
    if len(header) < 2 or not columns:
        return []
    rows: list[str] = []
    for j in range(i + 1, min(i + 1 + _TABLE_ROWS, len(sentences.sentences))):
        row = sentences.text_of(j)
        cells = _CELL.split(row.strip(" |\t"))
        if len(cells) != len(header):
            break  # the table ended
        if any(vocab.sale_table_yes_cell.match(cells[k]) for k in columns):
            rows.append(row)
    return [sentences.text_of(i), *rows] if rows else []


def sale_stance(sentences: SentenceIndex, scan: Scan, vocab: Vocabulary) -> Stance:
    affirm: list[str] = []
    denial: list[str] = []
    for i in scan.gated.get("sale", []):
        sentence = sentences.text_of(i)
        if _affirms(sentence, vocab):
            affirm.append(sentence)
        elif table := _table_affirms(sentences, i, vocab):
            affirm.extend(table)
        if vocab.sale_verb.search(sentence) and _denies_selling_data(sentence, vocab):
            denial.append(sentence)
    if affirm:
        return Stance(value="sells_or_shares", evidence=affirm, outweighed=denial)
    if denial:
        return Stance(value="does_not_sell", evidence=denial)
    return Stance(value="silent")
