"""The WHERE clause of a site listing (``SiteQuery``), once for every SQL backend.

The filters mean the same on SQLite and PostgreSQL; only the SQL spelling differs (placeholders,
case-insensitive comparison, membership in a list), which each backend states as a ``Dialect``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .base import SiteQuery


@dataclass(frozen=True)
class Dialect:
    mark: str  # the driver's placeholder: "?" or "%s"
    equals_ignoring_case: Callable[[str], str]  # column → "column = <mark>" compared case-insensitively
    one_of: Callable[[str, tuple[str, ...]], tuple[str, list[Any]]]  # column, values → SQL, params


def site_filters(query: SiteQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """``(clause, params)`` over ``sites s``: the sites whose latest audit matches every filter."""
    m = dialect.mark
    where, params = ["s.latest_report_id IS NOT NULL"], []
    latest_finding = "EXISTS (SELECT 1 FROM findings f WHERE f.report_id = s.latest_report_id AND "
    latest_tracker = "EXISTS (SELECT 1 FROM trackers t WHERE t.report_id = s.latest_report_id AND "
    if query.grade:
        where.append(f"s.grade = {m}")
        params.append(query.grade.upper())
    if query.finding:
        where.append(f"{latest_finding}f.code = {m})")
        params.append(query.finding)
    if query.company:
        same = dialect.equals_ignoring_case
        where.append(f"({latest_tracker}({same('t.company_id')} OR {same('t.company_name')}))"
                     f" OR {latest_finding}({same('f.company_id')} OR {same('f.company_name')})))")
        params.extend([query.company] * 4)
    if query.product:
        # Site-wide findings name only trackers the audit observed, so "loads it or a finding names it"
        # is the trackers table (key = product id) plus the per-tracker findings' product_id.
        where.append(f"({latest_tracker}t.key = {m}) OR {latest_finding}f.product_id = {m}))")
        params.extend([query.product] * 2)
    if query.rule_codes is not None:  # a rule no finding code cites matches nothing
        sql, values = dialect.one_of("f.code", query.rule_codes)
        where.append(f"{latest_finding}{sql})")
        params.extend(values)
    return " AND ".join(where), params
