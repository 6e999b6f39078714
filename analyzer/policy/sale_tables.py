"""CCPA disclosure tables: what a table's sold/shared column (or row) answers.

A disclosure table ("Category of personal information" | "Sold or shared in the last 12 months")
reaches the analyzer in one of two shapes:

* one row per line, cells separated by ``|`` or tabs (text policies, Markdown, copied tables);
* one cell per line: crawler/text_extract.py ends a block at every ``<td>``/``<th>``, so an HTML
  table becomes its header cells, then each row's cells, each on its own line.

Either way the table may also be transposed: the sold/shared label heads a row whose other cells
are the answers. A table with any "yes" in its sold/shared column is a sale (or share); one whose
every row answers "no", "none" or "—" there is a denial; a table without such a column says
nothing about selling."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.policy.sentences import SentenceIndex, default_segmenter
from analyzer.policy.vocabulary import Vocabulary

_DELIMITED_ROWS = 15  # rows read below a delimited table's header
_CELL_SPLIT = re.compile(r"\s*(?:\||\t)\s*")
_MAX_COLUMNS = 8  # cell-per-line tables: column counts tried
_MAX_HEADER_CELL = 120  # characters: longer lines are prose, not a header cell
_MAX_HEADER_WORDS = 15
_MAX_ROW_CELL = 600  # a row's cells may list examples, but not run for paragraphs
_MAX_ROWS = 100  # rows read below one header
_MAX_LINE_HEADERS = 40  # cell-per-line header candidates searched per policy
_PROSE_END = (".", ":", ";")
_CELL_TRIM = " \t\r\f\v\u00a0\u2022\u25cf\u25aa\u2023"  # bullets, not the dashes that answer "no"


@dataclass(frozen=True, slots=True)
class TableAnswer:
    """The sold/shared answers of one table: the header and the rows saying yes or no."""

    header: str  # empty for a transposed table: its one row carries the label
    yes_rows: list[str] = field(default_factory=list)
    no_rows: list[str] = field(default_factory=list)

    @property
    def affirms(self) -> bool:
        return bool(self.yes_rows)

    @property
    def denies(self) -> bool:
        return bool(self.no_rows) and not self.yes_rows

    def evidence(self) -> list[str]:
        return [*([self.header] if self.header else []), *(self.yes_rows if self.yes_rows else self.no_rows)]


class TableReader:
    """Reads the disclosure tables of one policy: its lines are split once, and the cell-per-line
    search (a few dozen alignments per header) runs for at most ``_MAX_LINE_HEADERS`` headers, so a
    page of thousands of short "Sold" lines costs time in proportion to its size."""

    def __init__(self, sentences: SentenceIndex, vocab: Vocabulary) -> None:
        self._sentences = sentences
        self._vocab = vocab
        self._lines: list[str] | None = None
        self._line_searches_left = _MAX_LINE_HEADERS

    def answer(self, i: int) -> TableAnswer | None:
        """The answer of the disclosure table whose sold/shared label is in sentence ``i``, if any."""
        line = self._sentences.text_of(i)
        if _CELL_SPLIT.search(line.strip(" |\t")):
            return _delimited(self._sentences, i, self._vocab)
        if not _header_like(line, self._vocab) or not self._vocab.sale_table_header_cell.search(line):
            return None
        if self._line_searches_left <= 0:
            return None
        self._line_searches_left -= 1
        if self._lines is None:
            self._lines = _paragraph_texts(self._sentences)
        p = self._sentences.sentences[i].paragraph
        if self._lines[p] != line:
            return None  # one sentence of a longer line: prose, not a cell
        return _cell_per_line(self._lines, p, self._vocab)


def _answer(cell: str, vocab: Vocabulary) -> bool | None:
    """True for a yes cell, False for a no cell, None for anything else."""
    if vocab.sale_table_yes_cell.match(cell):
        return True
    if vocab.sale_table_no_cell.match(cell):
        return False
    return None


def _cells(line: str) -> list[str]:
    return _CELL_SPLIT.split(line.strip(" |\t"))


def _delimited(sentences: SentenceIndex, i: int, vocab: Vocabulary) -> TableAnswer | None:
    line = sentences.text_of(i)
    cells = _cells(line)
    if len(cells) < 2:
        return None
    if vocab.sale_table_header_cell.search(cells[0]):
        # Transposed: "Sold or shared | No | No | Yes" answers for each column of the table.
        answers = [_answer(cell, vocab) for cell in cells[1:]]
        if None in answers:
            return None
        return TableAnswer("", yes_rows=[line] if any(answers) else [], no_rows=[] if any(answers) else [line])
    columns = [k for k, cell in enumerate(cells) if k > 0 and vocab.sale_table_header_cell.search(cell)]
    if not columns:
        return None
    result = TableAnswer(line)
    for j in range(i + 1, min(i + 1 + _DELIMITED_ROWS, len(sentences.sentences))):
        row = sentences.text_of(j)
        row_cells = _cells(row)
        if len(row_cells) != len(cells):
            break  # the table ended
        answers = [_answer(row_cells[k], vocab) for k in columns]
        if True in answers:
            result.yes_rows.append(row)
        elif answers and all(a is False for a in answers):
            result.no_rows.append(row)
    return result if result.yes_rows or result.no_rows else None


def _cell_per_line(lines: list[str], p: int, vocab: Vocabulary) -> TableAnswer | None:
    transposed = _transposed_lines(lines, p, vocab)
    if transposed is not None:
        return transposed
    best: tuple[int, int, int] | None = None  # (rows, columns, sale column)
    for columns in range(2, _MAX_COLUMNS + 1):
        for k in range(1, columns):  # the first column names the categories
            rows = _rows_answered(lines, p - k, columns, k, vocab)
            if rows and (best is None or rows > best[0]):
                best = (rows, columns, k)
    if best is None:
        return None
    rows, columns, k = best
    first = p - k
    header = " | ".join(lines[first : first + columns])
    result = TableAnswer(header)
    for r in range(1, rows + 1):
        row = lines[first + columns * r : first + columns * (r + 1)]
        (result.yes_rows if _answer(row[k], vocab) else result.no_rows).append(" | ".join(row))
    return result


def _transposed_lines(lines: list[str], p: int, vocab: Vocabulary) -> TableAnswer | None:
    """The sold/shared label heads a row: the answer cells follow it directly."""
    answers: list[tuple[str, bool]] = []
    for line in lines[p + 1 : p + 1 + _MAX_ROWS]:
        answer = _answer(line, vocab)
        if answer is None:
            break
        answers.append((line, answer))
    if not answers:
        return None
    row = " | ".join([lines[p], *(line for line, _ in answers)])
    said_yes = any(answer for _, answer in answers)
    return TableAnswer("", yes_rows=[row] if said_yes else [], no_rows=[] if said_yes else [row])


def _rows_answered(lines: list[str], first: int, columns: int, k: int, vocab: Vocabulary) -> int:
    """How many rows below a header of ``columns`` cells starting at line ``first`` answer in
    column ``k`` (0 when those lines cannot be such a header)."""
    if first < 0 or first + columns > len(lines):
        return 0
    if not all(_header_like(cell, vocab) for cell in lines[first : first + columns]):
        return 0
    rows = 0
    while rows < _MAX_ROWS:
        start = first + columns * (rows + 1)
        row = lines[start : start + columns]
        if (
            len(row) < columns
            or _answer(row[k], vocab) is None
            or _answer(row[0], vocab) is not None  # a row starts with its category, never an answer
            or any(len(cell) > _MAX_ROW_CELL for cell in row)
        ):
            return rows
        rows += 1
    return rows


def _header_like(line: str, vocab: Vocabulary) -> bool:
    return (
        len(line) <= _MAX_HEADER_CELL
        and len(line.split()) <= _MAX_HEADER_WORDS
        and not line.rstrip().endswith(_PROSE_END)
        and _answer(line, vocab) is None
    )


def _paragraph_texts(sentences: SentenceIndex) -> list[str]:
    """Each line's text by ``Sentence.paragraph`` number, trimmed as sentences are."""
    text = sentences.text
    return [text[start:end].strip(_CELL_TRIM) for start, end in default_segmenter().paragraphs(text)]
