"""Finding rules loaded from data/findings.yaml (severities, titles, category sets)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal, NotRequired, TypedDict

import msgspec
import yaml

from model.report import Severity


class CodeText(TypedDict):
    """One finding code in findings.yaml: its texts (``str.format`` templates) and, unless it depends
    on the tracker's category, its severity."""

    title: str
    explanation: str
    severity: NotRequired[Severity]


class _Code(msgspec.Struct, forbid_unknown_fields=True):  # a misspelt key is an error, not a silent default
    title: str
    explanation: str
    severity: Severity | None = None


class _Grade(msgspec.Struct, forbid_unknown_fields=True):
    penalties: dict[Severity, int]
    letters: list[tuple[int, str]]
    no_policy_cap: int
    unverified_cap: int = 89


class _FindingsFile(msgspec.Struct, forbid_unknown_fields=True):
    tracking_categories: list[str]
    advertising_categories: list[str]
    severity_by_category: dict[str, Severity]  # the key "null" (YAML null) is the unknown category
    codes: dict[str, _Code]
    grade: _Grade


@dataclass(frozen=True)
class Rules:
    tracking_categories: frozenset[str]
    advertising_categories: frozenset[str]
    severity_by_category: dict[str | None, Severity]
    codes: dict[str, CodeText]
    penalties: dict[Severity, int]
    letters: list[tuple[int, str]]
    no_policy_cap: int
    unverified_cap: int = 89  # highest score when something could not be verified (never an A)

    def severity(self, code: str, category: str | None = None) -> Severity:
        fixed = self.codes[code].get("severity")
        return fixed or self.severity_by_category.get(category, self.severity_by_category.get(None, "low"))

    def title(self, code: str, **fields: object) -> str:
        return self._render(code, "title", fields)

    def explanation(self, code: str, **fields: object) -> str:
        return self._render(code, "explanation", fields)

    def _render(self, code: str, part: Literal["title", "explanation"], fields: dict[str, object]) -> str:
        # A missing field is a producer bug: fail loudly rather than publish a text with a hole in it.
        template = self.codes[code][part]
        try:
            return template.format_map(fields)
        except KeyError as missing:
            raise FindingTemplateError(
                f"findings.yaml {code}.{part} needs field {missing.args[0]!r}; the producer gave {sorted(fields)}"
            ) from None


class FindingTemplateError(Exception):
    """A finding text in data/findings.yaml names a field its producer did not supply."""


@functools.cache
def load_rules() -> Rules:
    return parse_rules(resources.files("analyzer.data").joinpath("findings.yaml").read_text("utf-8"))


def parse_rules(text: str) -> Rules:
    """Rules from findings.yaml's text; a value of the wrong shape is a ValueError naming where it is."""
    try:
        raw = msgspec.convert(_null_keys_named(yaml.safe_load(text)), _FindingsFile)
    except msgspec.ValidationError as exc:
        raise ValueError(f"analyzer/data/findings.yaml: {exc}") from None
    severity: dict[str | None, Severity] = {(None if k == "null" else k): v
                                            for k, v in raw.severity_by_category.items()}
    return Rules(
        tracking_categories=frozenset(raw.tracking_categories),
        advertising_categories=frozenset(raw.advertising_categories),
        severity_by_category=severity,
        codes={code: _code_text(entry) for code, entry in raw.codes.items()},
        penalties=raw.grade.penalties,
        letters=raw.grade.letters,
        no_policy_cap=raw.grade.no_policy_cap,
        unverified_cap=raw.grade.unverified_cap,
    )


def _code_text(entry: _Code) -> CodeText:
    text = CodeText(title=entry.title, explanation=entry.explanation)
    if entry.severity is not None:
        text["severity"] = entry.severity
    return text


def _null_keys_named(raw: object) -> object:
    """YAML reads the ``null:`` key of ``severity_by_category`` as None; name it for the typed decode."""
    if isinstance(raw, dict) and isinstance(raw.get("severity_by_category"), dict):
        by_category = raw["severity_by_category"]
        return {**raw, "severity_by_category": {("null" if k is None else k): v for k, v in by_category.items()}}
    return raw
