"""``SummaryCache``: the summaries already read, kept until the backend says the data has changed.

The summary endpoint is the service's hot path (every popup opening asks it); a hit is a dict lookup.
Any backend can use it: it gives a ``load`` coroutine (one primary-key read) and a cheap synchronous
``version`` that changes whenever another writer may have committed (everything is then dropped), and may
call ``forget(domain)`` for a change it learns one by one. SQLite polls ``PRAGMA data_version``;
PostgreSQL forgets each domain its NOTIFY names. How changes are learned is the backend's job.

With ``load_many`` (the most recently audited sites' summaries, one bulk read) an empty cache warms itself in
the background at its first request, and again after it was dropped (at most every ``warm_every_s``): a
miss costs a query each (hundreds of µs on PostgreSQL), a bulk read a few µs a site.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable

from .base import SummaryBlob

log = logging.getLogger(__name__)
_MISSING = object()
LoadMany = Callable[[int], Awaitable[Iterable[tuple[str, SummaryBlob]]]]


class SummaryCache:
    MAX_ENTRIES = 100_000
    WARM_ENTRIES = MAX_ENTRIES // 2  # room left for the misses a warmed cache still takes

    def __init__(self, load: Callable[[str], Awaitable[SummaryBlob | None]], version: Callable[[], Hashable],
                 load_many: LoadMany | None = None, warm_every_s: float = 60.0) -> None:
        self._load = load
        self._version = version
        self._load_many = load_many
        self._warm_every_s = warm_every_s
        self._next_warm = 0.0
        self.warming: asyncio.Task[int] | None = None
        self._seen: Hashable = object()  # matches no version: the first get() starts clean
        self._forgotten = 0  # counts forget() calls, so a read in flight across one is not kept
        self._forgotten_while_warming: set[str] | None = None
        self.entries: dict[str, SummaryBlob | None] = {}

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
        if not self.entries and self._load_many is not None:
            self._start_warming()
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

    def _start_warming(self) -> None:
        now = time.monotonic()
        if (self.warming is not None and not self.warming.done()) or now < self._next_warm:
            return
        self._next_warm = now + self._warm_every_s
        self.warming = asyncio.create_task(self._warm_quietly(), name="summary-warm")

    async def _warm_quietly(self) -> int:
        assert self._load_many is not None
        try:
            kept = await self.warm(self._load_many)
        except Exception as exc:  # noqa: BLE001 - a cold cache is slower, not wrong: misses read one by one
            log.warning("summary cache not warmed: %s", exc)
            return 0
        log.info("summary cache warmed with %d site(s)", kept)
        return kept

    async def warm(self, load_many: LoadMany) -> int:
        """Keep the summaries ``load_many(limit)`` reads (at most ``WARM_ENTRIES``); returns how many were kept.

        A domain forgotten while the read was in flight is not kept (the read may predate the change), and
        nothing is kept if the version moved meanwhile."""
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

    async def close(self) -> None:
        if self.warming is not None:
            self.warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.warming
            self.warming = None
