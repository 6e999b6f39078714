"""Finding rules loaded from data/findings.yaml (severities, titles, category sets)."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from importlib import resources

import yaml


@dataclass(frozen=True)
class Rules:
    tracking_categories: frozenset[str]
    advertising_categories: frozenset[str]
    severity_by_category: dict[str | None, str]
    codes: dict[str, dict]
    penalties: dict[str, int]
    letters: list[tuple[int, str]]
    no_policy_cap: int
    unverified_cap: int = 89  # highest score when something could not be verified (never an A)

    def severity(self, code: str, category: str | None = None) -> str:
        fixed = self.codes[code].get("severity")
        return fixed or self.severity_by_category.get(category, self.severity_by_category.get(None, "low"))

    def title(self, code: str, **fields) -> str:
        return self._render(code, "title", fields)

    def explanation(self, code: str, **fields) -> str:
        return self._render(code, "explanation", fields)

    def _render(self, code: str, part: str, fields: dict) -> str:
        # A missing field is a producer bug: fail loudly rather than publish a text with a hole in it.
        template = self.codes[code][part]
        try:
            return template.format_map(fields)
        except KeyError as missing:
            raise FindingTemplateError(
                f"findings.yaml {code}.{part} needs field {missing.args[0]!r}; the producer gave {sorted(fields)}"
            ) from None


class FindingTemplateError(Exception):
    """A finding text in data/findings.yaml is malformed, or names a field its producer did not supply."""


SEVERITIES = ("high", "medium", "low", "info")
TEMPLATE_PARTS = ("title", "explanation")


def check_codes(codes: object) -> dict[str, dict]:
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
    return codes


def _placeholders(code: str, part: str, template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:  # an unmatched brace
        raise FindingTemplateError(f"findings.yaml {code}.{part} is not a valid template: {exc}") from None


@functools.cache
def load_rules() -> Rules:
    raw = yaml.safe_load(resources.files("analyzer.data").joinpath("findings.yaml").read_text("utf-8"))
    return rules_from(raw)


def rules_from(raw: dict) -> Rules:
    """Rules from the parsed findings.yaml (its finding texts checked first)."""
    severity = {(None if k in (None, "null") else k): v for k, v in raw["severity_by_category"].items()}
    return Rules(
        tracking_categories=frozenset(raw["tracking_categories"]),
        advertising_categories=frozenset(raw["advertising_categories"]),
        severity_by_category=severity,
        codes=check_codes(raw["codes"]),
        penalties=raw["grade"]["penalties"],
        letters=[(int(a), b) for a, b in raw["grade"]["letters"]],
        no_policy_cap=int(raw["grade"]["no_policy_cap"]),
        unverified_cap=int(raw["grade"].get("unverified_cap", 89)),
    )
