"""The SSRF scenario, runnable on its own (``python tests/ssrf_scenario.py``) so that the tests can run
it inside a fresh network namespace that has nothing but loopback.

It starts a canary server on loopback (the "internal service"), a DNS server that answers a public
address to the first question about a name and 127.0.0.1 afterwards (DNS rebinding), the fake
internet with the hostile sites, then crawls every hostile site and prints one JSON object: what
the canary saw (must be nothing), what each capture recorded as blocked, which policies were stored.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import dns.message
import dns.rdatatype
import dns.rrset
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this worktree's packages, not an install

from api.service.targets import TargetGuard
from crawler import BrowserOptions, Crawler, CrawlOptions
from crawler.netguard import dns_server_resolver
from crawler.testing import FakeInternet
from crawler.testing.hostile import install_hostile_sites

REBINDING_HOST = "rebinding-attacker.com"
PUBLIC_DECOY = "93.184.216.34"  # answered once, never connected to: the guard only looks at it
SECRET = "INTERNAL-ONLY: salary table"


class Canary:
    """The internal service an attacker wants: counts every request it gets, on IPv4 and IPv6 loopback."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> Canary:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.hits.append(f"{request.method} {request.host}{request.path_qs}")
            return web.Response(text=f"<html><title>Privacy Policy</title><body><h1>Privacy Policy</h1>"
                                     f"<p>{SECRET}. We collect personal data and share it.</p></body></html>",
                                content_type="text/html")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        v4 = web.TCPSite(self._runner, "127.0.0.1", 0)
        await v4.start()
        self.port = v4._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            await web.TCPSite(self._runner, "::1", self.port).start()
        except OSError:
            pass  # no IPv6 loopback here: the IPv4 one still counts
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class RebindingDns(asyncio.DatagramProtocol):
    """Answers A queries: the public decoy the first time a name is asked, then 127.0.0.1."""

    def __init__(self) -> None:
        self.asked: dict[str, int] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0

    async def start(self) -> RebindingDns:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        self.port = self.transport.get_extra_info("sockname")[1]
        return self

    def datagram_received(self, data: bytes, addr) -> None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".")
        if question.rdtype == dns.rdatatype.A:
            count = self.asked.get(name, 0)
            self.asked[name] = count + 1
            address = PUBLIC_DECOY if count == 0 else "127.0.0.1"
            reply.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", address))
        assert self.transport is not None
        self.transport.sendto(reply.to_wire(), addr)


async def run() -> dict:
    canary = await Canary().start()
    resolver = await RebindingDns().start()
    dns_server = f"127.0.0.1:{resolver.port}"
    guard = TargetGuard([], dns_server_resolver(dns_server))
    await guard.check(REBINDING_HOST)  # the queue-time check sees the public decoy and lets it through
    result: dict = {"canary_port": canary.port, "guard_passed_rebinding_host": True}
    async with FakeInternet(demo=False, test_sites=False) as fake:
        hosts = install_hostile_sites(fake, canary.port, rebinding_host=REBINDING_HOST)
        browser = BrowserOptions(host_rules=f"{fake.host_rules}, EXCLUDE {REBINDING_HOST}",
                                 extra_args=tuple(fake.trust_args), dns_server=dns_server)
        options = CrawlOptions(browser=browser, visits=("baseline",), settle_s=2.0, timeout_s=15.0, consent_handler=None)
        async with Crawler(options) as crawler:
            captures = await asyncio.gather(*(crawler.crawl(h) for h in [*hosts.values(), REBINDING_HOST]))
        result["sites"] = {}
        for capture in captures:
            requests = [r for v in capture.visits for r in v.requests]
            result["sites"][capture.domain] = {
                "reachable": capture.reachable,
                "error": capture.error,
                "blocked": [[b.host, b.port, b.reason] for b in capture.blocked]
                           + [[b.host, b.port, b.reason] for v in capture.visits for b in v.blocked],
                "marked": sorted({r.url for r in requests if (r.failure or "").startswith("blocked by address policy")}),
                "policies": [[p.kind, p.url, p.final_url, p.text[:200]] for p in capture.policies],
                "secret_stored": SECRET in json.dumps([[p.html, p.text] for p in capture.policies]),
            }
        result["hosts"] = hosts
    result["dns_asked"] = resolver.asked
    result["canary_hits"] = canary.hits
    result["outside_interfaces"] = _interfaces()
    await canary.stop()
    return result


def _interfaces() -> list[str]:
    return [name for _, name in socket.if_nameindex()]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run())))
