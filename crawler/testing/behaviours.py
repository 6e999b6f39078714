"""Named Python handlers for behaviours a static page cannot produce (sockets, hangs, loops)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable

from aiohttp import WSMsgType, web

from . import hostile_pages
from .routes import Handler

if TYPE_CHECKING:
    from .server import FakeInternet


def websocket_echo(web_: "FakeInternet") -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("hello from the fake internet")
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(f"echo: {msg.data}")
        return ws

    return handle


def hang(web_: "FakeInternet") -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        await web_.hang()
        return web.Response(status=503, text="server stopping")

    return handle


def delay(web_: "FakeInternet", seconds: float = 5.0, body: str = "slow") -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        ms = request.query.get("ms")
        wait = int(ms) / 1000 if ms and ms.isdigit() else seconds
        try:
            await asyncio.wait_for(web_.hang(), timeout=wait)
        except asyncio.TimeoutError:
            pass
        return web.Response(text=body, content_type="text/html")

    return handle


HANDLERS: dict[str, Callable[..., Handler]] = {
    "websocket_echo": websocket_echo,
    "hang": hang,
    "delay": delay,
    "tiny_blocks_policy": hostile_pages.tiny_blocks_policy,
    "script_built_policy": hostile_pages.script_built_policy,
}
