"""Tracker knowledge as typed, immutable records (what the YAML files in this package describe)."""

from __future__ import annotations

import msgspec

CATEGORIES = (
    "analytics",
    "advertising",
    "social",
    "session-recording",
    "tag-manager",
    "consent-manager",
    "embedded-content",
    "functional",
)


class RequestSignature(msgspec.Struct, frozen=True, kw_only=True):
    """A request belongs to a product when its host ends with ``host`` (on a label boundary)
    and, when given, ``path`` matches the URL path and ``query`` matches the raw query string
    (both Python regexes, searched with ``re.search``). ``example`` is a representative URL;
    the data tests require it to attribute to this signature's product."""

    host: str
    path: str | None = None
    query: str | None = None
    example: str | None = None


class Product(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    company: str
    category: str
    requests: list[RequestSignature] = []
    cookies_exact: list[str] = []
    cookies_prefix: list[str] = []
    # Names too generic to mean this product on any domain (``fr``, ``IDE``): they count only
    # when the cookie was set on one of the product's request hosts.
    cookies_scoped: list[str] = []
    globals: list[str] = []
    policy_names: list[str] = []


class Company(msgspec.Struct, frozen=True, kw_only=True):
    """``parent`` is the owning company (Instagram → Meta). A ``holding`` (Alphabet) owns
    companies that answer for their products under their own name: reports name the company
    below it (YouTube is reported as Google's, not Alphabet's)."""

    id: str
    name: str
    parent: str | None = None
    holding: bool = False
    aliases: list[str] = []
    domains: list[str] = []
