"""The ``consentwatch`` command line."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console

from crawler import BrowserNotFoundError, ConsentwatchError, Crawler, InvalidDomainError, encode_capture
from crawler.domains import normalize_domain

from .cli_options import browser_environment, crawl_options
from .render import render_capture_summary

console = Console(stderr=False)
errors = Console(stderr=True)


@click.group()
@click.version_option(package_name="consentwatch")
def main() -> None:
    """Check whether websites do what their privacy policies say."""


@main.command()
@click.argument("domain")
@click.option("--out", "out", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the capture JSON here ('-' for stdout).")
@crawl_options
def crawl(domain: str, out: str | None, **params) -> None:
    """Crawl DOMAIN in real Chromium and record what it loads."""
    try:
        normalize_domain(domain)
    except InvalidDomainError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    try:
        capture = asyncio.run(_crawl(domain, params))
    except BrowserNotFoundError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(3)
    except ConsentwatchError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
    data = encode_capture(capture)
    if out == "-":
        sys.stdout.buffer.write(data + b"\n")
    else:
        if out:
            Path(out).write_bytes(data)
        render_capture_summary(console, capture)
        if out:
            console.print(f"capture written to {out}")
    if not capture.reachable or not any(v.ok for v in capture.visits):
        sys.exit(1)


async def _crawl(domain: str, params: dict):
    async with browser_environment(params) as options:
        with errors.status(f"crawling {domain} …"):
            async with Crawler(options) as crawler:
                return await crawler.crawl(domain)


from .cli_service import register as _register_service_commands  # noqa: E402  (needs `main`)

_register_service_commands(main)

if __name__ == "__main__":
    main()
