"""A visit's browser context is opened within the crawl deadline (crawler/visit_runner.py), without a
browser: a stand-in whose new_context() does not return until told. A browser swamped by a storm page
was seen taking tens of seconds to open one, which no other bound in the visit covered."""

from __future__ import annotations

import asyncio

from crawler.deadline import Deadline
from crawler.visit_runner import VisitOptions, run_visit
from crawler.visits import visit_specs


class StuckContext:
    def __init__(self, closed: asyncio.Event) -> None:
        self._closed = closed

    async def close(self) -> None:
        self._closed.set()


class SwampedBrowser:
    """Opens a context only once ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked = asyncio.Event()
        self.closed = asyncio.Event()

    async def new_context(self, **_kwargs: object) -> StuckContext:
        self.asked.set()
        await self.release.wait()
        return StuckContext(self.closed)


async def test_a_context_that_does_not_open_is_cut_at_the_deadline_and_closed_once_it_exists():
    browser = SwampedBrowser()
    spec = visit_specs(("accept",))[0]
    options = VisitOptions(deadline=Deadline.after(0.2))
    # Before the fix this waited for the context forever: the guard below would fail the test instead.
    visit = await asyncio.wait_for(run_visit(browser, spec, "https://swamped.example/", "swamped.example", options), 30)
    assert visit.partial and visit.status is None and visit.error is None
    assert len(visit.cut) == 1 and visit.cut[0].startswith("stopped at the crawl deadline"), visit.cut
    assert "browser context had not opened" in visit.cut[0]
    browser.release.set()  # the browser gets round to it: the context nobody waits for any more is closed
    await asyncio.wait_for(browser.closed.wait(), 30)


async def test_a_context_that_fails_to_open_says_why():
    class BrokenBrowser:
        async def new_context(self, **_kwargs: object) -> None:
            from playwright.async_api import Error

            raise Error("Target page, context or browser has been closed")

    visit = await run_visit(BrokenBrowser(), visit_specs(("baseline",))[0], "https://broken.example/",
                            "broken.example", VisitOptions(deadline=Deadline.after(5.0)))
    assert visit.error == "could not open a browser context: Target page, context or browser has been closed"
    assert not visit.cut


async def test_a_crawl_cancelled_while_its_context_opens_still_closes_it():
    browser = SwampedBrowser()
    visit = asyncio.ensure_future(run_visit(browser, visit_specs(("gpc",))[0], "https://swamped.example/",
                                            "swamped.example", VisitOptions(deadline=Deadline.after(60.0))))
    await asyncio.wait_for(browser.asked.wait(), 30)  # the visit is now waiting for its context
    visit.cancel()
    await asyncio.gather(visit, return_exceptions=True)
    assert visit.cancelled()
    browser.release.set()
    await asyncio.wait_for(browser.closed.wait(), 30)


class OpenContext:
    """Enough of a BrowserContext for a visit with no collectors: the page guard's hooks, a close."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    def on(self, _event: str, _handler: object) -> None:
        pass

    async def add_init_script(self, _script: str) -> None:
        pass

    async def close(self) -> None:
        self.closed.set()


class PagelessBrowser:
    """Opens contexts at once, but never gets round to opening a page in one (a storm swamps it)."""

    connected = True

    def __init__(self) -> None:
        self.context = OpenContext()
        self.asked_for_page = asyncio.Event()

    async def new_context(self, **_kwargs: object) -> OpenContext:
        return self.context

    async def new_page(self, _context: OpenContext) -> None:
        self.asked_for_page.set()
        await asyncio.Event().wait()

    def blocked_requests(self, _context: OpenContext) -> list:
        return []

    def undisguised_service_workers(self, _context: OpenContext) -> list:
        return []


async def test_a_page_that_does_not_open_is_cut_at_the_deadline_not_interrupted(monkeypatch):
    import crawler.visit_runner as visit_runner

    monkeypatch.setattr(visit_runner, "STAGE_TIMEOUT_S", 0.3)  # the fixed limit the page once had (8 s)
    browser = PagelessBrowser()
    options = VisitOptions(deadline=Deadline.after(2.0), collectors=())
    # Before the fix the page had STAGE_TIMEOUT_S even with more of the crawl left: the visit ended
    # "interrupted: TimeoutError" with nothing cut (seen in the target-storm test).
    visit = await asyncio.wait_for(run_visit(browser, visit_specs(("gpc",))[0], "https://swamped.example/",
                                             "swamped.example", options), 30)
    assert browser.asked_for_page.is_set()
    assert visit.status is None and visit.partial and visit.error is None, visit.error
    assert len(visit.cut) == 1 and visit.cut[0].startswith("stopped at the crawl deadline"), visit.cut
    assert browser.context.closed.is_set()


async def test_without_a_deadline_a_page_that_does_not_open_says_so(monkeypatch):
    import crawler.visit_runner as visit_runner

    monkeypatch.setattr(visit_runner, "STAGE_TIMEOUT_S", 0.3)
    browser = PagelessBrowser()
    visit = await asyncio.wait_for(run_visit(browser, visit_specs(("gpc",))[0], "https://swamped.example/",
                                             "swamped.example", VisitOptions(collectors=())), 30)
    assert visit.error == "the browser did not open the visit's page within 0.3 s" and not visit.cut
