"""The one storage interface the service uses (``Store``), and the rows it returns.

Callers (views, job runner, scheduler, CLI) only see these protocols, so a backend is one module
(``sqlite``, ``postgres``) kept honest by one contract suite (tests/store_contract/). Rows crossing the
interface are msgspec structs, never positional tuples. Times are seconds since the epoch.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

from model.report import Counts

from .records import PreparedAudit

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running")


class Row(msgspec.Struct, kw_only=True):
    pass


class Job(Row, kw_only=True):
    id: int
    domain: str
    state: JobState
    source: str = "api"  # "api", "cli" or "schedule:<name>"
    attempts: int = 0
    max_attempts: int = 3
    created_at: float
    not_before: float  # a retry waits until then (back-off)
    started_at: float | None = None
    finished_at: float | None = None
    heartbeat_at: float | None = None
    progress: str | None = None  # queued, crawling, analyzing, storing, done …
    error: str | None = None
    report_id: int | None = None
    token_id: int | None = None  # the bearer token that asked for it (None: CLI or schedule)
    worker: str | None = None  # the process (host:pid) running or last running it
    site: str | None = None  # its registrable domain, set when it starts (politeness: api/store/pace.py)


class QueueLimits(Row, kw_only=True):
    """Caps on active (queued or running) jobs that ``enqueue`` enforces for a request."""

    per_token: int
    total: int
    retry_after_s: float = 60.0


class SummaryBlob(Row, kw_only=True):
    """The precomputed summary payload of a site's latest audit: served as it is."""

    body: bytes
    etag: str


class StoredReport(Row, kw_only=True):
    report_id: int
    domain: str
    audited_at: float
    body: bytes  # the report JSON as the analyzer encoded it
    capture_id: int | None = None


class AuditRef(Row, kw_only=True):
    """One audit of a domain, as the history lists it."""

    report_id: int
    audited_at: float
    grade: str
    score: int
    reachable: bool
    policy_sha256: str | None = None
    counts: Counts = msgspec.field(default_factory=Counts)


class SiteQuery(Row, kw_only=True):
    finding: str | None = None  # finding code
    company: str | None = None  # company id or name (case-insensitive)
    product: str | None = None  # tracker product id (e.g. meta-pixel): loaded, or named by a finding
    grade: str | None = None
    rule_codes: list[str] | None = None  # ?rule=: a finding with one of these codes (analyzer.legal.codes_for_rule)
    limit: int = 50
    offset: int = 0


class SiteRow(Row, kw_only=True):
    domain: str
    audited_at: float
    grade: str
    score: int
    summary: bytes  # the stored SiteSummary JSON


class Schedule(Row, kw_only=True):
    name: str
    domains: list[str]
    every_s: float | None = None
    cron: str | None = None
    created_at: float = 0.0
    last_run_at: float | None = None
    next_run_at: float = 0.0


class _CountsOnly(msgspec.Struct):
    counts: Counts = msgspec.field(default_factory=Counts)


_decode_counts_only = msgspec.json.Decoder(_CountsOnly).decode


def counts_of(summary_json: bytes) -> Counts:
    """The counts inside a stored summary, for the history (without decoding the rest)."""
    return _decode_counts_only(summary_json).counts


class TokenInfo(Row, kw_only=True):
    id: int
    name: str
    created_at: float
    last_used_at: float | None = None
    revoked_at: float | None = None


class AuditStore(Protocol):
    """Audits: written once per crawl, read by the API (summary, report, history, lists)."""

    async def save_audit(self, audit: PreparedAudit, job_id: int | None = None, attempt: int | None = None) -> int:
        """Store capture + report (+ findings, trackers, summary) in one transaction; mark the job done."""

    async def summary(self, domain: str) -> SummaryBlob | None:
        """The latest summary (the hot path): backends serve it through a ``SummaryCache``."""

    async def report(self, domain: str, report_id: int | None = None) -> StoredReport | None: ...
    async def capture(self, capture_id: int) -> bytes | None: ...
    async def policy_text(self, report_id: int) -> str | None: ...

    async def evidence_bundle(self, report_id: int) -> bytes | None:
        """The audit's stored evidence bundle, None until one was saved."""

    async def save_evidence_bundle(self, report_id: int, bundle: bytes, now: float) -> bytes:
        """Keep ``bundle`` as the audit's evidence unless one is already kept; return the kept one (the
        first writer wins, so two first downloads at once still serve identical bytes)."""

    async def history(self, domain: str) -> list[AuditRef]: ...
    async def list_sites(self, query: SiteQuery) -> tuple[list[SiteRow], int]: ...


class JobStore(Protocol):
    """The crawl queue: at most one active (queued or running) job per domain, retries, stale recovery."""

    async def enqueue(self, domains: list[str], source: str, max_attempts: int, now: float,
                      token_id: int | None = None, limits: QueueLimits | None = None) -> list[Job]:
        """Queue each domain unless it already has an active job, whose row is returned instead.

        With ``limits``, the new jobs (not those already active) must fit both the token's quota and the
        global cap, or none is queued (``QueueFullError``): checked in the same transaction as the insert."""

    async def job(self, job_id: int) -> Job | None: ...
    async def jobs(self, state: JobState | None = None, limit: int = 100) -> list[Job]: ...
    async def queue_position(self, job_id: int) -> int | None: ...
    async def job_counts(self) -> dict[str, int]: ...
    async def claim(self, now: float, worker: str | None = None, min_interval_s: float = 0.0) -> Job | None:
        """Move the next due queued job to running (attempts + 1) for ``worker`` and return it; never one job
        twice. Politeness (``pace.py``): a job waits while another job of its site runs, or until
        ``min_interval_s`` after the site's last start; later jobs of other sites go first."""

    async def heartbeat(self, job_ids: list[int], now: float) -> None: ...
    async def set_progress(self, job_id: int, progress: str, attempt: int | None = None) -> None: ...
    async def fail_job(self, job_id: int, error: str, retry_at: float | None, now: float,
                       stale_before: float | None = None, attempt: int | None = None) -> Job | None:
        """Requeue for ``retry_at`` or fail for good; with ``stale_before``, only a job not heard of since.

        ``attempt`` (here, in ``save_audit`` and ``set_progress``) fences a worker that was declared dead and
        came back: the job's ``attempts`` when the writer claimed it. Once the job was re-queued and claimed
        again (attempts moved on), the old attempt's writes change nothing (``save_audit``: ConflictError)."""

    async def stale_jobs(self, heartbeat_before: float) -> list[Job]: ...
    async def cancel(self, job_id: int, now: float) -> Job: ...


class ScheduleStore(Protocol):
    async def add_schedule(self, schedule: Schedule) -> None: ...
    async def schedules(self) -> list[Schedule]: ...
    async def remove_schedule(self, name: str) -> None: ...
    async def due_schedules(self, now: float) -> list[Schedule]: ...
    async def mark_schedule_run(self, name: str, ran_at: float, next_run_at: float) -> None: ...


class TokenStore(Protocol):
    async def add_token(self, name: str, token_sha256: str, now: float) -> TokenInfo: ...
    async def token_by_hash(self, token_sha256: str) -> TokenInfo | None: ...
    async def touch_token(self, token_id: int, now: float) -> None: ...
    async def tokens(self) -> list[TokenInfo]: ...
    async def revoke_token(self, name: str, now: float) -> None: ...


class Store(AuditStore, JobStore, ScheduleStore, TokenStore, Protocol):
    """Everything the service persists; callers that need less take the narrow interface above.

    Every method is safe to call from the event loop. Failures the service explains are ``StoreError``s
    (``StoreBusyError``, ``StoreFullError``, ``StoreCorruptError``, ``QueueFullError``, ``ConflictError`` …)."""

    async def open(self) -> None:
        """Connect and bring the schema up to date (refusing a schema newer than this code)."""

    async def close(self) -> None: ...
    async def check(self) -> None:
        """Raise a ``StoreError`` if the store cannot be read now (e.g. a damaged file)."""
