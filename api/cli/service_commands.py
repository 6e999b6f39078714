"""Service commands (serve, schedule, token), registered onto the main CLI group."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import re
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from crawler.crawl import DEFAULT_CONCURRENT_VISITS
from model.errors import InvalidDomainError

from ..errors import ServiceError
from ..service.config import ServiceConfig, default_workers
from ..service.targets import canonical_domain
from ..store import Store, describe_db, open_store, resolve_db
from .options import build_crawl_options, crawl_options, db_option, min_interval_option
from .worker_command import worker

T = TypeVar("T")
console = Console()
errors = Console(stderr=True)



def register(group: click.Group) -> None:
    """Add the service's commands to ``group``."""
    group.add_command(serve)
    group.add_command(schedule)
    group.add_command(token)
    group.add_command(worker)


def run_with_store(db: str | None, action: Callable[[Store], Awaitable[T]]) -> T:
    async def go() -> T:
        store = open_store(db)
        await store.open()
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        return asyncio.run(go())
    except ServiceError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(1)


def _when(t: float | None) -> str:
    return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "—"


# ---------------------------------------------------------------------------------------- serve
@click.command()
@crawl_options
@db_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--visits-at-once", type=click.IntRange(1, 64), default=DEFAULT_CONCURRENT_VISITS, show_default=True,
              help="Browser visits running at once across all crawl jobs.")
@click.option("--cors-origin", multiple=True, help="A web origin allowed to call the API (extensions always are).")
@click.option("--rate-limit", type=click.FloatRange(0.1), default=20.0, show_default=True,
              help="Requests per second per client (bursts of 5×).")
@click.option("--max-attempts", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--stale-after", type=click.FloatRange(1.0), default=60.0, show_default=True,
              help="Seconds without a heartbeat after which a running crawl is retried (e.g. after a crash).")
@click.option("--public-url", default=None, help="Base URL for absolute links in responses.")
@click.option("--max-queued-per-token", type=click.IntRange(1), default=500, show_default=True,
              help="Crawl jobs one token may have queued or running; more are refused (429).")
@click.option("--max-queued", type=click.IntRange(1), default=10_000, show_default=True,
              help="Crawl jobs queued or running in all; API requests beyond are refused (429).")
@click.option("--max-db-size", "max_db_mb", type=click.IntRange(1), default=None, metavar="MB",
              help="Cap the database file's size; writes beyond answer 503 (default: no cap but the disk).")
@click.option("--evidence-max-mib", type=click.IntRange(1), default=20, show_default=True,
              help="Cap on one audit's evidence bundle (uncompressed); HARs, the raw capture, screenshots and "
                   "policy HTML give way, largest first, to a note saying what was left out.")
@min_interval_option
def serve(db: str | None, host: str, port: int, visits_at_once: int, allow_hosts: tuple[str, ...],
          cors_origin: tuple[str, ...], rate_limit: float, max_attempts: int, stale_after: float, public_url: str | None,
          max_queued_per_token: int, max_queued: int, max_db_mb: int | None, evidence_max_mib: int,
          min_interval_s: float, **params: Any) -> None:
    """Run the API and the crawl workers (default http://127.0.0.1:8787)."""
    from ..http.server import serve as serve_forever
    from ..http.server import with_fake_internet

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs = params.pop("concurrency")
    allow = tuple(h.strip() for entry in allow_hosts for h in entry.split(",") if h.strip())
    # The same allow-list for the queue-time guard and for every connection the browser makes.
    crawl = build_crawl_options({**params, "concurrency": visits_at_once, "allow_hosts": allow})
    location = resolve_db(db)
    # On PostgreSQL `serve` is the API only (any number of replicas); `consentwatch worker` runs the crawls.
    embedded = not location.startswith(("postgres://", "postgresql://"))
    config = ServiceConfig(db=location, host=host, port=port, concurrency=jobs, crawl_options=crawl, run_jobs=embedded,
                           allow_hosts=allow, cors_origins=cors_origin, rate_limit=rate_limit,
                           rate_burst=max(10, int(rate_limit * 5)), max_attempts=max_attempts, public_url=public_url,
                           stale_after_s=stale_after, heartbeat_s=stale_after / 6,
                           max_queued_per_token=max_queued_per_token, max_queued=max_queued,
                           db_max_bytes=max_db_mb * 1024 * 1024 if max_db_mb else None,
                           evidence_max_bytes=evidence_max_mib * 1024 * 1024, min_interval_s=min_interval_s)

    async def main() -> None:
        ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        ready.add_done_callback(lambda f: console.print(f"consentwatch serving on {f.result()} (db {describe_db(config.db)})"))
        if not params.get("demo_web"):
            await serve_forever(config, ready)
            return
        from crawler.testing import FakeInternet

        async with FakeInternet() as web_:
            console.print(f"demo web on loopback; try: {', '.join(web_.demo_domains or sorted(web_.sites.values()))}")
            await serve_forever(with_fake_internet(config, web_), ready)

    try:
        asyncio.run(main())
    except (ServiceError, OSError) as exc:  # a damaged database, a port in use: one line, no traceback
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


# The crawler's --concurrency means visits at once; for the service it is the job pool, default per core.
for _param in serve.params:
    if _param.name == "concurrency":
        _param.default = default_workers()
        _param.help = "Crawl jobs at once (default: one per core)."
        assert isinstance(_param.type, click.IntRange)
        _param.type = click.IntRange(1, 64)


# ---------------------------------------------------------------------------------------- schedule
@click.group()
def schedule() -> None:
    """Crawl named lists of domains on an interval or a cron expression."""


def read_domains(path: str) -> list[str]:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    domains, bad = [], []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            domains.append(canonical_domain(line))
        except InvalidDomainError as exc:
            bad.append(f"line {number}: {exc}")
    if bad:
        raise click.UsageError("invalid domains in " + path + ":\n  " + "\n  ".join(bad))
    return list(dict.fromkeys(domains))


# Lower-case ASCII labels and a letter-led top label (not an IP address); lengths are checked apart (cheaper).
_PLAIN_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z](?:[a-z0-9-]*[a-z0-9])?")


def _plain_host(line: str) -> bool:
    return (len(line) <= 63 or (len(line) <= 253 and max(map(len, line.split("."))) <= 63)) \
        and _PLAIN_HOST.fullmatch(line) is not None


def read_many_domains(path: str) -> list[str]:
    """``read_domains`` for lists of a million lines: an already plain ASCII host skips the general parser
    (URLs, IDNs, odd case still go through it), and a two-label one needs no public-suffix lookup either."""
    from model.domains import registrable_domain

    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115 (closed by `with stream` below)
    domains: dict[str, None] = {}
    bad = []
    with stream:
        for number, line in enumerate(stream, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                if not _plain_host(line):
                    domain = canonical_domain(line)
                elif line.count(".") == 1:  # label.tld is its own registrable domain (or itself a suffix, kept)
                    domain = line
                else:
                    domain = registrable_domain(line)
            except InvalidDomainError as exc:
                bad.append(f"line {number}: {exc}")
                continue
            domains[domain] = None
    if bad:
        raise click.UsageError(f"{len(bad)} invalid domain(s) in {path} (nothing was stored):\n  "
                               + "\n  ".join(bad[:20]))
    return list(domains)


@schedule.command("add")
@click.argument("name")
@click.argument("domains_file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--every", default=None, help="Interval, e.g. 24h, 30m, 7d, 1h30m.")
@click.option("--cron", default=None, help="Cron expression (UTC), e.g. '0 3 * * *'.")
@db_option()
def schedule_add(name: str, domains_file: str, every: str | None, cron: str | None, db: str | None) -> None:
    """Crawl the domains listed in DOMAINS_FILE (one a line, '-' for stdin) as schedule NAME."""
    from ..service.scheduler import new_schedule, parse_every

    location = resolve_db(db)
    if every and location.startswith(("postgres://", "postgresql://")):
        # A list of any size: one row per domain with its own due time, fed to the workers gradually.
        try:
            every_s = parse_every(every)
        except ServiceError as exc:
            raise click.UsageError(str(exc)) from None
        if cron:
            raise click.UsageError("give exactly one of an interval (--every) or a cron expression (--cron)")
        many = read_many_domains(domains_file)
        if not many:
            raise click.UsageError("a schedule needs at least one domain")
        added = run_with_store(location, lambda store: store.add_target_schedule(name, every_s, many, time.time()))
        console.print(f"schedule {name}: {added} domain(s) every {every}, spread over the period"
                      " (queued by `consentwatch worker`)")
        return
    domains = read_domains(domains_file)
    try:
        item = new_schedule(name, domains, every, cron, time.time())
    except ServiceError as exc:
        raise click.UsageError(str(exc)) from None
    run_with_store(db, lambda store: store.add_schedule(item))
    console.print(f"schedule {name}: {len(domains)} domain(s), {'every ' + every if every else 'cron ' + str(cron)};"
                  f" next run {_when(item.next_run_at)} (while `consentwatch serve` runs)")


@schedule.command("list")
@db_option()
def schedule_list(db: str | None) -> None:
    """Show the schedules."""
    async def load(store: Store) -> tuple[list, dict[str, int]]:
        targets = getattr(store, "target_counts", None)  # big-list schedules (PostgreSQL)
        return await store.schedules(), (await targets() if targets else {})

    items, targets = run_with_store(db, load)
    table = Table("name", "domains", "when", "last run", "next run")
    for s in items:
        when = f"every {s.every_s / 3600:g}h" if s.every_s else f"cron {s.cron}"
        if s.name in targets or math.isinf(s.next_run_at):  # each domain has its own due time
            table.add_row(s.name, str(targets.get(s.name, 0)), when, "—", "spread over the period")
            continue
        table.add_row(s.name, str(len(s.domains)), when, _when(s.last_run_at), _when(s.next_run_at))
    console.print(table)


@schedule.command("remove")
@click.argument("name")
@db_option()
def schedule_remove(name: str, db: str | None) -> None:
    """Delete schedule NAME (queued crawls stay queued)."""
    run_with_store(db, lambda store: store.remove_schedule(name))
    console.print(f"schedule {name} removed")


# ---------------------------------------------------------------------------------------- token
@click.group()
def token() -> None:
    """Bearer tokens for the API's write endpoints."""


@token.command("create")
@click.argument("name")
@db_option()
def token_create(name: str, db: str | None) -> None:
    """Create a token called NAME and print it (it is shown only once)."""
    from ..service.auth import create_token

    secret, _ = run_with_store(db, lambda store: create_token(store, name))
    errors.print(f"token {name!r} created; store it now, it is not shown again:")
    click.echo(secret)


@token.command("list")
@db_option()
def token_list(db: str | None) -> None:
    """Show tokens (names and use, never the secrets)."""
    items = run_with_store(db, lambda store: store.tokens())
    table = Table("name", "created", "last used", "revoked")
    for t in items:
        table.add_row(t.name, _when(t.created_at), _when(t.last_used_at), _when(t.revoked_at))
    console.print(table)


@token.command("revoke")
@click.argument("name")
@db_option()
def token_revoke(name: str, db: str | None) -> None:
    """Revoke token NAME at once."""
    run_with_store(db, lambda store: store.revoke_token(name, time.time()))
    console.print(f"token {name} revoked")
