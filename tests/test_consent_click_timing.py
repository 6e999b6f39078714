"""Clicking too early: a CMP that attaches its handlers after drawing the banner loses the first click.
The answer counts only once it took effect (a consent cookie written or the banner gone); otherwise it
is given once more."""

from __future__ import annotations

import pytest

from analyzer.consent import decode_visit_consent

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_a_late_handler_banner_is_really_answered(fake_web, web_crawler):
    capture = await web_crawler.crawl(fake_web.sites["banner_late_handlers"])
    for action, consent in (("reject", "consent:no"), ("accept", "consent:yes")):
        visit = capture.visit(action)
        record = visit.consent
        assert record.outcome == "done", (action, record.reason, record.timeline)
        cookie = next((c for c in visit.cookies if c.name == "cookieyes-consent"), None)
        assert cookie is not None, (action, "the answer took effect: the CMP wrote its cookie", record.timeline)
        stored = (record.state.get("cookies") or {}).get("cookieyes-consent")
        assert stored is None or consent in stored, stored
        events = [e.event for e in record.timeline]
        # The first answer is lost (the fixture attaches its handlers only after a first click): it was
        # seen to have no effect, and repeated.
        assert events.count("click") >= 2 and "retry" in events, record.timeline
        assert events.index("retry") < max(i for i, e in enumerate(events) if e == "click")
    reject = capture.visit("reject")
    assert not {r.url.split("/")[2] for r in reject.requests} & {"connect.facebook.net", "www.facebook.com"}
    assert decode_visit_consent(reject).refusal == "reject"
