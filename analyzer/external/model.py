"""What an external list says about a request or a cookie, before it is mapped to our companies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

ListSource = Literal["duckduckgo", "ghostery", "disconnect"]


class ListMatch(msgspec.Struct, frozen=True, kw_only=True):
    source: ListSource
    entity: str | None  # the list's own key for the owner (stable within that list)
    company_name: str | None
    product_name: str | None = None  # Ghostery patterns, DuckDuckGo sub-brands ("Google Analytics")
    category: str | None = None  # already mapped to our vocabulary (see analyzer.knowledge.CATEGORIES)
    matched: str = ""  # the host suffix (or filter) that matched, for evidence
    # DuckDuckGo's blocking verdict for this exact request (tracker rules, exceptions, default);
    # None when the source has no per-request verdict.
    blocked: bool | None = None


class CookieMatch(msgspec.Struct, frozen=True, kw_only=True):
    source: Literal["open-cookie-database"]
    name: str  # the database's cookie name (a prefix when wildcard)
    platform: str
    company_name: str | None
    category: str | None
    wildcard: bool = False


def first_category(labels: Iterable[str], mapping: dict[str, str], priority: tuple[str, ...]) -> str | None:
    """Map a list's category labels to ours, picking the most specific by ``priority``."""
    mapped = {mapping[label] for label in labels if label in mapping}
    return next((category for category in priority if category in mapped), None)


# When a list gives several categories, the more specific purpose wins: a session-recording
# tool also does analytics, an ad network also measures audiences.
CATEGORY_PRIORITY = (
    "session-recording",
    "consent-manager",
    "tag-manager",
    "advertising",
    "analytics",
    "social",
    "embedded-content",
    "functional",
)
