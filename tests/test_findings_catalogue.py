"""Finding texts as data, checked with no browser: docs/findings.md lists exactly the codes in
analyzer/data/findings.yaml, every template field is one its producer supplies, and a missing field
fails loudly instead of rendering a hole. (Legal references per code: tests/test_legal.py.)"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
import yaml

from analyzer.rules import FindingTemplateError, load_rules, rules_from

REPO = Path(__file__).resolve().parents[1]
FINDINGS_DOC = REPO / "docs" / "findings.md"
CODE_PATTERN = re.compile(r"`([A-Z][A-Z0-9_]{3,})`")
UNVERIFIED_CODE = re.compile(r"""Unverified\(code=["']([A-Z_]+)["']""")
# fields build_finding() fills in from the tracker it is given; keywords build_finding() keeps for itself
TRACKER_FIELDS = frozenset({"product", "company", "category", "visits"})
NOT_TEMPLATE_FIELDS = frozenset({"evidence", "visit", "category", "product_list"})


def documented_table_codes() -> set[str]:
    """The codes in the first column of the finding table (header ``| code | severity | …``)."""
    codes: set[str] = set()
    in_table = False
    for line in FINDINGS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if line.startswith("| code | severity |"):
            in_table = True
        elif in_table and not line.startswith("|"):
            break
        elif in_table and (match := CODE_PATTERN.fullmatch(cells[1])):
            codes.add(match.group(1))
    return codes


def unverified_codes() -> set[str]:
    """The codes of "not verified" gaps (analyzer/verification.py), documented in their own table."""
    return set(UNVERIFIED_CODE.findall((REPO / "analyzer" / "verification.py").read_text(encoding="utf-8")))


def mentioned_codes() -> set[str]:
    return set(CODE_PATTERN.findall(FINDINGS_DOC.read_text(encoding="utf-8")))


def template_fields(template: str) -> set[str]:
    return {re.split(r"[.\[]", name)[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def producer_calls() -> list[tuple[str, int, str, set[str]]]:
    """Every ``build_finding(ctx, "CODE", tracker?, field=…)`` in analyzer/: (file, line, code, fields given)."""
    calls = []
    for path in sorted((REPO / "analyzer").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "build_finding"):
                continue
            code_arg = node.args[1]
            assert isinstance(code_arg, ast.Constant), f"{path}:{node.lineno}: finding code must be a literal"
            given = {k.arg for k in node.keywords if k.arg} - NOT_TEMPLATE_FIELDS
            if any(k.arg is None for k in node.keywords):
                given.add("**")  # a **mapping: fields unknown statically
            tracker = node.args[2] if len(node.args) > 2 else None
            if tracker is not None and not (isinstance(tracker, ast.Constant) and tracker.value is None):
                given |= TRACKER_FIELDS
            calls.append((str(path.relative_to(REPO)), node.lineno, code_arg.value, given))
    return calls


def test_the_catalogue_table_lists_exactly_the_codes_in_findings_yaml():
    codes = set(load_rules().codes)
    table = documented_table_codes()
    assert len(table) >= 20, "the findings table was not found in docs/findings.md"
    assert sorted(codes - table) == [], "codes in findings.yaml missing from docs/findings.md's table"
    assert sorted(table - codes) == [], "codes in docs/findings.md's table that findings.yaml does not define"


def test_every_code_the_catalogue_mentions_exists():
    # Prose names codes too (e.g. "see `CONSENT_MODE_DENIED_PINGS`"): a renamed code must not linger there.
    # Field names such as `company_id` are lower case, so they never match the code pattern.
    gaps = unverified_codes()
    assert {"VISIT_INCOMPLETE", "BANNER_NOT_SEEN"} <= gaps, gaps
    assert sorted(mentioned_codes() - set(load_rules().codes) - gaps) == []


def test_every_code_has_a_producer_and_every_producer_a_code():
    codes = set(load_rules().codes)
    produced = {code for _, _, code, _ in producer_calls()}
    assert sorted(produced - codes) == [], "producers emit codes findings.yaml does not define"
    assert sorted(codes - produced) == [], "findings.yaml defines codes no producer emits"


def test_every_template_field_is_supplied_by_each_producer_of_its_code():
    codes = load_rules().codes
    holes = []
    for where, line, code, given in producer_calls():
        if "**" in given:
            continue
        for part in ("title", "explanation"):
            missing = template_fields(codes[code][part]) - given
            if missing:
                holes.append(f"{where}:{line} {code}.{part} lacks {sorted(missing)}")
    assert not holes, "\n".join(holes)


def test_a_missing_template_field_fails_loudly():
    rules = load_rules()
    with pytest.raises(FindingTemplateError, match=r"UNDECLARED_TRACKER\.title needs field 'company'"):
        rules.title("UNDECLARED_TRACKER", product="Hotjar")
    with pytest.raises(FindingTemplateError, match=r"GPC_NOT_HONORED\.explanation needs field 'products'"):
        rules.explanation("GPC_NOT_HONORED", count=2)


def test_a_complete_template_renders_every_field():
    rules = load_rules()
    title = rules.title("UNDECLARED_TRACKER", product="Hotjar", company="Hotjar Ltd", category="session-recording",
                        visits="baseline")
    assert title == "Hotjar (Hotjar Ltd) loads but the policy doesn't mention it"
    explanation = rules.explanation("UNDECLARED_TRACKER", product="Hotjar", company="Hotjar Ltd",
                                    category="session-recording", visits="baseline, gpc")
    assert "?" not in explanation and "baseline, gpc" in explanation


def test_the_static_check_sees_a_missing_field(monkeypatch):
    """The producer check itself: a template asking for a field no producer gives is reported."""
    codes = dict(load_rules().codes)
    codes["NO_POLICY_FOUND"] = {**codes["NO_POLICY_FOUND"], "title": "No policy on {domain}"}
    (_where, _line, code, given), = [c for c in producer_calls() if c[2] == "NO_POLICY_FOUND"]
    assert template_fields(codes[code]["title"]) - given == {"domain"}


def _raw_rules() -> dict:
    return yaml.safe_load((REPO / "analyzer" / "data" / "findings.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("entry", "message"), [
    ({"title": "No policy on {domain", "explanation": "x"}, r"NO_POLICY_FOUND\.title is not a valid template"),
    ({"title": "Sent to {}", "explanation": "x"}, r"NO_POLICY_FOUND\.title has placeholder \{\}"),
    ({"title": "t", "explanation": "{tracker.name} loads"}, r"NO_POLICY_FOUND\.explanation has placeholder \{tracker\.name\}"),
    ({"title": "t", "explanation": "see {0}"}, r"NO_POLICY_FOUND\.explanation has placeholder \{0\}"),
    ({"title": "t"}, r"NO_POLICY_FOUND\.explanation is missing or empty"),
    ({"title": "", "explanation": "x"}, r"NO_POLICY_FOUND\.title is missing or empty"),
    ({"title": "t", "explanation": "x", "severity": "critical"}, r"NO_POLICY_FOUND\.severity 'critical'"),
])
def test_a_broken_finding_text_fails_on_load_naming_code_and_part(entry, message):
    raw = _raw_rules()
    raw["codes"]["NO_POLICY_FOUND"] = entry
    with pytest.raises(FindingTemplateError, match=message):
        rules_from(raw)


def test_the_shipped_finding_texts_pass_the_load_check():
    assert rules_from(_raw_rules()).codes == load_rules().codes
