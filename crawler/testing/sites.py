"""Fake websites as data: one YAML file per site, rendered through Jinja2 templates.

A site YAML names its host, navigation, header/footer links, the tracker tags its pages load
(``templates/tags/<tag>.html.j2``, optionally gated by ``when:`` conditions run by
``static/site.js``), an optional consent-banner slot, its pages and ``/.well-known/`` files.
Page kinds: ``page`` (default: HTML through ``templates/page.html.j2``), ``static`` (raw body),
``redirect`` (``to`` + ``status``) and ``handler`` (a named Python handler from ``behaviours``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import yaml
from aiohttp import web
from markupsafe import Markup

from .routes import Handler, static

if TYPE_CHECKING:
    from .server import FakeInternet

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
TEST_SITES_DIR = HERE / "sites"
DEMO_SITES_DIR = HERE / "demo" / "sites"


@lru_cache(maxsize=1)
def env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)


@lru_cache(maxsize=1)
def tag_registry() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((TEMPLATES / "tags.yaml").read_text())


@dataclass
class Link:
    text: str
    href: str


@dataclass
class PageSpec:
    path: str
    kind: str = "page"
    title: str = ""
    body: str = ""
    body_class: str = ""
    tags: bool | list[dict[str, Any]] = True  # the site's tags, none, or this page's own list
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str | list[str]] = field(default_factory=dict)
    to: str = ""  # redirect target
    handler: str = ""  # named handler (kind: handler)
    options: dict[str, Any] = field(default_factory=dict)  # handler options


@dataclass
class SiteSpec:
    host: str
    name: str
    role: str = ""
    legal_name: str = ""
    lang: str = "en"
    www_redirect: bool = False  # www.<host> answers 301 → https://<host>/…
    https_redirect: bool = False  # http://<host>/… answers 301 → https://<host>/… (as most real sites do)
    nav: list[Link] = field(default_factory=list)
    header_links: list[Link] = field(default_factory=list)
    footer_links: list[Link] = field(default_factory=list)
    footer_text: str = ""
    set_cookies: list[str] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    banner: str = ""  # HTML for the banner slot (or banner_file: path relative to the YAML)
    pages: dict[str, PageSpec] = field(default_factory=dict)
    well_known: dict[str, Any] = field(default_factory=dict)
    gtm_containers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # GTM-… → tags it fires
    extra: dict[str, Any] = field(default_factory=dict)  # free-form data (e.g. demo expectations)


def _links(items: list[dict] | None) -> list[Link]:
    return [Link(**i) for i in items or []]


def parse_site(data: dict[str, Any], base_dir: Path) -> SiteSpec:
    pages = {}
    for path, p in (data.get("pages") or {}).items():
        p = dict(p or {})
        if "body_file" in p:
            p["body"] = (base_dir / p.pop("body_file")).read_text()
        pages[path] = PageSpec(path=path, **p)
    if "banner_file" in data:
        data = {**data, "banner": (base_dir / data["banner_file"]).read_text()}
    known = set(SiteSpec.__dataclass_fields__) - {"pages", "nav", "header_links", "footer_links"}
    return SiteSpec(
        **{k: v for k, v in data.items() if k in known},
        nav=_links(data.get("nav")), header_links=_links(data.get("header_links")),
        footer_links=_links(data.get("footer_links")), pages=pages)


def load_sites(directory: Path) -> list[SiteSpec]:
    out = []
    for path in sorted(directory.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out.append(parse_site(doc, path.parent))
    return out


# ---------------------------------------------------------------------------- rendering
def render_tag(tag: dict[str, Any]) -> str:
    """A tag's snippet; with ``when`` it is wrapped in a <template> that site.js runs conditionally."""
    params = {k: v for k, v in tag.items() if k not in {"tag", "when"}}
    html = env().get_template(f"tags/{tag['tag']}.html.j2").render(**params)
    if tag.get("when"):
        when = json.dumps(tag["when"], sort_keys=True)
        return f"<template data-cw-tag=\"{tag['tag']}\" data-cw-when='{when}'>\n{html}\n</template>"
    return html


def container_config(tags: list[dict[str, Any]]) -> dict[str, Any]:
    """What gtm.js gets for a container: gtag tags by id, every other tag as rendered HTML."""
    out = []
    for tag in tags:
        requires = tag.get("requires", [])
        if tag.get("kind") == "gtag":
            out.append({"kind": "gtag", "id": tag["id"], "requires": requires})
        else:
            params = {k: v for k, v in tag.items() if k != "requires"}
            out.append({"kind": "html", "html": render_tag(params), "requires": requires})
    return {"tags": out}


def render_page(site: SiteSpec, page: PageSpec) -> str:
    head, body = [], []
    tags = page.tags if isinstance(page.tags, list) else site.tags if page.tags else []
    for tag in tags:
        placement = tag_registry().get(tag["tag"], {}).get("placement", "body")
        (head if placement == "head" else body).append(render_tag(tag))
    return env().get_template("page.html.j2").render(
        site=site, page=_PageView(page), head_tags=Markup("\n".join(head)), body_tags=Markup("\n".join(body)),
        banner=Markup(site.banner) if site.banner else "", year=dt.date.today().year)


@dataclass
class _PageView:
    """What page.html.j2 sees: the body is trusted HTML from the package."""

    spec: PageSpec

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.spec, name)
        return Markup(value) if name == "body" else value


# ---------------------------------------------------------------------------- serving
def _page_handler(site: SiteSpec, page: PageSpec) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        resp = web.Response(text=render_page(site, page), status=page.status, content_type="text/html", charset="utf-8")
        for value in site.set_cookies:
            resp.headers.add("Set-Cookie", value)
        for name, value in page.headers.items():
            for v in value if isinstance(value, list) else [value]:
                resp.headers.add(name, v)
        return resp

    return handle


def _redirect(to: str, status: int) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": to, "Cache-Control": "no-store"})

    return handle


def page_handler(web_: FakeInternet, site: SiteSpec, page: PageSpec) -> Handler:
    from .behaviours import HANDLERS

    if page.kind == "page":
        return _page_handler(site, page)
    if page.kind == "static":
        return static(page.body, page.content_type, page.status, page.headers)
    if page.kind == "redirect":
        return _redirect(page.to, page.status if page.status != 200 else 302)
    if page.kind == "handler":
        return HANDLERS[page.handler](web_, **page.options)
    raise ValueError(f"{site.host}{page.path}: unknown page kind {page.kind!r}")


def install_site(web_: FakeInternet, site: SiteSpec) -> None:
    for path, page in site.pages.items():
        web_.add_route(site.host, path, page_handler(web_, site, page))
    web_.add_route(site.host, "/assets/site.js",
                   static((STATIC / "site.js").read_text(), "application/javascript; charset=utf-8"))
    web_.add_route(site.host, "/assets/site.css", static((STATIC / "site.css").read_text(), "text/css; charset=utf-8"))
    web_.add_route(site.host, "/favicon.ico", static(b"", "image/x-icon", 204))
    for name, content in site.well_known.items():
        body = content if isinstance(content, str) else json.dumps(content, indent=2)
        ctype = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
        web_.add_route(site.host, f"/.well-known/{name}", static(body, ctype))
    if site.www_redirect:
        async def to_apex(request: web.Request, host: str = site.host) -> web.StreamResponse:
            return web.Response(status=301, headers={"Location": f"https://{host}{request.path_qs}"})

        web_.add_route(f"www.{site.host}", "/", to_apex, prefix=True)
        if site.https_redirect:
            web_.https_only.add(f"www.{site.host}")
    if site.https_redirect:
        web_.https_only.add(site.host)
    for container_id, tags in site.gtm_containers.items():
        web_.registries["gtm_containers"][container_id] = container_config(tags)
    if site.extra.get("serves_npm"):
        from .npm_files import PREFIX, handler

        web_.add_route(site.host, PREFIX, handler(), prefix=True)
    if site.role:
        web_.sites[site.role] = site.host


def install(web_: FakeInternet) -> None:
    """Everything the constructor options ask for: test sites, the demo web, seed sites."""
    if web_._include_test_sites:
        for site in load_sites(TEST_SITES_DIR):
            install_site(web_, site)
    if web_._include_demo and DEMO_SITES_DIR.is_dir():
        for site in load_sites(DEMO_SITES_DIR):
            install_site(web_, site)
            web_.demo_domains.append(site.host)
    if web_.seeds_dir is not None:
        from .seeds import install_seed_sites

        install_seed_sites(web_, web_.seeds_dir)
