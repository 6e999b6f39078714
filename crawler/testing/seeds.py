"""Seed test sites: each real seed policy (../shared/seeds, never copied into the repository)
served as the privacy policy of its own site, linked from the homepage footer."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .sites import Link, PageSpec, SiteSpec, install_site

if TYPE_CHECKING:
    from .server import FakeInternet


def seed_host(stem: str) -> str:
    """``000_156532d7954782cb`` → ``seed-000.com``."""
    return f"seed-{stem.split('_', 1)[0]}.com"


def text_to_html(text: str) -> str:
    """Plain policy text → headings, list items and paragraphs, as the page would have shown it."""
    lines = [ln.strip() for ln in text.splitlines()]
    out: list[str] = []
    in_list = False
    first = True
    for line in lines:
        if not line or line in {"-", "\u00a0"}:
            continue
        bullet = re.match(r"^([•\-–]|\d+\.)\s+(.*)", line)
        if bullet and not first:
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html.escape(bullet.group(2))}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        tag = "h1" if first else "h2" if _looks_like_heading(line) else "p"
        out.append(f"<{tag}>{html.escape(line)}</{tag}>")
        first = False
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _looks_like_heading(line: str) -> bool:
    return len(line) < 70 and not line.endswith((".", ",", ";", ":")) and len(line.split()) <= 9


def seed_site(path: Path) -> SiteSpec:
    stem = path.stem
    body = text_to_html(path.read_text(encoding="utf-8"))
    return SiteSpec(
        host=seed_host(stem), name=f"Seed {stem.split('_', 1)[0]}", role=f"seed_{stem.split('_', 1)[0]}",
        footer_links=[Link("Terms of Service", "/terms"), Link("Privacy Policy", "/privacy-policy")],
        pages={
            "/": PageSpec(path="/", title=f"Seed site {stem}", body=f"<h1>Seed site {html.escape(stem)}</h1>"
                          "<p>A test site whose privacy policy is a real seed policy.</p>"),
            "/privacy-policy": PageSpec(path="/privacy-policy", title="Privacy Policy", body=f"<article>{body}</article>"),
            "/terms": PageSpec(path="/terms", title="Terms of Service", body="<h1>Terms of Service</h1><p>Be nice.</p>"),
        })


def install_seed_sites(web_: FakeInternet, seeds_dir: Path) -> None:
    for path in sorted(seeds_dir.glob("*.txt")):
        site = seed_site(path)
        install_site(web_, site)
        web_.seed_domains[path.stem] = site.host
