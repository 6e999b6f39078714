"""Hostile policy pages through the real crawler: a DOM built far beyond the HTML cap is read only up to
the cap (the cut recorded on the PolicyDocument and shown in the report); megabytes of tiny blocks are
extracted, the text capped, the cut recorded."""

from __future__ import annotations

import pytest

from analyzer import analyze_capture
from crawler.page_html import MAX_PAGE_HTML_CHARS
from crawler.text_extract import MAX_POLICY_TEXT_CHARS

pytestmark = pytest.mark.browser


async def test_a_huge_dom_is_read_only_up_to_the_cap_and_the_cut_reported(fake_web, web_crawler):
    capture = await web_crawler.crawl(fake_web.sites["huge_dom"])
    (privacy,) = [p for p in capture.policies if p.kind == "privacy"]
    assert len(privacy.html) == MAX_PAGE_HTML_CHARS
    assert privacy.html_truncated_from > 6_000_000  # 90,000 script-built paragraphs of ~70 characters
    assert privacy.text.startswith("Privacy Policy") and "We collect data about your visit" in privacy.text
    report = analyze_capture(capture)
    assert report.policy.truncated.startswith(f"page HTML read to {MAX_PAGE_HTML_CHARS:,} of ")


async def test_megabytes_of_tiny_blocks_are_extracted_and_the_text_cap_reported(fake_web, web_crawler):
    capture = await web_crawler.crawl(fake_web.sites["huge_policy"])
    (privacy,) = [p for p in capture.policies if p.kind == "privacy"]
    assert privacy.html_truncated_from is None and len(privacy.html) > 4_000_000
    assert privacy.text_truncated_from > MAX_POLICY_TEXT_CHARS >= len(privacy.text) > 0.9 * MAX_POLICY_TEXT_CHARS
    assert "Google Analytics" in privacy.text.splitlines()[2]
    report = analyze_capture(capture)
    assert report.policy.truncated == (f"text analysed to {len(privacy.text):,} of {privacy.text_truncated_from:,} characters")
    assert "google-analytics" in {d.product_id for d in report.policy.analysis.declarations}
