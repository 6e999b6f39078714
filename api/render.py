"""Readable terminal summaries (rich) of captures and reports."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from crawler.capture import Capture
from crawler.domains import registrable_domain, host_of


def render_capture_summary(console: Console, capture: Capture) -> None:
    console.rule(f"[bold]{capture.domain}")
    if not capture.reachable:
        console.print(f"[red]✗ unreachable:[/red] {capture.error}")
        return
    console.print(f"start URL: {capture.start_url}")
    for policy in capture.policies:
        console.print(f"{policy.kind} policy: {policy.final_url or policy.url} (via {policy.found_via}"
                      f"{', “' + policy.link_text + '”' if policy.link_text else ''}; {len(policy.text)} chars)")
    if not any(p.kind == "privacy" for p in capture.policies):
        console.print("[yellow]no privacy policy found[/yellow]")
    table = Table("visit", "status", "requests", "third-party hosts", "cookies (3rd-party)", "storage", "notes")
    site = registrable_domain(capture.domain)
    for visit in capture.visits:
        hosts = Counter(host_of(r.url) for r in visit.requests)
        third = sorted({h for h in hosts if h and registrable_domain(h) != site})
        third_cookies = sum(1 for c in visit.cookies if c.first_party is False)
        notes = visit.error or ("partial" if visit.partial else "")
        table.add_row(visit.name, str(visit.status), str(len(visit.requests)), str(len(third)),
                      f"{len(visit.cookies)} ({third_cookies})", str(len(visit.storage)), notes)
    console.print(table)
    for well_known in capture.well_known:
        if well_known.status == 200:
            console.print(f"{well_known.path}: {(well_known.body or '').strip()[:120]}")
