"""A real service over a store filled with given reports, for the API filter tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

import aiohttp
from aiohttp.test_utils import TestServer

from api.http.app import create_app
from api.service.config import ServiceConfig
from api.service.samples import make_capture
from api.store import open_store
from api.store.records import prepare_audit
from model.report import Report


@contextlib.asynccontextmanager
async def serving(location: str, reports: Iterable[Report]) -> AsyncIterator[aiohttp.ClientSession]:
    """Store ``reports`` at ``location`` (a SQLite path or PostgreSQL URL), then serve it; yields a client."""
    store = open_store(location)
    await store.open()
    for report in reports:
        await store.save_audit(prepare_audit(make_capture(report), report))
    await store.close()
    server = TestServer(create_app(ServiceConfig(db=location, run_jobs=False, rate_limit=1000, rate_burst=1000)),
                        host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as session:
            yield session
    finally:
        await server.close()


async def listed_domains(http: aiohttp.ClientSession, query: str) -> list[str]:
    async with http.get(f"/v1/sites?{query}") as r:
        assert r.status == 200, await r.text()
        return [s["domain"] for s in (await r.json())["sites"]]
