"""Which IP addresses a crawl may never connect to, and why.

An explicit table (IANA special-purpose registries) rather than ``ipaddress``'s ``is_global``:
Python's flags differ between versions and call some of these ranges global (6to4 of 127.0.0.1,
the local-use NAT64 prefix, deprecated site-local IPv6). IPv6 forms that carry an IPv4 address
(IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo) are judged by the IPv4 address they embed.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named in refusals because they are the classic SSRF prize (AWS/GCP/Azure, Alibaba, AWS IPv6).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254"))

# Most specific first: the first range that contains an address names the reason.
REFUSED_RANGES: tuple[tuple[Network, str], ...] = tuple((ipaddress.ip_network(net), label) for net, label in (
    ("0.0.0.0/32", "an unspecified address"),
    ("0.0.0.0/8", "a 'this network' address"),
    ("127.0.0.0/8", "a loopback address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("169.254.0.0/16", "a link-local address"),
    ("100.64.0.0/10", "a carrier-grade NAT address, not globally routable"),
    ("192.0.0.0/24", "an IETF protocol-assignment address, not globally routable"),
    ("192.0.2.0/24", "a documentation address, not globally routable"),
    ("198.51.100.0/24", "a documentation address, not globally routable"),
    ("203.0.113.0/24", "a documentation address, not globally routable"),
    ("198.18.0.0/15", "a benchmarking address, not globally routable"),
    ("192.88.99.0/24", "a 6to4 relay anycast address, not globally routable"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "a broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("fc00::/7", "a unique-local (private) address"),
    ("ff00::/8", "a multicast address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address, not globally routable"),
    ("100::/64", "a discard-only address, not globally routable"),
    ("2001:db8::/32", "a documentation address, not globally routable"),
    ("2001:10::/28", "an ORCHID address, not globally routable"),
    ("2001:20::/28", "an ORCHID address, not globally routable"),
    ("3fff::/20", "a documentation address, not globally routable"),
    ("5f00::/16", "a segment-routing address, not globally routable"),
    ("::/8", "a reserved address"),
))

_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TEREDO = ipaddress.ip_network("2001::/32")
_SIXTOFOUR = ipaddress.ip_network("2002::/16")


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 form carries and the form's name, or None."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address in _SIXTOFOUR:
        return address.sixtofour, "6to4"  # type: ignore[return-value]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address in _TEREDO:
        return address.teredo[1], "Teredo"  # type: ignore[index]  # the client, de-obfuscated
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "IPv4-compatible"
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why a crawl may not connect to ``address``, or None when it is a public unicast address."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped (interface-local) IPv6 address"
        embedded = embedded_ipv4(address)
        if embedded is not None:
            inner, form = embedded
            reason = refusal_reason(inner)
            if reason:
                return f"{reason} ({inner} embedded in the {form} address {address})"
            return "a deprecated IPv4-compatible address, not routable" if form == "IPv4-compatible" else None
    for network, label in REFUSED_RANGES:
        if address.version == network.version and address in network:
            return label
    if isinstance(address, ipaddress.IPv6Address) and address not in ipaddress.ip_network("2000::/3"):
        return "outside global unicast IPv6 space (2000::/3)"
    return None
