"""Scale-out figures on a throwaway PostgreSQL cluster (the tests' tests/pg_cluster.py), same run:

- dispatch: crawl jobs/s through 1, 2, 4 `consentwatch worker` processes with the crawl step faked
  (CONSENTWATCH_FAKE_CRAWL=0: procrastinate fetch + our claim + the real analyzer on a sample capture + the
  real store write; no Chromium). Timed from the enqueue of the batch (workers already up) to its last job done.
- schedule: `consentwatch schedule add NAME FILE --every 24h` of a 1M-line file (process start, parsing,
  COPY, indexes): wall time, the CLI's CPU and the database server's CPU (the CPU figures hold on a shared
  machine, the wall time does not); `--code DIR` runs another checkout's CLI (before/after). Then one
  feeder round (1,000 due targets queued).
- feeder: steady state with a 1M-target schedule whose period makes ~--rate jobs/s due, fed by two worker
  processes (fake crawl) for --window seconds: jobs/s queued, queue depth over time against the
  high-water mark, each job's wait from queued to started, and the feeder round's time.
- chromium: real audits of the fake internet (same site mix) through `consentwatch worker` on PostgreSQL and
  through the embedded `consentwatch serve` on SQLite, same run: audits/min and the engine's cost in %.
- engine: the engine's cost by CPU: the same real audits in both modes in interleaved rounds (embedded,
  worker, worker, embedded, …), the CPU of each split at the moment the last audit is done: the service's
  own (the serve or worker process and its analysis processes; on PostgreSQL also the database server's
  processes, procrastinate included) and the browser's (Chromium and its Playwright driver). The figure is the
  engine's share of a worker-mode audit's whole CPU: (own CPU per audit, worker − embedded) / (worker's
  total CPU per audit), next to audits/min and the load average.
- storage: bytes per audit as stored (capture + report + findings/trackers + indexes, from the database's
  own sizes) after the chromium run, one evidence bundle, and a month of a daily 1M list.

    .venv/bin/python bench/scale.py [--only dispatch,schedule,feeder,chromium,storage] [--jobs 1000]
        [--workers 1,2,4] [--per-worker 4] [--targets 1000000] [--code DIR] [--rate 12] [--window 60]
        [--audits 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from pg_cluster import free_port, start_cluster  # noqa: E402 - the tests' throwaway cluster


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


def server_cpu(cluster) -> float:
    """CPU seconds the cluster's server processes have used so far: the postmaster, its live children and
    (cutime/cstime) the children it has reaped, e.g. the backends of connections already closed."""
    postmaster = int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    own = fields(postmaster)
    total = sum(int(x) for x in own[11:15])  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = fields(int(entry.name))
            except OSError:
                continue
            if int(child[1]) == postmaster:
                total += int(child[11]) + int(child[12])
    return total / tick


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_line() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def top_list(targets: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        # like a top-sites list: mostly registrable names, one in ten a subdomain under a two-label suffix
        file.write("".join(f"www.site{i}.co.uk\n" if i % 10 == 0 else f"site{i}.com\n" for i in range(targets)))
    return file.name


def schedule_add(cluster, location: str, path: str, every: str, code: Path = REPO) -> tuple[float, float, float]:
    """`schedule add` of ``path``: wall, CLI CPU and server CPU seconds."""
    cpu0, server0, start = children_cpu(), server_cpu(cluster), time.perf_counter()
    subprocess.run([sys.executable, "-m", "api.cli", "schedule", "add", "top", path, "--every", every,
                    "--db", location], cwd=code, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(code)})
    return time.perf_counter() - start, children_cpu() - cpu0, server_cpu(cluster) - server0


def schedule_load(cluster, targets: int, code: Path) -> None:
    location = cluster.new_database()
    subprocess.run([sys.executable, "-m", "api.cli", "token", "list", "--db", location], cwd=code, check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(code)})  # migrate first
    path = top_list(targets)
    try:
        wall, cli, server = schedule_add(cluster, location, path, "24h", code)
    finally:
        os.unlink(path)
    assert count(location, "SELECT count(*) FROM schedule_targets") == targets
    print(f"schedule add of {targets:,} targets ({code}): {wall:.1f} s wall, CPU {cli:.1f} s CLI"
          f" + {server:.1f} s server; {load_line()}")

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

    print(f"one feeder round queueing 1,000 due targets of {targets:,}: {asyncio.run(feed_once()) * 1000:.0f} ms")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def feeder_steady(cluster, targets: int, rate: float, window_s: float, high_water: int, per_worker: int) -> None:
    location = cluster.new_database()
    asyncio.run(enqueue(location, []))
    path = top_list(targets)
    try:  # a period in which `targets` come due at `rate` per second, spread by name from now on
        schedule_add(cluster, location, path, f"{max(1, round(targets / rate))}s")
    finally:
        os.unlink(path)
    env = {**os.environ, "CONSENTWATCH_FAKE_CRAWL": "0", "PYTHONPATH": str(REPO)}
    logs = [tempfile.TemporaryFile("w+") for _ in range(2)]  # noqa: SIM115 - closed after the workers stop; a file, not a pipe: nobody reads it meanwhile
    procs = [subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--db", location, "--jobs", str(per_worker),
                               "--allow-hosts", "*.com,*.co.uk", "--min-interval", "0", "--feed-every", "1",
                               "--high-water", str(high_water)],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log)
             for log in logs]
    depths: list[int] = []
    try:
        wait(lambda: count(location, "SELECT count(*) FROM procrastinate_workers") >= 2, 120)
        start = time.time()
        jobs0 = count(location, "SELECT count(*) FROM jobs")
        while time.time() - start < window_s:
            depths.append(count(location, "SELECT count(*) FROM jobs WHERE state = 'queued'"))
            time.sleep(1.0)
        queued = count(location, "SELECT count(*) FROM jobs") - jobs0
        elapsed = time.time() - start
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=120)
    text = []
    for log in logs:
        log.seek(0)
        text.append(log.read())
        log.close()
    import psycopg

    with psycopg.connect(location, autocommit=True) as conn:
        waits = [r[0] for r in conn.execute("SELECT started_at - created_at FROM jobs WHERE started_at >= %s",
                                            (start,))]
        done = conn.execute("SELECT count(*) FROM jobs WHERE state = 'done' AND finished_at >= %s", (start,)).fetchone()[0]
    rounds = [float(line.rsplit(" in ", 1)[1].split(" ms")[0]) for log in text for line in log.splitlines()
              if "due schedule target(s) in " in line]
    print(f"feeder steady state, {targets:,} targets due at {rate:g}/s, 2 workers × {per_worker}, high-water"
          f" {high_water}, {elapsed:.0f} s window; {load_line()}")
    print(f"  queued {queued / elapsed:.1f} jobs/s, done {done / elapsed:.1f} jobs/s")
    print(f"  queue depth each second: min {min(depths)}, median {percentile(depths, 50):.0f}, max {max(depths)}"
          f" (high-water {high_water}); first 10 s: {depths[:10]}")
    print(f"  wait queued → started: p50 {percentile(waits, 50):.2f} s, p99 {percentile(waits, 99):.2f} s"
          f" ({len(waits)} jobs)")
    if rounds:
        print(f"  feeder round: p50 {percentile(rounds, 50):.0f} ms, max {max(rounds):.0f} ms ({len(rounds)} rounds)")
    print(f"  feeder alone (workers' pace taken out: the queue drained by SQL after each round), {load_line()}:")
    print("  " + asyncio.run(feeder_capacity(location, high_water)))


async def feeder_capacity(location: str, high_water: int, rounds: int = 20) -> str:
    """Rounds of ``feed_due_targets`` with every target due, the queue emptied between rounds (as if the
    workers kept up): how many jobs/s one feeder can queue, and what a round costs, with 1M targets."""
    import psycopg

    from api.store.postgres import PostgresStore

    store = PostgresStore(location)
    await store.open()
    later = time.time() + 10 * 86400  # every target due
    took, fed = [], 0
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            fed += await store.feed_due_targets(later, high_water, 3)
            took.append(time.perf_counter() - start)
            async with await psycopg.AsyncConnection.connect(location, autocommit=True) as conn:
                await conn.execute("UPDATE jobs SET state = 'done', finished_at = 0 WHERE state = 'queued'")
    finally:
        await store.close()
    return (f"{fed / sum(took):.0f} jobs/s queued ({fed} in {rounds} rounds of ≤ {high_water}); round p50"
            f" {percentile(took, 50) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms")


async def fake_internet_mix(audits: int) -> list[str]:
    """``audits`` distinct sites of the fake internet: the demo companies first, then the test sites."""
    from crawler.testing import FakeInternet

    async with FakeInternet() as web:
        names = [*web.demo_domains, *sorted(set(web.sites.values()) - set(web.demo_domains))]
    return list(dict.fromkeys(names))[:audits]


class ModeRun(NamedTuple):
    rate: float  # audits/min
    cpu: float  # start-up to shut-down: the process with its browser (counted when it exits) + the server
    own: float  # at the last audit done: the process and its non-browser descendants, + the server
    browser: float  # at the last audit done: Chromium and its Playwright driver
    own_startup: float  # of ``own``, what was spent before the first audit was queued (start-up, ready)


def process_tree_cpu(pid: int) -> tuple[float, float]:
    """(own, browser) CPU seconds of process ``pid`` and its live descendants: Chromium's processes and the
    Playwright driver (node) are the browser's, the rest (the Python process, its analysis processes, and the
    children it has reaped) the service's own."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    children: dict[int, list[int]] = {}
    for child, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(child)
    own = sum(int(x) for x in stats[pid][11:15]) / tick
    browser = 0.0
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        todo += children.get(child, [])
        cpu = sum(int(x) for x in stats[child][11:15]) / tick  # its own and its reaped children's
        try:
            name = Path(f"/proc/{child}/comm").read_text().strip()
        except OSError:
            name = ""
        if name == "node" or "chrom" in name or "headless" in name:
            browser += cpu
        else:
            own += cpu
    return own, browser


def audits_per_minute(location: str, command: list[str], domains: list[str], cluster=None) -> ModeRun:
    """Start ``command`` (a worker or an embedded service, with --demo-web), queue ``domains``, time them done.
    Returns audits/min and the CPU seconds spent: the process with its Chromium (counted when it exits) and,
    on PostgreSQL, the database server's, start-up to shut-down; and that CPU split into the service's own and
    the browser's as it stood when the last audit was done (before the shut-down)."""
    asyncio.run(enqueue(location, []))
    cpu0, server0 = children_cpu(), server_cpu(cluster) if cluster is not None else 0.0
    env = {k: v for k, v in os.environ.items() if k != "CONSENTWATCH_FAKE_CRAWL"} | {"PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", *command, "--db", location, "--demo-web",
                             "--min-interval", "0"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if cluster is not None:
            import psycopg

            with psycopg.connect(location, autocommit=True) as conn:  # one connection: see audits_per_minute
                deadline = time.monotonic() + 120
                while not conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0]:
                    if time.monotonic() > deadline:
                        raise SystemExit("timed out")
                    time.sleep(0.2)
        else:  # the embedded service answers (its workers start with it)
            port = int(command[command.index("--port") + 1])
            wait(lambda: answers(f"http://127.0.0.1:{port}/v1/health"), 120)
        own_startup = process_tree_cpu(proc.pid)[0] + (server_cpu(cluster) - server0 if cluster is not None else 0.0)
        start = time.perf_counter()
        asyncio.run(enqueue(location, domains))
        finished = "SELECT count(*) FROM jobs WHERE state IN ('done', 'failed', 'cancelled')"
        # One connection, looked at twice a second: a new connection per look would put the bench's own cost
        # on the database server's CPU (a backend started each time), which is counted for the engine.
        if cluster is None:
            import sqlite3

            watcher = sqlite3.connect(location)
        else:
            import psycopg

            watcher = psycopg.connect(location, autocommit=True)
        with contextlib.closing(watcher):
            deadline = time.monotonic() + 1800
            while watcher.execute(finished).fetchone()[0] < len(domains):
                if time.monotonic() > deadline:
                    raise SystemExit("timed out")
                time.sleep(0.5)
        rate = len(domains) / (time.perf_counter() - start) * 60
        own, browser = process_tree_cpu(proc.pid)
        own += server_cpu(cluster) - server0 if cluster is not None else 0.0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    process, server = children_cpu() - cpu0, (server_cpu(cluster) - server0 if cluster is not None else 0.0)
    print(f"    CPU: {process:.1f} s the process and its browser, {server:.1f} s the database server")
    return ModeRun(rate, process + server, own, browser, own_startup)


def engine_cost(cluster, audits: int, jobs: int, rounds: int) -> None:
    """The engine's cost by CPU: both modes in interleaved rounds (ABBA…), each on a fresh database."""
    domains = asyncio.run(fake_internet_mix(audits))
    same = ["--visits-at-once", "6"]
    tmp = tempfile.mkdtemp(prefix="cw-bench-")
    print(f"engine cost by CPU: real Chromium, {len(domains)} fake-internet sites per round, {jobs} crawl job(s) at"
          f" once, {rounds} round(s) per mode, interleaved; {load_line()}")
    runs: dict[str, list[ModeRun]] = {"embedded": [], "worker": []}
    for i in range(rounds):
        for mode in (("embedded", "worker") if i % 2 == 0 else ("worker", "embedded")):
            if mode == "embedded":
                run = audits_per_minute(str(Path(tmp) / f"embedded-{i}.db"),
                                        ["serve", "--port", str(free_port()), "--concurrency", str(jobs), *same],
                                        domains)
            else:
                run = audits_per_minute(cluster.new_database(), ["worker", "--jobs", str(jobs), *same], domains,
                                        cluster)
            runs[mode].append(run)
            n = len(domains)
            print(f"  round {i + 1} {mode:9} {run.rate:5.1f} audits/min; CPU per audit at the last audit: own"
                  f" {run.own / n:5.2f} s ({run.own_startup:.1f} s of it start-up), browser {run.browser / n:5.2f} s;"
                  f" {load_line()}")
    total = len(domains) * rounds
    own = {m: sum(r.own for r in rs) / total for m, rs in runs.items()}
    browser = {m: sum(r.browser for r in rs) / total for m, rs in runs.items()}
    rate = {m: statistics.median(r.rate for r in rs) for m, rs in runs.items()}
    worker_total = own["worker"] + browser["worker"]
    print(f"  CPU per audit, all rounds: embedded own {own['embedded']:.2f} s + browser {browser['embedded']:.2f} s;"
          f" worker own {own['worker']:.2f} s (database server and procrastinate included) + browser"
          f" {browser['worker']:.2f} s")
    print(f"  engine's share of a worker-mode audit's CPU: {(own['worker'] - own['embedded']) / worker_total * 100:+.1f}%"
          f" (target ≤ 5%); browser CPU per audit worker/embedded {browser['worker'] / browser['embedded']:.2f}×")
    steady = {m: sum(r.own - r.own_startup for r in rs) / total for m, rs in runs.items()}
    print(f"  after start-up: own CPU per audit {steady['embedded']:.2f} s (embedded) vs {steady['worker']:.2f} s"
          f" (worker), the engine's share {(steady['worker'] - steady['embedded']) / worker_total * 100:+.1f}%;"
          f" start-up per process: embedded {statistics.median(r.own_startup for r in runs['embedded']):.1f} s,"
          f" worker {statistics.median(r.own_startup for r in runs['worker']):.1f} s")
    print(f"  wall clock: median {rate['embedded']:.1f} (embedded) vs {rate['worker']:.1f} (worker) audits/min,"
          f" {(1 - rate['worker'] / rate['embedded']) * 100:+.1f}% (moves with the load); {load_line()}")
    shutil.rmtree(tmp, ignore_errors=True)


def answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback server
            return response.status == 200
    except OSError:
        return False


def chromium(cluster, audits: int, jobs: int) -> str:
    """Both modes in turn, the same sites, the same crawl jobs at once; returns the PostgreSQL database."""
    domains = asyncio.run(fake_internet_mix(audits))
    pg = cluster.new_database()
    tmp = tempfile.mkdtemp(prefix="cw-bench-")
    sqlite_db = str(Path(tmp) / "embedded.db")
    print(f"real Chromium, {len(domains)} fake-internet sites, {jobs} crawl job(s) at once; {load_line()}")
    same = ["--visits-at-once", "6"]
    embedded, embedded_cpu, *_ = audits_per_minute(
        sqlite_db, ["serve", "--port", str(free_port()), "--concurrency", str(jobs), *same], domains)
    print(f"  embedded (serve, SQLite):     {embedded:5.1f} audits/min, CPU {embedded_cpu / len(domains):5.1f} s/audit"
          f"; {load_line()}")
    workers, workers_cpu, *_ = audits_per_minute(pg, ["worker", "--jobs", str(jobs), *same], domains, cluster)
    print(f"  worker on PostgreSQL:         {workers:5.1f} audits/min, CPU {workers_cpu / len(domains):5.1f} s/audit"
          f" (database server included); {load_line()}")
    print(f"  engine cost: {(1 - workers / embedded) * 100:+.1f}% of audits/min (target ≤ 5%; wall clock, moves with"
          f" the load), {(workers_cpu / embedded_cpu - 1) * 100:+.1f}% CPU per audit (start-up included)")
    states = dict((r[0], r[1]) for r in __import__("psycopg").connect(pg, autocommit=True).execute(
        "SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    print(f"  PostgreSQL job states: {states}")
    shutil.rmtree(tmp, ignore_errors=True)
    return pg


AUDIT_TABLES = ("captures", "reports", "findings", "trackers", "jobs")
# Each real audit stored again this many times under new names (SQL copies of its rows): a handful of audits
# would measure page and index overhead, not bytes per audit.
REPLICATE_SQL = """
DO $$
DECLARE r record; k int; cid bigint; rid bigint;
BEGIN
  FOR k IN 1..%(copies)s LOOP
    FOR r IN SELECT * FROM reports WHERE id <= %(last)s LOOP
      INSERT INTO captures (job_id, domain, started_at, finished_at, data)
        SELECT NULL, domain || '-' || k, started_at, finished_at, data FROM captures WHERE id = r.capture_id
        RETURNING id INTO cid;
      INSERT INTO reports (capture_id, domain, audited_at, grade, score, reachable, policy_sha256, policy_text,
                           summary_json, data)
        VALUES (cid, r.domain || '-' || k, r.audited_at, r.grade, r.score, r.reachable, r.policy_sha256,
                r.policy_text, r.summary_json, r.data) RETURNING id INTO rid;
      INSERT INTO findings (report_id, code, severity, company_id, company_name, product_id, title)
        SELECT rid, code, severity, company_id, company_name, product_id, title FROM findings WHERE report_id = r.id;
      INSERT INTO trackers (report_id, key, name, company_id, company_name, category, declared, first_party)
        SELECT rid, key, name, company_id, company_name, category, declared, first_party FROM trackers
        WHERE report_id = r.id;
      INSERT INTO jobs (domain, state, source, attempts, max_attempts, created_at, not_before, started_at,
                        finished_at, progress, report_id, worker, site)
        SELECT domain || '-' || k, state, source, attempts, max_attempts, created_at, not_before, started_at,
               finished_at, progress, rid, worker, site FROM jobs WHERE report_id = r.id;
    END LOOP;
  END LOOP;
END $$
"""


def storage(location: str, month_targets: int, copies: int = 50) -> None:
    import psycopg

    def sizes(conn) -> dict[str, int]:
        return {t: conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0] for t in AUDIT_TABLES}

    with psycopg.connect(location, autocommit=True) as conn:
        audits, last = conn.execute("SELECT count(*), max(id) FROM reports").fetchone()
        if not audits:
            print("storage: no audits stored (run with chromium)")
            return
        blobs = [float(x) for x in conn.execute(
            "SELECT avg(length(c.data)), avg(length(r.data)), avg(length(coalesce(r.policy_text, '')))"
            " FROM reports r JOIN captures c ON c.id = r.capture_id").fetchone()]
        before = sizes(conn)
        conn.execute(REPLICATE_SQL % dict(copies=copies, last=last))
        conn.execute("VACUUM ANALYZE")  # settle the free-space and visibility maps, as a live table has them
        after = sizes(conn)
        added = audits * copies
        site_row = float(conn.execute("SELECT avg(pg_column_size(s.*)) FROM sites s").fetchone()[0])
    per_table = {t: (after[t] - before[t]) / added for t in AUDIT_TABLES}
    per_audit = sum(per_table.values())
    print(f"storage per audit: {audits} real audits of the fake internet, each stored {copies} more times under new"
          f" names; growth of pg_total_relation_size (heap + TOAST + indexes) / {added} audits:")
    print("  " + ", ".join(f"{t} {b / 1024:.1f}" for t, b in per_table.items()) + f" KiB → {per_audit / 1024:.1f} KiB"
          f" per audit (compressed capture {blobs[0] / 1024:.1f} KiB, report {blobs[1] / 1024:.1f} KiB, policy text"
          f" {blobs[2] / 1024:.1f} KiB on average)")
    bundle = asyncio.run(evidence_bundle_size(location, last))
    if bundle is not None:
        print(f"  evidence bundle (built on first download, kept): {bundle / 1024:.1f} KiB for report {last}")
    month = month_targets * 30
    sites = month_targets * (site_row + 200)  # the row and its index entries, once per domain
    print(f"a month of a daily {month_targets:,} list: {month:,} audits × {per_audit / 1024:.1f} KiB ="
          f" {month * per_audit / 1e9:,.0f} GB, + sites ({month_targets:,} × ~{site_row + 200:.0f} B ="
          f" {sites / 1e9:.1f} GB); evidence bundles on top only for audits whose bundle is downloaded:"
          f" 1% of them = {month * 0.01 * (bundle or 0) / 1e9:,.0f} GB")


async def evidence_bundle_size(location: str, report_id: int) -> int | None:
    """Build (and keep, as a first download does) the evidence bundle of ``report_id``: its stored size."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from api.service.evidence import DEFAULT_MAX_BUNDLE_BYTES, bundle_for
    from api.store.postgres import PostgresStore

    store = PostgresStore(location)
    await store.open()
    try:
        row = await store._fetchone("SELECT domain FROM reports WHERE id = %s", (report_id,))
        stored = await store.report(row["domain"], report_id)
        capture = await store._fetchone("SELECT data FROM captures WHERE id = %s", (stored.capture_id,))
        from api.store.records import decompress

        await bundle_for(store, stored, decompress(capture["data"]), Ed25519PrivateKey.generate,
                         DEFAULT_MAX_BUNDLE_BYTES)
        kept = await store._fetchone("SELECT size FROM evidence_bundles WHERE report_id = %s", (report_id,))
        return kept["size"]
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="dispatch,schedule,feeder,chromium,storage",
                        help="of dispatch,schedule,feeder,chromium,storage,engine")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--per-worker", type=int, default=4, help="jobs at once per worker process")
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose `schedule add` is measured")
    parser.add_argument("--rate", type=float, default=12.0, help="feeder: jobs/s coming due")
    parser.add_argument("--window", type=float, default=60.0, help="feeder: seconds observed")
    parser.add_argument("--high-water", type=int, default=200)
    parser.add_argument("--audits", type=int, default=20, help="chromium: real audits per mode")
    parser.add_argument("--crawl-jobs", type=int, default=2, help="chromium: crawl jobs at once per mode")
    parser.add_argument("--rounds", type=int, default=2, help="engine: rounds per mode, interleaved")
    args = parser.parse_args()
    only = set(args.only.split(","))
    cluster = start_cluster()
    try:
        print(f"cpus: {os.cpu_count()}; {load_line()} (a shared machine: wall times move with the load)")
        if "dispatch" in only:
            print(f"fake-crawl jobs, {args.per_worker} at once per worker process")
            for workers in (int(w) for w in args.workers.split(",")):
                rate = dispatch(cluster.new_database(), workers, args.per_worker, args.jobs)
                print(f"  {workers} worker process(es): {rate:7.1f} jobs/s ({args.jobs} jobs); {load_line()}")
        if "schedule" in only:
            schedule_load(cluster, args.targets, args.code.resolve())
        if "feeder" in only:
            feeder_steady(cluster, args.targets, args.rate, args.window, args.high_water, args.per_worker)
        pg = None
        if "chromium" in only:
            pg = chromium(cluster, args.audits, args.crawl_jobs)
        if "engine" in only:
            engine_cost(cluster, args.audits, args.crawl_jobs, args.rounds)
        if "storage" in only and pg is not None:
            storage(pg, 1_000_000)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
