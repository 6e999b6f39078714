"""Service metadata: health, the OpenAPI description and its docs page."""

from __future__ import annotations

from aiohttp import web

from ..keys import OPENAPI, STORE, TEMPLATES
from ..schemas import Health
from .common import json_response


async def health(request: web.Request) -> web.Response:
    from ..openapi import package_version  # late: openapi imports the views

    counts = await request.app[STORE].job_counts()
    return json_response(Health(version=package_version(), queued=counts.get("queued", 0),
                                running=counts.get("running", 0)))


async def openapi_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")


async def docs_page(request: web.Request) -> web.Response:
    from ..openapi import spec

    html = request.app[TEMPLATES].get_template("docs.html.j2").render(spec=spec())
    return web.Response(text=html, content_type="text/html")
