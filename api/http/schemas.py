"""The JSON bodies the API reads and writes (besides Report and SiteSummary from the analyzer).

These structs are the single source of the OpenAPI schemas (``api.http.openapi``), so the spec
describes what the handlers really send.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from model.report import Counts

from ..service.history import ChangeBrief


class Body(msgspec.Struct, kw_only=True):
    pass


class ErrorDetail(Body, kw_only=True):
    code: str
    message: str


class ErrorBody(Body, kw_only=True):
    error: ErrorDetail


class CrawlRequest(Body, kw_only=True, forbid_unknown_fields=True):
    """One domain or a list of domains to crawl (exactly one of the two; null is not "absent")."""

    domain: str | msgspec.UnsetType = msgspec.UNSET
    domains: list[str] | msgspec.UnsetType = msgspec.UNSET


class JobView(Body, kw_only=True):
    id: int
    url: str
    domain: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: str | None = None
    queue_position: int | None = None  # jobs ahead of this one, while queued
    attempts: int
    max_attempts: int
    source: str
    created_at: float
    not_before: float
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    worker: str | None = None  # the process (host:pid) running or last running the job
    report_url: str | None = None
    summary_url: str | None = None


class CrawlAccepted(Body, kw_only=True):
    jobs: list[JobView]


class JobList(Body, kw_only=True):
    jobs: list[JobView]


class SiteListItem(Body, kw_only=True):
    domain: str
    audited_at: float
    grade: str
    score: int
    summary: str
    counts: Counts
    summary_url: str
    report_url: str


class SiteList(Body, kw_only=True):
    total: int
    limit: int
    offset: int
    sites: list[SiteListItem]
    next: str | None = None


class HistoryEntry(Body, kw_only=True):
    report_id: int
    audited_at: float
    grade: str
    score: int
    reachable: bool
    counts: Counts
    report_url: str
    changes: ChangeBrief | None = None  # against the audit before it


class History(Body, kw_only=True):
    domain: str
    audits: list[HistoryEntry]


class Health(Body, kw_only=True):
    status: Literal["ok", "unavailable"] = "ok"
    version: str
    store: str = "ok"  # or the store's error code: store_busy, store_full, store_corrupt, …
    error: str | None = None  # what is wrong with the store, when it is not ok
    queued: int | None = None  # the queue depth: jobs waiting (due now or retrying later)
    running: int | None = None
    done: int | None = None
    failed: int | None = None
