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
FILES = frozenset({"test_plan_equivalence.py", "test_consent_banners.py", "test_consent_real_cmps.py",
                   "test_findings.py", "test_verification.py", "test_consent_demo.py", "test_recorded_live.py"})


class SharedCrawls:
    """Crawls through one ``Crawler``, each domain at most once; every caller gets a copy of its own."""

    def __init__(self, crawler: Crawler) -> None:
        self._crawler = crawler
        self._crawls: dict[str, asyncio.Future[bytes]] = {}

    @property
    def options(self) -> CrawlOptions:
        return self._crawler.options

    async def crawl(self, domain: str) -> Capture:
        if domain not in self._crawls:
            self._crawls[domain] = asyncio.ensure_future(self._encoded(domain))
        # Shielded: one waiter cancelled must not cancel the crawl the others wait for.
        return decode_capture(await asyncio.shield(self._crawls[domain]))

    async def crawl_all(self, domains: Iterable[str]) -> list[Capture]:
        return list(await asyncio.gather(*map(self.crawl, domains)))

    async def _encoded(self, domain: str) -> bytes:
        return encode_capture(await self._crawler.crawl(domain))
