"""Shared fixtures: one fake internet and one crawler per test session (both real)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_asyncio
from pg_cluster import pg_cluster  # noqa: F401  (one throwaway PostgreSQL per session, started on first use)
from shared_crawls import FILES as SHARED_CRAWLS_FILES
from shared_crawls import GROUP as SHARED_CRAWLS_GROUP
from shared_crawls import SLOW_ROLES, SharedCrawls

from crawler import BrowserOptions, Crawler, CrawlOptions
from crawler.testing import FakeInternet

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# `make test` runs the files side by side (pytest-xdist, `--dist loadfile`: a file's module fixtures are
# built once, on one worker; the files reading `shared_crawls` are one unit, see pytest_xdist_make_scheduler).
# A worker takes the next file when it is done, so the files that take longest go first and the short ones
# fill the end: otherwise one of them, started last, is the whole run's tail (a lone worker waiting on a
# service while the other core idles). Files not listed (under 2 s each) follow in collection order.
# Measured: per-file wall time of one idle `-n 2` run of the whole suite, 2026-12-01 (test start to end);
# the order changes only the wall time, and only under xdist (a plain run keeps the collection order).
LONGEST_FIRST = [
    "test_plan_equivalence.py",  # with the other files of shared_crawls, one unit: 125 s
    "test_extension.py",  # 78 s
    "test_hostile_sites.py",  # 51 s (the target storm 20 s of it)
    "test_baseline_merge.py",  # 35 s
    "test_extension_firefox.py",  # 34 s
    "test_crawler_robustness.py",  # 28 s
    "test_ssrf_browser.py",  # 23 s
    "test_fakeweb.py",  # 22 s
    "test_api_restart.py",  # 18 s
    "test_worker_postgres.py",  # 18 s
    "test_api_crawl.py",  # 16 s
    "test_worker_instrumentation.py",  # 11 s
    "test_hostile_pages.py",  # 11 s
    "test_script_behaviours.py",  # 11 s
    "test_api_hostile.py",  # 10 s
    "test_api_hardening.py",  # 9 s
    "test_audit_cli.py",  # 9 s
    "test_disguise.py",  # 8 s
    "test_text_extract.py",  # 6 s
    "test_consent_click_timing.py",  # 6 s
    "test_job_visibility.py",  # 5 s
    "test_evidence_screenshots.py",  # 4 s
    "test_store_postgres.py",  # 4 s
    "test_store_contract.py",  # 4 s
    "test_stalled_stage.py",  # 4 s
    "test_browser_close.py",  # 3 s
    "test_schedules_postgres.py",  # 2 s
    "test_collector_wiring.py",  # 2 s
    "test_visit_context_deadline.py",  # 2 s
    "test_extension_units.py",  # 2 s
    "test_external_lists.py",  # 2 s
]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: the marks below must be there to select by
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_postgres_tests(items)
    check_shared_crawls_files(items)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file keeps its order


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, except that the files reading ``shared_crawls`` are one unit, run on one worker
    (tests/shared_crawls.py): a file is run by one worker, so its module fixtures are built once."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    # xdist (3.x) otherwise hands out the files by their number of tests, most first, not in LONGEST_FIRST's
    # order: a file of one slow test (a killed service, a late banner) then came last, as the run's tail.
    config.option.loadscopereorder = False

    class SharedCrawlsAsOneUnit(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return SHARED_CRAWLS_GROUP if Path(file).name in SHARED_CRAWLS_FILES else file

    return SharedCrawlsAsOneUnit(config, log)


def check_shared_crawls_files(items: list[pytest.Item]) -> None:
    """A file left off the list would crawl everything ``shared_crawls`` holds again, on another worker."""
    for item in items:
        if "shared_crawls" in getattr(item, "fixturenames", ()) and item.path.name not in SHARED_CRAWLS_FILES:
            raise pytest.UsageError(f"{item.nodeid} uses shared_crawls: add its file to FILES in "
                                    f"tests/shared_crawls.py")


def mark_postgres_tests(items: list[pytest.Item]) -> None:
    """`postgres` on every test that starts or uses the throwaway cluster (tests/pg_cluster.py): it asks for
    `pg_cluster`, or is the "postgres" case of a backend parametrisation (fixtures that call
    `request.getfixturevalue("pg_cluster")`). `make test-fast` leaves them out; `make test` runs them."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if "pg_cluster" in getattr(item, "fixturenames", ()) or any(p == "postgres" for p in params):
            item.add_marker(pytest.mark.postgres)


class UnmarkedBrowserLaunch(AssertionError):
    """A test without @pytest.mark.browser tried to start a browser (tests/test_browser_marks.py)."""


@pytest.fixture(autouse=True)
def _browsers_only_in_browser_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast tier (`-m "not browser"`) must start no browser: in a test not marked `browser`, every way
    Playwright starts or attaches to one raises instead (in this process; tests/test_browser_marks.py checks
    the ways out of it statically)."""
    if request.node.get_closest_marker("browser") is not None:
        return
    from playwright.async_api import BrowserType as AsyncBrowserType
    from playwright.sync_api import BrowserType as SyncBrowserType

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise UnmarkedBrowserLaunch(f"{request.node.nodeid} starts a browser: mark it @pytest.mark.browser")

    for browser_type in (AsyncBrowserType, SyncBrowserType):
        for method in ("launch", "launch_persistent_context", "connect", "connect_over_cdp"):
            monkeypatch.setattr(browser_type, method, refuse)


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
    defaults = dict(browser=browser, settle_s=3.5, timeout_s=30.0, max_concurrent_visits=12)
    defaults.update(overrides)
    return CrawlOptions(**defaults)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def web_crawler(fake_web: FakeInternet):
    async with Crawler(crawl_options_for(fake_web)) as crawler:
        yield crawler


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_crawls(fake_web: FakeInternet):
    """Captures of the fake internet's sites, each crawled once per session (tests/shared_crawls.py), as a
    batch crawls them: side by side, the baseline merged into a banner visit's page."""
    # The tests' 12 visit slots. Alone on the idle VM the batch of ~70 sites waits on slots, not cores (85 s with
    # 12, the cores 56 % busy; 68 s with 16), but in the suite with the other core busy 16 starved a page past the
    # storage collector's 8 s (1 of 3 clean-clone runs: a live crawl no longer matched its recording).
    async with Crawler(crawl_options_for(fake_web, merge_baseline=True)) as crawler:
        yield SharedCrawls(crawler, slow=[fake_web.sites[role] for role in SLOW_ROLES])


@pytest.fixture(scope="session")
def options_for():
    """``options_for(web, **overrides)`` → CrawlOptions routed to the fake internet."""
    return crawl_options_for
