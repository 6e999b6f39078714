"""The audit plan may spend fewer page loads; it must find the same things. tests/data/plan_findings.json
holds what the five-load plan (discovery + baseline, gpc, reject, accept, each its own homepage load,
a 4 s banner wait before the settle) found on the demo web, the banner fixtures and the test sites;
the lean plan (crawler/audit_plan.py, the default: discovery and the baseline observed in banner visits'
pages) must produce the same finding codes with the same
products, the same trackers and the same policy verdicts on every one of them, spend fewer homepage
loads doing it, and say per visit what it merged and which visits it skipped, and why."""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest
import pytest_asyncio
from aiohttp import web
from capture_diagnosis import describe_capture
from plan_findings import EXPECTED, audit_all
from side_by_side import SideBySide

from analyzer import analyze_capture
from crawler import Crawler
from crawler.audit_plan import FOLDED_NOTE
from model.capture import decode_capture, encode_capture
from model.report import Report

# One module fixture audits every site (about 70) and is charged to the first test: the hang guard
# (pyproject's timeout) is per test, so this file gives that first test the time of the whole set.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

RECORDED = json.loads(EXPECTED.read_text())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def audits(shared_crawls):
    # Every site merged (a batch, as "when_busy" runs one; pinned so the first site is merged too). The
    # crawls are the session's shared ones: the banner, CMP and findings files read the same captures.
    assert shared_crawls.options.plan == "lean", "the default plan is the one held to the recorded findings"
    assert shared_crawls.options.merge_baseline is True
    await shared_crawls.crawl_all(sorted(RECORDED))  # side by side, the slow sites started first
    return await audit_all(shared_crawls, sorted(RECORDED))


@pytest.mark.parametrize("domain", sorted(RECORDED))
def test_same_findings_as_the_five_load_plan(audits, domain):
    got = audits[domain]
    expected = RECORDED[domain]
    why = describe_capture(got["capture"])  # a mismatch says what the plan's visits saw, to tell a cause from noise
    assert got["findings"] == expected["findings"], why
    assert got["trackers"] == expected["trackers"], why
    assert got["policy_found"] == expected["policy_found"], why


def _loads(capture) -> int:
    own = sum(1 for v in capture.visits if v.observed_in is None)  # a merged visit has no page of its own
    return own + (1 if capture.plan == "classic" else 0)


def test_the_lean_plan_spends_fewer_homepage_loads(audits):
    reachable = [a["capture"] for a in audits.values() if a["capture"].reachable]
    assert all(c.plan == "lean" for c in reachable)
    # Discovery rode on the first visit (reject) and the baseline on a banner visit's page before its
    # answer, on every reachable site: three loads at most, not five.
    for capture in reachable:
        assert FOLDED_NOTE in capture.visit("reject").plan, capture.domain
        baseline = capture.visit("baseline")
        assert baseline.observed_in in ("reject", "accept"), (capture.domain, baseline.error, baseline.plan)
        assert _loads(capture) <= 3, capture.domain
    assert sum(map(_loads, reachable)) < 3 * len(reachable), "no banner visit was ever skipped"


def test_a_merged_baseline_holds_no_interaction(audits):
    for a in audits.values():
        capture = a["capture"]
        baseline = capture.visit("baseline")
        if baseline is None or baseline.observed_in is None:
            continue
        host = capture.visit(baseline.observed_in)
        assert all(r.phase != "after_consent" for r in baseline.requests), capture.domain
        if host.consent is not None and host.consent.click_ms is not None:
            assert baseline.observed_in == "accept", f"{capture.domain}: the reject click must not wait"
            assert baseline.settle_ms <= host.consent.click_ms, capture.domain


def test_a_visit_is_skipped_only_when_the_reject_visit_saw_no_banner_and_no_cmp(audits):
    for a in audits.values():
        capture = a["capture"]
        for skipped in capture.skipped:
            assert skipped.name == "accept" and "no cookie banner" in skipped.reason
            consent = capture.visit("reject").consent
            assert consent.outcome == "no_banner" and consent.cmp is None, (capture.domain, consent.reason)
            assert capture.visit("accept") is None
        reject = capture.visit("reject")
        if reject is not None and reject.consent is not None and reject.consent.banner_shown_ms is not None:
            assert capture.visit("accept") is not None, f"{capture.domain}: a banner was seen, accept must run"


def test_overlapped_settles_say_why(audits):
    overlapped = [v for a in audits.values() for v in a["capture"].visits
                  if any(p.startswith("settle overlapped") for p in v.plan)]
    assert overlapped
    for visit in overlapped:
        assert visit.consent is not None and visit.consent.click_ms is None, "a click needs its own settle"


def test_the_report_says_what_was_merged_and_skipped(audits):
    domain, audit = next((d, a) for d, a in sorted(audits.items()) if a["capture"].skipped)
    report = analyze_capture(decode_capture(encode_capture(audit["capture"])))
    assert report.plan == "lean"
    assert [s.name for s in report.skipped_visits] == ["accept"] and report.skipped_visits[0].reason
    assert FOLDED_NOTE in next(v for v in report.visits if v.name == "reject").plan
    assert any(p.startswith("merged: observed in the reject visit's page")
               for p in next(v for v in report.visits if v.name == "baseline").plan)
    again = msgspec.json.decode(msgspec.json.encode(report), type=Report)
    assert again.skipped_visits == report.skipped_visits
    html = _report_html(report)
    assert "accept</b> visit skipped" in html and "discovery folded into this visit" in html, domain
    assert "<b>baseline</b>: merged: observed in the reject visit" in html, domain


def test_reports_and_captures_stored_before_plans_had_names_still_decode(audits):
    audit = next(a for a in audits.values() if a["capture"].reachable)
    capture = msgspec.json.decode(encode_capture(audit["capture"]))
    for key in ("plan", "skipped"):
        capture.pop(key)
    old = decode_capture(msgspec.json.encode(capture))
    assert old.plan is None and old.skipped == []
    report = msgspec.json.decode(msgspec.json.encode(analyze_capture(old)))
    for key in ("plan", "skipped_visits"):
        report.pop(key)
    decoded = msgspec.json.decode(msgspec.json.encode(report), type=Report)
    assert decoded.plan is None and decoded.skipped_visits == []
    assert "Audit plan" not in _report_html(decoded) or any(v.plan for v in decoded.visits)


def _report_html(report: Report) -> str:
    from api.http.html import render_report_page, template_env
    from api.http.keys import TEMPLATES

    return render_report_page({TEMPLATES: template_env()}, report, 1, None, "/r.json")


# ---------------------------------------------------------------------- edge cases of the lean plan
LATE_BANNER = """<!doctype html><html lang=en><head><title>late banner</title></head><body><h1>Shop</h1>
<script src="https://www.googletagmanager.com/gtag/js?id=G-LATE"></script>
<div id=slot></div><footer><a href="/privacy">Privacy policy</a></footer>
<script>addEventListener('load', () => setTimeout(() => {
  document.getElementById('slot').innerHTML = '<div id="cookie-banner" role="dialog" aria-label="Cookie consent" '
    + 'style="position:fixed;bottom:0;left:0;right:0;background:#fff;padding:20px;z-index:99">'
    + '<p>We use cookies to improve your experience and for advertising.</p>'
    + '<button id=acc onclick="document.cookie=\\'consent=yes\\';this.parentNode.remove()">Accept all</button> '
    + '<button id=rej onclick="document.cookie=\\'consent=no\\';this.parentNode.remove()">Reject all</button></div>';
}, DELAY));</script></body></html>"""
POLICY = ("<!doctype html><html><body><main><h1>Privacy policy</h1><p>We use Google Analytics to measure visits. "
          "We collect personal data such as your IP address and share it with service providers. "
          "You may contact us to exercise your rights.</p></main></body></html>")


def _late_banner_site(fake_web, host: str, delay_ms: int) -> str:
    fake_web.add_page(host, "/", LATE_BANNER.replace("DELAY", str(delay_ms)))
    fake_web.add_page(host, "/privacy", POLICY)
    return host


# The edge cases' crawls mostly wait (a banner's delay, the settle, a policy page that hangs): one after the
# other they held a worker ~50 s, side by side ~16 s. Each crawls with its own crawler and options, as before.
async def _banner_during_the_wait(fake_web, options_for, web_crawler):
    return await web_crawler.crawl(_late_banner_site(fake_web, "late-banner-shop.com", 1500))


async def _banner_later_than_the_wait(fake_web, options_for, web_crawler):
    host = _late_banner_site(fake_web, "very-late-banner-shop.com", 9000)

    async def crawl(plan: str):
        async with Crawler(options_for(fake_web, plan=plan, settle_s=1.0)) as crawler:
            return await crawler.crawl(host)

    plans = ("lean", "classic")
    return dict(zip(plans, await asyncio.gather(*map(crawl, plans))))  # side by side: each mostly waits


async def _homepage_without_https(fake_web, options_for, web_crawler):
    host = "plain-http-only.com"

    async def homepage(request: web.Request) -> web.StreamResponse:
        if request.secure:  # no answer on https at all: the connection just closes
            request.transport.close()
            raise web.HTTPBadRequest()
        return web.Response(text=LATE_BANNER.replace("DELAY", "0"), content_type="text/html")

    fake_web.add_route(host, "/", homepage)
    fake_web.add_page(host, "/privacy", POLICY)
    async with Crawler(options_for(fake_web, merge_baseline=True)) as crawler:  # the merge on http too
        return await crawler.crawl(host)


async def _deadline_cut(fake_web, options_for, web_crawler):
    host = "slow-settling-shop.com"

    async def slow_policy(request: web.Request) -> web.StreamResponse:
        await fake_web.hang()
        return web.Response(status=503)

    fake_web.add_page(host, "/", LATE_BANNER.replace("DELAY", "0").replace('href="/privacy"', 'href="/slow-privacy"'))
    fake_web.add_route(host, "/slow-privacy", slow_policy)
    async with Crawler(options_for(fake_web, timeout_s=4.0, settle_s=1.0, deadline_s=8.0)) as crawler:
        return await crawler.crawl(host)


EDGE_CRAWLS = {"banner_during_the_wait": _banner_during_the_wait, "banner_later_than_the_wait": _banner_later_than_the_wait,
               "homepage_without_https": _homepage_without_https, "deadline_cut": _deadline_cut}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def edge_crawls(fake_web, options_for, web_crawler):
    """Each edge case's crawl result, or the exception its crawl raised (raised again in its own test)."""
    return await SideBySide.run({name: crawl(fake_web, options_for, web_crawler) for name, crawl in EDGE_CRAWLS.items()})


def test_a_banner_that_appears_during_the_wait_still_gets_both_answers(edge_crawls):
    capture = edge_crawls.result("banner_during_the_wait")
    assert not capture.skipped
    for action in ("reject", "accept"):
        consent = capture.visit(action).consent
        assert consent.outcome == "done" and consent.banner_shown_ms is not None, (action, consent.reason)


def test_a_banner_later_than_the_wait_is_missed_alike_by_both_plans(edge_crawls):
    """Past the banner wait no plan sees the banner: the classic plan's accept visit finds the same nothing
    the lean plan skipped it for, so the skip loses no finding."""
    found = edge_crawls.result("banner_later_than_the_wait")
    lean, classic = found["lean"], found["classic"]
    assert [s.name for s in lean.skipped] == ["accept"] and lean.visit("accept") is None
    assert classic.visit("accept").consent.outcome == "no_banner" and not classic.skipped
    assert lean.visit("reject").consent.outcome == classic.visit("reject").consent.outcome == "no_banner"
    codes = {plan: sorted(f.code for f in analyze_capture(c).findings) for plan, c in found.items()}
    assert codes["lean"] == codes["classic"], codes


def test_a_homepage_without_https_is_found_at_http_by_the_first_visit(edge_crawls):
    host = "plain-http-only.com"
    capture = edge_crawls.result("homepage_without_https")
    assert capture.reachable and capture.start_url == f"http://{host}/", capture.error
    assert [v.name for v in capture.visits] == ["baseline", "gpc", "reject", "accept"]
    assert all(v.url == f"http://{host}/" and v.status == 200 for v in capture.visits), [v.url for v in capture.visits]
    assert capture.visit("baseline").observed_in == "accept"
    assert any(p.kind == "privacy" for p in capture.policies), "discovery ran on the http homepage"
    assert capture.visit("reject").consent.outcome == "done"


def test_a_deadline_cut_lean_crawl_still_says_what_was_cut(edge_crawls):
    capture = edge_crawls.result("deadline_cut")
    assert capture.reachable and capture.partial
    assert not capture.policies
    assert any("privacy policy" in c or "discovery" in c for c in capture.cut), capture.cut
