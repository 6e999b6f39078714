"""Finding rules loaded from data/findings.yaml (severities, titles, category sets)."""

from __future__ import annotations

import functools
import string
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


class FindingTemplateError(ValueError):
    """A finding text in data/findings.yaml is malformed, or names a field its producer did not supply."""


SEVERITIES = ("high", "medium", "low", "info")
TEMPLATE_PARTS = ("title", "explanation")


def check_codes(codes: object) -> None:
    """The ``codes`` table of findings.yaml, checked on load: each code has a title and an explanation whose
    placeholders are plain field names (``{company}``, never ``{}``, ``{0}`` or ``{a.b}``), and a known severity
    when it fixes one. A broken entry fails here, naming its code and part, not in the middle of an audit."""
    if not isinstance(codes, dict) or not codes:
        raise FindingTemplateError("findings.yaml: `codes` must be a non-empty mapping of CODE → texts")
    for code, entry in codes.items():
        if not isinstance(entry, dict):
            raise FindingTemplateError(f"findings.yaml {code}: expected a mapping with title and explanation")
        for part in TEMPLATE_PARTS:
            template = entry.get(part)
            if not isinstance(template, str) or not template.strip():
                raise FindingTemplateError(f"findings.yaml {code}.{part} is missing or empty")
            for name in _placeholders(code, part, template):
                if not name.isidentifier():
                    raise FindingTemplateError(
                        f"findings.yaml {code}.{part} has placeholder {{{name}}}: use a plain field name")
        severity = entry.get("severity")
        if severity is not None and severity not in SEVERITIES:
            raise FindingTemplateError(f"findings.yaml {code}.severity {severity!r} is not one of {SEVERITIES}")


def _placeholders(code: str, part: str, template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:  # an unmatched brace
        raise FindingTemplateError(f"findings.yaml {code}.{part} is not a valid template: {exc}") from None


@functools.cache
def load_rules() -> Rules:
    return parse_rules(resources.files("analyzer.data").joinpath("findings.yaml").read_text("utf-8"))


def parse_rules(text: str) -> Rules:
    """Rules from findings.yaml's text (see ``rules_from``)."""
    return rules_from(yaml.safe_load(text))


def rules_from(parsed: object) -> Rules:
    """Rules from the parsed findings.yaml: its finding texts checked first (``FindingTemplateError`` naming the
    code and part), then every value's shape (a ``ValueError`` naming where it is)."""
    if isinstance(parsed, dict):
        check_codes(parsed.get("codes"))
    try:
        raw = msgspec.convert(_null_keys_named(parsed), _FindingsFile)
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
