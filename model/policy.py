"""What the policy analysis produces (analyzer/policy): msgspec records that cross into findings, report and API."""

from __future__ import annotations

from typing import Literal

import msgspec

Level = Literal["product", "company", "category"]
Source = Literal["privacy_policy", "cookie_policy"]
ReferenceLevel = Literal["named", "characterized_only", "unnamed_only", "none"]
# DNT and GPC: honors … silent; the sale or sharing of data: does_not_sell, sells_or_shares, silent.
PolicyStance = Literal["honors", "does_not_honor", "unclear", "silent", "does_not_sell", "sells_or_shares"]


class Declaration(msgspec.Struct, kw_only=True, frozen=True):
    """One thing the policy says about a third party, resting on one sentence.

    ``product_id``/``company_id`` are knowledge-base ids; a product declaration carries its
    company too so findings can fall back to company level without a second lookup."""

    level: Level
    name_in_text: str
    sentence: str
    source: Source = "privacy_policy"
    negated: bool = False
    product_id: str | None = None
    company_id: str | None = None
    category: str | None = None


class Stance(msgspec.Struct, kw_only=True, frozen=True):
    """``value``: DNT/GPC ``honors`` | ``does_not_honor`` | ``unclear`` | ``silent``; sale
    ``does_not_sell`` | ``sells_or_shares`` | ``silent``. ``evidence``: the sentences it rests on.
    ``outweighed``: sentences saying the opposite that the value outweighs (a "we do not sell"
    under "… but we share identifiers with advertising partners")."""

    value: PolicyStance
    evidence: list[str] = []
    outweighed: list[str] = []


class PolicyAnalysis(msgspec.Struct, kw_only=True):
    # Positive product/company declarations (one per id and source; first sentence kept).
    declarations: list[Declaration] = []
    # Denials of any level ("we do not use the Facebook pixel"), negated=True.
    negations: list[Declaration] = []
    # Vague category-level references ("advertising partners") as level="category".
    category_mentions: list[Declaration] = []
    dnt: Stance = Stance(value="silent")
    gpc: Stance = Stance(value="silent")
    sale: Stance = Stance(value="silent")
    # strictly-necessary | functional | analytics | advertising | social-media
    cookie_categories: list[str] = []
    # The listed cookie purposes that declare a tracker category ("Advertising cookies", "Analytics: to
    # measure …" in a purpose list), level="category" with the tracker category: vague declarations,
    # weighed after category_mentions.
    cookie_purposes: list[Declaration] = []
    # ISO 8601, reduced precision when the policy gives no day ("2020-07").
    policy_date: str | None = None
    third_party_reference_level: ReferenceLevel = "none"

    def declared_product_ids(self) -> set[str]:
        return {d.product_id for d in self.declarations if d.product_id}

    def declared_company_ids(self) -> set[str]:
        return {d.company_id for d in self.declarations if d.company_id}

    def declared_categories(self) -> set[str]:
        return {d.category for d in self.category_mentions if d.category}
