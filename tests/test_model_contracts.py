"""The contracts package (model/): one registrable_domain, closed vocabularies as Literals, typed report
fields, and reports stored before any of that still decoding as they would be written today.

tests/data/report_before_model.json and summary_before_model.json were written by the analyzer of commit
ab86118 (before model/ existed) from the capture ``gpc_json_capture()`` builds: the GPC claim spelled into
the stance ("honors (/.well-known/gpc.json)"), the policy analysis and the visits' consent state as plain
JSON. They are frozen on purpose: they stand for reports already in users' databases.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import msgspec
import pytest

from model.capture import (
    Capture,
    ConsentRecord,
    CookieRecord,
    PolicyDocument,
    RequestRecord,
    Visit,
    WellKnown,
    decode_capture,
    encode_capture,
)
from model.consent import VisitConsent
from model.domains import registrable_domain
from model.policy import PolicyAnalysis
from model.report import SiteSummary, decode_report, encode_report, summary_of

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
OLD_REPORT = DATA / "report_before_model.json"
OLD_SUMMARY = DATA / "summary_before_model.json"

POLICY = ("Privacy Policy. Last updated 1 March 2025. Gadget Harbor runs this site. We use Google Analytics to count "
          "visits. We do not sell your personal information. Our website does not respond to Do Not Track signals.")


def _requests(visit: str, t0: float = 100.0) -> list[RequestRecord]:
    return [RequestRecord(id=f"{visit}-1", url="https://gadget-harbor.com/", resource_type="document", is_main_frame=True,
                          is_navigation=True, status=200, t_ms=0.0, phase="load"),
            RequestRecord(id=f"{visit}-2", url="https://www.google-analytics.com/g/collect?tid=G-1", resource_type="ping",
                          status=204, t_ms=t0, phase="load"),
            RequestRecord(id=f"{visit}-3", url="https://connect.facebook.net/en_US/fbevents.js", resource_type="script",
                          status=200, t_ms=t0 + 50, phase="load")]


def gpc_json_capture() -> Capture:
    """A site whose /.well-known/gpc.json says gpc: true while its policy says nothing about GPC."""
    consent = ConsentRecord(outcome="done", cmp="onetrust", method="autoconsent", banner_shown_ms=800.0,
                            click_ms=1500.0, self_test=True, refusal="reject",
                            state={"cookies": {"OptanonConsent": "isGpcEnabled=0&groups=C0001%3A1%2CC0002%3A0%2CC0004%3A0"
                                                                 "&interactionCount=1", "usprivacy": "1YYN"},
                                   "read_ms": 2100.0})
    visits = [
        Visit(name="baseline", url="https://gadget-harbor.com/", ok=True, status=200, requests=_requests("baseline"),
              cookies=[CookieRecord(name="_ga", domain=".gadget-harbor.com", value_len=20, value_sha256="0" * 64,
                                    first_party=True)]),
        Visit(name="gpc", url="https://gadget-harbor.com/", ok=True, status=200, signals={"DNT": "1", "Sec-GPC": "1"},
              requests=_requests("gpc")),
        Visit(name="reject", url="https://gadget-harbor.com/", ok=True, status=200, requests=_requests("reject", 1800.0),
              consent=consent),
    ]
    return Capture(domain="gadget-harbor.com", start_url="https://gadget-harbor.com/", started_at=1764000000.0,
                   finished_at=1764000030.0, visits=visits,
                   policies=[PolicyDocument(kind="privacy", url="https://gadget-harbor.com/privacy", found_via="link",
                                            status=200, text=POLICY, html=f"<main>{POLICY}</main>")],
                   well_known=[WellKnown(path="/.well-known/gpc.json",
                                         url="https://gadget-harbor.com/.well-known/gpc.json", status=200,
                                         body='{"gpc": true, "lastUpdate": "2025-03-01"}')])


# --- reports stored before model/ --------------------------------------------------------------------------


def test_the_fixture_is_in_the_old_format():
    old = json.loads(OLD_REPORT.read_text(encoding="utf-8"))
    assert old["signals"]["gpc"]["policy"] == "honors (/.well-known/gpc.json)"
    assert all("source" not in s for s in old["signals"].values())
    assert isinstance(old["policy"]["analysis"], dict) and old["visits"][2]["consent"]["onetrust"]


def test_an_old_report_decodes_with_the_claim_as_stance_and_source():
    report = decode_report(OLD_REPORT.read_bytes())
    gpc = report.signals["gpc"]
    assert (gpc.policy, gpc.source, gpc.contradicted) == ("honors", "well_known_gpc_json", True)
    assert gpc.claim() == "honors (/.well-known/gpc.json)"  # what the CLI and HTML report show, unchanged
    assert report.signals["banner"].source is None and report.signals["banner"].policy == "onetrust (autoconsent)"
    assert isinstance(report.policy.analysis, PolicyAnalysis)
    assert (report.policy.analysis.dnt.value, report.policy.analysis.sale.value) == ("does_not_honor", "does_not_sell")
    consent = report.visits[2].consent
    assert isinstance(consent, VisitConsent) and consent.answered
    assert consent.onetrust is not None and consent.onetrust.groups == {"C0001": True, "C0002": False, "C0004": False}
    assert consent.usp is not None and consent.usp.opted_out_of_sale is True
    again = encode_report(report)
    assert b"honors (/.well-known" not in again and decode_report(again) == report


def test_an_old_summary_decodes_the_same_way():
    summary = msgspec.json.decode(OLD_SUMMARY.read_bytes(), type=SiteSummary)
    assert (summary.signals["gpc"].policy, summary.signals["gpc"].source) == ("honors", "well_known_gpc_json")
    assert summary == summary_of(decode_report(OLD_REPORT.read_bytes()))


def test_todays_analyzer_writes_what_the_old_report_decodes_to():
    """No behaviour change: the same capture gives the same report, the claim now in two fields."""
    from analyzer import analyze_capture

    report = analyze_capture(gpc_json_capture())
    assert (report.signals["gpc"].policy, report.signals["gpc"].source) == ("honors", "well_known_gpc_json")
    assert report.signals["dnt"].source == report.signals["sale"].source == "privacy_policy"
    old = decode_report(OLD_REPORT.read_bytes())
    old.signals["dnt"].source = old.signals["sale"].source = "privacy_policy"  # the one field old reports lack
    assert msgspec.to_builtins(report) == msgspec.to_builtins(old)


# --- the capture's vocabularies ------------------------------------------------------------------------------


def test_a_capture_round_trips_and_its_vocabularies_are_closed():
    capture = gpc_json_capture()
    assert decode_capture(encode_capture(capture)) == capture
    raw = msgspec.to_builtins(capture)
    for path, value in ((("visits", 0, "name"), "homepage"), (("visits", 2, "consent", "outcome"), "clicked"),
                        (("policies", 0, "kind"), "terms"), (("visits", 1, "requests", 0, "phase"), "later")):
        bad = json.loads(json.dumps(raw))
        node = bad
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        with pytest.raises(msgspec.ValidationError, match="Invalid enum value"):
            decode_capture(json.dumps(bad))



def test_every_registered_visit_is_a_visit_name_of_the_capture():
    from typing import get_args

    from crawler.visits import DEFAULT_VISITS, VISITS
    from model.capture import ConsentAction, VisitName

    assert set(VISITS) == set(DEFAULT_VISITS) == set(get_args(VisitName))
    assert {spec.consent_action for spec in VISITS.values()} - {None} == set(get_args(ConsentAction))

# --- one registrable_domain -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "expected"), [
    ("www.shop.co.uk", "shop.co.uk"),
    ("googleads.g.doubleclick.net", "doubleclick.net"),
    ("WWW.Example.COM.", "example.com"),
    ("livraria-aurora.com.br", "livraria-aurora.com.br"),
    ("localhost", "localhost"),  # no public suffix: the host is its own site, never ''
    ("127.0.0.1", "127.0.0.1"),
    ("intranet", "intranet"),
])
def test_registrable_domain(host, expected):
    assert registrable_domain(host) == expected


def test_there_is_one_registrable_domain():
    defined = []
    for package in ("model", "crawler", "analyzer", "api"):
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            defined.extend(f"{path.relative_to(REPO)}" for node in ast.walk(tree)
                           if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "registrable_domain")
    assert defined == ["model/domains.py"]


def test_the_fake_internets_certificate_names_use_it():
    from crawler.testing.certs import san_names

    names = san_names({"www.googletagmanager.com", "static.shop.co.uk"})
    assert {"googletagmanager.com", "*.googletagmanager.com", "shop.co.uk", "*.shop.co.uk"} <= set(names)


# --- the error tree, drawn once ---------------------------------------------------------------------------------


def drawn_tree() -> dict[str, str | None]:
    """class → parent, read from the tree in model/errors.py's docstring (4 columns per level)."""
    import re

    import model.errors

    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in (model.errors.__doc__ or "").splitlines():
        match = re.match(r"^ {4}((?:[│ ] {3})*(?:[├└]── )?)([A-Z]\w*Error)\b", line)
        if not match:
            continue
        depth = len(match.group(1)) // 4
        del stack[depth:]
        parents[match.group(2)] = stack[-1] if stack else None
        stack.append(match.group(2))
    return parents


def defined_tree() -> dict[str, str | None]:
    """class → parent, for every subclass of ConsentwatchError defined anywhere in the project's source."""
    bases: dict[str, list[str]] = {}
    for package in ("model", "crawler", "analyzer", "api"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    tree: dict[str, str | None] = {"ConsentwatchError": None}
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            known = [p for p in parents if p in tree]
            if name not in tree and known:
                tree[name], grew = known[0], True
    return tree


def test_the_error_tree_drawn_in_model_errors_is_the_real_one():
    drawn = drawn_tree()
    assert drawn["ConsentwatchError"] is None and drawn["StoreBusyError"] == "StoreUnavailableError"
    assert drawn == defined_tree()
