"""Running the service: bind, serve until told to stop, and wiring for the bundled fake internet."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from typing import TYPE_CHECKING

from aiohttp import web

from .app import create_app
from .config import ServiceConfig

if TYPE_CHECKING:
    from crawler.testing import FakeInternet


def with_fake_internet(config: ServiceConfig, web_: "FakeInternet") -> ServiceConfig:
    """Route crawls through ``web_`` and let its hosts past the SSRF guard (they all live on loopback).

    Names are resolved the way Chromium will resolve them — through the fake internet's mapping —
    so a name that is not one of its sites still resolves to loopback and is refused.
    """
    resolver = web_.resolver()

    async def resolve(host: str) -> list[str]:
        return [entry["host"] for entry in await resolver.resolve(host, 443)]

    browser = dataclasses.replace(config.crawl_options.browser, host_rules=web_.host_rules,
                                  extra_args=(*config.crawl_options.browser.extra_args, *web_.trust_args))
    return dataclasses.replace(config, crawl_options=dataclasses.replace(config.crawl_options, browser=browser),
                               allow_hosts=(*config.allow_hosts, *sorted(web_.hosts())), resolve=resolve)


async def serve(config: ServiceConfig, ready: "asyncio.Future[str] | None" = None) -> None:
    """Serve until SIGINT/SIGTERM; ``ready`` gets the base URL once listening."""
    runner = web.AppRunner(create_app(config), access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set_result(site.name)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
