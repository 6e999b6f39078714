"""Every cookie in the browser's cookie store at the end of the visit (third-party and HttpOnly too).

A cookie's ``first_seen_ms`` is the earliest Set-Cookie header (the network collector's result) or
``document.cookie`` write (the storage collector's) that named it: both run before this one. When one
of them failed, its times are missing and the visit's ``collector_errors`` says so."""

from __future__ import annotations

from model.capture import CookieRecord, Visit
from model.domains import registrable_domain

from ..redact import value_fingerprint
from .base import Collector, Inputs
from .network import NetworkCollector, NetworkResult
from .storage import StorageCollector, StorageResult


class CookieCollector(Collector[None]):
    name = "cookies"
    needs = (NetworkCollector, StorageCollector)

    async def collect(self, visit: Visit, inputs: Inputs) -> None:
        site = registrable_domain(self.state.site_domain)
        first_seen = first_seen_times(inputs.of(NetworkCollector), inputs.of(StorageCollector))
        records = []
        for c in await self.state.context.cookies():
            length, digest = value_fingerprint(c.get("value", ""))
            expires = c.get("expires")
            records.append(
                CookieRecord(
                    name=c["name"],
                    domain=c["domain"],
                    path=c.get("path", "/"),
                    expires=None if expires is None or expires < 0 else float(expires),
                    http_only=bool(c.get("httpOnly")),
                    secure=bool(c.get("secure")),
                    same_site=c.get("sameSite"),
                    value_len=length,
                    value_sha256=digest,
                    value=c.get("value") if self.state.keep_values else None,
                    first_party=registrable_domain(c["domain"].lstrip(".")) == site,
                    first_seen_ms=first_seen.get(c["name"]),
                )
            )
        visit.cookies = records


def first_seen_times(network: NetworkResult | None, storage: StorageResult | None) -> dict[str, float]:
    """Earliest Set-Cookie header or document.cookie write per cookie name (None: that input is missing)."""
    times = [(h.name, h.t_ms) for h in network.set_cookie_headers] if network else []
    times += [(w.key, w.t_ms) for w in storage.cookie_writes if w.t_ms is not None] if storage else []
    seen: dict[str, float] = {}
    for name, t_ms in times:
        seen[name] = min(seen.get(name, t_ms), t_ms)
    return seen
