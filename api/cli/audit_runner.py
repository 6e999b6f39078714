"""The one-shot audits of ``consentwatch audit`` and ``demo``: the service's audit pipeline on one Chromium,
analysis on a thread, stored when the command has a store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from crawler import Crawler, CrawlOptions

from ..service.pipeline import Audit, AuditFailed, AuditPipeline, analyze
from ..store.base import Store


async def audit_domains(domains: list[str], options: CrawlOptions,
                        store: Store | None = None) -> AsyncIterator[Audit | AuditFailed]:
    """Yield each audit (or its failure) as it finishes; one failure never stops the rest."""
    save = store.save_audit if store is not None else None
    async with Crawler(options) as crawler:
        pipeline = AuditPipeline(crawl=crawler.crawl, analyze=lambda capture: asyncio.to_thread(analyze, capture))
        async for outcome in pipeline.run_all(domains, save=save):
            yield outcome
