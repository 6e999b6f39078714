"""One crawl per site per test session, for the test files that only read what a crawl of the fake internet
captured. tests/test_plan_equivalence.py audits nearly every site of it; the banner, CMP, findings,
verification and recorded-site files would otherwise crawl the same sites again, the same way, on the same
2 cores. conftest.py runs the files in FILES on one xdist worker, one after the other, so they share it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from crawler import Crawler, CrawlOptions
from model.capture import Capture, decode_capture, encode_capture

GROUP = "shared_crawls"  # the one xdist work unit these files make (conftest.py)
# Sites whose crawl runs into its page timeouts by design (an endless response: ~75 s; policy pages that drip:
# ~45 s). Started last, one of them is the batch's tail long after every other site is done; started first,
# they run beside the rest (the Crawler serves a started crawl's later visits first, crawler/visit_slots.py).
SLOW_ROLES = ("hostile_endless", "hostile_drip")
FILES = frozenset({"test_plan_equivalence.py", "test_consent_banners.py", "test_consent_real_cmps.py",
                   "test_findings.py", "test_verification.py", "test_consent_demo.py", "test_recorded_live.py",
                   "test_crawler_capture.py"})


class SharedCrawls:
    """Crawls through one ``Crawler``, each domain at most once; every caller gets a copy of its own."""

    def __init__(self, crawler: Crawler, slow: Iterable[str] = ()) -> None:
        self._crawler = crawler
        self._crawls: dict[str, asyncio.Future[bytes]] = {}
        self._slow = frozenset(slow)

    @property
    def options(self) -> CrawlOptions:
        return self._crawler.options

    async def crawl(self, domain: str) -> Capture:
        self._start(domain)
        # Shielded: one waiter cancelled must not cancel the crawl the others wait for.
        return decode_capture(await asyncio.shield(self._crawls[domain]))

    async def crawl_all(self, domains: Iterable[str]) -> list[Capture]:
        """Captures in the order asked; the slow sites' crawls are started first."""
        domains = list(domains)
        for domain in sorted(domains, key=lambda d: d not in self._slow):
            self._start(domain)
        return list(await asyncio.gather(*map(self.crawl, domains)))

    def _start(self, domain: str) -> None:
        if domain not in self._crawls:
            self._crawls[domain] = asyncio.ensure_future(self._encoded(domain))

    async def _encoded(self, domain: str) -> bytes:
        return encode_capture(await self._crawler.crawl(domain))
