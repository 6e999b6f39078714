"""Rules a finding may touch, from ``data/legal_references.yaml`` (validated on load).

``references_for(code)`` gives each code's references with their official URLs (the analyzer copies
them into each finding); ``codes_for_rule(id)`` the finding codes a reference covers, for the
``/v1/sites?rule=`` filter. The "may" wording goes into the report as ``legal_notice``.
"""

from __future__ import annotations

import functools
from importlib import resources

import msgspec
import yaml

from .rules import load_rules


class LegalReference(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    jurisdiction: str  # EU, FR, US, US-CA, US-CO, …
    instrument: str
    article: str
    summary: str
    url: str


class LegalData(msgspec.Struct, frozen=True, kw_only=True):
    wording: str
    references: dict[str, LegalReference]
    codes: dict[str, list[str]]


class _Instrument(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    jurisdiction: str
    instrument: str
    article: str
    summary: str
    url: str


class _LegalFile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """legal_references.yaml as written: instruments by id, and each finding code's instrument ids."""

    wording: str
    instruments: dict[str, _Instrument]
    codes: dict[str, list[str] | None]


@functools.cache
def legal_data() -> LegalData:
    text = resources.files("analyzer.data").joinpath("legal_references.yaml").read_text("utf-8")
    try:
        raw = msgspec.convert(yaml.safe_load(text), _LegalFile)
    except msgspec.ValidationError as exc:
        raise ValueError(f"analyzer/data/legal_references.yaml: {exc}") from None
    refs = {key: LegalReference(id=key, jurisdiction=i.jurisdiction, instrument=i.instrument, article=i.article,
                                summary=i.summary, url=i.url) for key, i in raw.instruments.items()}
    codes = {code: list(ids or []) for code, ids in raw.codes.items()}
    finding_codes = set(load_rules().codes)
    problems = [f"{ref.id}: url must be https" for ref in refs.values() if not ref.url.startswith("https://")]
    problems += [f"{code}: unknown reference {i}" for code, ids in codes.items() for i in ids if i not in refs]
    problems += [f"{code}: not a finding code" for code in codes if code not in finding_codes]
    if problems or "may" not in raw.wording:
        raise ValueError("analyzer/data/legal_references.yaml: " + "; ".join(problems or ["wording must say 'may'"]))
    return LegalData(wording=raw.wording, references=refs, codes=codes)


def references_for(code: str) -> list[LegalReference]:
    data = legal_data()
    return [data.references[i] for i in data.codes.get(code, [])]


def codes_for_rule(rule_id: str) -> list[str] | None:
    """The finding codes that cite reference ``rule_id`` (sorted), or None if there is no such reference."""
    data = legal_data()
    if rule_id not in data.references:
        return None
    return sorted(code for code, ids in data.codes.items() if rule_id in ids)
