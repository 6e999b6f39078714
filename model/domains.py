"""Domain input: validation, IDN → punycode, registrable domain (offline Public Suffix List), host helpers.

The one home of these helpers: the crawler, the fake internet, the analyzer and the API all use them.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import tldextract

from .errors import InvalidDomainError

T = TypeVar("T")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # suffix_list_urls=() keeps tldextract on its bundled snapshot: no network, ever.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """``www.shop.co.uk`` → ``shop.co.uk``; hosts without a public suffix are returned as they are.

    ``localhost`` stays ``localhost`` (not ``''``): a host is always its own site at worst, so two
    unlisted hosts never compare equal by accident. Cached: attribution asks once per request.
    """
    host = host.lower().rstrip(".")
    ext = _extractor()(host)
    if ext.domain and ext.suffix:
        return f"{ext.domain}.{ext.suffix}"
    return host


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_site(url: str, site_domain: str) -> bool:
    host = host_of(url)
    return bool(host) and registrable_domain(host) == registrable_domain(site_domain)


def normalize_domain(raw: str) -> str:
    """Accept ``example.com``, ``https://www.example.com/path`` or an IDN; return the ASCII host.

    Raises InvalidDomainError with a message a user can act on.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidDomainError("empty domain")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https"):
            raise InvalidDomainError(f"{raw!r}: only http(s) URLs or bare domains can be crawled")
        text = parts.hostname or ""
    else:
        text = text.split("/", 1)[0]
        if ":" in text:
            text = text.rsplit(":", 1)[0]
    host = text.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise InvalidDomainError(f"{raw!r}: an IP address is not a domain")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidDomainError(f"{raw!r}: not a valid internationalised domain name ({exc})") from None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidDomainError(f"{raw!r}: not a valid domain name (expected something like example.com)")
    if len(host) > 253:
        raise InvalidDomainError(f"{raw!r}: domain name longer than 253 characters")
    if labels[-1].isdigit():
        raise InvalidDomainError(f"{raw!r}: top-level label cannot be numeric")
    return host


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


def longest_suffix_match(host: str, table: Mapping[str, T]) -> T | None:
    """The value for the longest suffix of ``host`` that is a key of ``table``, else None."""
    for suffix in host_suffixes(host):
        value = table.get(suffix)
        if value is not None:
            return value
    return None
