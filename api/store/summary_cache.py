"""``SummaryCache``: the summaries already read, kept until the backend says the data has changed.

The summary endpoint is the service's hot path (every popup opening asks it); a hit is a dict lookup.
Any backend can use it: it gives a ``load`` coroutine (one primary-key read) and a cheap synchronous
``version`` that changes whenever another writer may have committed (everything is then dropped), and may
call ``forget(domain)`` for a change it learns one by one. SQLite polls ``PRAGMA data_version``;
PostgreSQL forgets each domain its NOTIFY names. How changes are learned is the backend's job.

A backend that learns changes one by one may also ``warm`` the cache with many summaries read at once (an API
replica reads its most recent sites when it starts listening), so that the first request for each is a hit too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable

from .base import SummaryBlob

_MISSING = object()


class SummaryCache:
    MAX_ENTRIES = 100_000
    WARM_ENTRIES = MAX_ENTRIES // 2  # room left for the misses a warmed cache still takes

    def __init__(self, load: Callable[[str], Awaitable[SummaryBlob | None]], version: Callable[[], Hashable]) -> None:
        self._load = load
        self._version = version
        self._seen: Hashable = object()  # matches no version: the first get() starts clean
        self._forgotten = 0  # counts forget() calls, so a read in flight across one is not kept
        self.entries: dict[str, SummaryBlob | None] = {}
        self._forgotten_while_warming: set[str] | None = None

    def _fresh_version(self) -> Hashable:
        version = self._version()
        if version != self._seen or len(self.entries) >= self.MAX_ENTRIES:
            self.entries.clear()
            self._seen = version
        return version

    async def get(self, domain: str) -> SummaryBlob | None:
        version = self._fresh_version()
        blob = self.entries.get(domain, _MISSING)
        if blob is not _MISSING:
            return blob  # type: ignore[return-value]
        forgotten = self._forgotten
        blob = await self._load(domain)
        # A change announced while we read may postdate our read: serve the value, do not keep it.
        if self._forgotten == forgotten and self._version() == version:
            self.entries[domain] = blob
        return blob

    def forget(self, domain: str) -> None:
        """``domain`` has changed (a backend that learns changes one by one, e.g. from NOTIFY, says so)."""
        self._forgotten += 1
        self.entries.pop(domain, None)
        if self._forgotten_while_warming is not None:
            self._forgotten_while_warming.add(domain)

    async def warm(self, load_many: Callable[[int], Awaitable[Iterable[tuple[str, SummaryBlob]]]]) -> int:
        """Keep the summaries ``load_many(limit)`` reads (at most ``WARM_ENTRIES``); returns how many were kept.

        Only for a backend that calls ``forget`` for every change: a domain forgotten while the read was in flight
        is not kept (the read may predate the change), and nothing is kept if the version moved meanwhile."""
        version = self._fresh_version()
        self._forgotten_while_warming = forgotten = set()
        try:
            rows = await load_many(self.WARM_ENTRIES)
        finally:
            self._forgotten_while_warming = None
        if self._version() != version:
            return 0
        kept = 0
        for domain, blob in rows:
            if domain not in forgotten and domain not in self.entries:
                self.entries[domain] = blob
                kept += 1
        return kept
