"""``create_app(config)``: the aiohttp application, reused by ``consentwatch serve``, tests and the bench.

Resources live on typed ``AppKey``s, created here and opened/closed by ``cleanup_ctx`` in order:
store → job runner → scheduler (closed in reverse).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import msgspec
from aiohttp import web

from ..service.config import ServiceConfig
from ..service.jobs import JobRunner
from ..service.ratelimit import RateLimiter
from ..service.scheduler import run_scheduler
from ..service.targets import TargetGuard
from ..store import open_store
from .html import template_env
from .keys import CONFIG, GUARD, LIMITER, OPENAPI, RUNNER, STORE, TEMPLATES
from .middleware import MIDDLEWARES
from .openapi import spec
from .routes import ROUTES


def create_app(config: ServiceConfig) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=config.max_body_bytes)
    store = open_store(config.db, busy_timeout_s=config.db_busy_timeout_s, max_bytes=config.db_max_bytes)
    guard = TargetGuard(config.allow_hosts, config.resolve)
    app[CONFIG] = config
    app[STORE] = store
    app[GUARD] = guard
    app[LIMITER] = RateLimiter(config.rate_limit, config.rate_burst)
    app[RUNNER] = JobRunner(store, config, guard)
    app[TEMPLATES] = template_env()
    app[OPENAPI] = msgspec.json.encode(spec())
    for route in ROUTES:
        if route.method == "GET":
            app.router.add_get(route.path, route.handler)  # also answers HEAD
        else:
            app.router.add_route(route.method, route.path, route.handler)
    app.cleanup_ctx.extend([_store_ctx, _runner_ctx, _scheduler_ctx])
    return app


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    await app[STORE].open()
    yield
    await app[STORE].close()


async def _runner_ctx(app: web.Application) -> AsyncIterator[None]:
    runner = app[RUNNER]
    if app[CONFIG].run_jobs:
        await runner.start()
    yield
    await runner.stop()


async def _scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    if not config.run_jobs:
        yield
        return
    task = asyncio.create_task(run_scheduler(app[STORE], config.schedule_tick_s, config.max_attempts,
                                             app[RUNNER].wake), name="scheduler")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
