"""SSRF through the browser, in real Chromium: hostile sites send it to loopback every way they can
(redirect, JS navigation, policy links, subresources, frames, fetch, beacons, WebSockets, workers,
service workers, odd spellings, DNS rebinding); a canary on loopback must see nothing, the capture
must say what was refused and why, and nothing internal may be stored as a policy. Plus: nothing of
a crawled site runs after its crawl, and the browser parses hosts the way our guard does."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler import Crawler
from crawler.netguard import InvalidHost, parse_host
from crawler.testing.hostile import install_hostile_sites

sys.path.insert(0, str(Path(__file__).parent))
import ssrf_scenario
from test_netguard import embedded_ipv6, internal_spelling

pytestmark = pytest.mark.browser
SCENARIO = Path(__file__).with_name("ssrf_scenario.py")


def _netns_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    done = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return done.returncode == 0


@pytest.fixture(scope="module")
async def scenario() -> dict:
    """Run the whole scenario in a fresh network namespace with only loopback (in-process if the
    kernel does not let us make one)."""
    if not _netns_available():
        result = await ssrf_scenario.run()
        result["netns"] = False
        return result
    proc = await asyncio.create_subprocess_exec(
        "unshare", "-n", "sh", "-c", f'ip link set lo up && exec "{sys.executable}" "{SCENARIO}"',
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 600)
    assert proc.returncode == 0, err.decode()[-3000:]
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["netns"] = True
    return result


async def test_the_canary_is_never_reached(scenario):
    assert scenario["canary_hits"] == []
    if scenario["netns"]:
        assert scenario["outside_interfaces"] == ["lo"]  # nothing could have left loopback anyway


async def test_every_hostile_site_had_its_internal_requests_blocked_with_reasons(scenario):
    sites = scenario["sites"]
    assert set(sites) == {*scenario["hosts"].values(), ssrf_scenario.REBINDING_HOST}
    for host, site in sites.items():
        if host == scenario["hosts"]["sw_beacons"]:
            continue  # beacons home only: nothing internal to refuse
        assert site["blocked"], host
        assert all(reason for _, port, reason in site["blocked"]), host
    port = scenario["canary_port"]
    subresources = sites[scenario["hosts"]["subresources"]]
    refused_hosts = {h for h, p, _ in subresources["blocked"] if p == port}
    # every spelling reached the guard (plain-http page: no mixed-content rule stopped it first)
    assert refused_hosts >= {"127.0.0.1", "127.0.0.0", "foo.localhost", "api.localhost.", "[::1]", "[::ffff:7f00:1]",
                             "[2002:7f00:1::1]", "[64:ff9b::7f00:1]", ssrf_scenario.REBINDING_HOST}
    reasons = " ".join(r for _, _, r in subresources["blocked"])
    assert "6to4" in reasons and "NAT64" in reasons and "localhost name" in reasons
    assert subresources["marked"], "the network log names the policy on refused requests"
    sw = sites[scenario["hosts"]["service_worker"]]
    assert any(h == "127.0.0.1" for h, _, _ in sw["blocked"])  # the service worker's own fetches


async def test_a_redirect_to_an_internal_address_is_unreachable_with_the_reason(scenario):
    site = scenario["sites"][scenario["hosts"]["redirect"]]
    assert not site["reachable"]
    assert "blocked by address policy" in site["error"] and "loopback" in site["error"]


async def test_no_internal_page_is_stored_as_a_policy(scenario):
    for host, site in scenario["sites"].items():
        assert not site["secret_stored"], host
        assert all(str(scenario["canary_port"]) not in (p[1] + (p[2] or "")) for p in site["policies"]), host
    assert scenario["sites"][scenario["hosts"]["policy_link"]]["policies"] == []


async def test_dns_rebinding_is_refused_after_the_guard_saw_a_public_address(scenario):
    assert scenario["guard_passed_rebinding_host"]
    assert scenario["dns_asked"][ssrf_scenario.REBINDING_HOST] > 1
    rebinding = scenario["sites"][ssrf_scenario.REBINDING_HOST]
    assert any("resolves to 127.0.0.1" in reason for _, _, reason in rebinding["blocked"])
    assert not rebinding["reachable"]


async def test_the_allow_list_lets_an_operator_reach_an_internal_host(fake_web, options_for):
    """The other side of the guard: without it the canary would be hit, so the tests above can fail."""
    canary = await ssrf_scenario.Canary().start()
    try:
        page = f"<script>fetch('http://127.0.0.1:{canary.port}/allowed').catch(() => {{}})</script>"
        fake_web.add_page("allow-listed-intranet.com", "/", page)
        options = options_for(fake_web, visits=("baseline",), settle_s=0.5, consent_handler=None, find_policies=False)
        browser = options.browser.__class__(**{**options.browser.__dict__, "allow_hosts": ("127.0.0.0/8",)})
        async with Crawler(options.__class__(**{**options.__dict__, "browser": browser})) as crawler:
            capture = await crawler.crawl("allow-listed-intranet.com")
        assert capture.visits[0].blocked == []
        assert any(hit.endswith("/allowed") for hit in canary.hits)
    finally:
        await canary.stop()


async def test_no_site_code_runs_after_its_crawl(fake_web, options_for):
    """A service worker that beacons every 200 ms: beacons arrive during the crawl, none after it."""
    canary = await ssrf_scenario.Canary().start()
    host = install_hostile_sites(fake_web, canary.port)["sw_beacons"]
    await canary.stop()
    options = options_for(fake_web, visits=("baseline", "gpc"), settle_s=2.0, consent_handler=None)
    async with Crawler(options) as crawler:
        capture = await crawler.crawl(host)
        ended = time.monotonic()
        assert crawler.browser.browser.contexts == [crawler.browser.profile_context]  # the crawl's are closed
        assert crawler.browser.open_guard_proxies == 0  # and their proxies with them: no path out is left
        during = [r for r in fake_web.requests(host, "/beacon") if r.t <= ended]
        assert len(during) >= 3, "the service worker beaconed during the crawl"
        # 15 beacon periods with the browser still running: a surviving worker would have beaconed.
        deadline = ended + 3.0
        while time.monotonic() < deadline:
            late = [r for r in fake_web.requests(host, "/beacon") if r.t > ended]
            assert late == [], f"{len(late)} requests after the crawl ended"
            await asyncio.sleep(0.1)
    assert capture.visits and all(v.status == 200 for v in capture.visits)


@st.composite
def spellings(draw) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(embedded_ipv6())
    if kind == 1:
        return draw(st.sampled_from(["foo.0x", "1.2.3.4.5", "0x100000000", "256.0.0.1", "09", "foo.localhost",
                                     "api.localhost.", "127.0.0.0x", "0x7f.0x.0x.0x", "127.0x", "example.com"]))
    return draw(internal_spelling())[0]


async def test_chromium_parses_hosts_as_the_guard_does(fake_web, web_crawler):
    cases: list[str] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(spellings())
    def collect(spelling: str) -> None:
        cases.append(spelling)

    collect()
    context = await web_crawler.browser.new_context()
    try:
        page = await context.new_page()
        seen = await page.evaluate("""(hosts) => hosts.map(h => {
            try { return new URL('http://' + h + ':81/').hostname; } catch (e) { return null; } })""", cases)
    finally:
        await context.close()
    for spelling, chromium in zip(cases, seen):
        try:
            ours = parse_host(spelling)
        except InvalidHost:
            assert chromium is None, (spelling, chromium)
            continue
        expected = f"[{ours.compressed}]" if getattr(ours, "version", 4) == 6 else str(ours)
        assert chromium == expected, (spelling, chromium, expected)


class _UdpCanary(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams = 0

    def datagram_received(self, data: bytes, addr) -> None:
        self.datagrams += 1


ICE_GATHERING_JS = """async (port) => {
  const pc = new RTCPeerConnection({iceServers: [{urls: 'stun:127.0.0.1:' + port}]});
  pc.createDataChannel('x');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(done => {
    if (pc.iceGatheringState === 'complete') done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
    setTimeout(done, 8000);
  });
  const candidates = pc.localDescription.sdp.split('\\n').filter(l => l.startsWith('a=candidate')).length;
  pc.close();
  return candidates;
}"""


async def test_webrtc_sends_no_udp_around_the_guard(fake_web, web_crawler):
    from playwright.async_api import async_playwright

    from crawler import find_chromium

    loop = asyncio.get_running_loop()
    canary = _UdpCanary()
    transport, _ = await loop.create_datagram_endpoint(lambda: canary, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    url = fake_web.add_page("webrtc-probe.com", "/", "<h1>rtc</h1>")
    try:
        context = await web_crawler.browser.new_context()
        try:
            page = await context.new_page()
            await page.goto(url)
            assert await page.evaluate(ICE_GATHERING_JS, port) == 0
        finally:
            await context.close()
        assert canary.datagrams == 0
        # The control: a browser without the guard's settings does send STUN to the internal address.
        async with async_playwright() as p:
            plain = await p.chromium.launch(executable_path=find_chromium(), args=[*fake_web.chromium_args, "--no-sandbox"])
            try:
                page = await (await plain.new_context(ignore_https_errors=True)).new_page()
                await page.goto(url)
                assert await page.evaluate(ICE_GATHERING_JS, port) > 0
            finally:
                await plain.close()
        assert canary.datagrams > 0
    finally:
        transport.close()
