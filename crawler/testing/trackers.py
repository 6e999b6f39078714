"""Tracker stubs on their real hostnames, built from ``trackers.yaml``.

Scripts are ``_common.js`` + the listed stub files, wrapped so each load gets its own ``CFG``.
Endpoints answer like the real collectors (pixel, 204, JSON) and set the real third-party cookies.
"""

from __future__ import annotations

import email.utils
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from .routes import RouteTable

STUBS = Path(__file__).with_name("stubs")
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")

CONTENT_TYPES = {"gif": "image/gif", "js": "application/javascript; charset=utf-8",
                 "json": "application/json", "html": "text/html; charset=utf-8",
                 "text": "text/plain; charset=utf-8", "empty": "text/plain"}


def fill(template: str, **extra: str) -> str:
    """Expand the value placeholders used in trackers.yaml."""
    values = {"hex8": secrets.token_hex(4), "hex16": secrets.token_hex(8), "hex32": secrets.token_hex(16),
              "rand": str(secrets.randbelow(2**31)),
              "now": str(int(time.time())), "uuid": str(uuid.uuid4()),
              "expires_390d": email.utils.formatdate(time.time() + 390 * 86400, usegmt=True),
              "expires_90d": email.utils.formatdate(time.time() + 90 * 86400, usegmt=True),
              "expires_2y": email.utils.formatdate(time.time() + 730 * 86400, usegmt=True), **extra}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


@cache
def stub_source(name: str) -> str:
    return (STUBS / name).read_text()


@dataclass
class CookieSpec:
    name: str
    value: str
    attrs: str
    unless_query: dict[str, str] = field(default_factory=dict)

    def header(self, request: web.Request, **extra: str) -> str | None:
        for param, pattern in self.unless_query.items():
            if re.search(pattern, request.query.get(param, "")):
                return None
        return f"{self.name}={fill(self.value, **extra)}; {fill(self.attrs, **extra)}"


def _cookies(specs: list[dict] | None) -> list[CookieSpec]:
    return [CookieSpec(**s) for s in specs or []]


@dataclass
class ScriptStub:
    """One tracker library: JS assembled from stub files, configured per load."""

    id: str
    host: str
    product: str = ""  # the analyzer knowledge id this stub imitates
    path: str = ""
    path_regex: str = ""
    id_query: str = ""
    js: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    set_cookies: list[CookieSpec] = field(default_factory=list)
    lookup: str = ""  # a per-id registry merged into CFG (e.g. GTM containers the sites define)
    registries: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def source(self, cfg: dict[str, Any]) -> str:
        body = "\n".join(stub_source(name) for name in self.js)
        return (f"/* consentwatch fake internet: stub of {self.id} */\n"
                f"(function (CFG) {{\n{stub_source('_common.js')}\n{body}\n}})({json.dumps(cfg)});\n")

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        cfg = dict(self.config)
        if self.path_regex:
            m = re.search(self.path_regex, request.path)
            if not m:
                return web.Response(status=404, text="not found")
            cfg.update({k: v for k, v in m.groupdict().items() if v is not None})
        if self.id_query:
            cfg["id"] = request.query.get(self.id_query, "")
        if self.lookup:
            entry = self.registries.get(self.lookup, {}).get(cfg.get("id", ""))
            if entry is None:
                return web.Response(status=404, text="unknown container")
            cfg.update(entry)
        resp = web.Response(text=self.source(cfg), content_type="application/javascript", charset="utf-8")
        resp.headers["Cache-Control"] = "private, max-age=900"
        resp.headers["Access-Control-Allow-Origin"] = "*"
        for spec in self.set_cookies:
            if (value := spec.header(request, id=cfg.get("id", ""))) is not None:
                resp.headers.add("Set-Cookie", value)
        return resp


@dataclass
class Endpoint:
    """A collector URL: answers like the real one and sets its third-party cookies."""

    host: str
    path: str
    prefix: bool = False
    path_regex: str = ""  # named groups (e.g. `id`) fill the body's {id}
    response: str = "gif"
    body: str = ""
    body_file: str = ""  # a file in stubs/ instead of `body`
    set_cookies: list[CookieSpec] = field(default_factory=list)
    cors: bool = True

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if request.can_read_body:
            await request.read()
        groups: dict[str, str] = {}
        if self.path_regex:
            m = re.search(self.path_regex, request.path)
            if not m:
                return web.Response(status=404, text="not found")
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
        if self.response == "empty":
            resp = web.Response(status=204)
        else:
            text = stub_source(self.body_file) if self.body_file else self.body
            body = GIF if self.response == "gif" else fill(text, **groups).encode()
            resp = web.Response(body=body)
            resp.headers["Content-Type"] = CONTENT_TYPES[self.response]
        resp.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
        if self.cors:
            # Collectors answer credentialed CORS from any page origin, as the real ones do.
            origin = request.headers.get("Origin")
            resp.headers["Access-Control-Allow-Origin"] = origin or "*"
            if origin:
                resp.headers["Access-Control-Allow-Credentials"] = "true"
        for spec in self.set_cookies:
            if (value := spec.header(request, **groups)) is not None:
                resp.headers.add("Set-Cookie", value)
        return resp


@dataclass
class TrackerCatalog:
    scripts: list[ScriptStub]
    endpoints: list[Endpoint]

    def hosts(self) -> set[str]:
        return {s.host for s in self.scripts} | {e.host for e in self.endpoints}

    def install(self, table: RouteTable, registries: dict[str, dict[str, Any]] | None = None) -> None:
        for s in self.scripts:
            s.registries = registries if registries is not None else {}
            if s.path:
                table.add(s.host, s.path, s)
            else:
                # path_regex stubs: route on the literal part before the first regex token
                literal = re.split(r"[\\(\[.*+?^$]", s.path_regex.lstrip("^"), maxsplit=1)[0]
                table.add(s.host, literal or "/", s, prefix=True)
        for e in self.endpoints:
            table.add(e.host, e.path, e, prefix=e.prefix)


def load_catalog(path: Path | None = None) -> TrackerCatalog:
    data = yaml.safe_load((path or Path(__file__).with_name("trackers.yaml")).read_text())
    scripts = [ScriptStub(**{**s, "set_cookies": _cookies(s.get("set_cookies"))}) for s in data.get("scripts", [])]
    endpoints = [Endpoint(**{**e, "set_cookies": _cookies(e.get("set_cookies"))}) for e in data.get("endpoints", [])]
    return TrackerCatalog(scripts, endpoints)
