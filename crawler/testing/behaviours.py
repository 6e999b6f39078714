"""Named Python handlers for behaviours a static page cannot produce (sockets, hangs, loops)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from . import hostile_pages
from .routes import Handler

if TYPE_CHECKING:
    from .server import FakeInternet


def websocket_echo(web_: FakeInternet) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("hello from the fake internet")
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(f"echo: {msg.data}")
        return ws

    return handle


def hang(web_: FakeInternet) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        await web_.hang()
        return web.Response(status=503, text="server stopping")

    return handle


def delay(web_: FakeInternet, seconds: float = 5.0, body: str = "slow") -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        ms = request.query.get("ms")
        wait = int(ms) / 1000 if ms and ms.isdigit() else seconds
        try:
            await asyncio.wait_for(web_.hang(), timeout=wait)
        except TimeoutError:
            pass
        return web.Response(text=body, content_type="text/html")

    return handle


async def _trickle(web_: FakeInternet, response: web.StreamResponse, chunks, interval_s: float) -> None:
    """Write ``chunks`` with a pause between them until they end, the client leaves or the server stops."""
    try:
        for chunk in chunks:
            await response.write(chunk)
            try:
                await asyncio.wait_for(web_.hang(), timeout=interval_s)
                return  # the server is stopping
            except TimeoutError:
                pass
    except (ConnectionResetError, RuntimeError):
        pass  # the browser gave up on us: that is the point


def _forever(chunk: bytes):
    while True:
        yield chunk


def endless_body(web_: FakeInternet, head: str = "<!doctype html><html><head><title>Still loading</title></head><body>",
                 chunk: str = "<p>more</p>\n", interval_s: float = 0.05) -> Handler:
    """A 200 whose HTML body never ends: the load event never comes."""
    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
        await response.prepare(request)
        await response.write(head.encode())
        await _trickle(web_, response, _forever(chunk.encode()), interval_s)
        return response

    return handle


def endless_download(web_: FakeInternet, filename: str = "catalogue.bin", interval_s: float = 0.05) -> Handler:
    """An attachment that never finishes downloading."""
    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream",
                                               "Content-Disposition": f'attachment; filename="{filename}"'})
        await response.prepare(request)
        await _trickle(web_, response, _forever(b"\0" * 65536), interval_s)
        return response

    return handle


def drip(web_: FakeInternet, body: str = "", bytes_per_chunk: int = 64, interval_s: float = 1.0) -> Handler:
    """A page sent a few bytes at a time: complete, eventually, long after any sane timeout."""
    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
        await response.prepare(request)
        data = body.encode()
        chunks = (data[i:i + bytes_per_chunk] for i in range(0, len(data), bytes_per_chunk))
        await _trickle(web_, response, chunks, interval_s)
        return response

    return handle


HANDLERS: dict[str, Callable[..., Handler]] = {
    "websocket_echo": websocket_echo,
    "hang": hang,
    "delay": delay,
    "tiny_blocks_policy": hostile_pages.tiny_blocks_policy,
    "script_built_policy": hostile_pages.script_built_policy,
    "endless_body": endless_body,
    "endless_download": endless_download,
    "drip": drip,
}
