"""Vendor names from the knowledge base: which phrase means which product or company.

A policy names a product ("Google Analytics"), a company ("Google", "Facebook") or neither.
Every product name/policy name and company name/alias becomes a phrase; ``scan.Scanner`` finds
them all in one pass and asks this table what they mean and whether the case fits."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from analyzer.knowledge.model import Company, Product
from analyzer.policy.vocabulary import Vocabulary


class Knowledge(Protocol):  # the parts of analyzer.knowledge.Knowledge used here
    @property
    def products(self) -> Mapping[str, Product]: ...

    @property
    def companies(self) -> Mapping[str, Company]: ...

    def __hash__(self) -> int: ...  # scan.scanner() caches one scanner per knowledge base


@dataclass(frozen=True, slots=True)
class Target:
    level: Literal["product", "company"]
    company_id: str
    product_id: str | None = None
    category: str | None = None
    # The phrase is also the company's own name ("Instagram", "LinkedIn") although the knowledge
    # base maps it to a product: what follows it may say another product is meant.
    is_company_name: bool = False


def phrase_key(phrase: str) -> str:
    return " ".join(phrase.split()).lower()


class NameTable:
    def __init__(self, knowledge: Knowledge, vocab: Vocabulary) -> None:
        self.targets: dict[str, Target] = {}
        self._spellings: dict[str, str] = {}
        self._never_alone = vocab.never_alone
        self._ordinary = vocab.ordinary_words
        self._exact_case_max_len = vocab.exact_case_max_len
        # Companies first so that a product listing the same phrase takes it over: the
        # knowledge base says that phrase means the product.
        for company in knowledge.companies.values():
            for name in (company.name, *company.aliases):
                self._add(name, Target("company", company.id))
        self._parents = {c.id: c.parent for c in knowledge.companies.values()}
        self._owned: dict[tuple[str, str], list[Target]] = {}
        for product in sorted(knowledge.products.values(), key=lambda p: p.id):
            target = Target("product", product.company, product.id, product.category)
            self._owned.setdefault((product.company, product.category), []).append(target)
            for name in (product.name, *product.policy_names):
                self._add(name, target)

    def _add(self, name: str, target: Target) -> None:
        if not name or name in self._never_alone:
            return
        key = phrase_key(name)
        existing = self.targets.get(key)
        if existing is not None and existing.level == "product" and existing.product_id != target.product_id:
            # Two products share a phrase: it only tells the company (or nothing).
            if existing.company_id != target.company_id:
                return
            target = Target("company", target.company_id)
        names_company = existing is not None and (existing.level == "company" or existing.is_company_name)
        if names_company and target.level == "product":
            target = dataclasses.replace(target, is_company_name=True)
        self.targets[key] = target
        self._spellings.setdefault(key, name)

    def product_of_kind(self, company_id: str, category: str) -> Target | None:
        """The one product of ``category`` the company owns, else the one its parent owns, and so
        on up; None when a level owns several (the kind does not say which)."""
        seen: set[str] = set()
        current: str | None = company_id
        while current is not None and current not in seen:
            seen.add(current)
            owned = self._owned.get((current, category), [])
            if owned:
                return owned[0] if len(owned) == 1 else None
            current = self._parents.get(current)
        return None

    def accepts(self, key: str, text: str, start: int, end: int) -> bool:
        """Does ``text[start:end]`` (a whole-word hit of phrase ``key``) name the vendor?

        Short names need their exact case ("DFP"); others need some capital unless the name is
        lower-case itself, which rules out bare domains. Names that are ordinary words
        ("Segment", "Clarity") need their exact spelling and a place inside running text."""
        found = text[start:end]
        spelling = self._spellings[key]
        if key in self._ordinary:
            return " ".join(found.split()) == spelling and not _in_title_context(text, start, end)
        if len(spelling) <= self._exact_case_max_len:
            return found == spelling
        return found != found.lower() or spelling == spelling.lower()


def _in_title_context(text: str, start: int, end: int) -> bool:
    """At a sentence/line start, or joined by a single space to another capitalised word."""
    preceding = text[max(0, start - 3) : start].rstrip(" \t")
    if not preceding or preceding[-1] in ".!?:;\n\r\"“":
        return True
    if text[start - 1 : start] == " " and preceding[-1].isalpha():
        previous_word = text[text.rfind(" ", 0, start - 1) + 1 : start - 1]
        if previous_word[:1].isupper():
            return True
    return text[end : end + 1] == " " and text[end + 1 : end + 2].isupper()


def _distinctive(cookie: str) -> bool:
    """Cookie names that cannot be ordinary words in prose: "_ga", "li_sugr", "OptanonConsent"
    (not "PREF", "IDE" or "pardot", which read as words or abbreviations)."""
    return any(c in cookie for c in "_-.") or (len(cookie) >= 8 and not cookie.isupper() and not cookie.islower())


class CookieTable:
    """Cookie names (exact and prefixes) from the knowledge base: a cookie policy that lists
    "_ga" or "_fbp" declares Google Analytics or the Meta Pixel even without naming them."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.exact: dict[str, Target | None] = {}
        self.prefixes: dict[str, Target | None] = {}
        for product in sorted(knowledge.products.values(), key=lambda p: p.id):
            target = Target("product", product.company, product.id, product.category)
            for name in product.cookies_exact:
                if _distinctive(name):
                    _claim(self.exact, name, target)
            for prefix in product.cookies_prefix:
                if _distinctive(prefix) and len(prefix) >= 3:
                    _claim(self.prefixes, prefix, target)
        self._by_length = sorted(self.prefixes, key=len, reverse=True)

    def words(self) -> list[str]:
        return [*self.exact, *self.prefixes]

    def target(self, token: str) -> Target | None:
        """Case-sensitive: cookie names are."""
        if token in self.exact:
            return self.exact[token]
        return next((self.prefixes[p] for p in self._by_length if token.startswith(p)), None)


def _claim(table: dict[str, Target | None], name: str, target: Target) -> None:
    if name not in table:
        table[name] = target
        return
    existing = table[name]
    if existing != target:
        # Shared by two products: the company when they share one, else nobody.
        same_company = existing is not None and existing.company_id == target.company_id
        table[name] = Target("company", target.company_id) if same_company else None
