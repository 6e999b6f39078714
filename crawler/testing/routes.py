"""The fake internet's routing table: host → path → handler.

Everything the server serves (tracker stubs, demo sites, test sites, pages added by a test) is a
route here, so one aiohttp handler can dispatch on the ``Host`` header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class StaticPage:
    """A fixed response; ``headers`` may hold a list of values (e.g. several Set-Cookie)."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: Mapping[str, str | list[str]] = field(default_factory=dict)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        resp = web.Response(body=self.body, status=self.status)
        resp.headers["Content-Type"] = self.content_type
        for name, value in self.headers.items():
            for v in value if isinstance(value, list) else [value]:
                resp.headers.add(name, v)
        return resp


def static(body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200,
           headers: Mapping[str, str | list[str]] | None = None) -> StaticPage:
    data = body.encode() if isinstance(body, str) else body
    return StaticPage(data, content_type, status, dict(headers or {}))


class RouteTable:
    """Exact paths win over prefixes; among prefixes the longest wins.

    A host may be a wildcard (``*.sc.omtrdc.net``): it serves every subdomain that has no routes
    of its own (collectors on per-customer subdomains)."""

    def __init__(self) -> None:
        self._exact: dict[str, dict[str, Handler]] = {}
        self._prefix: dict[str, list[tuple[str, Handler]]] = {}

    def add(self, host: str, path: str, handler: Handler, *, prefix: bool = False) -> None:
        host = host.lower()
        if prefix:
            routes = self._prefix.setdefault(host, [])
            routes[:] = [r for r in routes if r[0] != path] + [(path, handler)]
            routes.sort(key=lambda r: len(r[0]), reverse=True)
        else:
            self._exact.setdefault(host, {})[path] = handler

    def resolve(self, host: str, path: str) -> Handler | None:
        host = host.lower()
        if host not in self._exact and host not in self._prefix:
            host = next((w for w in _wildcards(host) if w in self._exact or w in self._prefix), host)
        handler = self._exact.get(host, {}).get(path)
        if handler is not None:
            return handler
        return next((h for p, h in self._prefix.get(host, []) if path.startswith(p)), None)

    def hosts(self) -> set[str]:
        return set(self._exact) | set(self._prefix)

    def paths(self, host: str) -> list[str]:
        return sorted(self._exact.get(host.lower(), {}))


def _wildcards(host: str) -> list[str]:
    labels = host.split(".")
    return [".".join(["*", *labels[i:]]) for i in range(1, len(labels) - 1)]
