"""``GuardProxy``: the forward proxy one browser context sends all its traffic through.

Chromium hands it every connection of the context — navigations, redirects, subresources, frames,
workers, service workers, beacons, WebSockets — as ``CONNECT host:port`` (TLS and wss, tunnelled
blindly) or an absolute-URI plain-HTTP request. The proxy parses the host as the browser does,
applies the operator's host rules, resolves the name itself once, checks every address against the
policy and connects to exactly the address it checked, so DNS rebinding cannot move it. Refusals
answer 403 and are recorded; closing the proxy cuts every connection, so nothing of the context
can talk to anyone after it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from model.capture import BlockedRequest

from .host_rules import NOT_FOUND, HostRules
from .policy import AddressPolicy
from .resolvers import RESOLVE_TIMEOUT_S, NameNotResolved, Resolve, system_resolve

MAX_HEAD_BYTES = 64 * 1024
HEAD_TIMEOUT_S = 60.0  # an idle keep-alive connection from the browser waiting for its next request
CONNECT_TIMEOUT_S = 15.0
MAX_BLOCKED = 1000  # a hostile page cannot grow the record without bound
_HOP_BY_HOP = (b"proxy-connection:", b"proxy-authorization:", b"connection:", b"keep-alive:")


@dataclass(frozen=True)
class Route:
    addresses: tuple[str, ...]
    port: int


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str  # RFC 9209 Proxy-Status error type
    reason: str
    address: str | None = None
    blocked: bool = True  # refused by the policy (recorded), not merely unreachable


@dataclass(frozen=True)
class _Request:
    method: bytes
    host: str
    port: int
    head: bytes  # what to send upstream (plain HTTP); empty for CONNECT
    url: str | None


class BadRequest(ValueError):
    pass


class GuardProxy:
    def __init__(self, policy: AddressPolicy, resolve: Resolve | None = None, rules: HostRules | None = None) -> None:
        self.policy = policy
        self.rules = rules or HostRules((), ())
        self._resolve = resolve or system_resolve
        self.blocked: list[BlockedRequest] = []
        self.unreachable: list[str] = []  # why other connections failed (DNS, refused), newest last
        self.port = 0
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()  # both sides of every open connection
        self._closed = False

    async def start(self) -> GuardProxy:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Downstream(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop listening and cut every open connection at once."""
        self._closed = True
        if self._server is not None:
            self._server.close()
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    # ------------------------------------------------------------------ routing decision
    async def route(self, raw_host: str, port: int) -> Route | Refusal:
        host, reason = self.policy.host_refusal(raw_host)
        if reason is not None:
            return Refusal(403, "destination_ip_prohibited", reason)
        mapped = self.rules.rewrite(str(host), port)
        if mapped is not None:  # the operator's host rules (e.g. the fake internet) chose the target
            target, target_port = mapped
            if target == NOT_FOUND:
                return Refusal(502, "dns_error", f"{host}: name not resolved (ERR_NAME_NOT_RESOLVED)", blocked=False)
            addresses = [target] if _is_ip(target) else await self._lookup(target)
            return Route(tuple(addresses), target_port) if isinstance(addresses, list) else addresses
        if not isinstance(host, str):
            return Route((str(host),), port)
        addresses = await self._lookup(host)
        if isinstance(addresses, Refusal):
            return addresses
        if not self.policy.host_allowed(host):
            for text in addresses:
                refusal = self.policy.address_refusal(ipaddress.ip_address(text))
                if refusal is not None:
                    return Refusal(403, "destination_ip_prohibited", f"{host} resolves to {text}, {refusal}", text)
        return Route(tuple(addresses), port)

    async def _lookup(self, host: str) -> list[str] | Refusal:
        try:
            addresses = await asyncio.wait_for(self._resolve(host), RESOLVE_TIMEOUT_S)
        except TimeoutError:
            return Refusal(504, "dns_timeout", f"{host}: DNS did not answer within {RESOLVE_TIMEOUT_S:g} s", blocked=False)
        except (NameNotResolved, OSError, UnicodeError) as exc:
            return Refusal(502, "dns_error", f"{host}: name not resolved (ERR_NAME_NOT_RESOLVED: {exc})",
                           blocked=False)
        if not addresses:
            return Refusal(502, "dns_error", f"{host}: no address", blocked=False)
        return addresses

    # ------------------------------------------------------------------ connections
    async def _open(self, down: _Downstream, head: bytes) -> None:
        """Decide on one request head, then connect and let the two protocols relay."""
        try:
            request = _parse(head)
        except BadRequest as exc:
            _answer(down.transport, 400, "Bad Request", "", str(exc))
            down.transport.close()
            return
        decision = await self.route(request.host, request.port)
        if isinstance(decision, Refusal):
            self._refuse(down.transport, request, decision)
            down.transport.close()
            return
        upstream = await self._connect(decision, down)
        if isinstance(upstream, str):
            self._note(upstream)
            if request.method == b"CONNECT":
                _answer(down.transport, 502, "Bad Gateway", "connection_refused", upstream)
            down.transport.close()
            return
        if self._closed or down.transport.is_closing():
            upstream.abort()
            return
        self._transports.add(upstream)
        if request.method == b"CONNECT":
            down.transport.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        else:
            upstream.write(request.head)
        down.start_relay(upstream)

    async def _connect(self, route: Route, down: _Downstream) -> asyncio.Transport | str:
        """A connection to the first checked address that answers, or why none did."""
        loop = asyncio.get_running_loop()
        error = "no address"
        for address in route.addresses:
            try:
                transport, _ = await asyncio.wait_for(
                    loop.create_connection(lambda: _Upstream(self, down), address, route.port), CONNECT_TIMEOUT_S)
                return transport
            except TimeoutError:
                error = f"{address}:{route.port}: connection timed out"
            except OSError as exc:
                error = f"{address}:{route.port}: {exc.strerror or exc}"
        return error

    def _note(self, text: str) -> None:
        if len(self.unreachable) < MAX_BLOCKED:
            self.unreachable.append(text)

    def _refuse(self, writer: asyncio.WriteTransport, request: _Request, refusal: Refusal) -> None:
        # CONNECT: an error status fails the tunnel (net::ERR_TUNNEL_CONNECTION_FAILED). Plain http:
        # no answer at all (net::ERR_EMPTY_RESPONSE), since a proxy's error page would be shown to
        # the crawl as if the site had served it.
        if not refusal.blocked:
            self._note(refusal.reason)
        elif len(self.blocked) < MAX_BLOCKED:
            self.blocked.append(BlockedRequest(host=request.host, port=request.port, reason=refusal.reason,
                                               address=refusal.address, url=request.url, at=time.time()))
        if request.method != b"CONNECT":
            return
        status_text = {403: "Forbidden", 502: "Bad Gateway", 504: "Gateway Timeout"}[refusal.status]
        body = f"blocked by address policy: {refusal.reason}" if refusal.blocked else refusal.reason
        _answer(writer, refusal.status, status_text, refusal.error, body)


def _answer(writer: asyncio.WriteTransport, status: int, text: str, error: str, body: str) -> None:
    data = body.encode("utf-8", "replace") + b"\n"
    proxy_status = f"Proxy-Status: consentwatch; error={error}\r\n" if error else ""
    writer.write((f"HTTP/1.1 {status} {text}\r\n{proxy_status}Content-Type: text/plain; charset=utf-8\r\n"
                  f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode("ascii") + data)


def _parse(head: bytes) -> _Request:
    line, _, rest = head.partition(b"\r\n")
    try:
        method, target, version = line.split(b" ")
        text = target.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("malformed request line") from None
    if method == b"CONNECT":
        host, port = _authority(text)
        return _Request(method, host, port, b"", None)
    parts = urlsplit(text)
    default = {"http": 80, "ws": 80}.get(parts.scheme)
    if default is None or not parts.netloc:
        raise BadRequest(f"only absolute http:// URIs and CONNECT are proxied, not {text[:100]!r}")
    host, port = _authority(parts.netloc.rsplit("@", 1)[-1], default)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    upgrade = b"\r\nupgrade:" in b"\r\n" + rest.lower()
    headers = [h for h in rest.split(b"\r\n") if h and not h.lower().startswith(_HOP_BY_HOP)]
    # One request per upstream connection: the browser must not reuse it for another host.
    headers.append(b"Connection: Upgrade" if upgrade else b"Connection: close")
    upstream_head = b"\r\n".join([method + b" " + path.encode("ascii") + b" " + version, *headers]) + b"\r\n\r\n"
    return _Request(method, host, port, upstream_head, text)


def _authority(text: str, default_port: int | None = None) -> tuple[str, int]:
    if text.startswith("["):
        host, _, rest = text.partition("]")
        host += "]"
        port_text = rest[1:] if rest.startswith(":") else ""
    elif ":" in text:
        host, port_text = text.rsplit(":", 1)
    else:
        host, port_text = text, ""
    if not port_text:
        if default_port is None:
            raise BadRequest(f"CONNECT target without a port: {text[:100]!r}")
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadRequest(f"bad port in {text[:100]!r}")
    return host, int(port_text)


class _Downstream(asyncio.Protocol):
    """The browser's side of one proxy connection: collects the request head, then relays.

    Relaying is protocol to protocol (no stream buffers, no task per direction): whatever one side
    receives is written to the other, and a full write buffer pauses reading on the far side.
    """

    def __init__(self, proxy: GuardProxy) -> None:
        self.proxy = proxy
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.peer: asyncio.Transport | None = None
        self._head = bytearray()
        self._task: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        if self.proxy._closed:
            transport.abort()
            return
        self.proxy._transports.add(transport)
        self._timer = asyncio.get_running_loop().call_later(HEAD_TIMEOUT_S, transport.abort)

    def data_received(self, data: bytes) -> None:
        if self.peer is not None:
            self.peer.write(data)
            return
        self._head += data
        if self._task is not None:
            return  # the request body's first bytes, while we connect: sent once connected
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > MAX_HEAD_BYTES:
                self.transport.abort()
            return
        if self._timer is not None:
            self._timer.cancel()
        self.transport.pause_reading()
        head = bytes(self._head[:end + 4])
        del self._head[:end + 4]
        self._task = asyncio.ensure_future(self._open(head))

    async def _open(self, head: bytes) -> None:
        try:
            await self.proxy._open(self, head)
        except Exception:  # noqa: BLE001 - one bad connection never takes the proxy down
            self.transport.abort()

    def start_relay(self, upstream: asyncio.Transport) -> None:
        self.peer = upstream
        if self._head:
            upstream.write(bytes(self._head))
            self._head.clear()
        self.transport.resume_reading()

    def eof_received(self) -> bool:
        if self.peer is not None and self.peer.can_write_eof():
            self.peer.write_eof()  # the browser is done sending; the answer may still come
            return True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.proxy._transports.discard(self.transport)
        if self._timer is not None:
            self._timer.cancel()
        if self.peer is not None:
            self.peer.close()
        elif self._task is not None and not self._task.done():
            self._task.cancel()

    def pause_writing(self) -> None:
        if self.peer is not None:
            self.peer.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None:
            self.peer.resume_reading()


class _Upstream(asyncio.Protocol):
    """The target's side: everything it sends goes to the browser; its end ends the connection."""

    def __init__(self, proxy: GuardProxy, down: _Downstream) -> None:
        self.proxy = proxy
        self.down = down
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.down.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.proxy._transports.discard(self.transport)
        self.down.transport.close()  # after what is buffered for the browser has been sent

    def pause_writing(self) -> None:
        self.down.transport.pause_reading()

    def resume_writing(self) -> None:
        self.down.transport.resume_reading()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True
