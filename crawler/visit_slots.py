"""How many visits a ``Crawler`` runs at once across every domain, and which waiting visit goes next.

A free slot goes to the waiting visit of the crawl that started first, not to whichever visit asked first.
A plain FIFO semaphore let a batch start every domain's first visit before any domain's later visits
(a banner visit waits for the first one's verdict, then queues behind all of them): each crawl then took
about the whole batch's time, its deadline-bounded pages stayed open that long, and a site whose first
visit ran into its page timeout (an endless response) ended last, long after the rest. With crawls served
in start order, a crawl under way finishes first and its result is stored sooner; the batch's throughput
is the same (the same number of slots stays busy).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from types import TracebackType


class VisitSlots:
    """At most ``size`` visits at once; waiting visits are served by their crawl's rank (lower first), and
    visits of one crawl in the order they asked."""

    def __init__(self, size: int) -> None:
        self._free = max(1, size)
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # (rank, arrival, handed a slot)
        self._ranks = itertools.count()
        self._arrivals = itertools.count()

    def for_crawl(self) -> CrawlSlots:
        """The slots as one crawl holds them: ranked after every crawl that asked before it."""
        return CrawlSlots(self, next(self._ranks))

    @property
    def free(self) -> int:
        return self._free

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, handed in self._waiting if not handed.done())

    async def acquire(self, rank: int) -> None:
        if self._free > 0:  # never while a visit waits: release() hands a slot to a waiter before freeing it
            self._free -= 1
            return
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._arrivals), handed))
        try:
            await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self.release()  # handed over just as the waiter was cancelled: pass it on
            else:
                handed.cancel()  # left in the heap, skipped by release()
            raise

    def release(self) -> None:
        while self._waiting:
            _, _, handed = heapq.heappop(self._waiting)
            if not handed.done():
                handed.set_result(None)  # the slot passes straight to it: _free is unchanged
                return
        self._free += 1


class CrawlSlots:
    """``async with`` one slot, at this crawl's rank."""

    def __init__(self, slots: VisitSlots, rank: int) -> None:
        self._slots = slots
        self.rank = rank

    async def __aenter__(self) -> None:
        await self._slots.acquire(self.rank)

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._slots.release()
