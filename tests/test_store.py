"""What only the SQLite backend has (its file, pragmas, data_version), plus store-side helpers.

The behaviour every backend shares is tested once, per backend, in tests/store_contract/."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3

import msgspec
import pytest

from api.errors import BadRequestError
from api.service.history import compare
from api.service.samples import make_capture, make_report
from api.service.scheduler import parse_every
from api.store import SqliteStore
from api.store.migrate import migrations
from api.store.records import prepare_audit
from api.store.sqlite import _DataVersion

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


def test_intervals_parse():
    assert parse_every("1h30m") == 5400 and parse_every("7d") == 604800 and parse_every("3600") == 3600
    for bad in ("soon", "10s", "", "5x"):
        with pytest.raises(BadRequestError):
            parse_every(bad)


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


async def test_another_process_write_is_seen_after_the_recheck_interval(tmp_path):
    path = tmp_path / "cw.db"
    reader, writer = SqliteStore(path), SqliteStore(path)  # e.g. two service processes on one file
    await reader.open()
    await writer.open()
    try:
        assert await reader.summary("cache.com") is None
        _, first = audit("cache.com", T0, [0], [0])
        await writer.save_audit(first)
        await asyncio.sleep(_DataVersion.RECHECK_S + 0.05)  # waits for the documented staleness bound itself
        assert (await reader.summary("cache.com")).etag == first.etag
    finally:
        await reader.close()
        await writer.close()


async def test_a_failing_save_rolls_back_the_capture_too(store):
    _, good = audit("keep.com", T0, [0], [0])
    await store.save_audit(good)
    _, bad = audit("keep.com", T0 + 1, [1], [])
    broken = dataclasses.replace(bad, findings=[msgspec.structs.replace(bad.findings[0], code=None)])
    with pytest.raises(sqlite3.IntegrityError):
        await store.save_audit(broken)
    count = await store._read(lambda c: c.execute("SELECT count(*) FROM captures").fetchone()[0])
    assert count == 1


async def test_a_warmed_summary_cache_keeps_nothing_a_change_may_have_overtaken():
    """``SummaryCache.warm``: what the bulk read returns is kept, except domains forgotten while it was in flight
    (their row may predate the change) and anything at all if the version moved meanwhile."""
    from api.store.base import SummaryBlob
    from api.store.summary_cache import SummaryCache

    version = [0]
    loads: list[str] = []

    async def load(domain: str) -> SummaryBlob | None:
        loads.append(domain)
        return SummaryBlob(body=b"{}", etag=f'"fresh-{domain}"')

    cache = SummaryCache(load, lambda: version[0])
    blob = {d: SummaryBlob(body=b"{}", etag=f'"warm-{d}"') for d in ("a.com", "b.com", "c.com")}
    limits: list[int] = []

    async def load_many(limit: int):
        limits.append(limit)
        cache.forget("b.com")  # a NOTIFY for b.com arrives while the rows are on their way
        return list(blob.items())

    assert await cache.warm(load_many) == 2
    assert limits == [SummaryCache.WARM_ENTRIES]
    assert (await cache.get("a.com")).etag == '"warm-a.com"' and (await cache.get("c.com")).etag == '"warm-c.com"'
    assert (await cache.get("b.com")).etag == '"fresh-b.com"' and loads == ["b.com"]  # read again, one by one

    async def load_many_across_a_reconnect(limit: int):
        version[0] += 1  # e.g. the listener reconnected: notifications may have been missed
        return list(blob.items())

    assert await cache.warm(load_many_across_a_reconnect) == 0
    assert (await cache.get("a.com")).etag == '"fresh-a.com"'
