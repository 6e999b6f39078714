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
