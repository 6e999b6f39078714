"""SqliteStore on real SQLite files: migrations, audits and history, the job queue, schedules, tokens."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time

import msgspec
import pytest

from analyzer.report_model import SiteSummary
from api.errors import ConflictError, JobNotFoundError, ScheduleNotFoundError
from api.history import compare
from api.records import prepare_audit
from api.samples import make_capture, make_report
from api.scheduler import new_schedule, next_run, parse_every, queue_due
from api.store import SqliteStore
from api.store.base import SiteQuery
from api.store.migrate import migrations

T0 = 1_700_000_000.0


def audit(domain: str, at: float, loaded: list[int], declared: list[int], policy: str = "We use Google Analytics.",
          grade=("C", 68), reachable: bool = True):
    report = make_report(domain, at, loaded, declared, policy_text=policy, grade=grade)
    report.reachable = reachable
    return report, prepare_audit(make_capture(report, policy), report)


@pytest.fixture
async def store(tmp_path):
    s = SqliteStore(tmp_path / "cw.db")
    await s.open()
    yield s
    await s.close()


async def test_migrations_are_recorded_and_idempotent(tmp_path):
    path = tmp_path / "cw.db"
    for _ in range(2):  # the second open finds nothing to do
        s = SqliteStore(path)
        await s.open()
        await s.close()
    conn = sqlite3.connect(path)
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in migrations()]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sites", "jobs", "captures", "reports", "findings", "trackers", "schedules", "tokens"} <= tables


async def test_audit_round_trip_summary_and_etag(store):
    report, prepared = audit("shop.com", T0, loaded=[0, 2], declared=[0])
    report_id = await store.save_audit(prepared)
    blob = store.summary("shop.com")
    assert blob is not None and blob.etag == prepared.etag
    summary = msgspec.json.decode(blob.body, type=SiteSummary)
    assert summary.counts.undeclared == 1 and summary.undeclared == ["Meta Pixel"]
    assert [g.company for g in summary.undeclared_by_company] == ["Meta"]
    assert summary.undeclared_by_company[0].evidence_urls == ["https://connect.facebook.net/collect?id=1"]
    assert summary.declared_loaded == ["Google Analytics"] and summary.banner == "done"
    stored = await store.report("shop.com")
    assert stored is not None and stored.report_id == report_id
    assert msgspec.json.decode(stored.body)["domain"] == "shop.com"
    capture = await store.capture(stored.capture_id)
    assert capture is not None and b"privacy" in capture
    assert store.summary("other.com") is None


async def test_history_is_kept_and_unreachable_audit_does_not_hide_the_last_good_one(store):
    _, first = audit("news.com", T0, [0], [0], grade=("A", 95))
    _, second = audit("news.com", T0 + 100, [0, 3], [0], grade=("C", 60))
    _, down = audit("news.com", T0 + 200, [], [], reachable=False, grade=("?", 0))
    ids = [await store.save_audit(a) for a in (first, second, down)]
    history = await store.history("news.com")
    assert [h.report_id for h in history] == ids
    assert [h.grade for h in history] == ["A", "C", "?"] and history[2].reachable is False
    assert history[1].counts.loaded == 2
    latest = await store.report("news.com")
    assert latest is not None and latest.report_id == ids[1]  # the popup keeps the last reachable audit
    old = await store.report("news.com", ids[0])
    assert old is not None and old.audited_at == T0


async def test_a_failing_save_leaves_nothing_half_written(store):
    _, good = audit("keep.com", T0, [0], [0])
    await store.save_audit(good)
    _, bad = audit("keep.com", T0 + 1, [1], [])
    broken = dataclasses.replace(bad, findings=[(None, "high", None, None, None, "no code")])  # NOT NULL violation
    with pytest.raises(sqlite3.IntegrityError):
        await store.save_audit(broken)
    assert len(await store.history("keep.com")) == 1
    assert store.summary("keep.com").etag == good.etag
    count = await store._read(lambda c: c.execute("SELECT count(*) FROM captures").fetchone()[0])
    assert count == 1


async def test_site_list_filters_and_pages(store):
    await store.save_audit(audit("a-shop.com", T0, [0, 2], [0], grade=("D", 50))[1])
    await store.save_audit(audit("b-news.com", T0, [0], [0], grade=("A", 95))[1])
    await store.save_audit(audit("c-blog.com", T0, [3], [], grade=("D", 45))[1])
    rows, total = await store.list_sites(SiteQuery())
    assert total == 3 and [r.domain for r in rows] == ["a-shop.com", "b-news.com", "c-blog.com"]
    rows, total = await store.list_sites(SiteQuery(grade="d"))
    assert [r.domain for r in rows] == ["a-shop.com", "c-blog.com"]
    rows, _ = await store.list_sites(SiteQuery(finding="UNDECLARED_TRACKER"))
    assert [r.domain for r in rows] == ["a-shop.com", "c-blog.com"]
    rows, _ = await store.list_sites(SiteQuery(company="META"))  # by name, any case
    assert [r.domain for r in rows] == ["a-shop.com"]
    rows, _ = await store.list_sites(SiteQuery(company="google"))  # by id
    assert [r.domain for r in rows] == ["a-shop.com", "b-news.com"]
    rows, total = await store.list_sites(SiteQuery(limit=2, offset=2))
    assert total == 3 and [r.domain for r in rows] == ["c-blog.com"]


async def test_queue_dedupes_active_domains_and_retries_with_backoff(store):
    jobs = await store.enqueue(["x.com", "y.com", "x.com"], "api", 2, T0)
    assert jobs[0].id == jobs[2].id and jobs[0].id != jobs[1].id
    assert await store.queue_position(jobs[1].id) == 1
    job = await store.claim(T0)
    assert job is not None and job.domain == "x.com" and job.state == "running" and job.attempts == 1
    again = await store.enqueue(["x.com"], "api", 2, T0)  # running: still the same job
    assert again[0].id == job.id and again[0].state == "running"
    retried = await store.fail_job(job.id, "boom", retry_at=T0 + 60, now=T0)
    assert retried is not None and retried.state == "queued" and retried.not_before == T0 + 60
    nxt = await store.claim(T0 + 1)
    assert nxt is not None and nxt.domain == "y.com"  # x.com waits for its back-off
    assert await store.claim(T0 + 2) is None
    job = await store.claim(T0 + 61)
    assert job is not None and job.domain == "x.com" and job.attempts == 2
    failed = await store.fail_job(job.id, "boom again", retry_at=None, now=T0 + 62)
    assert failed.state == "failed" and failed.error == "boom again" and failed.finished_at == T0 + 62
    fresh = await store.enqueue(["x.com"], "api", 2, T0 + 63)  # finished jobs do not block a new one
    assert fresh[0].id not in (job.id, nxt.id) and fresh[0].state == "queued"


async def test_save_audit_marks_its_job_done_and_cancel_rules(store):
    [job] = await store.enqueue(["done.com"], "api", 3, T0)
    await store.claim(T0)
    _, prepared = audit("done.com", T0, [0], [0])
    report_id = await store.save_audit(prepared, job.id)
    done = await store.job(job.id)
    assert done.state == "done" and done.report_id == report_id
    with pytest.raises(ConflictError):
        await store.cancel(job.id, T0)
    with pytest.raises(JobNotFoundError):
        await store.cancel(999, T0)
    [queued] = await store.enqueue(["later.com"], "api", 3, T0)
    cancelled = await store.cancel(queued.id, T0)
    assert cancelled.state == "cancelled"
    assert await store.claim(T0 + 10) is None
    assert await store.job_counts() == {"done": 1, "cancelled": 1}


async def test_stale_running_jobs_are_found_and_released_only_if_still_stale(store):
    await store.enqueue(["slow.com", "live.com"], "api", 3, T0)
    slow = await store.claim(T0)
    live = await store.claim(T0)
    await store.heartbeat([live.id], T0 + 50)
    stale = await store.stale_jobs(T0 + 30)
    assert [j.id for j in stale] == [slow.id]
    assert await store.fail_job(live.id, "lost", T0 + 60, T0 + 60, stale_before=T0 + 30) is None
    released = await store.fail_job(slow.id, "lost", T0 + 60, T0 + 60, stale_before=T0 + 30)
    assert released.state == "queued"


async def test_data_survives_reopening_the_file(tmp_path):
    path = tmp_path / "cw.db"
    s = SqliteStore(path)
    await s.open()
    await s.save_audit(audit("persist.com", T0, [0], [0])[1])
    await s.enqueue(["queued.com"], "api", 3, T0)
    await s.close()
    s = SqliteStore(path)
    await s.open()
    try:
        assert s.summary("persist.com") is not None
        assert [j.domain for j in await s.jobs("queued")] == ["queued.com"]
    finally:
        await s.close()


async def test_schedules(store):
    every = new_schedule("news-sites", ["a.com", "b.com"], "24h", None, T0)
    assert every.every_s == 86400 and every.next_run_at == T0
    cron = new_schedule("nightly", ["c.com"], None, "0 3 * * *", T0)
    assert cron.next_run_at > T0 and time.gmtime(cron.next_run_at).tm_hour == 3
    await store.add_schedule(every)
    await store.add_schedule(cron)
    with pytest.raises(ConflictError):
        await store.add_schedule(every)
    assert [s.name for s in await store.schedules()] == ["news-sites", "nightly"]
    assert await queue_due(store, T0 + 1, max_attempts=3) == 2
    assert sorted(j.source for j in await store.jobs("queued")) == ["schedule:news-sites"] * 2
    [after] = [s for s in await store.schedules() if s.name == "news-sites"]
    assert after.last_run_at == T0 + 1 and after.next_run_at == next_run(every, T0 + 1) == T0 + 1 + 86400
    assert await queue_due(store, T0 + 2, max_attempts=3) == 0  # not due again yet
    await store.remove_schedule("nightly")
    with pytest.raises(ScheduleNotFoundError):
        await store.remove_schedule("nightly")


def test_intervals_parse():
    assert parse_every("1h30m") == 5400 and parse_every("7d") == 604800 and parse_every("3600") == 3600
    for bad in ("soon", "10s", "", "5x"):
        with pytest.raises(Exception):
            parse_every(bad)


async def test_tokens(store):
    info = await store.add_token("ci", "ab" * 32, T0)
    assert (await store.token_by_hash("ab" * 32)).name == "ci"
    with pytest.raises(ConflictError):
        await store.add_token("ci", "cd" * 32, T0)
    await store.revoke_token("ci", T0 + 1)
    assert (await store.token_by_hash("ab" * 32)).revoked_at == T0 + 1
    assert [t.id for t in await store.tokens()] == [info.id]


def test_compare_two_audits():
    old = make_report("diff.com", T0, loaded=[0, 2], declared=[0], policy_text="We use Google Analytics.")
    new = make_report("diff.com", T0 + 1, loaded=[0, 3], declared=[0, 3],
                      policy_text="We use Google Analytics and Hotjar.")
    change = compare(old, new, 1, 2, "We use Google Analytics.\nContact us.",
                     "We use Google Analytics and Hotjar.\nContact us.")
    assert [t.name for t in change.trackers_appeared] == ["Hotjar"]
    assert [t.name for t in change.trackers_disappeared] == ["Meta Pixel"]
    assert [f.product_name for f in change.findings_closed] == ["Meta Pixel"]
    assert change.findings_opened == []  # Hotjar arrived declared
    assert change.policy_changed and "+We use Google Analytics and Hotjar." in change.policy_diff
    assert "-We use Google Analytics." in change.policy_diff


async def test_cached_summaries_follow_writes_from_any_connection(tmp_path):
    path = tmp_path / "cw.db"
    reader, writer = SqliteStore(path), SqliteStore(path)  # e.g. two service processes on one file
    await reader.open()
    await writer.open()
    try:
        assert reader.summary("cache.com") is None
        _, first = audit("cache.com", T0, [0], [0])
        await writer.save_audit(first)
        await asyncio.sleep(0.3)  # another process's write is seen within RECHECK_S
        assert reader.summary("cache.com").etag == first.etag
        _, second = audit("cache.com", T0 + 1, [0, 1], [0])
        await reader.save_audit(second)  # a write through the same store is seen at once
        assert reader.summary("cache.com").etag == second.etag != first.etag
    finally:
        await reader.close()
        await writer.close()
