"""Crawl targets: canonical domain input, and the SSRF guard deciding what may be queued.

The address policy itself (what is refusable and why, browser-style host parsing, allow-lists)
lives in ``crawler.netguard``; the crawler enforces it again on every connection Chromium makes,
so this queue-time check is the early, friendly refusal — not the only line of defence.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

from crawler.netguard import METADATA_ADDRESSES, AddressPolicy, IPAddress
from crawler.netguard import refusal_reason as _policy_refusal
from model.domains import normalize_domain, registrable_domain

from ..errors import TargetRefusedError

Resolve = Callable[[str], Awaitable[list[str]]]

__all__ = ["METADATA_ADDRESSES", "IPAddress", "Resolve", "TargetGuard", "canonical_domain", "refusal_reason",
           "system_resolve"]


@functools.lru_cache(maxsize=65536)
def canonical_domain(raw: str) -> str:
    """User input → the registrable ASCII domain the store keys by (``www.Bücher.de`` → ``xn--bcher-kva.de``)."""
    return registrable_domain(normalize_domain(raw))


async def system_resolve(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def refusal_reason(address: IPAddress) -> str | None:
    """Why an address may not be crawled, or None when it is globally routable."""
    return _policy_refusal(address)


class TargetGuard:
    RESOLVE_TIMEOUT_S = 5.0

    def __init__(self, allow: Iterable[str] = (), resolve: Resolve | None = None) -> None:
        self.policy = AddressPolicy.allowing(allow)
        self._resolve = resolve or system_resolve

    def allow(self, entry: str) -> None:
        self.policy.allow(entry)

    def host_allowed(self, host: str) -> bool:
        return self.policy.host_allowed(host)

    async def check(self, domain: str) -> None:
        """Raise TargetRefusedError unless ``domain`` may be crawled. Names that do not exist pass:
        there is nothing to reach, and the crawl records the site as unreachable."""
        host, reason = self.policy.host_refusal(domain)
        if reason is not None:
            raise TargetRefusedError(f"{domain} is {reason}; refusing to crawl it "
                                     "(operators can allow-list it with --allow-hosts)")
        if not isinstance(host, str) or self.host_allowed(host):
            return
        try:
            addresses = await asyncio.wait_for(self._resolve(host), self.RESOLVE_TIMEOUT_S)
        except (OSError, UnicodeError):
            return
        except TimeoutError:
            # Slow DNS is a rebinding tool: refuse rather than let the browser resolve it later.
            raise TargetRefusedError(f"{domain}: DNS did not answer within {self.RESOLVE_TIMEOUT_S:.0f}s") from None
        for text in addresses:
            address = ipaddress.ip_address(text)
            reason = self.policy.address_refusal(address)
            if reason:
                raise TargetRefusedError(f"{domain} resolves to {address}, {reason}; "
                                         "refusing to crawl it (operators can allow-list it with --allow-hosts)")
