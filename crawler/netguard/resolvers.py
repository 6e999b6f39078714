"""Name → addresses for the guard proxy: the system resolver, or one DNS server (``host:port``).

The proxy resolves each name once per connection and connects to exactly the address it checked,
so an answer that changes between two lookups (DNS rebinding) cannot move a checked connection.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import dns.asyncresolver
import dns.exception
import dns.resolver

Resolve = Callable[[str], Awaitable[list[str]]]
RESOLVE_TIMEOUT_S = 5.0


class NameNotResolved(OSError):
    """The name has no address (NXDOMAIN, no records, or a resolver failure)."""


async def system_resolve(host: str) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise NameNotResolved(f"{host}: {exc}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def dns_server_resolver(server: str) -> Resolve:
    """A resolver asking only ``server`` (``1.2.3.4``, ``1.2.3.4:5353`` or ``[::1]:5353``), A then AAAA."""
    host, port = _split_server(server)
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.lifetime = RESOLVE_TIMEOUT_S
    resolver.cache = None  # each connection asks again: the guard checks whatever it is told now

    async def resolve(name: str) -> list[str]:
        addresses: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = await resolver.resolve(name, rdtype, search=False)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
                continue
            except dns.exception.DNSException as exc:
                raise NameNotResolved(f"{name}: {exc}") from None
            addresses.extend(record.address for record in answer)
        if not addresses:
            raise NameNotResolved(f"{name}: no address")
        return addresses

    return resolve


def _split_server(server: str) -> tuple[str, int]:
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if server.count(":") == 1:
        host, port = server.split(":")
        return host, int(port)
    return server, 53
