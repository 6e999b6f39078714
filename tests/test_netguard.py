"""The address policy without a browser: browser-style host parsing over generated spellings of
internal addresses, the range table, host rules, and the guard proxy itself (real sockets, a real
DNS server on loopback that rebinds, a canary that must never be reached)."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.errors import TargetRefusedError
from api.service.targets import TargetGuard
from crawler.netguard import (
    AddressPolicy,
    GuardProxy,
    HostRules,
    InvalidHost,
    dns_server_resolver,
    parse_host,
    refusal_reason,
)
from crawler.netguard.addresses import REFUSED_RANGES
from crawler.profiles import LOCK_NAME, PROFILE_PREFIX, Profile, remove_stale_profiles

sys.path.insert(0, str(Path(__file__).parent))
from ssrf_scenario import PUBLIC_DECOY, Canary, RebindingDns

INTERNAL_V4 = [net for net, _ in REFUSED_RANGES if net.version == 4]
FULLWIDTH = {c: chr(0xFF10 + i) for i, c in enumerate("0123456789")}


# ---------------------------------------------------------------------------------------------- spellings
@st.composite
def internal_ipv4(draw) -> ipaddress.IPv4Address:
    net = draw(st.sampled_from(INTERNAL_V4 + [ipaddress.ip_network("169.254.169.254/32")]))
    return net[draw(st.integers(0, net.num_addresses - 1))]


def _number(value: int, style: str, upper: bool) -> str:
    if style == "hex":
        text = f"{value:x}"
        return ("0X" if upper else "0x") + (text.upper() if upper else text)
    if style == "octal":
        return "0" + f"{value:o}"
    return str(value)


@st.composite
def ipv4_spelling(draw, address: ipaddress.IPv4Address) -> str:
    """One of the many ways the WHATWG URL parser accepts an IPv4 address."""
    octets = list(address.packed)
    count = draw(st.integers(1, 4))
    head, tail = octets[:count - 1], octets[count - 1:]
    last = int.from_bytes(bytes(tail), "big")
    styles = st.sampled_from(["dec", "hex", "octal"])
    parts = [_number(o, draw(styles), draw(st.booleans())) for o in head] + [_number(last, draw(styles), draw(st.booleans()))]
    text = ".".join(parts)
    if draw(st.booleans()):
        text += "."  # a trailing dot is still the same address
    if draw(st.integers(0, 4)) == 0:
        text = "".join(FULLWIDTH.get(c, c) for c in text).replace(".", "\u3002")  # full-width digits, 。
    return text


@st.composite
def internal_spelling(draw) -> tuple[str, ipaddress.IPv4Address]:
    address = draw(internal_ipv4())
    return draw(ipv4_spelling(address)), address


@st.composite
def embedded_ipv6(draw) -> str:
    """An internal IPv4 address inside an IPv6 form that carries it."""
    inner = draw(internal_ipv4())
    value = int(inner)
    form = draw(st.sampled_from(["mapped", "mapped-dotted", "6to4", "nat64", "compatible"]))
    if form == "mapped":
        address = ipaddress.IPv6Address((0xFFFF << 32) | value)
    elif form == "mapped-dotted":
        return f"[::ffff:{inner}]"
    elif form == "6to4":
        address = ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | draw(st.integers(0, 2 ** 80 - 1)))
    elif form == "nat64":
        address = ipaddress.IPv6Address((0x64FF9B << 96) | value)
    else:
        address = ipaddress.IPv6Address(value if value > 1 else value + 2)
    text = address.exploded if draw(st.booleans()) else address.compressed
    return f"[{text.upper() if draw(st.booleans()) else text}]"


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(internal_spelling())
def test_every_spelling_of_an_internal_ipv4_address_is_that_address_and_refused(case):
    spelling, address = case
    assert parse_host(spelling) == address
    host, reason = AddressPolicy().host_refusal(spelling)
    assert host == address and reason is not None


@settings(max_examples=300, deadline=None)
@given(embedded_ipv6())
def test_ipv6_forms_embedding_an_internal_ipv4_address_are_refused(spelling):
    _, reason = AddressPolicy().host_refusal(spelling)
    assert reason is not None, spelling


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["fc00::/7", "fe80::/10", "ff00::/8", "::1/128", "fec0::/10", "64:ff9b:1::/48"]).flatmap(
    lambda net: st.integers(0, ipaddress.ip_network(net).num_addresses - 1).map(lambda i: ipaddress.ip_network(net)[i])))
def test_internal_ipv6_ranges_are_refused(address):
    assert refusal_reason(address) is not None


@settings(max_examples=200, deadline=None)
@given(st.integers(int(ipaddress.IPv4Address("11.0.0.0")), int(ipaddress.IPv4Address("99.255.255.255")))
       .map(ipaddress.IPv4Address).flatmap(ipv4_spelling))
@pytest.mark.slow
def test_public_addresses_pass_in_any_spelling(spelling):
    host, reason = AddressPolicy().host_refusal(spelling)
    assert reason is None and isinstance(host, ipaddress.IPv4Address)


@pytest.mark.parametrize("spelling,expected", [
    ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.0.0x", "127.0.0.0"), ("0x7f.0x.0x.0x", "127.0.0.0"),
    ("127.0x", "127.0.0.0"), ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7F000001", "127.0.0.1"),
    ("169.254.43518", "169.254.169.254"), ("0xa9fea9fe", "169.254.169.254"), ("4294967295", "255.255.255.255"),
    ("１２７。０。０。１", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"), ("%31%32%37.0.0.1", "127.0.0.1"),
])
def test_whatwg_ipv4_vectors(spelling, expected):
    assert parse_host(spelling) == ipaddress.IPv4Address(expected)


@pytest.mark.parametrize("spelling", ["foo.0x", "1.2.3.4.5", "0x100000000", "256.0.0.1", "09", "1.2.3.09", "[::1", "[1.2.3.4]"])
def test_hosts_the_browser_rejects_are_refused(spelling):
    with pytest.raises(InvalidHost):
        parse_host(spelling)
    assert AddressPolicy().host_refusal(spelling)[1] is not None


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST", "foo.localhost", "api.localhost.", "a.b.LocalHost"])
def test_localhost_names_are_refused_unless_allow_listed(name):
    assert "localhost" in AddressPolicy().host_refusal(name)[1]
    assert AddressPolicy.allowing(["*.localhost", "localhost"]).host_refusal(name)[1] is None


def test_range_table_labels():
    cases = {"100.64.0.1": "carrier-grade NAT", "169.254.169.254": "metadata", "fd00::1": "unique-local",
             "2002:a00:1::": "10.0.0.1", "64:ff9b::a9fe:a9fe": "metadata", "64:ff9b::a9fe:101": "link-local",
             "::ffff:10.1.2.3": "private",
             "192.0.0.8": "not globally routable", "64:ff9b:1::5": "NAT64", "fec0::1": "site-local", "0.1.2.3": "this network"}
    for text, word in cases.items():
        reason = refusal_reason(ipaddress.ip_address(text))
        assert reason is not None and word in reason, (text, reason)
    for public in ("93.184.216.34", "2606:4700::1111", "2002:5db8:d822::1", "64:ff9b::5db8:d822", "::ffff:1.1.1.1"):
        assert refusal_reason(ipaddress.ip_address(public)) is None, public


async def test_queue_guard_refuses_spellings_before_any_dns():
    asked = []

    async def public(host: str) -> list[str]:  # whatever DNS says, a literal is judged as a literal
        asked.append(host)
        return ["93.184.216.34"]

    guard = TargetGuard([], public)
    for spelling in ("127.0.0.0x", "0x7f.0x.0x.0x", "127.0x", "foo.localhost", "api.localhost."):
        with pytest.raises(TargetRefusedError):
            await guard.check(spelling)
    assert asked == []
    await guard.check("example.com")
    assert asked == ["example.com"]


# ---------------------------------------------------------------------------------------------- host rules
def test_host_rules_follow_chromium_matching():
    rules = HostRules.parse("MAP gone.com ~NOTFOUND, MAP *:80 127.0.0.1:8080, MAP *:443 127.0.0.1:8443, "
                            "MAP *.corp.example 10.0.0.5, EXCLUDE localhost")
    assert rules.rewrite("shop.com", 80) == ("127.0.0.1", 8080)
    assert rules.rewrite("shop.com", 443) == ("127.0.0.1", 8443)
    assert rules.rewrite("shop.com", 8080) is None
    assert rules.rewrite("gone.com", 443) == ("~NOTFOUND", 443)
    assert rules.rewrite("localhost", 80) is None
    assert rules.rewrite("wiki.corp.example", 9000) == ("10.0.0.5", 9000)
    with pytest.raises(ValueError):
        HostRules.parse("REDIRECT a b")


# ---------------------------------------------------------------------------------------------- the proxy
@pytest.fixture
async def canary():
    server = await Canary().start()
    yield server
    await server.stop()


async def _get(proxy: GuardProxy, url: str) -> int | str:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(url, proxy=proxy.server, timeout=aiohttp.ClientTimeout(total=10)) as r:
                await r.read()
                return r.status
        except aiohttp.ClientError as exc:
            return type(exc).__name__


async def test_proxy_refuses_internal_targets_and_records_why(canary):
    proxy = await GuardProxy(AddressPolicy()).start()
    try:
        for host in ("127.0.0.1", "127.1", "0x7f.1", "[::1]", "[::ffff:127.0.0.1]", "localhost", "foo.localhost"):
            assert await _get(proxy, f"http://{host}:{canary.port}/x") != 200
            assert await _get(proxy, f"https://{host}:{canary.port}/x") != 200  # CONNECT
        assert canary.hits == []
        # aiohttp retries a GET once when the connection closes unanswered: count kinds, not tries
        assert {(b.host, b.url is None) for b in proxy.blocked} == {(h, tunnel) for h in (
            "127.0.0.1", "127.1", "0x7f.1", "[::1]", "[::ffff:7f00:1]", "localhost", "foo.localhost")
            for tunnel in (True, False)}
        assert all(b.port == canary.port and b.reason for b in proxy.blocked)
        assert {b.reason for b in proxy.blocked} >= {"a loopback address", "a localhost name (browsers answer it with loopback)"}
    finally:
        proxy.close()


async def test_proxy_allow_list_and_host_rules_let_operators_through(canary):
    by_network = await GuardProxy(AddressPolicy.allowing(["127.0.0.0/8"])).start()
    rules = HostRules.parse(f"MAP intranet.example 127.0.0.1:{canary.port}")
    by_rule = await GuardProxy(AddressPolicy(), rules=rules).start()
    try:
        assert await _get(by_network, f"http://127.0.0.1:{canary.port}/net") == 200
        assert await _get(by_rule, "http://intranet.example/rule") == 200
        assert await _get(by_rule, f"http://127.0.0.1:{canary.port}/literal") != 200  # a literal is still judged
        assert [h.split(" ")[1] for h in canary.hits] == [f"127.0.0.1:{canary.port}/net", "intranet.example/rule"]
    finally:
        by_network.close()
        by_rule.close()


async def test_dns_rebinding_cannot_move_a_checked_connection(canary):
    dns = await RebindingDns().start()
    resolve = dns_server_resolver(f"127.0.0.1:{dns.port}")
    await TargetGuard([], resolve).check("rebinder.com")  # first answer: the public decoy
    proxy = await GuardProxy(AddressPolicy(), resolve).start()
    try:
        for _ in range(3):
            assert await _get(proxy, f"http://rebinder.com:{canary.port}/") != 200
        assert canary.hits == []
        assert dns.asked["rebinder.com"] >= 4  # the guard once, then the proxy for every connection
        assert all("resolves to 127.0.0.1" in b.reason and b.address == "127.0.0.1" for b in proxy.blocked)
        assert PUBLIC_DECOY not in {b.address for b in proxy.blocked}
    finally:
        proxy.close()
        assert dns.transport is not None
        dns.transport.close()


async def test_closing_the_proxy_cuts_open_tunnels(canary):
    proxy = await GuardProxy(AddressPolicy.allowing(["127.0.0.1/32"])).start()
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(f"CONNECT 127.0.0.1:{canary.port} HTTP/1.1\r\n\r\n".encode())
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    await reader.readline()
    proxy.close()
    assert await asyncio.wait_for(reader.read(), 5) == b""  # the tunnel is gone at once
    writer.close()


# ---------------------------------------------------------------------------------------------- stale profiles
def test_profiles_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    live = Profile(str(tmp_path))
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[1]); from crawler.profiles import Profile; "
        "p = Profile(sys.argv[2]); print(p.path, flush=True); time.sleep(600)"),
        str(Path(__file__).resolve().parents[1]), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    killed_path = child.stdout.readline().strip()
    assert remove_stale_profiles(str(tmp_path)) == []  # its owner is alive: kept
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    legacy_live = tmp_path / f"{PROFILE_PREFIX}legacy-live"
    legacy_live.mkdir()
    os.symlink(f"{os.uname().nodename}-{os.getpid()}", legacy_live / "SingletonLock")
    legacy_dead = tmp_path / f"{PROFILE_PREFIX}legacy-dead"
    legacy_dead.mkdir()
    old = time.time() - 3600
    os.utime(legacy_dead, (old, old))
    os.utime(legacy_live, (old, old))
    starting = tmp_path / f"{PROFILE_PREFIX}starting"  # made a moment ago, lock not yet written
    starting.mkdir()
    assert sorted(remove_stale_profiles(str(tmp_path))) == sorted([killed_path, str(legacy_dead)])
    assert Path(live.path, LOCK_NAME).exists() and legacy_live.exists() and starting.exists()
    live.remove()
    assert not Path(live.path).exists()


@pytest.mark.parametrize("flag", ["--proxy-server=http://elsewhere:3128", "--no-proxy-server",
                                  "--host-resolver-rules=MAP * 10.0.0.1", "--proxy-bypass-list=*"])
def test_flags_that_would_route_around_the_guard_are_refused(flag):
    from crawler.browser import BrowserOptions, launch_args
    from crawler.errors import CrawlError

    with pytest.raises(CrawlError, match="guard proxy"):
        launch_args(BrowserOptions(extra_args=(flag,)))
    assert "--force-webrtc-ip-handling-policy=disable_non_proxied_udp" in launch_args(BrowserOptions())


async def test_an_allowed_target_that_does_not_answer_fails_the_tunnel_and_says_why():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    proxy = await GuardProxy(AddressPolicy.allowing(["127.0.0.1/32"])).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(f"CONNECT 127.0.0.1:{closed_port} HTTP/1.1\r\n\r\n".encode())
        assert (await reader.readline()).startswith(b"HTTP/1.1 502")
        writer.close()
        assert proxy.blocked == [] and f"127.0.0.1:{closed_port}" in proxy.unreachable[0]
    finally:
        proxy.close()


def test_cli_allow_list_and_dns_server_reach_the_browser_options():
    from api.cli.options import build_crawl_options

    options = build_crawl_options({"allow_hosts": ("10.0.0.0/8, *.corp.example", "wiki.local"), "dns_server": "127.0.0.1:5353"})
    assert options.browser.allow_hosts == ("10.0.0.0/8", "*.corp.example", "wiki.local")
    assert options.browser.dns_server == "127.0.0.1:5353"
