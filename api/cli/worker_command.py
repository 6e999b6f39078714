"""``consentwatch worker``: the crawl worker of a PostgreSQL deployment (one per machine)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import click

from ..errors import ServiceError
from ..service.config import ServiceConfig, default_workers
from ..store import DB_ENV, describe_db, resolve_db
from .options import build_crawl_options, crawl_options, db_option, min_interval_option


@click.command()
@crawl_options
@db_option(help=f"postgresql://… of the shared store (env {DB_ENV}).", required=True)
@click.option("--jobs", "jobs", type=click.IntRange(1, 64), default=None,
              help="Crawl jobs (browser contexts) at once (default: one per core).")
@click.option("--visits-at-once", type=click.IntRange(1, 64), default=6, show_default=True,
              help="Browser visits running at once across all crawl jobs.")
@click.option("--heartbeat", "heartbeat_s", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds between this worker's heartbeats.")
@click.option("--stalled-after", "stalled_after_s", type=click.FloatRange(0.5), default=60.0, show_default=True,
              help="Seconds without a heartbeat after which a worker counts as dead and its jobs are re-run.")
@click.option("--reap-every", "reap_every_s", type=click.FloatRange(0.1), default=15.0, show_default=True,
              help="Seconds between looks for jobs of dead workers.")
@click.option("--high-water", type=click.IntRange(1), default=1000, show_default=True,
              help="Schedules are fed into the queue only while fewer jobs than this wait (cluster-wide).")
@click.option("--feed-every", "feed_every_s", type=click.FloatRange(0.1), default=5.0, show_default=True,
              help="Seconds between feeding due schedule targets into the queue.")
@min_interval_option
def worker(db: str, jobs: int | None, visits_at_once: int, allow_hosts: tuple[str, ...], heartbeat_s: float,
           stalled_after_s: float, reap_every_s: float, high_water: int, feed_every_s: float, min_interval_s: float,
           **params: Any) -> None:
    """Run crawl jobs from a PostgreSQL store (one worker per machine, one shared Chromium)."""
    from ..service.worker import Worker, WorkerTiming

    location = resolve_db(db)
    if not location.startswith(("postgres://", "postgresql://")):
        raise click.UsageError("the worker needs --db postgresql://… (the embedded SQLite mode runs its workers"
                               " inside `consentwatch serve`)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    params.pop("concurrency")  # the crawler's visits-at-once option; the worker names it --visits-at-once
    allow = tuple(h.strip() for entry in allow_hosts for h in entry.split(",") if h.strip())
    crawl = build_crawl_options({**params, "concurrency": visits_at_once, "allow_hosts": allow})
    config = ServiceConfig(db=location, concurrency=jobs or default_workers(), crawl_options=crawl, allow_hosts=allow,
                           min_interval_s=min_interval_s)
    timing = WorkerTiming(heartbeat_s=heartbeat_s, stalled_after_s=stalled_after_s, reap_every_s=reap_every_s,
                          poll_s=min(5.0, reap_every_s), feed_every_s=feed_every_s, high_water=high_water)

    async def main() -> None:
        if params.get("demo_web"):
            from crawler.testing import FakeInternet

            from ..http.server import with_fake_internet

            async with FakeInternet() as web_:
                await Worker(with_fake_internet(config, web_), timing).run()
            return
        await Worker(config, timing).run()

    click.echo(f"consentwatch worker on {describe_db(location)}", err=True)
    try:
        asyncio.run(main())
    except ServiceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
