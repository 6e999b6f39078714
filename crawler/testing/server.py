"""``FakeInternet``: one aiohttp server on loopback that plays many hosts (see docs/ARCHITECTURE.md).

Chromium reaches it through ``--host-resolver-rules`` (every name → 127.0.0.1, port 80 → our HTTP
port, 443 → our HTTPS port) and trusts its certificate by SPKI pin, so pages are real secure contexts.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver

from . import sites
from .certs import CertificateAuthority
from .routes import Handler, RouteTable, static
from .trackers import load_catalog

# Resolves to nothing, so tests can see a DNS failure for a domain (rule placed before the catch-all).
NXDOMAIN_HOST = "no-such-site-anywhere.com"


@dataclass
class ServedRequest:
    """What the server received: one entry per request, logged before it is answered."""

    t: float  # time.monotonic()
    scheme: str
    host: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None = None  # filled when the response is ready (None while hanging)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.path}" + (f"?{self.query}" if self.query else "")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class FakeInternet:
    """Async context manager serving tracker stubs, the demo web and test sites on loopback.

    ``seeds_dir``: serve each seed policy as a test site (tests pass ../shared/seeds; the demo does not).
    ``demo`` / ``test_sites``: include the demo companies / the behaviour and discovery test sites.
    """

    def __init__(self, *, seeds_dir: str | Path | None = None, demo: bool = True, test_sites: bool = True,
                 bind: str = "127.0.0.1", http_port: int = 0, https_port: int = 0) -> None:
        self.bind = bind
        self._want_ports = (http_port, https_port)
        self.seeds_dir = Path(seeds_dir) if seeds_dir else None
        self.routes = RouteTable()
        self.log: list[ServedRequest] = []
        self.demo_domains: list[str] = []
        self.seed_domains: dict[str, str] = {}
        self.sites: dict[str, str] = {}  # test-site role → host, e.g. "behaviours" → "behaviour-lab.com"
        self.registries: dict[str, dict[str, Any]] = {"gtm_containers": {}}  # data stubs read per id
        self.https_only: set[str] = set()  # hosts whose http:// requests are redirected to https://
        self.http_port = 0
        self.https_port = 0
        self._ca: CertificateAuthority | None = None
        self._ssl: ssl.SSLContext | None = None
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._include_demo = demo
        self._include_test_sites = test_sites

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> FakeInternet:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def start(self) -> None:
        self._install_content()
        self._ca = CertificateAuthority()
        self._ca.issue(self.hosts())
        self._ssl = self._ca.server_context()
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        http = web.TCPSite(self._runner, self.bind, self._want_ports[0])
        https = web.TCPSite(self._runner, self.bind, self._want_ports[1], ssl_context=self._ssl)
        await http.start()
        await https.start()
        self.http_port = _port(http)
        self.https_port = _port(https)

    async def stop(self) -> None:
        self._closing.set()  # releases hanging handlers
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._ca is not None:
            self._ca.cleanup()
            self._ca = None

    def _install_content(self) -> None:
        load_catalog().install(self.routes, self.registries)
        sites.install(self)

    # ------------------------------------------------------------------ what browsers need
    @property
    def host_rules(self) -> str:
        return (f"MAP {NXDOMAIN_HOST} ~NOTFOUND, MAP *:80 {self.bind}:{self.http_port}, "
                f"MAP *:443 {self.bind}:{self.https_port}, EXCLUDE localhost")

    @property
    def spki_hash(self) -> str:
        assert self._ca is not None, "FakeInternet not started"
        return self._ca.spki_sha256

    @property
    def chromium_args(self) -> list[str]:
        return [f"--host-resolver-rules={self.host_rules}", *self.trust_args]

    @property
    def trust_args(self) -> list[str]:
        """The Chromium args besides the resolver rules (which BrowserOptions.host_rules carries)."""
        return [f"--ignore-certificate-errors-spki-list={self.spki_hash}"]

    @property
    def ca_path(self) -> Path:
        assert self._ca is not None, "FakeInternet not started"
        return self._ca.ca_path

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting the fake CA, for Python HTTP clients."""
        assert self._ca is not None, "FakeInternet not started"
        return self._ca.client_context()

    def resolver(self) -> AbstractResolver:
        """An aiohttp resolver sending every name to this server (80/443 remapped to our ports)."""
        return _LoopbackResolver(self)

    def url(self, host: str, path: str = "/", https: bool = True) -> str:
        return f"{'https' if https else 'http'}://{host}{path}"

    def hosts(self) -> set[str]:
        return self.routes.hosts()

    # ------------------------------------------------------------------ ad-hoc content
    def add_page(self, host: str, path: str, body: str | bytes, *, content_type: str = "text/html; charset=utf-8",
                 status: int = 200, headers: Mapping[str, str | list[str]] | None = None) -> str:
        """Serve a fixed response at host+path (e.g. for one test); returns its https URL."""
        self.add_route(host, path, static(body, content_type, status, headers))
        return self.url(host, path)

    def add_route(self, host: str, path: str, handler: Handler, *, prefix: bool = False) -> None:
        """Serve ``handler`` (an aiohttp handler coroutine) at host+path (or every path under it)."""
        new_host = host.lower() not in self.hosts()
        self.routes.add(host, path, handler, prefix=prefix)
        if new_host and self._ca is not None and not self._ca.covers(host.lower()):
            # Same key, more names: the SPKI pin Chromium got at launch stays valid.
            self._ca.issue(self.hosts())
            assert self._ssl is not None
            self._ssl.load_cert_chain(self._ca.cert_path, self._ca.key_path)

    # ------------------------------------------------------------------ log helpers
    def requests(self, host: str | None = None, path: str | None = None, *, prefix: bool = False) -> list[ServedRequest]:
        """Logged requests filtered by host and path (exact, or prefix when ``prefix``)."""
        out = []
        for r in self.log:
            if host is not None and r.host != host.lower():
                continue
            if path is not None and not (r.path.startswith(path) if prefix else r.path == path):
                continue
            out.append(r)
        return out

    async def hang(self) -> None:
        """Await in a handler that should never answer; returns when the server stops."""
        await self._closing.wait()

    # ------------------------------------------------------------------ dispatch
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        host = (request.url.host or "").lower()  # the Host header without its port
        entry = ServedRequest(t=time.monotonic(), scheme="https" if request.secure else "http", host=host,
                              method=request.method, path=request.path, query=request.query_string,
                              headers=dict(request.headers))
        self.log.append(entry)
        handler = self.routes.resolve(host, request.path)
        if not request.secure and host in self.https_only:
            resp: web.StreamResponse = web.Response(status=301, headers={"Location": f"https://{host}{request.path_qs}"})
        elif handler is None:
            resp = web.Response(status=404, text=f"fake internet: nothing at {host}{request.path}\n")
        else:
            resp = await handler(request)
        entry.status = resp.status
        return resp


def _port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp exposes the bound address only through the server's sockets
    assert server is not None and server.sockets
    return server.sockets[0].getsockname()[1]


class _LoopbackResolver(AbstractResolver):
    def __init__(self, web_: FakeInternet) -> None:
        self._web = web_

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        mapped = {80: self._web.http_port, 443: self._web.https_port}.get(port, port)
        return [{"hostname": host, "host": self._web.bind, "port": mapped, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        return None
