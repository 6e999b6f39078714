"""Summary endpoint throughput and latency with 10,000 stored domains, next to a bare aiohttp handler.

The service runs as built by ``create_app`` (all middleware: CORS, errors, rate limit, auth; the store's
summary cache, which warms itself from the most recent sites at the first request, misses read as one
primary-key lookup of the precomputed summary) in one process; the bare handler serves the same summary bytes
from a dict in another; both are loaded in turn by the same lean keep-alive HTTP client, in the
same run. Target: service ≥ 0.7× the bare handler's requests/second, p99 ≤ 20 ms.

    .venv/bin/python bench/api.py [--domains 10000] [--requests 20000] [--connections 16]
                                  [--backends sqlite,postgres,bare] [--postgres postgresql://…]

``--backends`` picks what is loaded in the run (default all three); ``postgres`` serves from ``--postgres``
(an empty database) or, without it, from a throwaway cluster the bench starts and stops (tests/pg_cluster.py).
Load average is printed: on a shared machine the req/s figures move with it, CPU per request much less.

With ``postgres``, the cost of a cache miss is measured apart, in this process: ``--misses`` distinct domains
read one by one through the store's miss path (its summary read pool), through the general pool (which checks
every connection it hands out), and with asyncpg when it is installed (the issue's driver question); client
CPU per read (process time), the server's CPU not included.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
BACKENDS = ("sqlite", "postgres", "bare")
BARE = "bare aiohttp (dict)"


# ------------------------------------------------------------------------------------- data
async def fill(db: str, count: int) -> list[str]:
    from api.service.samples import make_capture, random_report
    from api.store import open_store
    from api.store.records import prepare_audit

    rng = random.Random(5)
    store = open_store(db)
    await store.open()
    domains = [f"site-{i:05d}-{rng.randrange(10**6):06d}.com" for i in range(count)]
    for i, domain in enumerate(domains):
        report = random_report(domain, rng, 1_700_000_000.0 + i)
        await store.save_audit(prepare_audit(make_capture(report), report))
    await store.close()
    return domains


# ------------------------------------------------------------------------------------- servers
def run_service(db: str, port: int) -> None:
    from aiohttp import web

    from api.http.app import create_app
    from api.service.config import ServiceConfig

    config = ServiceConfig(db=db, port=port, run_jobs=False, rate_limit=1e9, rate_burst=10**9)
    web.run_app(create_app(config), host="127.0.0.1", port=port, access_log=None, print=None)


def run_bare(db: str, port: int) -> None:
    from aiohttp import web

    conn = sqlite3.connect(db)
    summaries = dict(conn.execute("SELECT domain, summary_json FROM sites"))
    conn.close()

    async def summary(request: web.Request) -> web.Response:
        body = summaries.get(request.match_info["domain"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v1/sites/{domain}/summary", summary)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# ------------------------------------------------------------------------------------- client
class Connection(asyncio.Protocol):
    """HTTP/1.1 keep-alive, one request in flight; just enough parsing for Content-Length bodies."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        start = head.find(b"content-length:")
        length = int(head[start + 15:head.find(b"\r\n", start) if head.find(b"\r\n", start) > 0 else None]) \
            if start >= 0 else 0
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        del self.buffer[:end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(status)

    async def get(self, request: bytes) -> int:
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(request)
        return await self.waiter


async def load(port: int, domains: list[str], total: int, connections: int, seed: int) -> tuple[float, list[float]]:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    requests = [f"GET /v1/sites/{rng.choice(domains)}/summary HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
                for _ in range(total)]
    conns = [(await loop.create_connection(Connection, "127.0.0.1", port))[1] for _ in range(connections)]
    latencies: list[float] = []
    next_index = 0

    async def worker(conn: Connection) -> None:
        nonlocal next_index
        while next_index < total:
            request = requests[next_index]
            next_index += 1
            t0 = time.perf_counter()
            status = await conn.get(request)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"status {status}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - started
    for conn in conns:
        assert conn.transport is not None
        conn.transport.close()
    return total / elapsed, latencies


async def miss_costs(location: str, domains: list[str], count: int) -> list[tuple[str, float]]:
    """Client CPU µs per summary read of a domain not cached, by path (see the module docstring)."""
    from api.store import open_store

    store = open_store(location)
    await store.open()
    sample = domains[:count]
    paths: list[tuple[str, Callable[[str], Awaitable[object]]]] = [
        ("psycopg, summary read pool (the miss path)", store._load_summary),  # type: ignore[attr-defined]
        ("psycopg, general pool (checked per checkout)", lambda d: store._fetchone(  # type: ignore[attr-defined]
            "SELECT summary_json, etag FROM sites WHERE domain = %s AND summary_json IS NOT NULL", (d,)))]
    conn = None
    try:
        import asyncpg

        conn = await asyncpg.connect(location)
        statement = await conn.prepare("SELECT summary_json, etag FROM sites WHERE domain = $1"
                                       " AND summary_json IS NOT NULL")
        paths.append(("asyncpg, one connection, prepared", statement.fetchrow))
    except ImportError:
        pass
    results = []
    try:
        for name, read in paths:
            for domain in sample[:50]:  # warm up: connections made, statements prepared
                await read(domain)
            t0 = time.process_time()
            for domain in sample:
                await read(domain)
            results.append((name, (time.process_time() - t0) / len(sample) * 1e6))
    finally:
        if conn is not None:
            await conn.close()
        await store.close()
    return results


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux): a per-request cost that other load cannot inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1] if len(values) > 1 else values[0]


async def wait_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


async def bench(args: argparse.Namespace) -> None:
    tmp = tempfile.TemporaryDirectory(prefix="cw-bench-")
    db = str(Path(tmp.name) / "bench.db")
    t0 = time.perf_counter()
    domains = await fill(db, args.domains)
    print(f"stored {len(domains)} audited domains in {time.perf_counter() - t0:.1f}s "
          f"({Path(db).stat().st_size / 1e6:.0f} MB + WAL)")
    ctx = mp.get_context("spawn")
    backends = [b.strip() for b in args.backends.split(",")]
    if unknown := set(backends) - set(BACKENDS):
        raise SystemExit(f"unknown backend(s) {', '.join(sorted(unknown))}; choose from {', '.join(BACKENDS)}")
    servers = {}
    if "bare" in backends:
        servers[BARE] = (run_bare, 18791, db)
    if "sqlite" in backends:
        servers["service on SQLite"] = (run_service, 18792, db)
    cluster = None
    if "postgres" in backends:
        location = args.postgres
        if location is None:
            from pg_cluster import start_cluster

            cluster = start_cluster()
            location = cluster.new_database()
        t0 = time.perf_counter()
        await fill(location, args.domains)  # the same domains and reports (seeded)
        print(f"stored them in PostgreSQL in {time.perf_counter() - t0:.1f}s")
        servers["service on PostgreSQL"] = (run_service, 18793, location)
    procs = [ctx.Process(target=fn, args=(location, port), daemon=True) for fn, port, location in servers.values()]
    for proc in procs:
        proc.start()
    try:
        for _, port, _ in servers.values():
            await wait_listening(port)
        pids = dict(zip(servers, (p.pid for p in procs)))
        results: dict[str, list[tuple[float, list[float], float]]] = {name: [] for name in servers}
        for round_ in range(args.rounds):
            for name, (_, port, _) in servers.items():
                await load(port, domains, args.requests // 10, args.connections, seed=99)  # warm up
                cpu0 = cpu_seconds(pids[name])
                rps, latencies = await load(port, domains, args.requests, args.connections, seed=round_)
                cpu_us = (cpu_seconds(pids[name]) - cpu0) / args.requests * 1e6
                results[name].append((rps, latencies, cpu_us))
        print(f"\n{args.requests} requests × {args.rounds} rounds, {args.connections} keep-alive connections, "
              f"random domains of {len(domains)}; best round by req/s, CPU = median server CPU per request")
        print(f"{'':22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs':>8}")
        best, cpu = {}, {}
        for name, runs in results.items():
            rps, lat, _ = max(runs, key=lambda r: r[0])
            best[name], cpu[name] = rps, statistics.median(r[2] for r in runs)
            print(f"{name:22} {rps:9.0f} {percentile(lat, 50) * 1e3:8.2f} {percentile(lat, 99) * 1e3:8.2f}"
                  f" {cpu[name]:8.0f}")
        if BARE in best:
            bare, bare_cpu = best[BARE], cpu[BARE]
            for name in [n for n in servers if n != BARE]:
                print(f"\n{name} / bare: {best[name] / bare:.2f}× req/s, {bare_cpu / cpu[name]:.2f}× by CPU per"
                      " request (target ≥ 0.7×)", end="")
        print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        if "service on PostgreSQL" in servers:
            location = servers["service on PostgreSQL"][2]
            print(f"\na summary cache miss on PostgreSQL, {args.misses} distinct domains read one by one, client CPU:")
            for name, cpu_us in await miss_costs(location, domains, args.misses):
                print(f"  {name:46} {cpu_us:6.0f} µs/read")
            print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    finally:
        for proc in procs:
            proc.terminate()
            proc.join(5)
        tmp.cleanup()
        if cluster is not None:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="what to load, of " + ",".join(BACKENDS))
    parser.add_argument("--misses", type=int, default=2000, help="postgres: reads per miss path measured")
    parser.add_argument("--postgres", metavar="URL",
                        help="an empty PostgreSQL database for the postgres backend (default: a throwaway cluster)")
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
