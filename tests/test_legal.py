"""Legal references as data: every finding code has an entry, every reference resolves, wording says 'may'."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from analyzer.legal import legal_data, references_for


def test_every_finding_code_has_references_or_an_explicit_none():
    codes = yaml.safe_load(resources.files("analyzer.data").joinpath("findings.yaml").read_text("utf-8"))["codes"]
    assert set(codes) == set(legal_data().codes)


@pytest.mark.parametrize("code,expected", [
    ("PRE_CONSENT_TRACKING", {"ePrivacy Directive 2002/58/EC"}),
    ("GPC_NOT_HONORED", {"CCPA Regulations (Cal. Code Regs. tit. 11)", "Colorado Privacy Act Rules (4 CCR 904-3)"}),
    ("FINGERPRINTING", {"ePrivacy Directive 2002/58/EC"}),
])
def test_references_resolve_with_official_urls(code, expected):
    refs = references_for(code)
    assert expected <= {r.instrument for r in refs}
    assert all(r.url.startswith("https://") and r.article and r.jurisdiction for r in refs)


def test_wording_is_not_legal_advice():
    assert "may" in legal_data().wording and "not legal advice" in legal_data().wording
    assert references_for("DECLARED_NOT_OBSERVED") == [] and references_for("NO_SUCH_CODE") == []
