"""The lean plan observes the baseline visit in a banner visit's page before its answer (crawler/baseline_phase.py)
instead of loading the homepage for it. Sites where that merge could lose something, each audited under both
plans in one run: the same finding codes with the same products and the same trackers, and the merged
baseline saw what a baseline of its own sees (a tracker 3 s after load, a cookie set before the banner, the
canaries typed and logged), while the reject visit's clicks stay where the classic plan has them."""

from __future__ import annotations

import pytest
import pytest_asyncio
from plan_findings import findings_of

from analyzer import analyze_capture
from crawler import Crawler
from crawler.baseline_phase import HOSTED, OBSERVED_IN

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

BANNER = """<div id="cookie-banner" role="dialog" aria-label="Cookie consent"
 style="position:fixed;bottom:0;left:0;right:0;background:#fff;padding:20px;z-index:99">
<p>We use cookies to improve your experience and for advertising.</p>
<button id=acc onclick="document.cookie='consent=yes';this.parentNode.remove()">Accept all</button>
<button id=rej onclick="document.cookie='consent=no';this.parentNode.remove()">Reject all</button></div>"""
SHOW_BANNER = "document.getElementById('slot').innerHTML = BANNER_HTML;"
PAGE = """<!doctype html><html lang=en><head><title>{title}</title></head><body><h1>{title}</h1>
<div id=slot></div>{body}<footer><a href="/privacy">Privacy policy</a></footer>
<script>const BANNER_HTML = {banner};
{script}</script></body></html>"""
POLICY = ("<!doctype html><html><body><main><h1>Privacy policy</h1><p>We use Google Analytics to measure visits. "
          "We collect personal data such as your IP address and share it with service providers. "
          "You may contact us to exercise your rights.</p></main></body></html>")
LATE_TAG = ("setTimeout(() => { const s = document.createElement('script'); "
            "s.src = 'https://connect.facebook.net/en_US/fbevents.js'; document.head.appendChild(s); }, 3000);")
HEARTBEAT = ("setTimeout(() => setInterval(() => { new Image().src = "
             "'https://www.facebook.com/tr/?id=410000000000042&ev=Heartbeat&t=' + Date.now(); }, 1500), 3000);")
FORM = """<form action="/subscribe" method="post"><label>Email <input type="email" name="email" id="email"></label>
<button>Subscribe</button></form>"""

SITES = {
    # A pixel on a timer, from 3 s after load on, whatever the visitor answered: pre-consent tracking in
    # the baseline, and tracking after reject in the reject visit.
    "timer-pixel-bakery.com": dict(script=f"addEventListener('load', () => {{ {SHOW_BANNER} {LATE_TAG} }});"
                                          + HEARTBEAT),
    # A tracking cookie written before the banner shows (1.5 s after load).
    "early-cookie-outfitters.com": dict(
        body='<script src="https://www.googletagmanager.com/gtag/js?id=G-EARLYCOOKIE"></script>',
        script="document.cookie = '_ga=GA1.1.1234567890.1700000000; max-age=63072000; path=/';"
               f"addEventListener('load', () => setTimeout(() => {{ {SHOW_BANNER} }}, 1500));"),
    # A banner 2.5 s after load: found within the banner wait, after most of the settle time.
    "slow-banner-atelier.com": dict(
        body='<script src="https://www.googletagmanager.com/gtag/js?id=G-SLOWBANNER"></script>',
        script=f"addEventListener('load', () => setTimeout(() => {{ {SHOW_BANNER} }}, 2500));"),
    # No banner at all: the reject visit answers nothing, accept is skipped, the baseline is the reject page's.
    "no-banner-tannery.com": dict(banner="''", script=LATE_TAG),
    # A form logger that respects GPC (only the baseline types canaries and sees the leak) behind a banner:
    # the merged baseline must still type the canaries before the banner is answered.
    "gpc-keylog-lodge.com": dict(
        body=FORM, script=f"{SHOW_BANNER} if (!navigator.globalPrivacyControl) {{ const s = "
                          "document.createElement('script'); s.src = 'https://form-insights.net/formlog.js'; "
                          "document.head.appendChild(s); }"),
}


def _add_sites(fake_web) -> list[str]:
    for host, parts in SITES.items():
        banner = parts.get("banner", repr(BANNER.replace("\n", " ")))
        fake_web.add_page(host, "/", PAGE.format(title=host, body=parts.get("body", ""), banner=banner,
                                                 script=parts["script"]))
        fake_web.add_page(host, "/privacy", POLICY)
    return sorted(SITES)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def both(fake_web, options_for):
    import asyncio

    domains = _add_sites(fake_web)
    # The sites are crawled side by side, so "when_busy" (the default) would merge all but the first: the
    # merge is pinned on, for every site alike.
    variants = {"lean": {"merge_baseline": True}, "classic": {"plan": "classic"},
                "eager": {"eager_banner_visits": True, "merge_baseline": True}}

    async def audit(overrides: dict) -> dict:
        async with Crawler(options_for(fake_web, max_concurrent_visits=8, **overrides)) as crawler:
            return dict(zip(domains, await asyncio.gather(*(crawler.crawl(d) for d in domains))))

    # The variants side by side, each in a browser of its own (most of a crawl is waiting for its settle).
    return dict(zip(variants, await asyncio.gather(*map(audit, variants.values()))))


@pytest.mark.parametrize("domain", sorted(SITES))
def test_merging_the_baseline_loses_no_finding(both, domain):
    lean, classic = both["lean"][domain], both["classic"][domain]
    assert lean.reachable and classic.reachable, (lean.error, classic.error)
    got, expected = findings_of(analyze_capture(lean)), findings_of(analyze_capture(classic))
    assert got == expected, domain
    assert [v.name for v in lean.visits if v.name != "accept"] == ["baseline", "gpc", "reject"]
    baseline = lean.visit("baseline")
    assert baseline.observed_in in ("reject", "accept") and baseline.ok, (baseline.error, baseline.plan)
    assert any(p.startswith(OBSERVED_IN.format(host=baseline.observed_in)) for p in baseline.plan), baseline.plan
    assert any(p.startswith(HOSTED) for p in lean.visit(baseline.observed_in).plan)
    assert _loads(lean) <= 3 and _loads(classic) == 5
    eager = both["eager"][domain]
    assert findings_of(analyze_capture(eager)) == expected, f"{domain}, eager banner visits"
    assert eager.visit("baseline").observed_in in ("reject", "accept") and _loads(eager) <= 3


def _loads(capture) -> int:
    return sum(1 for v in capture.visits if v.observed_in is None) + (1 if capture.plan == "classic" else 0)


def _hosts(capture) -> set[str]:
    from urllib.parse import urlsplit

    return {urlsplit(r.url).hostname or "" for r in capture.visit("baseline").requests}


def test_a_tracker_on_a_timer_is_before_consent_in_the_baseline_and_after_reject(both):
    lean, classic = both["lean"]["timer-pixel-bakery.com"], both["classic"]["timer-pixel-bakery.com"]
    for capture in (lean, classic):
        assert "connect.facebook.net" in _hosts(capture), capture.plan
        codes = {f.code for f in analyze_capture(capture).findings}
        assert {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT"} <= codes, (capture.plan, codes)
    baseline, accept = lean.visit("baseline"), lean.visit("accept")
    assert baseline.observed_in == "accept"
    pixel = next(r for r in baseline.requests if "connect.facebook.net" in r.url)
    assert pixel.phase == "load" and accept.consent.click_ms > pixel.t_ms, "the accept answer waited for the baseline"
    reject = lean.visit("reject")
    assert not any(p.startswith(HOSTED) for p in reject.plan), "the reject visit answers as soon as it can"


def test_a_cookie_set_before_the_banner_is_in_the_merged_baseline(both):
    for capture in (both["lean"]["early-cookie-outfitters.com"], both["classic"]["early-cookie-outfitters.com"]):
        names = {c.name for c in capture.visit("baseline").cookies}
        assert any(n.startswith("_ga") for n in names), (capture.plan, names)
    baseline = both["lean"]["early-cookie-outfitters.com"].visit("baseline")
    assert all(r.phase != "after_consent" for r in baseline.requests), "the snapshot holds no answer"
    assert "consent" not in {c.name for c in baseline.cookies}, "no banner answer is in the baseline"


def test_a_slow_banner_is_answered_in_both_banner_visits(both):
    lean = both["lean"]["slow-banner-atelier.com"]
    assert not lean.skipped
    for action in ("reject", "accept"):
        consent = lean.visit(action).consent
        assert consent.outcome == "done" and consent.banner_shown_ms is not None, (action, consent.reason)
    assert lean.visit("baseline").observed_in == "accept"


def test_without_a_banner_the_reject_page_is_the_baseline(both):
    lean = both["lean"]["no-banner-tannery.com"]
    assert [s.name for s in lean.skipped] == ["accept"]
    baseline = lean.visit("baseline")
    assert baseline.observed_in == "reject" and baseline.consent is None
    assert "connect.facebook.net" in _hosts(lean), "the request 3 s after load is in the baseline"
    assert _loads(lean) == 2


def test_eager_banner_visits_do_not_wait_for_the_verdict(both):
    eager = both["eager"]["timer-pixel-bakery.com"]
    assert any(p.startswith("started without waiting") for p in eager.visit("accept").plan)
    assert not any(p.startswith("started without waiting") for p in both["lean"]["timer-pixel-bakery.com"].visit("accept").plan)


def test_the_canaries_are_typed_in_the_merged_baseline_before_the_answer(both):
    lean = both["lean"]["gpc-keylog-lodge.com"]
    baseline, accept = lean.visit("baseline"), lean.visit("accept")
    assert baseline.canaries and baseline.observed_in == "accept"
    assert max(c.t_ms for c in baseline.canaries) < accept.consent.click_ms
    assert accept.consent.outcome == "done" and lean.visit("reject").consent.outcome == "done"
    codes = {f.code for f in analyze_capture(lean).findings}
    assert "KEYSTROKES_SENT_BEFORE_SUBMIT" in codes, codes


async def test_by_default_a_crawl_is_merged_only_beside_another(fake_web, options_for):
    """merge_baseline="when_busy" (the default): a lone audit, the one someone waits for, keeps a baseline
    page of its own (the shorter wall time, and the report says why); a crawl that starts while another
    runs is merged (the lower cost per audit). Both find the same things."""
    import asyncio

    from aiohttp import web

    from crawler.crawl import ALONE_NOTE

    lone, beside = "lone-audit-pantry.com", "batch-audit-pantry.com"
    page = PAGE.format(title=lone, body="", banner=repr(BANNER.replace("\n", " ")),
                       script=SITES["timer-pixel-bakery.com"]["script"])
    lone_loading = asyncio.Event()

    async def lone_homepage(request: web.Request) -> web.Response:
        lone_loading.set()
        return web.Response(text=page, content_type="text/html")

    fake_web.add_route(lone, "/", lone_homepage)
    fake_web.add_page(beside, "/", page)
    for host in (lone, beside):
        fake_web.add_page(host, "/privacy", POLICY)
    async with Crawler(options_for(fake_web, max_concurrent_visits=8)) as crawler:
        assert crawler.options.merge_baseline == "when_busy"
        first = asyncio.ensure_future(crawler.crawl(lone))
        await asyncio.wait_for(lone_loading.wait(), 60)  # the lone crawl is under way
        second = await crawler.crawl(beside)
        alone = await first
    baseline = alone.visit("baseline")
    assert baseline.observed_in is None and ALONE_NOTE in baseline.plan, baseline.plan
    assert _loads(alone) == 4 and not any(p.startswith(HOSTED) for p in alone.visit("accept").plan)
    merged = second.visit("baseline")
    assert merged.observed_in == "accept" and ALONE_NOTE not in merged.plan, merged.plan
    codes = [sorted(f.code for f in analyze_capture(c).findings) for c in (alone, second)]
    assert codes[0] == codes[1] and {"PRE_CONSENT_TRACKING", "TRACKING_AFTER_REJECT"} <= set(codes[0]), codes
