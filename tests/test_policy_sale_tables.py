"""CCPA disclosure tables as part of the sale stance (analyzer/policy/sale_tables.py).

HTML tables go through the crawler's own text extraction (one cell per line), as a crawled policy
does; delimited tables ("|" or tabs) are read as text. A "yes" in a sold/shared column or row is a
sale, "no"/"none"/"—" in every row a denial, and a table without such a column says nothing."""

from __future__ import annotations

import pytest

from analyzer.knowledge import load_knowledge
from analyzer.policy import analyze_policy
from crawler.text_extract import extract_main_text

INTRO = "<h2>Notice for California residents</h2>" + "<p>This section describes how we handle personal information. </p>" * 8
OUTRO = "<p>To exercise your rights, write to privacy@example.com.</p>"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def html_table(header: list[str], rows: list[list[str]]) -> str:
    body = "".join(_row(r) for r in rows)
    return f"<table><thead>{_row(header, 'th')}</thead><tbody>{body}</tbody></table>"


def transposed_table(rows: list[list[str]]) -> str:
    body = "".join(f"<tr><th>{r[0]}</th>" + "".join(f"<td>{c}</td>" for c in r[1:]) + "</tr>" for r in rows)
    return "<table>" + body + "</table>"


def crawled(table: str, prose: str = "") -> str:
    return extract_main_text(f"<html><body><main>{INTRO}{prose}{table}{OUTRO}</main></body></html>")


def sale(text: str, kb):
    return analyze_policy(text, knowledge=kb).sale


CATEGORIES = ["Identifiers (IP address, cookie IDs)", "Internet or other electronic network activity", "Geolocation data"]

HTML_CASES = {
    "two columns, every row no": (
        html_table(["Category of personal information", "Sold or shared in the last 12 months"],
                   [[CATEGORIES[0], "No"], [CATEGORIES[1], "None"], [CATEGORIES[2], "—"]]),
        "does_not_sell",
    ),
    "question-style header, N/A and dash": (
        html_table(["Personal information category", "Sold?"], [[CATEGORIES[0], "N/A"], [CATEGORIES[1], "-"]]),
        "does_not_sell",
    ),
    "one yes among noes": (
        html_table(["Category", "Sold or shared in the preceding twelve months"],
                   [[CATEGORIES[0], "No"], [CATEGORIES[1], "Yes"], [CATEGORIES[2], "No"]]),
        "sells_or_shares",
    ),
    "collected yes is not sold yes": (
        html_table(["Category", "Collected", "Sold to third parties", "Retention"],
                   [[CATEGORIES[0], "Yes", "No", "13 months"], [CATEGORIES[1], "Yes", "No", "24 months"]]),
        "does_not_sell",
    ),
    "sold and shared columns, yes only in shared": (
        html_table(["Category", "Sold", "Shared for cross-context behavioral advertising"],
                   [[CATEGORIES[0], "No", "Yes"], [CATEGORIES[1], "No", "No"]]),
        "sells_or_shares",
    ),
    "check marks": (
        html_table(["Category", "Disclosed for a business purpose", "Sale or sharing"],
                   [[CATEGORIES[0], "✓", "✗"], [CATEGORIES[1], "✓", "✓"]]),
        "sells_or_shares",
    ),
    "transposed, every answer no": (
        transposed_table([["Category", *CATEGORIES], ["Sold or shared in the past 12 months", "No", "No", "No"],
                          ["Disclosed for a business purpose", "Yes", "Yes", "No"]]),
        "does_not_sell",
    ),
    "transposed, one yes": (
        transposed_table([["Category", *CATEGORIES[:2]], ["Sold or shared", "No", "Yes"]]),
        "sells_or_shares",
    ),
    "table silent on sale": (
        html_table(["Category", "Collected", "Source", "Retention period"],
                   [[CATEGORIES[0], "Yes", "You", "13 months"], [CATEGORIES[1], "No", "Your browser", "n/a"]]),
        "silent",
    ),
}


@pytest.mark.parametrize("table, expected", HTML_CASES.values(), ids=HTML_CASES.keys())
def test_html_disclosure_tables(kb, table, expected):
    assert sale(crawled(table), kb).value == expected


def test_a_denying_table_names_its_rows_as_evidence(kb):
    table = html_table(["Category of personal information", "Sold or shared in the last 12 months"],
                       [[CATEGORIES[0], "No"], [CATEGORIES[1], "—"]])
    stance = sale(crawled(table), kb)
    assert stance.evidence == ["Category of personal information | Sold or shared in the last 12 months",
                               f"{CATEGORIES[0]} | No", f"{CATEGORIES[1]} | —"]


def test_sharing_for_advertising_outweighs_a_table_of_noes(kb):
    table = html_table(["Category", "Sold"], [[CATEGORIES[0], "No"], [CATEGORIES[1], "No"]])
    stance = sale(crawled(table, "<p>We share cookie identifiers with our advertising partners.</p>"), kb)
    assert stance.value == "sells_or_shares"
    assert "Category | Sold" in stance.outweighed


DELIMITED_CASES = {
    "pipes, every row no": ("Category of PI | Sold or Shared (last 12 months)\nIdentifiers | No\n"
                            "Commercial information | None", "does_not_sell"),
    "tabs, mixed": ("Category\tSold\tShared\nIdentifiers\tNo\tNo\nInferences\tNo\tYes", "sells_or_shares"),
    "markdown with outer pipes": ("| Category | Collected | Sold or shared |\n| Identifiers | Yes | No |\n"
                                  "| Biometrics | No | No |", "does_not_sell"),
    "transposed pipes": ("Category | Identifiers | Geolocation\nSold or shared in the last 12 months | No | No", "does_not_sell"),
    "transposed pipes with yes": ("Category | Identifiers | Geolocation\nSale | No | Yes", "sells_or_shares"),
    "pipes silent on sale": ("Category | Collected | Purpose\nIdentifiers | Yes | Security\nAudio | No | None", "silent"),
}


@pytest.mark.parametrize("text, expected", DELIMITED_CASES.values(), ids=DELIMITED_CASES.keys())
def test_delimited_disclosure_tables(kb, text, expected):
    assert sale(text, kb).value == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Personal information we have sold in the preceding 12 months: None", "silent"),
        ("Categories shared for cross-context behavioral advertising in the past twelve months: N/A.", "silent"),
        ("Categories of personal information sold in the last 12 months: identifiers.", "sells_or_shares"),
    ],
)
def test_a_disclosure_list_answering_none_affirms_nothing(kb, text, expected):
    # Lists answering "none" stay silent (tests/test_policy_text.py pins that); only their label
    # must not read as sharing for advertising.
    assert sale(text, kb).value == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # A heading naming sale over prose is no table: the prose decides.
        ("Sale of personal information\nWe may share data with partners to improve our products.\nNo\n", "silent"),
        ("Sale of personal information\nWe do not sell your personal information.", "does_not_sell"),
        # A question answered on its own line reads as a one-row transposed table.
        ("Do we sell your personal information?\nNo.", "does_not_sell"),
        # The question itself affirms nothing; its answer decides.
        ("Do we sell or share your personal information?\nNo, we do not sell or share personal information.", "does_not_sell"),
        ("Do we sell your personal data?\nWe sell your personal information to data brokers.", "sells_or_shares"),
        # Answers need a whole cell: "No longer …" is prose.
        ("Category | Sold\nIdentifiers | No longer after 2024", "silent"),
    ],
)
def test_not_every_short_line_is_a_table(kb, text, expected):
    assert sale(text, kb).value == expected
