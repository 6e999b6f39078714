"""Readable terminal summaries (rich) of captures and reports."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from model.capture import Capture
from model.domains import host_of, registrable_domain
from model.report import SEVERITY_ORDER


def render_capture_summary(console: Console, capture: Capture) -> None:
    console.rule(f"[bold]{capture.domain}")
    if not capture.reachable:
        console.print(f"[red]✗ unreachable:[/red] {capture.error}")
        return
    console.print(f"start URL: {capture.start_url}")
    if capture.browser_version:
        console.print(f"browser: {capture.browser_build or 'chromium'} {capture.browser_version}")
    for policy in capture.policies:
        console.print(f"{policy.kind} policy: {policy.final_url or policy.url} (via {policy.found_via}"
                      f"{', “' + policy.link_text + '”' if policy.link_text else ''}; {len(policy.text)} chars"
                      f"{f' of {policy.text_truncated_from}' if policy.text_truncated_from else ''})")
    if not any(p.kind == "privacy" for p in capture.policies):
        console.print("[yellow]no privacy policy found[/yellow]")
    table = Table("visit", "status", "requests", "third-party hosts", "cookies (3rd-party)", "storage", "notes")
    site = registrable_domain(capture.domain)
    for visit in capture.visits:
        hosts = Counter(host_of(r.url) for r in visit.requests)
        third = sorted({h for h in hosts if h and registrable_domain(h) != site})
        third_cookies = sum(1 for c in visit.cookies if c.first_party is False)
        notes = "; ".join(filter(None, [visit.error or ("partial" if visit.partial else ""), *visit.cut, *visit.plan]))
        table.add_row(visit.name, str(visit.status), str(len(visit.requests)), str(len(third)),
                      f"{len(visit.cookies)} ({third_cookies})", str(len(visit.storage)), notes)
    for skipped in capture.skipped:
        table.add_row(skipped.name, "skipped", "", "", "", "", skipped.reason)
    console.print(table)
    for well_known in capture.well_known:
        if well_known.status == 200:
            console.print(f"{well_known.path}: {(well_known.body or '').strip()[:120]}")


SEVERITY_MARK = {"high": "[red]✗ high[/red]", "medium": "[yellow]! medium[/yellow]", "low": "[cyan]· low[/cyan]",
                 "info": "[dim]i info[/dim]"}


def render_report(console: Console, report, *, show_info: bool = False) -> None:
    """Findings first, grouped by company; then signals and trackers."""
    console.rule(f"[bold]{report.domain}[/bold] — grade {report.grade.letter} ({report.grade.score}/100)")
    console.print(f"[bold]{report.summary}[/bold]")
    if not report.reachable:
        console.print(f"[red]{report.error}[/red]")
        return
    policy = report.policy
    console.print(f"privacy policy: {policy.url or '[yellow]not found[/yellow]'}"
                  + (f" · cookie policy: {policy.cookie_policy_url}" if policy.cookie_policy_url else ""))
    if policy.truncated:
        console.print(f"[yellow]privacy policy cut by size caps: {policy.truncated}[/yellow]")
    _render_findings(console, report, show_info)
    signals = Table("signal", "policy says", "observed", "verdict", title="Signals")
    for name, signal in report.signals.items():
        verdict = "[red]✗ contradicted[/red]" if signal.contradicted else "✓ consistent"
        signals.add_row(name.upper(), signal.claim(), signal.observed, verdict)
    console.print(signals)
    trackers = Table("tracker", "company", "category", "visits", "declared", title="Trackers observed")
    for t in report.trackers:
        if t.source == "unattributed":
            continue
        trackers.add_row(t.name, t.company_name or "?", t.category or "?", ",".join(t.visits), t.declared)
    console.print(trackers)
    unknown = [t.name for t in report.trackers if t.source == "unattributed"]
    if unknown:
        console.print(f"other third parties (not in any tracker list): {', '.join(unknown)}")


def _render_findings(console: Console, report, show_info: bool) -> None:
    findings = [f for f in report.findings if show_info or f.severity != "info"]
    if not findings:
        console.print("✓ no findings" + ("" if show_info else " (informational notes hidden)"))
        return
    groups: dict[str, list] = {}
    for f in sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity]):
        groups.setdefault(f.company_name or "Site-wide", []).append(f)
    for company, items in groups.items():
        console.print(f"[bold]{company}[/bold]")
        for f in items:
            console.print(f"  {SEVERITY_MARK[f.severity]} {f.code}: {f.title}")
            first = f.evidence[0]
            if first.kind == "policy_sentence":
                where = f"“{(first.text or '')[:160]}”"
            else:
                where = first.url or first.cookie or (first.text or "")[:140]
            console.print(f"      evidence ({first.kind}{', ' + first.visit if first.visit else ''}): {where}",
                          highlight=False)
            if f.references:
                rules = "; ".join(f"{r.instrument} {r.article}" for r in f.references)
                console.print(f"      may breach (not legal advice): {rules}", highlight=False)


def render_policy_analysis(console: Console, source: str, analysis) -> None:
    console.rule(f"[bold]{source}")
    for label, stance in (("Do Not Track", analysis.dnt), ("Global Privacy Control", analysis.gpc),
                          ("Sale / sharing", analysis.sale)):
        console.print(f"[bold]{label}:[/bold] {stance.value}")
        for sentence in stance.evidence[:2]:
            console.print(f"    “{sentence}”", highlight=False)
    console.print(f"[bold]Policy date:[/bold] {analysis.policy_date or 'not stated'} · "
                  f"third parties named: {analysis.third_party_reference_level}")
    table = Table("level", "who", "as written", "sentence", title="Declarations")
    rows = [(d, "") for d in analysis.declarations] + [(d, "not ") for d in analysis.negations] + \
        [(d, "") for d in analysis.category_mentions]
    for d, negation in rows:
        who = d.product_id or d.company_id or d.category or "?"
        table.add_row(f"{negation}{d.level}", who, d.name_in_text, d.sentence[:160])
    console.print(table)
    if analysis.cookie_categories:
        console.print(f"cookie categories: {', '.join(analysis.cookie_categories)}")
