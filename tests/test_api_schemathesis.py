"""Property-based run (schemathesis) of every operation in /v1/openapi.json against a real server:
no 5xx, and every status, content type, header and body conforms to the spec."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings

from api.http.app import create_app
from api.http.openapi import spec
from api.service.auth import create_token
from api.service.config import ServiceConfig
from api.service.samples import make_capture, make_report
from api.store import SqliteStore
from api.store.records import prepare_audit

pytestmark = pytest.mark.slow  # hypothesis-generated requests against every operation: make test runs it


class ThreadedServer:
    """The service on loopback in its own thread and loop: schemathesis calls it synchronously."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(create_app(self.config), access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


def prepare_db(path: str) -> str:
    async def fill() -> str:
        store = SqliteStore(path)
        await store.open()
        for i, domain in enumerate(("shop.com", "news.com", "shop.com")):
            report = make_report(domain, 1_700_000_000.0 + i, loaded=[0, 2 + i], declared=[0])
            await store.save_audit(prepare_audit(make_capture(report), report))
        token, _ = await create_token(store, "schemathesis")
        await store.close()
        return token

    return asyncio.run(fill())


@pytest.fixture(scope="module")
def server_and_token(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("schemathesis") / "cw.db")
    token = prepare_db(db)
    with ThreadedServer(ServiceConfig(db=db, run_jobs=False, rate_limit=10_000, rate_burst=10_000)) as server:
        yield server, token


# The document the server serves at /v1/openapi.json (checked equal just below and in test_api_views).
schema = schemathesis.openapi.from_dict(spec())


def test_the_served_document_is_the_one_tested(server_and_token):
    server, _ = server_and_token
    with urllib.request.urlopen(f"{server.url}/v1/openapi.json", timeout=10) as response:
        assert json.load(response) == json.loads(json.dumps(spec()))


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_and_never_fails(case, server_and_token):
    server, token = server_and_token
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
