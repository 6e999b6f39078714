"""What CLI commands share: the browser/crawl options of every command that drives Chromium, its exit code
when there is no Chromium, and the ``--db`` option."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Iterator

import click
from rich.console import Console

from crawler import BrowserNotFoundError, BrowserOptions, CrawlOptions
from crawler.crawl import DEFAULT_CONCURRENT_VISITS

from ..store import DB_ENV

EXIT_NO_BROWSER = 3  # a command that needs Chromium found none (or could not start it)
DB_HELP = (f"SQLite database file, or postgresql://… for PostgreSQL (env {DB_ENV}; default: a SQLite file in the"
           " user data dir).")


def db_option(help: str = DB_HELP, required: bool = False) -> Callable[[Callable], Callable]:
    """The ``--db`` option (env CONSENTWATCH_DB) of every command that uses the store; ``help`` says what for."""
    return click.option("--db", envvar=DB_ENV, default=None, required=required, help=help)


@contextlib.contextmanager
def browser_required() -> Iterator[None]:
    """Around a command's crawling: no Chromium ends the command with ``EXIT_NO_BROWSER`` and the reason."""
    try:
        yield
    except BrowserNotFoundError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        sys.exit(EXIT_NO_BROWSER)


def crawl_options(func: Callable) -> Callable:
    """Decorate a click command with the crawler's browser options."""
    options = [
        click.option("--host-rules", envvar="CONSENTWATCH_HOST_RULES", default=None,
                     help="Chromium --host-resolver-rules (env CONSENTWATCH_HOST_RULES)."),
        click.option("--allow-hosts", multiple=True, metavar="HOST|*.SUFFIX|CIDR",
                     help="Let crawls (and the service's SSRF guard) reach these although they are internal "
                          "addresses (repeatable, comma-separated)."),
        click.option("--dns-server", envvar="CONSENTWATCH_DNS_SERVER", default=None, metavar="IP[:PORT]",
                     help="DNS server the crawler's address guard resolves with (default: the system's)."),
        click.option("--ignore-https-errors", is_flag=True, help="Accept invalid TLS certificates."),
        click.option("--timeout", "timeout_s", type=click.FloatRange(1, 600), default=30.0, show_default=True,
                     help="Seconds a page may take to load."),
        click.option("--deadline", "deadline_s", type=click.FloatRange(5, 3600), envvar="CONSENTWATCH_DEADLINE",
                     default=None, help="Seconds one domain's whole crawl may take; then it ends with a partial "
                                        "capture naming what was cut (default: 4 × --timeout; env CONSENTWATCH_DEADLINE)."),
        click.option("--settle", "settle_s", type=click.FloatRange(0, 120), default=3.0, show_default=True,
                     help="Idle seconds after load, to catch late requests."),
        click.option("--chromium", type=click.Path(dir_okay=False), envvar="CONSENTWATCH_CHROMIUM", default=None,
                     help="Chromium executable (env CONSENTWATCH_CHROMIUM)."),
        click.option("--keep-values", is_flag=True, help="Store cookie values and request bodies in clear "
                     "(default: cookie values as length + hash, "
                     "request bodies only where a finding cites the request)."),
        click.option("--visits", default=None, help="Comma-separated visits, e.g. baseline,gpc."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=DEFAULT_CONCURRENT_VISITS, show_default=True,
                     help="Visits running at once."),
        click.option("--demo-web", is_flag=True,
                     help="Serve the bundled fake internet on loopback and route the browser to it."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_crawl_options(params: dict, extra_args: tuple[str, ...] = (), host_rules: str | None = None,
                        **overrides) -> CrawlOptions:
    browser = BrowserOptions(
        chromium=params.get("chromium"),
        host_rules=host_rules or params.get("host_rules"),
        dns_server=params.get("dns_server"),
        allow_hosts=tuple(h.strip() for entry in params.get("allow_hosts") or () for h in entry.split(",") if h.strip()),
        ignore_https_errors=bool(params.get("ignore_https_errors")),
        extra_args=extra_args,
    )
    visits = params.get("visits")
    kwargs = dict(
        browser=browser,
        timeout_s=params.get("timeout_s", 30.0),
        settle_s=params.get("settle_s", 3.0),
        keep_values=bool(params.get("keep_values")),
        max_concurrent_visits=params.get("concurrency", DEFAULT_CONCURRENT_VISITS),
        deadline_s=params.get("deadline_s"),
    )
    if visits:
        kwargs["visits"] = tuple(v.strip() for v in visits.split(",") if v.strip())
    kwargs.update(overrides)
    return CrawlOptions(**kwargs)


@contextlib.asynccontextmanager
async def browser_environment(params: dict, **overrides) -> AsyncIterator[CrawlOptions]:
    """CrawlOptions for the command; with --demo-web, also the running fake internet behind them."""
    if not params.get("demo_web"):
        yield build_crawl_options(params, **overrides)
        return
    from crawler.testing import FakeInternet

    async with FakeInternet() as web:
        yield build_crawl_options(params, extra_args=tuple(web.trust_args), host_rules=web.host_rules,
                                  **overrides)


# Politeness towards audited sites, the same option for `serve` (embedded workers) and `worker`.
min_interval_option = click.option(
    "--min-interval", "min_interval_s", type=click.FloatRange(0.0), default=60.0, show_default=True, metavar="SECONDS",
    help="Least time between the starts of two audits of one site (registrable domain), across all workers; "
         "besides, one audit of a site runs at a time. 0: no interval.")
