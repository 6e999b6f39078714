"""Running the service: bind, serve until told to stop, and wiring for the bundled fake internet."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from ..service.config import ServiceConfig
from .app import create_app
from .middleware import error_response

if TYPE_CHECKING:
    from crawler.testing import FakeInternet


def with_fake_internet(config: ServiceConfig, web_: FakeInternet) -> ServiceConfig:
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


_PROTOCOL_ERRORS = {400: ("bad_http_request", "the HTTP request is malformed"),
                    504: ("timeout", "the request took too long"), 500: ("internal_error", "internal error")}


class _JsonErrorProtocol(RequestHandler):
    """aiohttp answers what its HTTP parser refuses (a header line over 8 KiB, a bad Content-Length …)
    itself, before any middleware runs, in text/plain: this answers in the API's JSON error shape."""

    __slots__ = ()

    def handle_error(self, request, status=500, exc=None, message=None):  # type: ignore[no-untyped-def]
        super().handle_error(request, status, exc, message)  # logs; raises if a response has begun already
        code, text = _PROTOCOL_ERRORS.get(status, ("http_error", "the request could not be handled"))
        if status == 400 and message:
            text += ": " + message.strip().splitlines()[0][:200]
        response = error_response(status, code, text)
        response.force_close()  # the parser's state is unknown: never reuse the connection
        return response


class _ApiServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorProtocol(self, loop=self._loop, **self._kwargs)


class ApiRunner(web.AppRunner):
    """``AppRunner`` whose connections answer protocol-level errors as JSON too (used by ``serve``)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _ApiServer  # the same server; only its protocol factory differs
        return server


async def serve(config: ServiceConfig, ready: asyncio.Future[str] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; ``ready`` gets the base URL once listening."""
    runner = ApiRunner(create_app(config), access_log=None, shutdown_timeout=5.0)
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
