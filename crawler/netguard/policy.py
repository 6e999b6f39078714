"""The address policy: what a crawl may connect to, with the operator's allow-list applied.

Allow-list entries are exact hosts (``intranet.example``), suffixes (``*.corp.example``) or
networks in CIDR form (``10.1.0.0/16``). Everything not allow-listed must be a public address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from .addresses import IPAddress, Network, refusal_reason
from .hosts import InvalidHost, is_localhost_name, parse_host


@dataclass
class AddressPolicy:
    hosts: set[str] = field(default_factory=set)
    suffixes: list[str] = field(default_factory=list)  # each with its leading dot
    networks: list[Network] = field(default_factory=list)

    @classmethod
    def allowing(cls, entries: Iterable[str] = ()) -> AddressPolicy:
        policy = cls()
        for entry in entries:
            policy.allow(entry)
        return policy

    def allow(self, entry: str) -> None:
        entry = entry.strip().lower()
        if not entry:
            return
        try:
            self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            return
        except ValueError:
            pass
        if entry.startswith(("*.", ".")):
            self.suffixes.append("." + entry.lstrip("*.").rstrip("."))
        else:
            self.hosts.add(entry.rstrip("."))

    def host_allowed(self, host: str) -> bool:
        name = host.rstrip(".").lower()
        return name in self.hosts or any(name.endswith(s) or name == s[1:] for s in self.suffixes)

    def address_refusal(self, address: IPAddress) -> str | None:
        if any(address.version == net.version and address in net for net in self.networks):
            return None
        return refusal_reason(address)

    def host_refusal(self, raw_host: str) -> tuple[IPAddress | str, str | None]:
        """Parse a host as the browser does and judge what can be judged without DNS.

        Returns (parsed host, reason or None). A name that passes still needs its addresses checked.
        """
        try:
            host = parse_host(raw_host)
        except InvalidHost as exc:
            return raw_host, f"not a valid host ({exc})"
        if isinstance(host, str):
            if is_localhost_name(host) and not self.host_allowed(host):
                return host, "a localhost name (browsers answer it with loopback)"
            return host, None
        return host, self.address_refusal(host)
