"""Crawl targets: canonical domain input, and the SSRF guard deciding what may be crawled.

The guard resolves the target and refuses loopback, private, link-local, carrier-grade NAT,
multicast, reserved and cloud-metadata addresses — anything not globally routable — unless the
operator allow-lists the host (exact name or ``*.suffix``) or the address range (CIDR).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from typing import Awaitable, Callable, Iterable

from crawler.domains import normalize_domain, registrable_domain

from .errors import TargetRefusedError

Resolve = Callable[[str], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Named in refusals because they are the classic SSRF prize (AWS/GCP/Azure, Alibaba, AWS IPv6).
METADATA_ADDRESSES = {ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254")}


@functools.lru_cache(maxsize=65536)
def canonical_domain(raw: str) -> str:
    """User input → the registrable ASCII domain the store keys by (``www.Bücher.de`` → ``xn--bcher-kva.de``)."""
    return registrable_domain(normalize_domain(raw))


async def system_resolve(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def refusal_reason(address: IPAddress) -> str | None:
    """Why an address may not be crawled, or None when it is globally routable."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    # Most specific first: 0.0.0.0 and 127/8 are also "private" to the ipaddress module.
    for label, flag in (("loopback", address.is_loopback), ("unspecified", address.is_unspecified),
                        ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                        ("private", address.is_private), ("reserved", address.is_reserved)):
        if flag:
            return f"a {label} address"
    if not address.is_global:
        return "not a globally routable address"
    return None


class TargetGuard:
    RESOLVE_TIMEOUT_S = 5.0

    def __init__(self, allow: Iterable[str] = (), resolve: Resolve | None = None) -> None:
        self._hosts: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            self.allow(entry)
        self._resolve = resolve or system_resolve

    def allow(self, entry: str) -> None:
        entry = entry.strip().lower()
        if not entry:
            return
        try:
            self._networks.append(ipaddress.ip_network(entry, strict=False))
            return
        except ValueError:
            pass
        if entry.startswith(("*.", ".")):
            self._suffixes.append("." + entry.lstrip("*."))
        else:
            self._hosts.add(entry)

    def host_allowed(self, host: str) -> bool:
        return host in self._hosts or any(host.endswith(s) or host == s[1:] for s in self._suffixes)

    async def check(self, domain: str) -> None:
        """Raise TargetRefusedError unless ``domain`` may be crawled. Names that do not exist pass:
        there is nothing to reach, and the crawl records the site as unreachable."""
        if self.host_allowed(domain):
            return
        try:
            addresses = await asyncio.wait_for(self._resolve(domain), self.RESOLVE_TIMEOUT_S)
        except (OSError, UnicodeError):
            return
        except asyncio.TimeoutError:
            # Slow DNS is a rebinding tool: refuse rather than let the browser resolve it later.
            raise TargetRefusedError(f"{domain}: DNS did not answer within {self.RESOLVE_TIMEOUT_S:.0f}s") from None
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if any(address in net for net in self._networks):
                continue
            reason = refusal_reason(address)
            if reason:
                raise TargetRefusedError(f"{domain} resolves to {address}, {reason}; "
                                         "refusing to crawl it (operators can allow-list it with --allow-hosts)")
