"""One audit, stage by stage: guard → crawl (discovery included) → analyze → store.

Every caller runs this: ``consentwatch audit``/``demo`` (``api/cli/audit_runner.py``), the embedded service's
crawl jobs (``JobRunner``) and the PostgreSQL worker (through ``JobRunner.run_one``). Callers only say how
each step runs (which crawler, analysis on a thread or in the CPU pool, where the audit is saved) and what a
result or failure becomes for them (printed, a job marked done or failed). A failure stops the audit at its
stage and comes out as ``AuditFailed`` naming the stage; the original error is its ``cause``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from model.errors import InvalidDomainError

from ..store.records import PreparedAudit, prepare_audit

if TYPE_CHECKING:
    from model.capture import Capture
    from model.report import Report

Stage = Literal["guard", "crawl", "analysis", "store"]
Guard = Callable[[str], Awaitable[object]]
Crawl = Callable[[str], Awaitable["Capture"]]
Analyze = Callable[["Capture"], Awaitable["Report"]]
Save = Callable[[PreparedAudit], Awaitable[object]]
Progress = Callable[[str], Awaitable[object]]


def analyze(capture: Capture) -> Report:
    """The analysis step itself, importable by name so it can run in another process (the CPU pool)."""
    from analyzer import analyze_capture  # late: the analyzer is heavy and the API runs without it

    return analyze_capture(capture)


class AuditFailed(Exception):
    """The audit of ``domain`` stopped at ``stage`` because of ``cause``."""

    def __init__(self, domain: str, stage: Stage, cause: Exception) -> None:
        super().__init__(f"{domain}: {stage} failed: {cause!r}")
        self.domain = domain
        self.stage = stage
        self.cause = cause

    def describe(self) -> str:
        """The failure for a person: an invalid domain says so itself, any other failure names its stage."""
        if isinstance(self.cause, InvalidDomainError):
            return str(self.cause)
        return f"{self.stage} failed: {self.cause!r}"


@dataclass(frozen=True)
class Audit:
    domain: str
    capture: Capture
    report: Report


@dataclass(frozen=True)
class AuditPipeline:
    crawl: Crawl
    analyze: Analyze
    guard: Guard | None = None  # the SSRF check, for domains that came from outside (the API, schedules)

    async def run(self, domain: str, *, save: Save | None = None, progress: Progress | None = None) -> Audit:
        """Audit ``domain``; with ``save``, store it too (prepared off the loop). Raises ``AuditFailed``."""
        stage: Stage = "guard"
        try:
            if self.guard is not None:
                await self.guard(domain)
            stage = "crawl"
            if progress is not None:
                await progress("crawling")
            capture = await self.crawl(domain)
            stage = "analysis"
            if progress is not None:
                await progress("analyzing")
            report = await self.analyze(capture)
            if save is not None:
                stage = "store"
                await save(await asyncio.to_thread(prepare_audit, capture, report))
        except Exception as exc:  # every failure is this audit's, named by its stage
            raise AuditFailed(domain, stage, exc) from exc
        return Audit(domain, capture, report)

    async def run_all(self, domains: Iterable[str], *, save: Save | None = None) -> AsyncIterator[Audit | AuditFailed]:
        """Audit ``domains`` at once, yielding each audit or failure as it finishes; one failure never stops
        the rest."""
        tasks = [asyncio.ensure_future(self._settled(domain, save)) for domain in domains]
        try:
            for done in asyncio.as_completed(tasks):
                yield await done
        finally:  # the caller stopped early: no audit keeps running unseen
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _settled(self, domain: str, save: Save | None) -> Audit | AuditFailed:
        try:
            return await self.run(domain, save=save)
        except AuditFailed as failed:
            return failed
