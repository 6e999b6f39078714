"""``SqliteStore``: the default ``Store`` — one SQLite file in WAL mode, stdlib sqlite3 in threads.

Writes go through a single writer thread (SQLite has one writer anyway, and this keeps our own
writers from ever contending); reads run on a small reader pool, each thread with its own
connection. ``summary()`` is the exception: it goes through a ``SummaryCache`` whose misses read on the
caller's thread with its own connection, invalidated by ``PRAGMA data_version``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ..errors import (
    ConflictError,
    JobNotFoundError,
    QueueFullError,
    ScheduleNotFoundError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
)
from .base import (
    AuditRef,
    Job,
    JobState,
    QueueLimits,
    Schedule,
    SiteQuery,
    SiteRow,
    StoredReport,
    SummaryBlob,
    TokenInfo,
    counts_of,
)
from .migrate import migrate
from .pace import CLAIM_LOOKAHEAD, hold, site_of
from .records import PreparedAudit, decompress
from .site_filters import Dialect, site_filters
from .summary_cache import SummaryCache

# How this backend spells the shared site filters (api/store/site_filters.py).
SQLITE = Dialect(
    mark="?",
    equals_ignoring_case=lambda column: f"{column} = ? COLLATE NOCASE",
    one_of=lambda column, values: (f"{column} IN ({', '.join('?' * len(values)) or 'NULL'})", list(values)),
)

T = TypeVar("T")


# SQLite primary result codes (``sqlite3.Error.sqlite_errorcode & 0xff``) the service answers on purpose.
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 5, 6, 11, 13, 26
BUSY_RETRY_S = 5.0  # the busy timeout has already been waited: a lock held that long is someone's long write
FULL_RETRY_S = 300.0  # room has to be made by an operator


def translate_error(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """The service's error for a SQLite failure it can explain (locked, full, corrupt); None otherwise."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreBusyError(f"the database is locked by another writer ({exc}); try again shortly", BUSY_RETRY_S)
    if primary == SQLITE_FULL:
        return StoreFullError(f"the database or its disk is full ({exc}); try again later", FULL_RETRY_S)
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreCorruptError(f"the database file {path} is damaged ({exc}); restore it from a backup")
    return None


def create_private_file(path: Path) -> None:
    """Create the database file owner-only (it holds token hashes): SQLite gives its -wal and -shm files
    the same mode. An existing file is left as the operator set it."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class SqliteStore:
    def __init__(self, path: str | Path, readers: int = 2, busy_timeout_s: float = 10.0,
                 max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.max_bytes = max_bytes  # a cap on the file's size (PRAGMA max_page_count); None: the disk's
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="cw-store-write")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="cw-store-read")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._fast: dict[int, SummaryCache] = {}  # per calling thread, for summary()
        self.writes = 0

    # ------------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        try:
            create_private_file(self.path)
        except OSError as exc:
            raise StoreError(f"cannot create database {self.path}: {exc.strerror or exc}") from exc
        await self._write(lambda conn: migrate(conn))

    async def check(self) -> None:
        """Raise the store's error if the file cannot be read now: a fresh connection reads the header and
        the schema from disk (connections already open may still serve cached pages)."""
        def probe() -> None:
            conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=self.busy_timeout_s)
            try:
                conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            finally:
                conn.close()

        await self._run(self._readers, lambda conn: probe())

    async def close(self) -> None:
        for cache in list(self._fast.values()):
            await cache.close()
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._lock:
            self._fast.clear()
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def _connect(self, row_factory: bool = True) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=self.busy_timeout_s)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            conn.execute("PRAGMA mmap_size=1073741824")  # reads from the page cache without a syscall each
            if self.max_bytes is not None:
                page_size = conn.execute("PRAGMA page_size").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count={max(1, self.max_bytes // page_size)}")
        except sqlite3.Error as exc:
            known = translate_error(exc, self.path)
            if known is not None:
                raise known from exc
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        if row_factory:
            conn.row_factory = sqlite3.Row
        with self._lock:
            self._connections.append(conn)
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    async def _run(self, pool: ThreadPoolExecutor, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            try:
                return fn(self._conn())
            except sqlite3.Error as exc:
                known = translate_error(exc, self.path)
                if known is None:
                    raise
                raise known from exc

        return await asyncio.get_running_loop().run_in_executor(pool, call)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(self._readers, fn)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await self._run(self._writer, fn)
        finally:
            self.writes += 1  # tells summary caches to look for a new data_version at once

    @staticmethod
    @contextlib.contextmanager
    def _tx(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # SQLite rolls back by itself on some errors (a full disk): not twice
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ------------------------------------------------------------------ audits
    async def save_audit(self, audit: PreparedAudit, job_id: int | None = None, attempt: int | None = None) -> int:
        return await self._write(partial(self._save_audit, audit=audit, job_id=job_id, attempt=attempt))

    def _save_audit(self, conn: sqlite3.Connection, audit: PreparedAudit, job_id: int | None,
                    attempt: int | None) -> int:
        with self._tx(conn):
            if job_id is not None:  # a cancelled job (or one taken over) has no report stored: checked in the write
                job = conn.execute("SELECT state, attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
                if job is None:
                    raise JobNotFoundError(f"no crawl job {job_id}")
                if job["state"] != "running":
                    raise ConflictError(f"crawl job {job_id} is {job['state']}, not running: its audit is not stored")
                if attempt is not None and job["attempts"] != attempt:
                    raise ConflictError(f"crawl job {job_id} was taken over (attempt {job['attempts']} runs, not"
                                        f" {attempt}): its audit is not stored")
            capture_id = conn.execute(
                "INSERT INTO captures (job_id, domain, started_at, finished_at, data) VALUES (?, ?, ?, ?, ?)",
                (job_id, audit.domain, audit.capture_started_at, audit.capture_finished_at, audit.capture_blob),
            ).lastrowid
            report_id = conn.execute(
                "INSERT INTO reports (capture_id, domain, audited_at, grade, score, reachable, policy_sha256,"
                " policy_text, summary_json, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (capture_id, audit.domain, audit.audited_at, audit.grade, audit.score, audit.reachable,
                 audit.policy_sha256, audit.policy_text, audit.summary_json, audit.report_blob),
            ).lastrowid
            conn.executemany("INSERT INTO findings (report_id, code, severity, company_id, company_name, product_id,"
                             " title) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(report_id, f.code, f.severity, f.company_id, f.company_name, f.product_id, f.title)
                              for f in audit.findings])
            conn.executemany("INSERT INTO trackers (report_id, key, name, company_id, company_name, category, declared,"
                             " first_party) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [(report_id, t.key, t.name, t.company_id, t.company_name, t.category, t.declared,
                               t.first_party) for t in audit.trackers])
            conn.execute("INSERT INTO sites (domain, first_seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         (audit.domain, audit.audited_at))
            # An unreachable audit joins the history but does not hide the last good one from the popup.
            conn.execute(
                "UPDATE sites SET latest_report_id = :rid, audited_at = :at, grade = :grade, score = :score,"
                " summary_json = :summary, etag = :etag WHERE domain = :domain AND (latest_report_id IS NULL OR"
                " ((:reachable OR (SELECT reachable FROM reports WHERE id = sites.latest_report_id) = 0)"
                "  AND :at >= audited_at))",
                dict(rid=report_id, at=audit.audited_at, grade=audit.grade, score=audit.score,
                     summary=audit.summary_json, etag=audit.etag, domain=audit.domain, reachable=audit.reachable),
            )
            if job_id is not None:
                conn.execute("UPDATE jobs SET state = 'done', finished_at = ?, progress = 'done', report_id = ?,"
                             " error = NULL WHERE id = ? AND state = 'running'", (time.time(), report_id, job_id))
        return report_id

    async def summary(self, domain: str) -> SummaryBlob | None:
        cache = self._fast.get(threading.get_ident())
        if cache is None:
            cache = self._fast[threading.get_ident()] = _sqlite_summaries(self)
        try:
            return await cache.get(domain)
        except sqlite3.Error as exc:
            known = translate_error(exc, self.path)
            if known is None:
                raise
            raise known from exc

    async def report(self, domain: str, report_id: int | None = None) -> StoredReport | None:
        def fetch(conn: sqlite3.Connection) -> StoredReport | None:
            if report_id is None:
                row = conn.execute("SELECT r.id, r.domain, r.audited_at, r.data, r.capture_id FROM sites s"
                                   " JOIN reports r ON r.id = s.latest_report_id WHERE s.domain = ?",
                                   (domain,)).fetchone()
            else:
                row = conn.execute("SELECT id, domain, audited_at, data, capture_id FROM reports"
                                   " WHERE id = ? AND domain = ?", (report_id, domain)).fetchone()
            if row is None:
                return None
            return StoredReport(report_id=row[0], domain=row[1], audited_at=row[2], body=decompress(row[3]),
                                capture_id=row[4])

        return await self._read(fetch)

    async def capture(self, capture_id: int) -> bytes | None:
        def fetch(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute("SELECT data FROM captures WHERE id = ?", (capture_id,)).fetchone()
            return decompress(row[0]) if row else None

        return await self._read(fetch)

    async def policy_text(self, report_id: int) -> str | None:
        def fetch(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT policy_text FROM reports WHERE id = ?", (report_id,)).fetchone()
            return row[0] if row else None

        return await self._read(fetch)

    async def evidence_bundle(self, report_id: int) -> bytes | None:
        def fetch(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute("SELECT data FROM evidence_bundles WHERE report_id = ?", (report_id,)).fetchone()
            return row[0] if row else None

        return await self._read(fetch)

    async def save_evidence_bundle(self, report_id: int, bundle: bytes, now: float) -> bytes:
        def keep(conn: sqlite3.Connection) -> bytes:
            with self._tx(conn):
                conn.execute("INSERT INTO evidence_bundles (report_id, created_at, sha256, size, data)"
                             " VALUES (?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING",
                             (report_id, now, hashlib.sha256(bundle).hexdigest(), len(bundle), bundle))
                return conn.execute("SELECT data FROM evidence_bundles WHERE report_id = ?",
                                    (report_id,)).fetchone()[0]

        return await self._write(keep)

    async def history(self, domain: str) -> list[AuditRef]:
        def fetch(conn: sqlite3.Connection) -> list[AuditRef]:
            rows = conn.execute("SELECT id, audited_at, grade, score, reachable, policy_sha256, summary_json"
                                " FROM reports WHERE domain = ? ORDER BY audited_at, id", (domain,)).fetchall()
            return [AuditRef(report_id=r[0], audited_at=r[1], grade=r[2], score=r[3], reachable=bool(r[4]),
                             policy_sha256=r[5], counts=counts_of(r[6])) for r in rows]

        return await self._read(fetch)

    async def list_sites(self, query: SiteQuery) -> tuple[list[SiteRow], int]:
        clause, params = site_filters(query, SQLITE)

        def fetch(conn: sqlite3.Connection) -> tuple[list[SiteRow], int]:
            total = conn.execute(f"SELECT count(*) FROM sites s WHERE {clause}", params).fetchone()[0]
            rows = conn.execute(f"SELECT domain, audited_at, grade, score, summary_json FROM sites s WHERE {clause}"
                                " ORDER BY domain LIMIT ? OFFSET ?", [*params, query.limit, query.offset]).fetchall()
            return [SiteRow(domain=r[0], audited_at=r[1], grade=r[2], score=r[3], summary=r[4]) for r in rows], total

        return await self._read(fetch)

    # ------------------------------------------------------------------ jobs
    async def enqueue(self, domains: list[str], source: str, max_attempts: int, now: float,
                      token_id: int | None = None, limits: QueueLimits | None = None) -> list[Job]:
        def insert(conn: sqlite3.Connection) -> list[Job]:
            jobs = []
            with self._tx(conn):
                if limits is not None:
                    _check_limits(conn, domains, token_id, limits)
                for domain in domains:
                    # The partial unique index keeps one active job per domain: reuse it if there is one.
                    row = conn.execute(
                        "INSERT INTO jobs (domain, state, source, max_attempts, created_at, not_before, progress,"
                        " token_id) VALUES (?, 'queued', ?, ?, ?, ?, 'queued', ?) ON CONFLICT DO NOTHING RETURNING *",
                        (domain, source, max_attempts, now, now, token_id)).fetchone()
                    if row is None:
                        row = conn.execute("SELECT * FROM jobs WHERE domain = ? AND state IN ('queued', 'running')",
                                           (domain,)).fetchone()
                    jobs.append(_job(row))
            return jobs

        return await self._write(insert)

    async def job(self, job_id: int) -> Job | None:
        def fetch(conn: sqlite3.Connection) -> Job | None:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return _job(row) if row else None

        return await self._read(fetch)

    async def jobs(self, state: JobState | None = None, limit: int = 100) -> list[Job]:
        def fetch(conn: sqlite3.Connection) -> list[Job]:
            if state is None:
                rows = conn.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,))
            else:
                rows = conn.execute("SELECT * FROM jobs WHERE state = ? ORDER BY id DESC LIMIT ?", (state, limit))
            return [_job(r) for r in rows]

        return await self._read(fetch)

    async def queue_position(self, job_id: int) -> int | None:
        def fetch(conn: sqlite3.Connection) -> int | None:
            row = conn.execute("SELECT state, not_before FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row[0] != "queued":
                return None
            return conn.execute("SELECT count(*) FROM jobs WHERE state = 'queued' AND id < ?", (job_id,)).fetchone()[0]

        return await self._read(fetch)

    async def job_counts(self) -> dict[str, int]:
        return await self._read(lambda conn: dict(conn.execute(
            "SELECT state, count(*) FROM jobs GROUP BY state").fetchall()))

    async def claim(self, now: float, worker: str | None = None, min_interval_s: float = 0.0) -> Job | None:
        return await self._write(partial(self._claim, now=now, worker=worker, min_interval_s=min_interval_s))

    def _claim(self, conn: sqlite3.Connection, now: float, worker: str | None, min_interval_s: float) -> Job | None:
        with self._tx(conn):  # BEGIN IMMEDIATE: one claimer at a time, so the site checks hold until the update
            busy = {r[0] for r in conn.execute("SELECT site FROM jobs WHERE state = 'running' AND site IS NOT NULL")}
            candidates = conn.execute("SELECT id, domain FROM jobs WHERE state = 'queued' AND not_before <= ?"
                                      " ORDER BY id LIMIT ?", (now, CLAIM_LOOKAHEAD)).fetchall()
            for job_id, domain in candidates:
                site = site_of(domain)
                last = conn.execute("SELECT last_started_at FROM site_pace WHERE site = ?", (site,)).fetchone()
                if hold(site, now, site in busy, last[0] if last else None, min_interval_s) is not None:
                    continue
                row = conn.execute(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = :now, heartbeat_at = :now,"
                    " progress = 'starting', finished_at = NULL, worker = :worker, site = :site WHERE id = :id"
                    " RETURNING *", dict(now=now, worker=worker, site=site, id=job_id)).fetchone()
                conn.execute("INSERT INTO site_pace (site, last_started_at) VALUES (?, ?)"
                             " ON CONFLICT (site) DO UPDATE SET last_started_at = excluded.last_started_at", (site, now))
                return _job(row)
            return None

    async def heartbeat(self, job_ids: list[int], now: float) -> None:
        if job_ids:
            await self._write(lambda conn: conn.executemany(
                "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND state = 'running'", [(now, i) for i in job_ids]))

    async def set_progress(self, job_id: int, progress: str, attempt: int | None = None) -> None:
        await self._write(lambda conn: conn.execute(
            "UPDATE jobs SET progress = :progress WHERE id = :id AND state = 'running'"
            " AND (:attempt IS NULL OR attempts = :attempt)", dict(progress=progress, id=job_id, attempt=attempt)))

    async def fail_job(self, job_id: int, error: str, retry_at: float | None, now: float,
                       stale_before: float | None = None, attempt: int | None = None) -> Job | None:
        def update(conn: sqlite3.Connection) -> Job | None:
            row = conn.execute(
                "UPDATE jobs SET state = CASE WHEN :retry IS NULL THEN 'failed' ELSE 'queued' END,"
                " not_before = COALESCE(:retry, not_before), error = :error, heartbeat_at = NULL,"
                " finished_at = CASE WHEN :retry IS NULL THEN :now END,"
                " progress = CASE WHEN :retry IS NULL THEN 'failed' ELSE 'retry scheduled' END"
                " WHERE id = :id AND state = 'running'"
                " AND (:stale IS NULL OR heartbeat_at IS NULL OR heartbeat_at < :stale)"
                " AND (:attempt IS NULL OR attempts = :attempt) RETURNING *",
                dict(retry=retry_at, error=error, now=now, id=job_id, stale=stale_before, attempt=attempt)).fetchone()
            return _job(row) if row else None

        return await self._write(update)

    async def stale_jobs(self, heartbeat_before: float) -> list[Job]:
        def fetch(conn: sqlite3.Connection) -> list[Job]:
            rows = conn.execute("SELECT * FROM jobs WHERE state = 'running' AND"
                                " (heartbeat_at IS NULL OR heartbeat_at < ?) ORDER BY id", (heartbeat_before,))
            return [_job(r) for r in rows]

        return await self._read(fetch)

    async def cancel(self, job_id: int, now: float) -> Job:
        def update(conn: sqlite3.Connection) -> Job:
            with self._tx(conn):
                row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
                if row is None:
                    raise JobNotFoundError(f"no crawl job {job_id}")
                if row["state"] in ("done", "failed"):
                    raise ConflictError(f"crawl job {job_id} already {row['state']}")
                row = conn.execute("UPDATE jobs SET state = 'cancelled', finished_at = COALESCE(finished_at, ?),"
                                   " progress = 'cancelled' WHERE id = ? RETURNING *", (now, job_id)).fetchone()
            return _job(row)

        return await self._write(update)

    # ------------------------------------------------------------------ schedules
    async def add_schedule(self, schedule: Schedule) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.execute("INSERT INTO schedules VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (schedule.name, json.dumps(schedule.domains), schedule.every_s, schedule.cron,
                              schedule.created_at, schedule.last_run_at, schedule.next_run_at))
            except sqlite3.IntegrityError:
                raise ConflictError(f"a schedule named {schedule.name!r} exists already") from None

        await self._write(insert)

    async def schedules(self) -> list[Schedule]:
        return await self._read(lambda conn: [_schedule(r) for r in conn.execute(
            "SELECT * FROM schedules ORDER BY name")])

    async def remove_schedule(self, name: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            if conn.execute("DELETE FROM schedules WHERE name = ?", (name,)).rowcount == 0:
                raise ScheduleNotFoundError(f"no schedule named {name!r}")

        await self._write(delete)

    async def due_schedules(self, now: float) -> list[Schedule]:
        return await self._read(lambda conn: [_schedule(r) for r in conn.execute(
            "SELECT * FROM schedules WHERE next_run_at <= ? ORDER BY next_run_at", (now,))])

    async def mark_schedule_run(self, name: str, ran_at: float, next_run_at: float) -> None:
        await self._write(lambda conn: conn.execute(
            "UPDATE schedules SET last_run_at = ?, next_run_at = ? WHERE name = ?", (ran_at, next_run_at, name)))

    # ------------------------------------------------------------------ tokens
    async def add_token(self, name: str, token_sha256: str, now: float) -> TokenInfo:
        def insert(conn: sqlite3.Connection) -> TokenInfo:
            try:
                row = conn.execute("INSERT INTO tokens (name, token_sha256, created_at) VALUES (?, ?, ?)"
                                   " RETURNING id, name, created_at, last_used_at, revoked_at",
                                   (name, token_sha256, now)).fetchone()
            except sqlite3.IntegrityError:
                raise ConflictError(f"a token named {name!r} exists already") from None
            return TokenInfo(**dict(row))

        return await self._write(insert)

    async def token_by_hash(self, token_sha256: str) -> TokenInfo | None:
        def fetch(conn: sqlite3.Connection) -> TokenInfo | None:
            row = conn.execute("SELECT id, name, created_at, last_used_at, revoked_at FROM tokens"
                               " WHERE token_sha256 = ?", (token_sha256,)).fetchone()
            return TokenInfo(**dict(row)) if row else None

        return await self._read(fetch)

    async def touch_token(self, token_id: int, now: float) -> None:
        await self._write(lambda conn: conn.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", (now, token_id)))

    async def tokens(self) -> list[TokenInfo]:
        return await self._read(lambda conn: [TokenInfo(**dict(r)) for r in conn.execute(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM tokens ORDER BY id")])

    async def revoke_token(self, name: str, now: float) -> None:
        def update(conn: sqlite3.Connection) -> None:
            if conn.execute("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                            (now, name)).rowcount == 0:
                raise ConflictError(f"no active token named {name!r}")

        await self._write(update)


class _DataVersion:
    """When the file last changed, for a ``SummaryCache``: SQLite's ``PRAGMA data_version``.

    It changes exactly when another connection has committed (this one only reads). It is asked at once
    after a write through this store, and otherwise at most every ``RECHECK_S`` (writes from other
    processes), which keeps a cache hit to a dict lookup.
    """

    RECHECK_S = 0.25

    def __init__(self, store: SqliteStore, conn: sqlite3.Connection) -> None:
        self.store = store
        self.conn = conn
        self.version = -1
        self.writes_seen = -1
        self.recheck_at = 0.0

    def __call__(self) -> int:
        now = time.monotonic()
        if now < self.recheck_at and self.writes_seen == self.store.writes:
            return self.version
        self.recheck_at = now + self.RECHECK_S
        self.writes_seen = self.store.writes
        self.version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return self.version


def _sqlite_summaries(store: SqliteStore) -> SummaryCache:
    """A cache for the calling thread, with its own connection: a primary-key lookup of precomputed bytes
    takes a few microseconds, less than a hop to a reader thread, so a miss reads inline."""
    conn = store._connect(row_factory=False)

    async def load(domain: str) -> SummaryBlob | None:
        row = conn.execute("SELECT summary_json, etag FROM sites WHERE domain = ? AND summary_json IS NOT NULL",
                           (domain,)).fetchone()
        return SummaryBlob(body=row[0], etag=row[1]) if row else None

    async def load_many(limit: int) -> list[tuple[str, SummaryBlob]]:
        """The most recently audited sites, read on a reader thread (not on the loop that serves requests)."""
        rows = await store._read(lambda conn: conn.execute(
            "SELECT domain, summary_json, etag FROM sites WHERE summary_json IS NOT NULL ORDER BY audited_at DESC"
            " LIMIT ?", (limit,)).fetchall())
        return [(r[0], SummaryBlob(body=r[1], etag=r[2])) for r in rows]

    # Warmed at the first request and after a write emptied it, at most once a minute: while audits are being
    # stored the cache is emptied at each, and a bulk read of every site per audit would cost more than it saves.
    return SummaryCache(load, _DataVersion(store, conn), load_many)


def _check_limits(conn: sqlite3.Connection, domains: list[str], token_id: int | None, limits: QueueLimits) -> None:
    """All or nothing: refuse the whole request if its new jobs do not fit the token's quota or the cap."""
    domains = list(dict.fromkeys(domains))  # a domain named twice is one job
    placeholders = ",".join("?" * len(domains))
    already = conn.execute(f"SELECT count(*) FROM jobs WHERE state IN ('queued', 'running') AND domain IN"
                           f" ({placeholders})", domains).fetchone()[0]
    new = len(domains) - already
    if new <= 0:
        return
    if token_id is not None:
        mine = conn.execute("SELECT count(*) FROM jobs WHERE token_id = ? AND state IN ('queued', 'running')",
                            (token_id,)).fetchone()[0]
        if mine + new > limits.per_token:
            raise QueueFullError(f"this token has {mine} crawl job(s) queued or running and may have at most "
                                 f"{limits.per_token}; {new} more would exceed its quota (nothing was queued)",
                                 limits.retry_after_s)
    total = conn.execute("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0]
    if total + new > limits.total:
        raise QueueFullError(f"the crawl queue is full ({total} of {limits.total} jobs queued or running); "
                             f"{new} more do not fit (nothing was queued)", limits.retry_after_s)


def _job(row: sqlite3.Row) -> Job:
    return Job(**dict(row))


def _schedule(row: sqlite3.Row) -> Schedule:
    data: dict[str, Any] = dict(row)
    data["domains"] = json.loads(data["domains"])
    return Schedule(**data)
