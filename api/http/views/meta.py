"""Service metadata: health, the OpenAPI description and its docs page."""

from __future__ import annotations

import msgspec
from aiohttp import web

from ...errors import StoreError
from ...version import package_version
from ..html import html_response
from ..keys import OPENAPI, STORE, TEMPLATES
from ..schemas import Health
from .common import json_response


async def health(request: web.Request) -> web.Response:
    """200 while the store answers; 503 saying what is wrong with it (locked, full, damaged) otherwise."""
    store = request.app[STORE]
    try:
        await store.check()
        counts = await store.job_counts()
    except StoreError as exc:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after is not None else None
        return json_response(Health(status="unavailable", version=package_version(), store=exc.code, error=str(exc)),
                             status=503, headers=headers)
    return json_response(Health(version=package_version(), queued=counts.get("queued", 0),
                                running=counts.get("running", 0), done=counts.get("done", 0),
                                failed=counts.get("failed", 0)))


async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")


async def docs_page(request: web.Request) -> web.Response:
    spec = msgspec.json.decode(request.app[OPENAPI])  # the description the app serves, built once at start
    return html_response(request.app[TEMPLATES].get_template("docs.html.j2").render(spec=spec))
