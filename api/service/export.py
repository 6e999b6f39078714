"""``/v1/export.csv``: audited sites as CSV, safe to open in a spreadsheet.

Tracker names, summaries and policy URLs come from crawled sites and downloaded third-party lists,
so a cell could start a formula (``=HYPERLINK(…)``): every such cell is neutralised as OWASP
recommends (a leading ``'``, every cell quoted). The whole file is built before the first byte is
sent, so a store failure is an error answer, never a 200 cut short.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io

import msgspec

from model.report import SiteSummary

from ..store.base import SiteQuery, SiteRow, Store

COLUMNS = ["domain", "audited_at", "grade", "score", "declared", "loaded", "undeclared", "declared_not_seen",
           "policy_url", "top_findings", "undeclared_trackers", "summary"]
# OWASP CSV injection: = + - @ start formulas, and a leading tab or CR hides one from a naive check.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
PAGE = 500

_decode_summary = msgspec.json.Decoder(SiteSummary).decode


def neutralise(cell: str) -> str:
    """Prefix a cell a spreadsheet would read as a formula with ``'`` (leading spaces do not hide one)."""
    return "'" + cell if cell.lstrip(" ").startswith(FORMULA_STARTS) else cell


def _joined(items: list[str]) -> str:
    # Each item too: a consumer splitting the cell on ";" must not get a formula back.
    return ";".join(neutralise(item) for item in items)


def csv_row(row: SiteRow) -> list[str | int]:
    s = _decode_summary(row.summary)
    text = [row.domain, dt.datetime.fromtimestamp(row.audited_at, dt.UTC).isoformat(timespec="seconds"),
            row.grade]
    tail = [s.policy_url or "", _joined([f.code for f in s.top_findings]), _joined(list(s.undeclared)), s.summary]
    return [*(neutralise(c) for c in text), row.score, s.counts.declared, s.counts.loaded, s.counts.undeclared,
            s.counts.declared_not_seen, *(neutralise(c) for c in tail)]


def _encode_rows(rows: list[SiteRow], header: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    if header:
        writer.writerow(COLUMNS)
    writer.writerows(csv_row(r) for r in rows)
    return buffer.getvalue().encode()


async def build_csv(store: Store, query: SiteQuery) -> bytes:
    """Every site matching ``query`` (its limit and offset are ignored) as one CSV document."""
    page = msgspec.structs.replace(query, limit=PAGE, offset=0)
    parts = []
    while True:
        rows, _ = await store.list_sites(page)
        parts.append(await asyncio.to_thread(_encode_rows, rows, page.offset == 0))  # decoding is CPU work
        if len(rows) < page.limit:
            return b"".join(parts)
        page.offset += len(rows)
