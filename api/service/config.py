"""The service's settings, in one frozen dataclass built by the CLI (or a test)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from crawler import CrawlOptions

from .targets import Resolve


def default_workers() -> int:
    # A crawl is mostly idle settle time inside Chromium: one worker per core keeps the CPU busy.
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServiceConfig:
    db: str
    host: str = "127.0.0.1"
    port: int = 8787
    # jobs
    run_jobs: bool = True  # False: the API queues crawls but this process works none (a read replica)
    concurrency: int = field(default_factory=default_workers)  # crawl jobs at once
    crawl_options: CrawlOptions = field(default_factory=CrawlOptions)
    max_attempts: int = 3
    min_interval_s: float = 60.0  # least time between two audit starts of one site, across workers (store/pace.py)
    retry_base_s: float = 30.0  # back-off: base × 2^(attempt-1), capped
    retry_cap_s: float = 3600.0
    heartbeat_s: float = 10.0
    stale_after_s: float = 60.0  # a running job not heard of for this long is retried
    idle_poll_s: float = 2.0
    schedule_tick_s: float = 30.0
    # security
    allow_hosts: tuple[str, ...] = ()  # hosts, *.suffixes or CIDRs the SSRF guard lets through
    resolve: Resolve | None = None  # host → addresses for the SSRF guard; None: system DNS
    cors_origins: tuple[str, ...] = ()  # besides chrome-extension:// and moz-extension:// origins
    rate_limit: float = 20.0  # requests per second per client, on average
    rate_burst: int = 100
    max_body_bytes: int = 64 * 1024
    max_domains_per_request: int = 100
    max_queued_per_token: int = 500  # active (queued or running) jobs one token may have asked for
    max_queued: int = 10_000  # active jobs in the whole queue, whoever asked (schedules are not refused)
    queue_retry_after_s: float = 60.0  # Retry-After when a queue limit is reached
    # store
    db_busy_timeout_s: float = 10.0  # how long a write waits for another process's lock before 503
    db_max_bytes: int | None = None  # cap on the database file's size (then writes answer 503); None: the disk
    public_url: str | None = None  # base for absolute links; None: relative links
    evidence_max_bytes: int = 20 * 1024 * 1024  # an audit's evidence bundle, uncompressed (--evidence-max-mib)
