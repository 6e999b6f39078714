"""crawler/visit_slots.py: at most N visits at once, a free slot to the crawl that started first, and no slot
lost to a visit cancelled while it waited (a crawl cut at its deadline) or just as it was handed one."""

from __future__ import annotations

import asyncio

import pytest

from crawler.visit_slots import VisitSlots


async def _hold(slots, log: list[str], name: str, release: asyncio.Event) -> None:
    async with slots:
        log.append(name)
        await release.wait()


async def _until(condition, what: str) -> None:
    """Let the other tasks run until ``condition`` holds (they only need a few turns of the loop)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(what)


async def test_never_more_visits_than_slots():
    slots = VisitSlots(3)
    running, peak = 0, 0

    async def visit(crawl) -> None:
        nonlocal running, peak
        async with crawl:
            running += 1
            peak = max(peak, running)
            for _ in range(3):
                await asyncio.sleep(0)
            running -= 1

    crawls = [slots.for_crawl() for _ in range(5)]
    await asyncio.gather(*(visit(c) for c in crawls for _ in range(4)))
    assert peak == 3
    assert slots.free == 3 and slots.waiting == 0


async def test_a_free_slot_goes_to_the_crawl_that_started_first_then_in_asking_order():
    slots = VisitSlots(1)
    first, second, third = slots.for_crawl(), slots.for_crawl(), slots.for_crawl()
    log: list[str] = []
    gate = asyncio.Event()
    holder = asyncio.create_task(_hold(first, log, "first-a", gate))
    await _until(lambda: log == ["first-a"], "the first visit holds the only slot")
    # Asked in this order: the later crawls first, then the first crawl's own later visits.
    order = [(third, "third"), (second, "second-a"), (first, "first-b"), (second, "second-b"), (first, "first-c")]
    waiters = []
    for crawl, name in order:
        waiters.append(asyncio.create_task(_hold(crawl, log, name, gate)))
        count = len(waiters)
        await _until(lambda: slots.waiting == count, f"{name} waits")  # noqa: B023 - awaited right here
    gate.set()
    await asyncio.gather(holder, *waiters)
    assert log == ["first-a", "first-b", "first-c", "second-a", "second-b", "third"]


@pytest.mark.parametrize("moment", ["while waiting", "as the slot is handed over"])
async def test_a_cancelled_waiter_loses_no_slot(moment):
    slots = VisitSlots(1)
    early, late = slots.for_crawl(), slots.for_crawl()
    log: list[str] = []
    await early.__aenter__()  # held directly: the hand-over below happens in one step, with no wait between
    cancelled = asyncio.create_task(_hold(early, log, "cancelled", asyncio.Event()))
    await _until(lambda: slots.waiting == 1, "a visit waits")
    if moment == "while waiting":
        cancelled.cancel()
        await early.__aexit__(None, None, None)
    else:
        await early.__aexit__(None, None, None)  # hands the slot to the waiter, which has not run since
        assert slots.waiting == 0 and slots.free == 0
        cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert slots.free == 1 and slots.waiting == 0
    await asyncio.wait_for(_hold(late, log, "next", _set_event()), 5)
    assert log == ["next"]


def _set_event() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event
