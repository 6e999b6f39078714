"""What only the PostgreSQL backend has: migrations raced by several processes, a newer schema refused, the
summary cache fed by NOTIFY (and off while its listener is down), an unreachable server. Real PostgreSQL:
a throwaway cluster (tests/pg_cluster.py); the shared contract is in tests/store_contract/."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import psycopg
import pytest

from api.errors import StoreError, StoreUnavailableError
from api.service.samples import make_capture, make_report
from api.store import open_store
from api.store.migrate import migrations
from api.store.postgres import PostgresStore
from api.store.records import prepare_audit

T0 = 1_700_000_000.0
OPEN_ONE = "import asyncio, sys\nfrom api.store import open_store\n" \
           "async def go():\n    s = open_store(sys.argv[1])\n    await s.open()\n    await s.close()\nasyncio.run(go())\n"


def prepared(domain: str, at: float):
    report = make_report(domain, at, [0], [0])
    return prepare_audit(make_capture(report), report)


@pytest.fixture
def location(pg_cluster) -> str:
    return pg_cluster.new_database()


async def wait_for(condition, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while not (result := await condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    return result


def test_processes_starting_together_migrate_once(location):
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_ONE, location], stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with psycopg.connect(location) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in migrations("migrations_postgres")]


async def test_a_newer_schema_is_refused_and_left_alone(location):
    store = open_store(location)
    await store.open()
    await store.save_audit(prepared("kept.com", T0))
    await store.close()
    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', 0)")
    with pytest.raises(StoreError, match="v999 is newer"):
        await open_store(location).open()
    with psycopg.connect(location) as conn:
        assert conn.execute("SELECT count(*) FROM sites").fetchone()[0] == 1


async def test_a_write_by_anyone_reaches_the_cache_through_notify(location):
    store = open_store(location)
    await store.open()
    try:
        audit = prepared("n.com", T0)
        await store.save_audit(audit)
        assert (await store.summary("n.com")).etag == audit.etag  # now cached
        with psycopg.connect(location, autocommit=True) as conn:  # e.g. a worker on another machine
            conn.execute("UPDATE sites SET etag = '\"other\"' WHERE domain = 'n.com'")

        async def changed():
            return (await store.summary("n.com")).etag == '"other"'

        await wait_for(changed)
    finally:
        await store.close()


async def test_while_the_listener_is_down_nothing_stale_is_served(location):
    store = open_store(location)
    assert isinstance(store, PostgresStore)
    await store.open()
    try:
        await store.save_audit(prepared("d.com", T0))
        await store.summary("d.com")
        with psycopg.connect(location, autocommit=True) as conn:
            killed = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'"
                                  " AND datname = current_database()").fetchall()
            assert killed
            conn.execute("UPDATE sites SET etag = '\"while-down\"' WHERE domain = 'd.com'")
        # Whether the listener has noticed yet (cache off) or reconnected (cache cleared), the change shows.
        async def changed():
            return (await store.summary("d.com")).etag == '"while-down"'

        await wait_for(changed, 2.0)

        async def listening_again():
            return store._listening

        await wait_for(listening_again)
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute("UPDATE sites SET etag = '\"after\"' WHERE domain = 'd.com'")

        async def changed_again():
            return (await store.summary("d.com")).etag == '"after"'

        await wait_for(changed_again)
    finally:
        await store.close()


async def test_an_unreachable_server_is_a_clear_503_without_the_password(pg_cluster):
    url = f"postgresql://someone:s3cret@127.0.0.1:{pg_cluster.port + 1}/nowhere?connect_timeout=1"
    store = PostgresStore(url, busy_timeout_s=1.0)
    with pytest.raises(StoreUnavailableError) as failed:
        await store.open()
    assert "s3cret" not in str(failed.value) and failed.value.status == 503


def test_the_cli_takes_a_postgresql_url_from_the_environment(location):
    env = {**os.environ, "CONSENTWATCH_DB": location}
    run = [sys.executable, "-m", "api.cli", "token"]
    created = subprocess.run([*run, "create", "ci"], env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    listed = subprocess.run([*run, "list"], env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "ci" in listed.stdout
    with psycopg.connect(location) as conn:
        assert conn.execute("SELECT name FROM tokens").fetchall() == [("ci",)]


def test_missing_postgresql_fails_in_ci_and_skips_elsewhere(monkeypatch):
    import pg_cluster as helper

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        helper.missing("pg_ctl not found")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        helper.missing("pg_ctl not found")


def test_printed_locations_hide_the_password_and_a_size_cap_is_sqlite_only():
    from api.store import describe_db

    shown = describe_db("postgresql://cw:s3cret@db.internal:6432/audits")
    assert "s3cret" not in shown and "db.internal" in shown and "audits" in shown
    assert describe_db("/var/lib/cw.db") == "/var/lib/cw.db"
    with pytest.raises(StoreError, match="SQLite file only"):
        open_store("postgresql://cw@127.0.0.1/audits", max_bytes=1 << 20)


async def test_two_job_runners_share_the_postgresql_queue(location):
    """Two service processes' runners on one database: a job left running by a dead process is recovered and
    worked once; targets the SSRF guard refuses fail for good, each exactly once (no browser is started)."""
    from api.service.config import ServiceConfig
    from api.service.jobs import JobRunner
    from api.service.targets import TargetGuard

    async def private_address(host: str) -> list[str]:
        return ["10.0.0.7"]  # refused by the guard: the job fails before any crawl

    stores = [open_store(location) for _ in range(2)]
    for s in stores:
        await s.open()
    config = ServiceConfig(db=location, concurrency=3, idle_poll_s=0.05, heartbeat_s=0.2, stale_after_s=30.0)
    runners = [JobRunner(s, config, TargetGuard([], private_address)) for s in stores]
    try:
        [dead] = await stores[0].enqueue(["dead.com"], "api", 3, time.time() - 120)
        assert (await stores[0].claim(time.time() - 120)).id == dead.id  # by a process that died two minutes ago
        jobs = await stores[0].enqueue([f"r{i}.com" for i in range(12)], "api", 3, time.time())
        for runner in runners:
            await runner.start()

        async def all_failed():
            counts = await stores[0].job_counts()
            return counts == {"failed": 13}

        await wait_for(all_failed, 60)
        recovered = await stores[0].job(dead.id)
        assert recovered.attempts == 2 and recovered.error.startswith("TargetRefusedError")
        assert [(await stores[0].job(j.id)).attempts for j in jobs] == [1] * 12  # each worked exactly once
    finally:
        for runner in runners:
            await runner.stop()
        for s in stores:
            await s.close()


async def test_connections_the_server_dropped_are_replaced_not_reported(location):
    store = open_store(location)
    await store.open()
    try:
        await store.enqueue(["a.com"], "api", 3, T0)
        with psycopg.connect(location, autocommit=True) as conn:  # e.g. a restart or failover of the server
            dropped = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                                   " current_database() AND pid <> pg_backend_pid()").fetchall()
            assert dropped
        assert [j.domain for j in await store.jobs()] == ["a.com"]  # no error: a fresh connection served it
        await store.check()
    finally:
        await store.close()


async def test_a_replica_warms_its_summary_cache_and_a_dropped_read_connection_is_replaced(location):
    """The first summary request starts a bulk read of the most recent sites (later requests for them are hits,
    no query); a change after it still reaches the cache by NOTIFY; a summary miss that meets a connection the
    server dropped is read again on a fresh one, not a 503."""
    writer = open_store(location)
    await writer.open()
    replica = open_store(location)
    assert isinstance(replica, PostgresStore)
    await replica.open()
    try:
        for i in range(5):
            await writer.save_audit(prepared(f"w{i}.com", T0 + i))

        async def writes_announced():  # else a NOTIFY arriving during the warm-up rightly keeps its domain out
            return replica._summaries._forgotten >= 5

        await wait_for(writes_announced)
        assert await replica.summary("nowhere.com") is None  # the first request: starts the warm-up
        assert replica._summaries.warming is not None and await replica._summaries.warming == 5
        assert set(replica._summaries.entries) >= {f"w{i}.com" for i in range(5)}
        newer = prepared("w1.com", T0 + 100)
        await writer.save_audit(newer)

        async def changed():
            return (await replica.summary("w1.com")).etag == newer.etag

        await wait_for(changed)
        with psycopg.connect(location, autocommit=True) as conn:  # e.g. a restart or failover of the server
            assert conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                                " current_database() AND pid <> pg_backend_pid() AND query NOT LIKE 'LISTEN %'"
                                ).fetchall()
        assert await replica.summary("other.com") is None  # a miss on a dropped connection: read again
        await writer.save_audit(prepared("late.com", T0 + 200))

        async def seen():
            return await replica.summary("late.com") is not None

        await wait_for(seen)
    finally:
        await replica.close()
        await writer.close()
