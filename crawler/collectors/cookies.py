"""Every cookie in the browser's cookie store at the end of the visit (third-party and HttpOnly too)."""

from __future__ import annotations

from model.capture import CookieRecord, Visit
from model.domains import registrable_domain

from ..redact import value_fingerprint
from .base import Collector, register_collector


@register_collector
class CookieCollector(Collector):
    name = "cookies"

    async def collect(self, visit: Visit) -> None:
        site = registrable_domain(self.state.site_domain)
        first_seen = self._first_seen_times()
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

    def _first_seen_times(self) -> dict[str, float]:
        """Earliest Set-Cookie header or document.cookie write per cookie name."""
        seen: dict[str, float] = {}
        for header in self.state.extras.get("set_cookie_headers", []):
            seen[header.name] = min(seen.get(header.name, header.t_ms), header.t_ms)
        for name, t_ms in self.state.extras.get("cookie_writes", []):
            seen[name] = min(seen.get(name, t_ms), t_ms)
        return seen
