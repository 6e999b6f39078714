"""Big-list schedules on real PostgreSQL (tests/pg_cluster.py): targets spread over the period by name, fed
into the queue below a high-water mark by several feeders at once, each due target queued once; and
`schedule add NAME FILE` loading a list with COPY, refusing a bad list whole."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from api.errors import ConflictError
from api.store.postgres import PostgresStore

REPO = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000.0
HOUR = 3600.0


@pytest.fixture
def location(pg_cluster) -> str:
    return pg_cluster.new_database()


@pytest.fixture
async def stores(location):
    opened = [PostgresStore(location) for _ in range(2)]
    for store in opened:
        await store.open()
    yield opened
    for store in opened:
        await store.close()


def query(location: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(location, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


async def test_due_times_are_spread_over_the_period_by_name(stores, location):
    domains = [f"site{i}.com" for i in range(3000)]
    assert await stores[0].add_target_schedule("daily", HOUR, domains, T0) == 3000
    due = [r[0] - T0 for r in query(location, "SELECT next_due_at FROM schedule_targets")]
    assert all(0 <= d < HOUR for d in due)
    per_tenth = [sum(1 for d in due if k * HOUR / 10 <= d < (k + 1) * HOUR / 10) for k in range(10)]
    assert min(per_tenth) > 200 and max(per_tenth) < 400, per_tenth  # ~300 each: steady, not a spike
    with pytest.raises(ConflictError):
        await stores[1].add_target_schedule("daily", HOUR, ["other.com"], T0)
    assert query(location, "SELECT count(*) FROM schedule_targets")[0][0] == 3000


async def test_two_feeders_queue_each_due_target_once_below_the_high_water_mark(stores, location):
    domains = [f"site{i}.com" for i in range(1200)]
    await stores[0].add_target_schedule("a", HOUR, domains, T0)
    await stores[0].add_target_schedule("b", HOUR, domains[:100] + ["only-b.com"], T0)  # shared domains
    now, high_water = T0 + HOUR, 150  # every target due once
    while True:
        fed = await asyncio.gather(*(s.feed_due_targets(now, high_water, 3) for s in stores for _ in range(3)))
        depth = query(location, "SELECT count(*) FROM jobs WHERE state = 'queued'")[0][0]
        assert depth <= high_water
        if not any(fed):
            break
        with psycopg.connect(location, autocommit=True) as conn:  # the workers ran them
            conn.execute("UPDATE jobs SET state = 'done', finished_at = 0 WHERE state = 'queued'")
    per_domain = dict(query(location, "SELECT domain, count(*) FROM jobs GROUP BY domain"))
    # one job per domain and due time: the shared ones are queued once if both schedules were due together
    assert set(per_domain) == set(domains) | {"only-b.com"}
    assert all(n in (1, 2) for n in per_domain.values())
    assert all(n == 1 for d, n in per_domain.items() if d not in domains[:100])
    # each target moved exactly one period on: due again next hour, not queued twice now
    nexts = query(location, "SELECT min(next_due_at), max(next_due_at) FROM schedule_targets")[0]
    assert now < nexts[0] and nexts[1] < now + HOUR
    assert not any(await asyncio.gather(*(s.feed_due_targets(now, high_water, 3) for s in stores)))


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=REPO, input=stdin, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_schedule_add_loads_a_list_and_refuses_a_bad_one_whole(location, tmp_path):
    good = tmp_path / "list.txt"
    good.write_text("".join(f"www.site{i}.com\n" for i in range(5000)) + "# comment\n\nBücher.de\nhttps://x.co.uk/a\n")
    done = run_cli("schedule", "add", "top", str(good), "--every", "24h", "--db", location)
    assert done.returncode == 0, done.stderr
    rows = dict(query(location, "SELECT domain, next_due_at FROM schedule_targets WHERE schedule = 'top'"))
    assert len(rows) == 5002 and "site42.com" in rows and "xn--bcher-kva.de" in rows and "x.co.uk" in rows
    bad = tmp_path / "bad.txt"
    bad.write_text("ok.com\nnot a domain\n")
    refused = run_cli("schedule", "add", "bad", str(bad), "--every", "24h", "--db", location)
    assert refused.returncode != 0 and "line 2" in refused.stderr
    assert query(location, "SELECT count(*) FROM schedules WHERE name = 'bad'")[0][0] == 0


def test_schedule_list_shows_a_big_list_by_its_target_count(location, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("a.com\nb.com\nc.com\n")
    assert run_cli("schedule", "add", "three", str(listing), "--every", "1h", "--db", location).returncode == 0
    shown = run_cli("schedule", "list", "--db", location)
    assert shown.returncode == 0, shown.stderr
    assert "three" in shown.stdout and " 3 " in shown.stdout and "spread" in shown.stdout


async def test_the_spread_computed_at_load_is_the_sql_functions_and_duplicates_load_once(stores, location):
    from api.store.postgres import spread

    domains = ["a.com", "xn--bcher-kva.de", "site7.co.uk", "a.com"]  # one twice
    assert await stores[0].add_target_schedule("s", HOUR, domains, T0) == 3
    rows = query(location, "SELECT domain, next_due_at, consentwatch_spread(domain) FROM schedule_targets")
    assert len(rows) == 3
    for domain, due, in_sql in rows:
        assert spread(domain) == in_sql and due == T0 + in_sql * HOUR
    with pytest.raises(ValueError):  # not canonical: refused before it could corrupt the COPY stream
        await stores[0].add_target_schedule("t", HOUR, ["ok.com", "bad\tname.com"], T0)
    assert query(location, "SELECT count(*) FROM schedules WHERE name = 't'")[0][0] == 0


async def test_removing_a_big_list_schedule_drops_its_targets_and_keeps_the_others(stores, location):
    await stores[0].add_target_schedule("gone", HOUR, [f"g{i}.com" for i in range(500)], T0)
    await stores[0].add_target_schedule("kept", HOUR, ["k.com", "g1.com"], T0)
    await stores[1].remove_schedule("gone")
    assert query(location, "SELECT schedule, domain FROM schedule_targets ORDER BY domain") == [
        ("kept", "g1.com"), ("kept", "k.com")]
    await stores[0].add_target_schedule("gone", HOUR, ["again.com"], T0)  # the name is free again
    assert query(location, "SELECT count(*) FROM schedule_targets WHERE schedule = 'gone'")[0][0] == 1
    fed = await stores[0].feed_due_targets(T0 + HOUR, 100, 3)  # the feeder reads across the partitions
    assert fed == 3


async def test_migration_0008_moves_existing_targets_into_partitions(location, monkeypatch):
    from api.store import postgres

    every = postgres.migrations("migrations_postgres")
    monkeypatch.setattr(postgres, "migrations", lambda directory: [m for m in every if m.version < 8])
    with psycopg.connect(location, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        async_conn = await psycopg.AsyncConnection.connect(location, autocommit=True,
                                                           row_factory=psycopg.rows.dict_row)
        async with async_conn:
            await postgres.migrate(async_conn)
            conn.execute("INSERT INTO schedules (name, domains, every_s, created_at, next_run_at) VALUES"
                         " ('old list', '{}', 3600, 0, 'Infinity'), ('o''brien', '{}', 3600, 0, 'Infinity')")
            conn.execute("INSERT INTO schedule_targets VALUES ('old list', 'a.com', 5), ('old list', 'b.com', 6),"
                         " ('o''brien', 'a.com', 7)")
            monkeypatch.setattr(postgres, "migrations", lambda directory: every)
            assert 8 in await postgres.migrate(async_conn)
        assert [tuple(r.values()) for r in conn.execute(
            "SELECT schedule, domain, next_due_at FROM schedule_targets ORDER BY next_due_at")] == [
            ("old list", "a.com", 5), ("old list", "b.com", 6), ("o'brien", "a.com", 7)]
        parts = {r["relname"] for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'schedule_targets'::regclass")}
        assert parts == {postgres.target_partition("old list"), postgres.target_partition("o'brien")}
