"""``PostgresStore``: the ``Store`` on PostgreSQL (psycopg 3, async pool), for several processes or machines.

Same contract as ``SqliteStore`` (tests/store_contract/), in SQL that holds under concurrency: several API
replicas and workers share one database. One active job per domain is the partial unique index; claiming
is ``FOR UPDATE SKIP LOCKED``; queue limits are checked under a transaction advisory lock, so two requests
cannot both take the last free place. Migrations run in one transaction behind ``pg_advisory_xact_lock``:
processes starting together apply them once. The summary cache forgets a domain when the ``sites``
trigger announces it (LISTEN/NOTIFY); while that listener is down, nothing is cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import re
import time
import weakref
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from typing import Any

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.rows import dict_row

from ..errors import (
    ConflictError,
    JobNotFoundError,
    QueueFullError,
    ScheduleNotFoundError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
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
from .migrate import migrations, refuse_newer
from .pace import CLAIM_LOOKAHEAD, Held, hold, site_of
from .records import PreparedAudit, decompress
from .site_filters import Dialect, site_filters
from .summary_cache import SummaryCache

# How this backend spells the shared site filters (api/store/site_filters.py).
POSTGRES = Dialect(
    mark="%s",
    equals_ignoring_case=lambda column: f"lower({column}) = lower(%s)",
    one_of=lambda column, values: (f"{column} = ANY(%s)", [list(values)]),
)

log = logging.getLogger(__name__)

CHANNEL = "consentwatch_sites"  # raised by the sites trigger (migrations_postgres/0001)
CANCEL_CHANNEL = "consentwatch_cancel"  # raised when a running job is cancelled (migrations_postgres/0007)
MIGRATION_LOCK = 0x636F6E73656E7401  # pg_advisory_xact_lock keys: any constants unique to this program
ENQUEUE_LOCK = 0x636F6E73656E7402
UNAVAILABLE_RETRY_S = 5.0
CHECK_IDLE_AFTER_S = 5.0  # a summary read connection idle longer is checked (an empty query) before use
SUMMARY_READ_CONNECTIONS = 4
FULL_RETRY_S = 300.0
JOB_COLUMNS = ("id, domain, state, source, attempts, max_attempts, created_at, not_before, started_at, finished_at,"
               " heartbeat_at, progress, error, report_id, token_id, worker, site")
TOKEN_COLUMNS = "id, name, created_at, last_used_at, revoked_at"


def is_postgres_url(location: str) -> bool:
    return location.startswith(("postgres://", "postgresql://"))


def translate_error(exc: BaseException) -> StoreError | None:
    """The service's error for a PostgreSQL failure it can explain; None for a bug (a broken constraint …)."""
    if isinstance(exc, pg_errors.DiskFull):
        return StoreFullError(f"the database server's disk is full ({exc}); try again later", FULL_RETRY_S)
    if isinstance(exc, pg_errors.DataCorrupted | pg_errors.IndexCorrupted):
        return StoreCorruptError(f"the database reports damaged data ({exc}); restore it from a backup")
    if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected | pg_errors.SerializationFailure
                   | pg_errors.QueryCanceled | pg_errors.OutOfMemory | pg_errors.TooManyConnections):
        return StoreBusyError(f"the database is busy ({exc}); try again shortly", UNAVAILABLE_RETRY_S)
    if isinstance(exc, psycopg_pool.PoolTimeout | psycopg.OperationalError):
        return StoreUnavailableError(f"cannot reach the database ({exc}); try again shortly", UNAVAILABLE_RETRY_S)
    return None


def with_lock_timeout(url: str, timeout_s: float) -> str:
    """``url`` as a conninfo whose sessions wait at most ``timeout_s`` for a lock (then: busy, 503)."""
    try:
        options = psycopg.conninfo.conninfo_to_dict(url).get("options") or ""
        return psycopg.conninfo.make_conninfo(url, options=f"{options} -c lock_timeout={int(timeout_s * 1000)}".strip())
    except psycopg.ProgrammingError as exc:
        raise StoreError(f"not a valid PostgreSQL URL: {exc}") from None


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the PostgreSQL database"
    return f"postgresql://{info.get('user', '')}@{info.get('host', '')}:{info.get('port', '5432')}/{info.get('dbname', '')}"


class PostgresStore:
    def __init__(self, url: str, min_connections: int = 1, max_connections: int = 10,
                 busy_timeout_s: float = 10.0) -> None:
        self.url = url
        self.busy_timeout_s = busy_timeout_s
        self._conninfo = with_lock_timeout(url, busy_timeout_s)
        self._pool = psycopg_pool.AsyncConnectionPool(
            self._conninfo, min_size=min_connections, max_size=max_connections, open=False, timeout=busy_timeout_s,
            kwargs={"autocommit": True, "row_factory": dict_row},
            # A pooled connection the server has dropped (restart, failover, idle timeout) is replaced before
            # use instead of failing one request each: an empty query per checkout.
            check=psycopg_pool.AsyncConnectionPool.check_connection)
        # Summary misses (the hot path's reads) have a small pool of their own without that round trip per
        # checkout (it was half a miss's cost): a connection idle for a while is checked, and a read that meets
        # a dropped connection is read again once on a fresh one.
        self._reads = psycopg_pool.AsyncConnectionPool(
            self._conninfo, min_size=1, max_size=SUMMARY_READ_CONNECTIONS, open=False, timeout=busy_timeout_s,
            kwargs={"autocommit": True}, check=self._check_idle)
        self._returned: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = weakref.WeakKeyDictionary()
        self._listener: asyncio.Task[None] | None = None
        self._listening = False
        self._epoch = 0  # bumped whenever notifications may have been missed (listener reconnected)
        self._uncached = itertools.count()
        # Warmed at the first summary request (only processes that serve summaries read them all) and after a
        # listener reconnect emptied it.
        self._summaries = SummaryCache(self._load_summary, self._summary_version, self._recent_summaries)

    # ------------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        try:
            await self._pool.open(wait=True, timeout=self.busy_timeout_s)
            await self._reads.open(wait=False)
        except psycopg_pool.PoolTimeout as exc:
            await self._pool.close()
            await self._reads.close()
            raise StoreUnavailableError(f"cannot connect to {redact(self.url)}: {exc}", UNAVAILABLE_RETRY_S) from exc
        try:
            async with self._conn() as conn:
                await migrate(conn)
        except BaseException:
            await self._pool.close()
            await self._reads.close()
            raise
        ready = asyncio.Event()
        self._listener = asyncio.create_task(self._listen(ready), name="store-listen")
        with contextlib.suppress(asyncio.TimeoutError):  # without it the cache is off, not the store
            await asyncio.wait_for(ready.wait(), self.busy_timeout_s)

    async def close(self) -> None:
        await self._summaries.close()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._reads.close()
        await self._pool.close()

    async def check(self) -> None:
        async with self._conn() as conn:
            await conn.execute("SELECT count(*) FROM schema_migrations")

    async def _check_idle(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if time.monotonic() - self._returned.get(conn, 0.0) > CHECK_IDLE_AFTER_S:
            await psycopg_pool.AsyncConnectionPool.check_connection(conn)

    @contextlib.asynccontextmanager
    async def _conn(self, pool: psycopg_pool.AsyncConnectionPool[Any] | None = None,
                    ) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        try:
            async with (pool or self._pool).connection() as conn:
                try:
                    yield conn
                finally:
                    self._returned[conn] = time.monotonic()
        except psycopg.Error as exc:
            known = translate_error(exc)
            if known is None:
                raise
            raise known from exc
        except psycopg_pool.PoolTimeout as exc:
            raise StoreUnavailableError(f"no database connection free within {self.busy_timeout_s:g}s; try again"
                                        " shortly", UNAVAILABLE_RETRY_S) from exc

    async def _fetchone(self, sql: str, params: Any = None) -> dict[str, Any] | None:
        async with self._conn() as conn:
            return await (await conn.execute(sql, params)).fetchone()

    async def _fetchall(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        async with self._conn() as conn:
            return await (await conn.execute(sql, params)).fetchall()

    async def _execute(self, sql: str, params: Any = None) -> int:
        async with self._conn() as conn:
            return (await conn.execute(sql, params)).rowcount

    # ------------------------------------------------------------------ summary cache
    async def _listen(self, ready: asyncio.Event) -> None:
        """Forget each domain the trigger announces; reconnect after a lost connection."""
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._epoch += 1  # what changed while nobody listened is unknown: start clean
                    self._listening = True
                    ready.set()
                    delay = 0.5
                    async for note in conn.notifies():
                        self._summaries.forget(note.payload)
                self._listening = False  # the stream ended without an error: reconnect all the same
            except asyncio.CancelledError:
                self._listening = False
                raise
            except (psycopg.Error, OSError) as exc:
                self._listening = False
                log.warning("summary cache off: lost the LISTEN connection (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _summary_version(self) -> Hashable:
        return self._epoch if self._listening else ("uncached", next(self._uncached))

    async def _load_summary(self, domain: str) -> SummaryBlob | None:
        try:
            row = await self._read_summary(domain)
        except StoreUnavailableError as exc:
            if not isinstance(exc.__cause__, psycopg.OperationalError):
                raise  # no connection free in time: waiting again would only double the wait
            # The connection was dropped; a restart or failover drops its idle siblings too, so the pool checks
            # them all (replacing the dead ones) before the one retry, which would otherwise meet another.
            await self._reads.check()
            row = await self._read_summary(domain)
        return SummaryBlob(body=row[0], etag=row[1]) if row else None

    async def _read_summary(self, domain: str) -> tuple[bytes, str] | None:
        async with self._conn(self._reads) as conn:
            return await (await conn.execute(  # type: ignore[return-value]  # the reads pool returns tuples
                "SELECT summary_json, etag FROM sites WHERE domain = %s AND summary_json IS NOT NULL",
                (domain,))).fetchone()

    async def summary(self, domain: str) -> SummaryBlob | None:
        return await self._summaries.get(domain)

    async def _recent_summaries(self, limit: int) -> list[tuple[str, SummaryBlob]]:
        """The ``limit`` most recently audited sites' summaries: what a replica keeps from the start."""
        if not self._listening:
            return []  # the cache is off: nothing read now could be kept
        rows = await self._fetchall("SELECT domain, summary_json, etag FROM sites WHERE summary_json IS NOT NULL"
                                    " ORDER BY audited_at DESC LIMIT %s", (limit,))
        return [(r["domain"], SummaryBlob(body=r["summary_json"], etag=r["etag"])) for r in rows]

    # ------------------------------------------------------------------ audits
    async def save_audit(self, audit: PreparedAudit, job_id: int | None = None, attempt: int | None = None) -> int:
        async with self._conn() as conn, conn.transaction():
            if job_id is not None:
                # The job row stays locked until commit, and ``cancel`` locks it too: either the cancel waits and
                # finds the job done (409), or this save finds it cancelled and stores nothing.
                await _lock_running_job(conn, job_id, attempt)
            capture = await (await conn.execute(
                "INSERT INTO captures (job_id, domain, started_at, finished_at, data) VALUES (%s, %s, %s, %s, %s)"
                " RETURNING id",
                (job_id, audit.domain, audit.capture_started_at, audit.capture_finished_at, audit.capture_blob),
            )).fetchone()
            report = await (await conn.execute(
                "INSERT INTO reports (capture_id, domain, audited_at, grade, score, reachable, policy_sha256,"
                " policy_text, summary_json, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (capture["id"], audit.domain, audit.audited_at, audit.grade, audit.score, audit.reachable,
                 audit.policy_sha256, audit.policy_text, audit.summary_json, audit.report_blob),
            )).fetchone()
            report_id = report["id"]
            async with conn.cursor() as cur:
                if audit.findings:
                    await cur.executemany(
                        "INSERT INTO findings (report_id, code, severity, company_id, company_name, product_id, title)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [(report_id, f.code, f.severity, f.company_id, f.company_name, f.product_id, f.title)
                         for f in audit.findings])
                if audit.trackers:
                    await cur.executemany(
                        "INSERT INTO trackers (report_id, key, name, company_id, company_name, category, declared,"
                        " first_party) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        [(report_id, t.key, t.name, t.company_id, t.company_name, t.category, t.declared,
                          t.first_party) for t in audit.trackers])
            await conn.execute("INSERT INTO sites (domain, first_seen_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                               (audit.domain, audit.audited_at))
            # An unreachable audit joins the history but does not hide the last good one from the popup. The
            # condition reads only the row being updated, so a concurrent save of the same domain (which this
            # UPDATE waits for) is judged on the committed row: the newest audit wins, whatever the order.
            await conn.execute(
                "UPDATE sites SET latest_report_id = %(rid)s, audited_at = %(at)s, grade = %(grade)s,"
                " score = %(score)s, summary_json = %(summary)s, etag = %(etag)s, reachable = %(reachable)s"
                " WHERE domain = %(domain)s AND (latest_report_id IS NULL OR ((%(reachable)s OR NOT reachable)"
                " AND %(at)s >= audited_at))",
                dict(rid=report_id, at=audit.audited_at, grade=audit.grade, score=audit.score,
                     summary=audit.summary_json, etag=audit.etag, domain=audit.domain, reachable=audit.reachable))
            if job_id is not None:
                await conn.execute(
                    "UPDATE jobs SET state = 'done', finished_at = %s, progress = 'done', report_id = %s, error = NULL"
                    " WHERE id = %s AND state = 'running'", (time.time(), report_id, job_id))
        self._summaries.forget(audit.domain)  # our own write is seen at once; others' through NOTIFY
        return report_id

    async def report(self, domain: str, report_id: int | None = None) -> StoredReport | None:
        if report_id is None:
            row = await self._fetchone("SELECT r.id, r.domain, r.audited_at, r.data, r.capture_id FROM sites s"
                                       " JOIN reports r ON r.id = s.latest_report_id WHERE s.domain = %s", (domain,))
        else:
            row = await self._fetchone("SELECT id, domain, audited_at, data, capture_id FROM reports"
                                       " WHERE id = %s AND domain = %s", (report_id, domain))
        if row is None:
            return None
        return StoredReport(report_id=row["id"], domain=row["domain"], audited_at=row["audited_at"],
                            body=decompress(row["data"]), capture_id=row["capture_id"])

    async def capture(self, capture_id: int) -> bytes | None:
        row = await self._fetchone("SELECT data FROM captures WHERE id = %s", (capture_id,))
        return decompress(row["data"]) if row else None

    async def policy_text(self, report_id: int) -> str | None:
        row = await self._fetchone("SELECT policy_text FROM reports WHERE id = %s", (report_id,))
        return row["policy_text"] if row else None

    async def evidence_bundle(self, report_id: int) -> bytes | None:
        row = await self._fetchone("SELECT data FROM evidence_bundles WHERE report_id = %s", (report_id,))
        return bytes(row["data"]) if row else None

    async def save_evidence_bundle(self, report_id: int, bundle: bytes, now: float) -> bytes:
        async with self._conn() as conn, conn.transaction():
            await conn.execute("INSERT INTO evidence_bundles (report_id, created_at, sha256, size, data)"
                               " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (report_id) DO NOTHING",
                               (report_id, now, hashlib.sha256(bundle).hexdigest(), len(bundle), bundle))
            row = await (await conn.execute("SELECT data FROM evidence_bundles WHERE report_id = %s",
                                            (report_id,))).fetchone()
        assert row is not None  # inserted above or by the writer that won
        return bytes(row["data"])

    async def history(self, domain: str) -> list[AuditRef]:
        rows = await self._fetchall("SELECT id, audited_at, grade, score, reachable, policy_sha256, summary_json"
                                    " FROM reports WHERE domain = %s ORDER BY audited_at, id", (domain,))
        return [AuditRef(report_id=r["id"], audited_at=r["audited_at"], grade=r["grade"], score=r["score"],
                         reachable=r["reachable"], policy_sha256=r["policy_sha256"],
                         counts=counts_of(r["summary_json"])) for r in rows]

    async def list_sites(self, query: SiteQuery) -> tuple[list[SiteRow], int]:
        clause, params = site_filters(query, POSTGRES)
        async with self._conn() as conn:
            total = (await (await conn.execute(f"SELECT count(*) AS n FROM sites s WHERE {clause}", params)).fetchone())
            rows = await (await conn.execute(
                f"SELECT domain, audited_at, grade, score, summary_json FROM sites s WHERE {clause}"
                ' ORDER BY domain COLLATE "C" LIMIT %s OFFSET %s', [*params, query.limit, query.offset])).fetchall()
        return [SiteRow(domain=r["domain"], audited_at=r["audited_at"], grade=r["grade"], score=r["score"],
                        summary=r["summary_json"]) for r in rows], total["n"]

    # ------------------------------------------------------------------ jobs
    async def enqueue(self, domains: list[str], source: str, max_attempts: int, now: float,
                      token_id: int | None = None, limits: QueueLimits | None = None) -> list[Job]:
        async with self._conn() as conn, conn.transaction():
            if limits is not None:
                # Limited requests take turns, so two cannot both fill the last free places.
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ENQUEUE_LOCK,))
                await _check_limits(conn, domains, token_id, limits)
            by_domain: dict[str, Job] = {}
            for domain in sorted(set(domains)):  # one order for every transaction: no deadlock between two
                by_domain[domain] = await _insert_or_active(conn, domain, source, max_attempts, now, token_id)
        return [by_domain[d] for d in domains]

    async def job(self, job_id: int) -> Job | None:
        row = await self._fetchone(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = %s", (job_id,))
        return Job(**row) if row else None

    async def jobs(self, state: JobState | None = None, limit: int = 100) -> list[Job]:
        if state is None:
            rows = await self._fetchall(f"SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT %s", (limit,))
        else:
            rows = await self._fetchall(f"SELECT {JOB_COLUMNS} FROM jobs WHERE state = %s ORDER BY id DESC LIMIT %s",
                                        (state, limit))
        return [Job(**r) for r in rows]

    async def queue_position(self, job_id: int) -> int | None:
        row = await self._fetchone(
            "SELECT (SELECT count(*) FROM jobs q WHERE q.state = 'queued' AND q.id < j.id) AS ahead FROM jobs j"
            " WHERE j.id = %s AND j.state = 'queued'", (job_id,))
        return row["ahead"] if row else None

    async def job_counts(self) -> dict[str, int]:
        return {r["state"]: r["n"] for r in await self._fetchall("SELECT state, count(*) AS n FROM jobs GROUP BY state")}

    async def claim(self, now: float, worker: str | None = None, min_interval_s: float = 0.0) -> Job | None:
        async with self._conn() as conn, conn.transaction():
            after = 0
            for _ in range(CLAIM_LOOKAHEAD):  # past jobs whose site is busy or paced, one row lock at a time
                row = await (await conn.execute(
                    "SELECT id, domain FROM jobs WHERE state = 'queued' AND not_before <= %s AND id > %s"
                    " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", (now, after))).fetchone()
                if row is None:
                    return None
                after = row["id"]
                started = await _start_if_polite(conn, row["id"], row["domain"], now, worker, min_interval_s,
                                                 wait=False)
                if isinstance(started, Job):
                    return started
            return None

    async def claim_job(self, job_id: int, now: float, worker: str, min_interval_s: float = 0.0) -> Job | Held | None:
        """Move queued job ``job_id`` to running for ``worker`` (attempts + 1); None if it is not queued (done,
        cancelled, failed for good, or running elsewhere): a procrastinate job run twice works it once.
        ``Held`` when its site is busy or paced (``pace.py``): the job stays queued, ``not_before`` moved to
        when it may start, for the caller to come back then."""
        async with self._conn() as conn, conn.transaction():
            row = await (await conn.execute("SELECT id, domain FROM jobs WHERE id = %s AND state = 'queued' FOR UPDATE",
                                            (job_id,))).fetchone()
            if row is None:
                return None
            started = await _start_if_polite(conn, job_id, row["domain"], now, worker, min_interval_s)
            if isinstance(started, Held):
                await conn.execute("UPDATE jobs SET not_before = %s, progress = %s WHERE id = %s",
                                   (started.until, f"waiting: {started.reason}", job_id))
            return started

    async def heartbeat(self, job_ids: list[int], now: float) -> None:
        if job_ids:
            await self._execute("UPDATE jobs SET heartbeat_at = %s WHERE id = ANY(%s) AND state = 'running'",
                                (now, list(job_ids)))

    async def set_progress(self, job_id: int, progress: str, attempt: int | None = None) -> None:
        await self._execute("UPDATE jobs SET progress = %s WHERE id = %s AND state = 'running'"
                            " AND (%s::int IS NULL OR attempts = %s::int)", (progress, job_id, attempt, attempt))

    async def fail_job(self, job_id: int, error: str, retry_at: float | None, now: float,
                       stale_before: float | None = None, attempt: int | None = None) -> Job | None:
        row = await self._fetchone(
            "UPDATE jobs SET state = CASE WHEN %(retry)s::float8 IS NULL THEN 'failed' ELSE 'queued' END,"
            " not_before = COALESCE(%(retry)s::float8, not_before), error = %(error)s, heartbeat_at = NULL,"
            " finished_at = CASE WHEN %(retry)s::float8 IS NULL THEN %(now)s::float8 END,"
            " progress = CASE WHEN %(retry)s::float8 IS NULL THEN 'failed' ELSE 'retry scheduled' END"
            " WHERE id = %(id)s AND state = 'running'"
            " AND (%(stale)s::float8 IS NULL OR heartbeat_at IS NULL OR heartbeat_at < %(stale)s::float8)"
            " AND (%(attempt)s::int IS NULL OR attempts = %(attempt)s::int)"
            f" RETURNING {JOB_COLUMNS}",
            dict(retry=retry_at, error=error, now=now, id=job_id, stale=stale_before, attempt=attempt))
        return Job(**row) if row else None

    async def jobs_taken_away(self, job_ids: list[int], worker: str) -> list[int]:
        """Which of ``worker``'s running jobs it must stop: cancelled, or re-queued/taken by another worker (its
        heartbeat was missed). The heartbeat's check, for when a cancel's NOTIFY was not heard."""
        if not job_ids:
            return []
        rows = await self._fetchall("SELECT id FROM jobs WHERE id = ANY(%s) AND NOT (state IN ('running', 'done')"
                                    " AND worker IS NOT DISTINCT FROM %s) ORDER BY id", (list(job_ids), worker))
        return [r["id"] for r in rows]

    async def watch_cancels(self, on_cancel: Callable[[int], None], ready: asyncio.Event | None = None) -> None:
        """Call ``on_cancel(job_id)`` for each running job cancelled by any process (the trigger of migration
        0007 announces it at commit). Runs until cancelled; reconnects after a lost connection (meanwhile the
        caller's heartbeat check, ``jobs_taken_away``, is what notices)."""
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CANCEL_CHANNEL}")
                    if ready is not None:
                        ready.set()
                    delay = 0.5
                    async for note in conn.notifies():
                        with contextlib.suppress(ValueError):
                            on_cancel(int(note.payload))
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as exc:
                log.warning("not hearing cancels: lost the LISTEN connection (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def stale_jobs(self, heartbeat_before: float) -> list[Job]:
        rows = await self._fetchall(f"SELECT {JOB_COLUMNS} FROM jobs WHERE state = 'running' AND"
                                    " (heartbeat_at IS NULL OR heartbeat_at < %s) ORDER BY id", (heartbeat_before,))
        return [Job(**r) for r in rows]

    async def cancel(self, job_id: int, now: float) -> Job:
        async with self._conn() as conn, conn.transaction():
            row = await (await conn.execute("SELECT state FROM jobs WHERE id = %s FOR UPDATE", (job_id,))).fetchone()
            if row is None:
                raise JobNotFoundError(f"no crawl job {job_id}")
            if row["state"] in ("done", "failed"):
                raise ConflictError(f"crawl job {job_id} already {row['state']}")
            row = await (await conn.execute(
                "UPDATE jobs SET state = 'cancelled', finished_at = COALESCE(finished_at, %s), progress = 'cancelled'"
                f" WHERE id = %s RETURNING {JOB_COLUMNS}", (now, job_id))).fetchone()
        return Job(**row)

    # ------------------------------------------------------------------ schedules
    async def add_schedule(self, schedule: Schedule) -> None:
        try:
            await self._execute(
                "INSERT INTO schedules (name, domains, every_s, cron, created_at, last_run_at, next_run_at)"
                " VALUES (%s, %s::text[], %s, %s, %s, %s, %s)",
                (schedule.name, schedule.domains, schedule.every_s, schedule.cron, schedule.created_at,
                 schedule.last_run_at, schedule.next_run_at))
        except pg_errors.UniqueViolation:
            raise ConflictError(f"a schedule named {schedule.name!r} exists already") from None

    async def schedules(self) -> list[Schedule]:
        return [Schedule(**r) for r in await self._fetchall('SELECT * FROM schedules ORDER BY name COLLATE "C"')]

    async def remove_schedule(self, name: str) -> None:
        async with self._conn() as conn, conn.transaction():
            if (await conn.execute("DELETE FROM schedules WHERE name = %s", (name,))).rowcount == 0:
                raise ScheduleNotFoundError(f"no schedule named {name!r}")
            # its targets, all at once (a big list's partition): dropped, not deleted row by row
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(target_partition(name))))

    async def due_schedules(self, now: float) -> list[Schedule]:
        return [Schedule(**r) for r in await self._fetchall(
            "SELECT * FROM schedules WHERE next_run_at <= %s ORDER BY next_run_at", (now,))]

    async def mark_schedule_run(self, name: str, ran_at: float, next_run_at: float) -> None:
        await self._execute("UPDATE schedules SET last_run_at = %s, next_run_at = %s WHERE name = %s",
                            (ran_at, next_run_at, name))

    async def add_target_schedule(self, name: str, every_s: float, domains: Iterable[str], now: float) -> int:
        """An interval schedule over a big list (``schedule_targets``, migrations 0004 and 0008): its domains
        (duplicates dropped) loaded with COPY into a partition of their own, each due first at ``now`` + its
        hash share of the period (``spread``). The partition is loaded without indexes and attached after,
        which builds them in one pass: row-by-row index upkeep was most of a 1M-line load. Returns the count."""
        part = sql.Identifier(target_partition(name))
        try:
            async with self._conn() as conn, conn.transaction():
                await conn.execute("INSERT INTO schedules (name, domains, every_s, created_at, next_run_at)"
                                   " VALUES (%s, '{}', %s, %s, 'Infinity')", (name, every_s, now))
                await conn.execute(sql.SQL("CREATE TABLE {} (LIKE schedule_targets)").format(part))
                await conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN schedule SET DEFAULT {}").format(
                    part, sql.Literal(name)))
                loaded = 0
                async with conn.cursor() as cur, cur.copy(
                        sql.SQL("COPY {} (domain, next_due_at) FROM STDIN").format(part)) as copy:
                    for lines in _target_lines(domains, now, every_s):
                        await copy.write(lines[0])
                        loaded += lines[1]
                await conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN schedule DROP DEFAULT").format(part))
                await conn.execute(sql.SQL("ALTER TABLE schedule_targets ATTACH PARTITION {} FOR VALUES IN ({})")
                                   .format(part, sql.Literal(name)))
                return loaded
        except (pg_errors.UniqueViolation, pg_errors.DuplicateTable):
            raise ConflictError(f"a schedule named {name!r} exists already") from None

    async def feed_due_targets(self, now: float, high_water: int, max_attempts: int) -> int:
        """Queue due schedule targets while fewer than ``high_water`` jobs wait; move each one period on.

        Feeders take turns on the enqueue lock (the same as limited API requests), so together they never fill
        the queue past the mark; SKIP LOCKED leaves targets another transaction holds (e.g. a removal)."""
        async with self._conn() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ENQUEUE_LOCK,))
            depth = (await (await conn.execute("SELECT count(*) AS n FROM jobs WHERE state = 'queued'")).fetchone())["n"]
            room = high_water - depth
            if room <= 0:
                return 0
            row = await (await conn.execute(
                "WITH due AS (SELECT t.schedule, t.domain, s.every_s FROM schedule_targets t"
                "   JOIN schedules s ON s.name = t.schedule WHERE t.next_due_at <= %(now)s"
                "   ORDER BY t.next_due_at LIMIT %(room)s FOR UPDATE OF t SKIP LOCKED),"
                " moved AS (UPDATE schedule_targets t SET next_due_at = t.next_due_at"
                "   + due.every_s * (floor((%(now)s - t.next_due_at) / due.every_s) + 1)"
                "   FROM due WHERE t.schedule = due.schedule AND t.domain = due.domain RETURNING t.schedule, t.domain),"
                " queued AS (INSERT INTO jobs (domain, state, source, max_attempts, created_at, not_before, progress)"
                "   SELECT DISTINCT ON (domain) domain, 'queued', 'schedule:' || schedule, %(max)s, %(now)s, %(now)s,"
                "   'queued' FROM moved ON CONFLICT (domain) WHERE state IN ('queued', 'running') DO NOTHING"
                "   RETURNING id)"
                " SELECT count(*) AS n FROM queued", dict(now=now, room=room, max=max_attempts))).fetchone()
            return row["n"]

    async def target_counts(self) -> dict[str, int]:
        """Targets per big-list schedule."""
        return {r["schedule"]: r["n"] for r in await self._fetchall(
            "SELECT schedule, count(*) AS n FROM schedule_targets GROUP BY schedule")}

    # ------------------------------------------------------------------ tokens
    async def add_token(self, name: str, token_sha256: str, now: float) -> TokenInfo:
        try:
            row = await self._fetchone(f"INSERT INTO tokens (name, token_sha256, created_at) VALUES (%s, %s, %s)"
                                       f" RETURNING {TOKEN_COLUMNS}", (name, token_sha256, now))
        except pg_errors.UniqueViolation:
            raise ConflictError(f"a token named {name!r} exists already") from None
        return TokenInfo(**row)

    async def token_by_hash(self, token_sha256: str) -> TokenInfo | None:
        row = await self._fetchone(f"SELECT {TOKEN_COLUMNS} FROM tokens WHERE token_sha256 = %s", (token_sha256,))
        return TokenInfo(**row) if row else None

    async def touch_token(self, token_id: int, now: float) -> None:
        await self._execute("UPDATE tokens SET last_used_at = %s WHERE id = %s", (now, token_id))

    async def tokens(self) -> list[TokenInfo]:
        return [TokenInfo(**r) for r in await self._fetchall(f"SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id")]

    async def revoke_token(self, name: str, now: float) -> None:
        if await self._execute("UPDATE tokens SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL",
                               (now, name)) == 0:
            raise ConflictError(f"no active token named {name!r}")


_COPY_UNSAFE = re.compile(r"[^a-z0-9._\n-]")


def target_partition(schedule: str) -> str:
    """The partition holding schedule ``schedule``'s targets (as migration 0008 names them)."""
    return "schedule_targets_" + hashlib.md5(schedule.encode(), usedforsecurity=False).hexdigest()[:16]


def spread(domain: str) -> float:
    """Where in the period ``domain`` falls, in [0, 1): the SQL function ``consentwatch_spread`` (0004)."""
    return int.from_bytes(hashlib.md5(domain.encode(), usedforsecurity=False).digest()[:4], "big") / 4294967296.0


def _target_lines(domains: Iterable[str], now: float, every_s: float,
                  batch: int = 50_000) -> Iterable[tuple[str, int]]:
    """COPY text of (domain, first due time) rows, each domain once, in batches: (text, rows in it)."""
    seen: set[str] = set()
    names: list[str] = []
    for domain in domains:
        if domain not in seen:
            seen.add(domain)
            names.append(domain)
            if len(names) == batch:
                yield _copy_batch(names, now, every_s), len(names)
                names.clear()
    if names:
        yield _copy_batch(names, now, every_s), len(names)


def _copy_batch(names: list[str], now: float, every_s: float) -> str:
    # Callers pass canonical names; anything else could break the COPY framing: checked per batch, in one scan.
    joined = "\n".join(names)
    if _COPY_UNSAFE.search(joined) or joined.count("\n") != len(names) - 1 or not all(names):
        bad = next(n for n in names if not n or _COPY_UNSAFE.search(n) or "\n" in n)
        raise ValueError(f"not a canonical domain name: {bad!r}")
    return "".join([f"{name}\t{now + spread(name) * every_s!r}\n" for name in names])  # float repr round-trips


def procrastinate_schema() -> str:
    from procrastinate.schema import SchemaManager  # late: only migrating needs it

    return SchemaManager.get_schema()


async def migrate(conn: psycopg.AsyncConnection[Any]) -> list[int]:
    """Apply every migration the database lacks, all in one transaction (PostgreSQL's DDL is transactional).

    The advisory lock makes processes starting together take turns: the first applies, the others then
    find nothing to do. A schema newer than this code is refused, and nothing is changed."""
    known = migrations("migrations_postgres")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                           " name text NOT NULL, applied_at double precision NOT NULL)")
        rows = await (await conn.execute("SELECT version FROM schema_migrations")).fetchall()
        applied = {r["version"] for r in rows}
        refuse_newer(applied, known)
        done = []
        for migration in known:
            if migration.version in applied:
                continue
            try:
                async with conn.transaction():  # a savepoint: the error names the file that failed
                    if migration.name == "procrastinate":  # the queue engine's own tables, then ours on them
                        await conn.execute(procrastinate_schema().encode())
                    await conn.execute(migration.sql.encode())  # no parameters: several statements at once
            except psycopg.Error as exc:
                raise StoreError(f"migration {migration.version} ({migration.name}) failed: {exc}") from exc
            await conn.execute("INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                               (migration.version, migration.name, time.time()))
            done.append(migration.version)
    return done


async def _check_limits(conn: psycopg.AsyncConnection[Any], domains: list[str], token_id: int | None,
                        limits: QueueLimits) -> None:
    """All or nothing: refuse the whole request if its new jobs do not fit the token's quota or the cap."""
    row = await (await conn.execute(
        "SELECT (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running') AND domain = ANY(%(domains)s)) AS already,"
        " (SELECT count(*) FROM jobs WHERE token_id = %(token)s AND state IN ('queued', 'running')) AS mine,"
        " (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')) AS total",
        dict(domains=sorted(set(domains)), token=token_id))).fetchone()
    new = len(set(domains)) - row["already"]
    if new <= 0:
        return
    mine, total = row["mine"], row["total"]
    if token_id is not None and mine + new > limits.per_token:
        raise QueueFullError(f"this token has {mine} crawl job(s) queued or running and may have at most "
                             f"{limits.per_token}; {new} more would exceed its quota (nothing was queued)",
                             limits.retry_after_s)
    if total + new > limits.total:
        raise QueueFullError(f"the crawl queue is full ({total} of {limits.total} jobs queued or running); "
                             f"{new} more do not fit (nothing was queued)", limits.retry_after_s)


async def _lock_running_job(conn: psycopg.AsyncConnection[Any], job_id: int, attempt: int | None) -> None:
    """Lock job ``job_id`` for this transaction; refuse (409) unless it is running, as ``attempt`` when given: a
    cancelled job, or one another worker took over, must not have its report stored."""
    row = await (await conn.execute("SELECT state, attempts FROM jobs WHERE id = %s FOR UPDATE",
                                    (job_id,))).fetchone()
    if row is None:
        raise JobNotFoundError(f"no crawl job {job_id}")
    if row["state"] != "running":
        raise ConflictError(f"crawl job {job_id} is {row['state']}, not running: its audit is not stored")
    if attempt is not None and row["attempts"] != attempt:
        raise ConflictError(f"crawl job {job_id} was taken over (attempt {row['attempts']} runs, not {attempt}):"
                            " its audit is not stored")


async def _start_if_polite(conn: psycopg.AsyncConnection[Any], job_id: int, domain: str, now: float,
                           worker: str | None, min_interval_s: float, wait: bool = True) -> Job | Held:
    """Start the (row-locked, queued) job unless its site is busy or paced. Claims of one site take turns on
    an advisory lock, so two workers never both see the site free; ``wait=False`` (a claim scanning the
    queue, which may hold other sites' locks: no deadlock) passes over a site another claim is deciding on."""
    site = site_of(domain)
    if wait:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("site:" + site,))
    else:
        got = await (await conn.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s)) AS ok",
                                        ("site:" + site,))).fetchone()
        if not got["ok"]:
            return Held(until=now, reason=f"another claim of {site} is under way")
    running = await (await conn.execute("SELECT 1 FROM jobs WHERE state = 'running' AND site = %s LIMIT 1",
                                        (site,))).fetchone()
    last = await (await conn.execute("SELECT last_started_at FROM site_pace WHERE site = %s", (site,))).fetchone()
    held = hold(site, now, running is not None, last["last_started_at"] if last else None, min_interval_s)
    if held is not None:
        return held
    row = await (await conn.execute(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = %(now)s, heartbeat_at = %(now)s,"
        " progress = 'starting', finished_at = NULL, worker = %(worker)s, site = %(site)s WHERE id = %(id)s"
        f" RETURNING {JOB_COLUMNS}", dict(now=now, worker=worker, site=site, id=job_id))).fetchone()
    await conn.execute("INSERT INTO site_pace (site, last_started_at) VALUES (%s, %s)"
                       " ON CONFLICT (site) DO UPDATE SET last_started_at = excluded.last_started_at", (site, now))
    assert row is not None  # the caller holds the row lock on a queued job
    return Job(**row)


async def _insert_or_active(conn: psycopg.AsyncConnection[Any], domain: str, source: str, max_attempts: int,
                            now: float, token_id: int | None) -> Job:
    """A new queued job for ``domain``, or the active one the partial unique index kept it from adding."""
    while True:
        row = await (await conn.execute(
            "INSERT INTO jobs (domain, state, source, max_attempts, created_at, not_before, progress, token_id)"
            " VALUES (%s, 'queued', %s, %s, %s, %s, 'queued', %s)"
            " ON CONFLICT (domain) WHERE state IN ('queued', 'running') DO NOTHING"
            f" RETURNING {JOB_COLUMNS}", (domain, source, max_attempts, now, now, token_id))).fetchone()
        if row is None:  # read committed: this statement sees the active job that conflicted …
            row = await (await conn.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE domain = %s AND state IN ('queued', 'running')",
                (domain,))).fetchone()
        if row is not None:  # … unless it finished in between: then try the insert again
            return Job(**row)
