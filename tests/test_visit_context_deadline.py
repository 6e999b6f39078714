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
