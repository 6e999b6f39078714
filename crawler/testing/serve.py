"""Run the fake internet until interrupted: ``python -m crawler.testing`` (useful for the demo and by hand)."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import Callable
from pathlib import Path

import click

from .server import FakeInternet


def describe(web: FakeInternet) -> str:
    lines = ["consentwatch fake internet is up", "",
             f"  http  127.0.0.1:{web.http_port}", f"  https 127.0.0.1:{web.https_port}", "",
             "Chromium flags:", *(f"  {shlex.quote(a)}" for a in web.chromium_args), "",
             "Host rules:", f"  {web.host_rules}", "",
             f"Demo companies: {', '.join(web.demo_domains) or '(none)'}",
             f"Test sites: {', '.join(sorted(web.sites.values()))}"]
    if web.seed_domains:
        lines.append(f"Seed sites: {', '.join(web.seed_domains.values())}")
    lines += ["", f"CA certificate (for other clients): {web.ca_path}", "Press Ctrl-C to stop."]
    return "\n".join(lines)


async def serve_forever(*, seeds_dir: str | Path | None = None, http_port: int = 0, https_port: int = 0,
                        demo: bool = True, test_sites: bool = True, bind: str = "127.0.0.1",
                        on_ready: Callable[[FakeInternet], None] | None = None) -> None:
    """Serve until cancelled; ``on_ready`` gets the running FakeInternet (default: print how to use it)."""
    async with FakeInternet(seeds_dir=seeds_dir, demo=demo, test_sites=test_sites, bind=bind,
                            http_port=http_port, https_port=https_port) as web:
        (on_ready or (lambda w: print(describe(w), flush=True)))(web)
        await asyncio.Event().wait()


@click.command()
@click.option("--http-port", default=0, show_default=True, help="0 picks a free port")
@click.option("--https-port", default=0, show_default=True, help="0 picks a free port")
@click.option("--seeds-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="serve each seed policy as a test site (e.g. ../shared/seeds)")
@click.option("--no-demo", is_flag=True, help="leave out the five demo companies")
@click.option("--no-test-sites", is_flag=True, help="leave out the behaviour/discovery test sites")
def main(http_port: int, https_port: int, seeds_dir: Path | None, no_demo: bool, no_test_sites: bool) -> None:
    """Serve tracker stubs, the demo companies and the test sites on loopback."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(seeds_dir=seeds_dir, http_port=http_port, https_port=https_port,
                                  demo=not no_demo, test_sites=not no_test_sites))
