"""Host helpers shared by the signature index, the external lists and attribution."""

from __future__ import annotations

import functools

from crawler.domains import registrable_domain as _registrable_domain


@functools.lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """Cached: tldextract costs microseconds per call and attribution asks per request."""
    return _registrable_domain(host)


def normalize_host(host: str) -> str:
    """Lower-case, no trailing dot, no leading dot (cookie domains are written ``.example.com``)."""
    return host.strip().lower().strip(".")


def host_suffixes(host: str) -> list[str]:
    """``a.b.example.com`` → ``[a.b.example.com, b.example.com, example.com, com]``, longest first."""
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def host_matches(host: str, suffix: str) -> bool:
    """True when ``host`` is ``suffix`` or one of its subdomains (on a label boundary)."""
    return host == suffix or host.endswith("." + suffix)


def longest_suffix_match(host: str, table: dict):
    """The value for the longest suffix of ``host`` that is a key of ``table``, else None."""
    for suffix in host_suffixes(host):
        value = table.get(suffix)
        if value is not None:
            return value
    return None
