"""Finding rules loaded from data/findings.yaml (severities, titles, category sets)."""

from __future__ import annotations

import functools
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
    """A finding text in data/findings.yaml names a field its producer did not supply."""


@functools.cache
def load_rules() -> Rules:
    raw = yaml.safe_load(resources.files("analyzer.data").joinpath("findings.yaml").read_text("utf-8"))
    severity = {(None if k in (None, "null") else k): v for k, v in raw["severity_by_category"].items()}
    return Rules(
        tracking_categories=frozenset(raw["tracking_categories"]),
        advertising_categories=frozenset(raw["advertising_categories"]),
        severity_by_category=severity,
        codes=raw["codes"],
        penalties=raw["grade"]["penalties"],
        letters=[(int(a), b) for a, b in raw["grade"]["letters"]],
        no_policy_cap=int(raw["grade"]["no_policy_cap"]),
        unverified_cap=int(raw["grade"].get("unverified_cap", 89)),
    )
