"""When the lean plan merges the baseline into a banner visit (CrawlOptions.merge_baseline), without a
browser: "when_busy" decides per crawl from the crawls under way in the same Crawler; True / False pin it.
tests/test_baseline_merge.py crawls both cases for real."""

from __future__ import annotations

import pytest

from crawler import Crawler, CrawlOptions


def _choice(merge_baseline, crawls_under_way: int):
    crawler = Crawler(CrawlOptions(merge_baseline=merge_baseline))
    crawler._crawling = crawls_under_way  # this crawl counted in, as Crawler.crawl does before choosing
    return crawler._lean_options().merge_baseline


def test_the_default_merges_only_beside_another_crawl():
    assert CrawlOptions().merge_baseline == "when_busy"
    assert _choice("when_busy", 1) is False  # alone: someone may be waiting for it
    assert _choice("when_busy", 2) is True
    assert _choice("when_busy", 30) is True


@pytest.mark.parametrize("pinned", [True, False])
def test_a_pinned_choice_holds_whatever_runs_beside(pinned):
    assert _choice(pinned, 1) is pinned and _choice(pinned, 5) is pinned
