"""The analyzer's data files and the raw data it is handed are checked against their typed shapes on load:
a value of the wrong type or a missing key is a ValueError that names the file and where in it, never a
KeyError deep in a finding producer or a pattern silently missing from a regex."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml

from analyzer.behaviour.detect import behaviour_rules, parse_behaviour_rules
from analyzer.consent.gpp import US_STATES_FILE, us_state_layouts
from analyzer.consent.state import decode_visit_consent
from analyzer.external.disconnect import load_disconnect
from analyzer.policy.evaluation import load_stance_set
from analyzer.policy.vocabulary import parse_vocabulary, vocabulary
from analyzer.rules import load_rules, parse_rules
from model.capture import ConsentRecord, Visit


def _packaged(package: str, name: str) -> dict:
    return yaml.safe_load(resources.files(package).joinpath(name).read_text("utf-8"))


def test_the_packaged_files_load_and_keep_their_meaning():
    rules = load_rules()
    assert rules.severity("UNDECLARED_TRACKER", None) == "low"  # the YAML `null:` key: an unknown category
    assert rules.severity("UNDECLARED_TRACKER", "advertising") == "high"
    assert rules.severity("NO_POLICY_FOUND", "analytics") == "high"  # a fixed severity wins over the category's
    assert rules.letters[0] == (90, "A")
    assert behaviour_rules()["fingerprinting"]["font"]["min_fonts"] == 50
    assert vocabulary().signals["dnt"].cue.pattern
    assert us_state_layouts()[8]["gpc_subsection"] is True


@pytest.mark.parametrize("edit, where", [
    # the finding texts are checked first, naming code and part (tests/test_findings_catalogue.py has more)
    (lambda d: d["codes"]["NO_POLICY_FOUND"].update(severity="urgent"), "NO_POLICY_FOUND.severity 'urgent'"),
    (lambda d: d["codes"]["GPC_NOT_HONORED"].pop("title"), "GPC_NOT_HONORED.title is missing"),
    (lambda d: d["grade"].update(no_policy_cap="thirty-nine"), "$.grade.no_policy_cap"),
    (lambda d: d["severity_by_category"].update(advertising="very high"), "$.severity_by_category"),
    (lambda d: d["grade"].update(penalites={"high": 1}), "penalites"),  # a typo in a key is not ignored
    (lambda d: d["codes"]["GPC_NOT_HONORED"].update(severty="low"), "severty"),
])
def test_findings_yaml_with_a_wrong_value_is_an_error_naming_where(edit, where):
    data = _packaged("analyzer.data", "findings.yaml")
    edit(data)
    with pytest.raises(ValueError, match=r"findings\.yaml") as failure:
        parse_rules(yaml.safe_dump(data))
    assert where in str(failure.value)


@pytest.mark.parametrize("edit, where", [
    (lambda d: d["fingerprinting"]["font"].update(min_fonts="fifty"), "$.fingerprinting.font.min_fonts"),
    (lambda d: d["session_recording"].pop("dom_observer"), "`dom_observer`"),
    (lambda d: d["pii"].update(parameters="em"), "$.pii.parameters"),
])
def test_behaviour_yaml_with_a_wrong_value_is_an_error_naming_where(edit, where):
    data = _packaged("analyzer.data", "behaviour.yaml")
    edit(data)
    with pytest.raises(ValueError, match=r"behaviour\.yaml") as failure:
        parse_behaviour_rules(yaml.safe_dump(data))
    assert where in str(failure.value)


def test_behaviour_yaml_citing_an_unknown_source_is_an_error():
    data = _packaged("analyzer.data", "behaviour.yaml")
    data["fingerprinting"]["webgl"]["source"] = "nobody2024"
    with pytest.raises(ValueError, match=r"fingerprinting\.webgl names an unknown source"):
        parse_behaviour_rules(yaml.safe_dump(data))


@pytest.mark.parametrize("edit, where", [
    (lambda d: d["stances"].pop("hedge_before"), "`hedge_before`"),
    (lambda d: d["dates"].update(window="near"), "$.dates.window"),
    (lambda d: d["stances"]["gpc"].update(cue=["a", "b"]), "$.stances.gpc.cue"),
])
def test_vocabulary_yaml_with_a_wrong_value_is_an_error_naming_where(edit, where):
    data = _packaged("analyzer.policy", "vocabulary.yaml")
    edit(data)
    with pytest.raises(ValueError, match=r"vocabulary\.yaml") as failure:
        parse_vocabulary(yaml.safe_dump(data))
    assert where in str(failure.value)


def test_vocabulary_yaml_without_cookie_labels_is_an_error():
    data = _packaged("analyzer.policy", "vocabulary.yaml")
    del data["cookie_categories"]["labels"]
    with pytest.raises(ValueError, match="cookie_categories needs `labels`"):
        parse_vocabulary(yaml.safe_dump(data))


def test_a_gpp_state_layout_with_a_wrong_value_is_an_error(tmp_path: Path):
    data = yaml.safe_load(US_STATES_FILE.read_text("utf-8"))
    data["sections"][0]["core"][1]["bits"] = "two"
    path = tmp_path / "states.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(ValueError, match=r"states.yaml: .*\$\[0\]\.core\[1\]\.bits"):
        us_state_layouts(path)


def test_a_stance_item_with_an_unknown_field_or_no_text_is_an_error(tmp_path: Path):
    path = tmp_path / "stances.yaml"
    path.write_text(yaml.safe_dump({"items": [{"field": "dtn", "label": "honors", "class": "x", "split": "dev",
                                               "text": "We honour DNT."}]}), "utf-8")
    with pytest.raises(ValueError, match=r"stances.yaml: .*\$\[0\]\.field"):
        load_stance_set(path)
    path.write_text(yaml.safe_dump({"items": [{"field": "dnt", "class": "x", "split": "dev"}]}), "utf-8")
    with pytest.raises(ValueError, match="needs `text` and `label`, or `opp115`"):
        load_stance_set(path)


def test_a_disconnect_list_of_another_shape_is_an_error(tmp_path: Path):
    services = tmp_path / "services.json"
    services.write_text(json.dumps({"categories": {"Advertising": {"Ads Inc": ["ads.example"]}}}), "utf-8")
    with pytest.raises(ValueError, match=r"Expected `array`, got `object` - at `\$\.categories\[\.\.\.\]`"):
        load_disconnect(services)
    services.write_text(json.dumps({"categories": {"Advertising": [
        {"Ads Inc": {"https://ads.example/": ["ads.example", "adcdn.example"], "performance": "true"}}]}}), "utf-8")
    listed = load_disconnect(services)
    assert listed.match("x.adcdn.example").company_name == "Ads Inc"


def test_consent_state_of_another_shape_is_a_visit_error_not_a_crash():
    record = ConsentRecord(outcome="done", click_ms=1200.0,
                           state={"tcf": "not an object", "usp": {"uspString": "1YYN"}})
    decoded = decode_visit_consent(Visit(name="reject", url="https://site.example/", consent=record))
    assert decoded is not None and decoded.outcome == "done"
    assert any("consent state read from the page" in e and "$.tcf" in e for e in decoded.errors), decoded.errors


def test_consent_state_in_its_shape_is_decoded():
    record = ConsentRecord(outcome="done", click_ms=1200.0, state={
        "usp": {"uspString": "1YYN", "version": 1}, "tcf": {"error": "no answer from __tcfapi"},
        "cookiebot": {"hasResponse": True, "marketing": False, "statistics": True}, "gpc": True, "read_ms": 900})
    decoded = decode_visit_consent(Visit(name="reject", url="https://site.example/", consent=record))
    assert decoded is not None and decoded.errors == []
    assert decoded.usp is not None and decoded.usp.opted_out_of_sale is True
    assert decoded.tcf is None
    assert "Cookiebot consent: statistics" in decoded.lines()
