"""Registrable domains of fake-internet hosts (offline tldextract, as the crawler uses)."""

from __future__ import annotations

from functools import lru_cache

import tldextract

_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """``www.googletagmanager.com`` → ``googletagmanager.com``; '' for hosts without a public suffix."""
    return _extract(host).top_domain_under_public_suffix
