"""Hostile policy pages: megabytes of tiny blocks, a DOM built by script far larger than the page sent.

They cost the crawler CPU and memory in proportion to their size; tests and bench/hostile.py use them
to show that the service stays responsive and that the size caps cut (and report the cut)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from aiohttp import web

from .routes import Handler

if TYPE_CHECKING:
    from .server import FakeInternet

POLICY_HEAD = ("<h1>Privacy Policy</h1><p>We use cookies and Google Analytics to understand how visitors use "
               "this site. We do not sell your personal information.</p>")
TINY_BLOCK = "<div><p>Data.</p></div>"  # the most elements per byte a policy-looking page can have


@functools.lru_cache(maxsize=4)
def tiny_blocks_page(size_bytes: int) -> str:
    """A policy page of about ``size_bytes``: a real first paragraph, then tiny blocks to the end."""
    count = max(0, (size_bytes - 200 - len(POLICY_HEAD)) // len(TINY_BLOCK))
    return (f"<!doctype html><html lang=en><head><title>Privacy Policy</title></head><body><article>{POLICY_HEAD}"
            f"{TINY_BLOCK * count}</article></body></html>")


def script_built_page(blocks: int) -> str:
    """Small over the wire; the script grows the DOM to ``blocks`` paragraphs (~75 bytes each)."""
    return (f"<!doctype html><html lang=en><head><title>Privacy Policy</title></head><body><article>{POLICY_HEAD}"
            "<div id=grow></div></article><script>"
            "const p = '<p>We collect data about your visit and share it with our partners.</p>';"
            f"document.getElementById('grow').innerHTML = p.repeat({int(blocks)});"
            "</script></body></html>")


def tiny_blocks_policy(web_: FakeInternet, size_mb: float = 4.5) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(text=tiny_blocks_page(int(size_mb * 1_000_000)), content_type="text/html")

    return handle


def script_built_policy(web_: FakeInternet, blocks: int = 90_000) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(text=script_built_page(blocks), content_type="text/html")

    return handle
