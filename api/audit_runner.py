"""Crawl + analyze: the one-shot audit the CLI and the demo run (the service's jobs do the same)."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from analyzer import analyze_capture
from analyzer.report_model import Report
from crawler import Capture, CrawlOptions, Crawler
from crawler.errors import InvalidDomainError


async def audit_domains(
    domains: list[str], options: CrawlOptions
) -> AsyncIterator[tuple[str, Capture | None, Report | None, str | None]]:
    """Yield (domain, capture, report, error) as each audit finishes; one failure never stops the rest."""
    async with Crawler(options) as crawler:
        tasks = {asyncio.ensure_future(_one(crawler, d)): d for d in domains}
        for done in asyncio.as_completed(tasks):
            yield await done


async def _one(crawler: Crawler, domain: str) -> tuple[str, Capture | None, Report | None, str | None]:
    try:
        capture = await crawler.crawl(domain)
    except InvalidDomainError as exc:
        return domain, None, None, str(exc)
    except Exception as exc:  # noqa: BLE001 - reported per domain, the batch goes on
        return domain, None, None, f"crawl failed: {exc!r}"
    try:
        report = await asyncio.to_thread(analyze_capture, capture)
    except Exception as exc:  # noqa: BLE001
        return domain, capture, None, f"analysis failed: {exc!r}"
    return domain, capture, report, None
