"""Where a crawl may connect: the address policy, browser-style host parsing, and the per-context
guard proxy that enforces both on every connection Chromium makes (see docs/ARCHITECTURE.md)."""

from .addresses import METADATA_ADDRESSES, IPAddress, embedded_ipv4, refusal_reason
from .host_rules import HostRules
from .hosts import InvalidHost, is_localhost_name, parse_host, parse_ipv4, url_host_port
from .policy import AddressPolicy
from .proxy import GuardProxy
from .resolvers import NameNotResolved, Resolve, dns_server_resolver, system_resolve

__all__ = [
    "METADATA_ADDRESSES", "AddressPolicy", "GuardProxy", "HostRules", "IPAddress", "InvalidHost",
    "NameNotResolved", "Resolve", "dns_server_resolver", "embedded_ipv4", "is_localhost_name",
    "parse_host", "parse_ipv4", "refusal_reason", "system_resolve", "url_host_port",
]
