"""Scale-out figures on a throwaway PostgreSQL cluster (the tests' tests/pg_cluster.py), same run:

- dispatch: crawl jobs/s through 1, 2, 4 `consentwatch worker` processes with the crawl step faked
  (CONSENTWATCH_FAKE_CRAWL=0: procrastinate fetch + our claim + the real analyzer on a sample capture + the
  real store write; no Chromium). Timed from the enqueue of the batch (workers already up) to its last job done.
- schedule load: wall time of `consentwatch schedule add NAME FILE --every 24h` for a 1M-line file (process
  start, parsing, COPY, spread), and one feeder round (1,000 due targets queued).

    .venv/bin/python bench/scale.py [--jobs 1000] [--workers 1,2,4] [--per-worker 4] [--targets 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def count(location: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(location, autocommit=True) as conn:
        return conn.execute(sql).fetchone()[0]


def wait(condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.02)


async def enqueue(location: str, domains: list[str]) -> None:
    from api.store import open_store

    store = open_store(location)
    await store.open()  # migrates, so an empty list just prepares the schema
    try:
        if domains:
            await store.enqueue(domains, "cli", 3, time.time())
    finally:
        await store.close()


def dispatch(location: str, workers: int, per_worker: int, jobs: int) -> float:
    asyncio.run(enqueue(location, []))
    env = {**os.environ, "CONSENTWATCH_FAKE_CRAWL": "0", "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--db", location, "--jobs", str(per_worker),
                              "--allow-hosts", "*.com"],  # the guard asks no DNS about site<N>.com
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    try:
        wait(lambda: count(location, "SELECT count(*) FROM procrastinate_workers") >= workers, 120)
        start = time.perf_counter()
        asyncio.run(enqueue(location, [f"site{i}.com" for i in range(jobs)]))
        wait(lambda: count(location, "SELECT count(*) FROM jobs WHERE state = 'done'") >= jobs, 600)
        return jobs / (time.perf_counter() - start)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)


def schedule_load(location: str, targets: int) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        # like a top-sites list: mostly registrable names, one in ten a subdomain under a two-label suffix
        file.write("".join(f"www.site{i}.co.uk\n" if i % 10 == 0 else f"site{i}.com\n" for i in range(targets)))
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "api.cli", "schedule", "add", "top", file.name, "--every", "24h",
                        "--db", location], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
        load_s = time.perf_counter() - start
    finally:
        os.unlink(file.name)
    assert count(location, "SELECT count(*) FROM schedule_targets") == targets

    async def feed_once() -> float:
        from api.store.postgres import PostgresStore

        store = PostgresStore(location)
        await store.open()
        try:
            start = time.perf_counter()
            await store.feed_due_targets(time.time() + 86400, 1000, 3)
            return time.perf_counter() - start
        finally:
            await store.close()

    return load_s, asyncio.run(feed_once())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--per-worker", type=int, default=4, help="jobs at once per worker process")
    parser.add_argument("--targets", type=int, default=1_000_000)
    args = parser.parse_args()
    from pg_cluster import start_cluster

    cluster = start_cluster()
    try:
        print(f"cpus: {os.cpu_count()}; fake-crawl jobs, {args.per_worker} at once per worker process")
        for workers in (int(w) for w in args.workers.split(",")):
            rate = dispatch(cluster.new_database(), workers, args.per_worker, args.jobs)
            print(f"  {workers} worker process(es): {rate:7.1f} jobs/s ({args.jobs} jobs)")
        load_s, feed_s = schedule_load(cluster.new_database(), args.targets)
        print(f"schedule add of {args.targets:,} targets (CLI wall time): {load_s:.1f} s")
        print(f"one feeder round queueing 1,000 due targets of {args.targets:,}: {feed_s * 1000:.0f} ms")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
