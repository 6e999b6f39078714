"""Shared fixtures: one fake internet and one crawler per test session (both real)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from pg_cluster import pg_cluster  # noqa: F401  (one throwaway PostgreSQL per session, started on first use)

from crawler import BrowserOptions, Crawler, CrawlOptions
from crawler.testing import FakeInternet

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: tests read seeds and lists from it")
    return SHARED


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_web(shared_dir: Path):
    async with FakeInternet(seeds_dir=shared_dir / "seeds") as web:
        yield web


def crawl_options_for(web: FakeInternet, **overrides) -> CrawlOptions:
    # chromium=None: find_chromium() picks Chromium's headless shell when installed (make setup does),
    # about half the CPU per visit of full Chromium; only tests/test_extension.py needs the full browser.
    browser = BrowserOptions(host_rules=web.host_rules, extra_args=tuple(web.trust_args))
    defaults = dict(browser=browser, settle_s=3.5, timeout_s=30.0, max_concurrent_visits=6)
    defaults.update(overrides)
    return CrawlOptions(**defaults)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def web_crawler(fake_web: FakeInternet):
    async with Crawler(crawl_options_for(fake_web)) as crawler:
        yield crawler


@pytest.fixture(scope="session")
def options_for():
    """``options_for(web, **overrides)`` → CrawlOptions routed to the fake internet."""
    return crawl_options_for
