"""The ``consentwatch`` command line."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console

from crawler import BrowserNotFoundError, Crawler
from model.capture import encode_capture
from model.domains import normalize_domain
from model.errors import ConsentwatchError, InvalidDomainError

from ..version import package_version
from .options import browser_environment, browser_required, crawl_options, db_option
from .render import render_capture_summary, render_report

console = Console(stderr=False)
errors = Console(stderr=True)


def _show_version(ctx: click.Context, _param, value: bool) -> None:
    """``--version`` also names the browser build crawls would run."""
    if not value or ctx.resilient_parsing:
        return
    from crawler.browser import browser_build, find_chromium

    try:
        executable = find_chromium()
        browser = f"{browser_build(executable)} ({executable or 'Playwright download'})"
    except BrowserNotFoundError as exc:
        browser = f"none found: {exc}"
    click.echo(f"{ctx.find_root().info_name}, version {package_version()}\nbrowser: {browser}")
    ctx.exit()


@click.group()
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and the browser build, then exit.")
def main() -> None:
    """Check whether websites do what their privacy policies say."""


@main.command()
@click.argument("domain")
@click.option("--out", "out", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the capture JSON here ('-' for stdout).")
@crawl_options
def crawl(domain: str, out: str | None, **params) -> None:
    """Crawl DOMAIN in real Chromium and record what it loads."""
    try:
        normalize_domain(domain)
    except InvalidDomainError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    try:
        with browser_required():
            capture = asyncio.run(_crawl(domain, params))
    except ConsentwatchError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
    data = encode_capture(capture)
    if out == "-":
        sys.stdout.buffer.write(data + b"\n")
    else:
        if out:
            Path(out).write_bytes(data)
        render_capture_summary(console, capture)
        if out:
            console.print(f"capture written to {out}")
    if not capture.reachable or not any(v.ok for v in capture.visits):
        sys.exit(1)


async def _crawl(domain: str, params: dict):
    async with browser_environment(params) as options:
        with errors.status(f"crawling {domain} …"):
            async with Crawler(options) as crawler:
                return await crawler.crawl(domain)


@main.command()
@click.argument("domains", nargs=-1, required=True)
@click.option("--json", "json_out", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the report(s) as JSON here ('-' for stdout: one JSON document per line).")
@db_option(help="Also store captures and reports in this database.")
@click.option("--show-info", is_flag=True, help="Also list informational findings (declared but not seen).")
@crawl_options
def audit(domains: tuple[str, ...], json_out: str | None, db: str | None, show_info: bool, **params) -> None:
    """Crawl and analyze DOMAINS: what the policy declares vs what loads, as findings."""
    bad = []
    for domain in domains:
        try:
            normalize_domain(domain)
        except InvalidDomainError as exc:
            bad.append(str(exc))
    if bad:
        for message in bad:
            errors.print(f"[red]error:[/red] {message}")
        sys.exit(2)
    async def run() -> int:
        async with browser_environment(params) as options:
            return await _run_audits(list(domains), options, json_out=json_out, db=db, show_info=show_info)

    with browser_required():
        failed = asyncio.run(run())
    sys.exit(1 if failed else 0)


async def _run_audits(domains: list[str], options, *, json_out: str | None, db: str | None, show_info: bool = False,
                      always_store: bool = False) -> int:
    """Audit, then print/write each report as it finishes (stored first, with a store). Returns how many failed."""
    from model.report import encode_report

    from ..service.pipeline import AuditFailed
    from .audit_runner import audit_domains

    store = await _open_store(db) if (db or always_store) else None
    sink = sys.stdout.buffer if json_out == "-" else None
    if json_out and json_out != "-":
        sink = open(json_out, "wb")  # noqa: ASYNC230, SIM115 (one file for the whole run, closed in finally)
    failed = 0
    try:
        async for outcome in audit_domains(domains, options, store):
            if isinstance(outcome, AuditFailed):
                failed += 1
                errors.print(f"[red]✗ {outcome.domain}:[/red] {outcome.describe()}")
                continue
            report = outcome.report
            if sink is not None:
                sink.write(encode_report(report) + b"\n")
                sink.flush()
            if json_out != "-":
                render_report(console, report, show_info=show_info)
            if not report.reachable:
                failed += 1
    finally:
        if sink is not None and sink is not sys.stdout.buffer:
            sink.close()
        if store is not None:
            await store.close()
    return failed


async def _open_store(db: str | None):
    from ..store import open_store

    store = open_store(db)
    await store.open()
    return store


@main.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--cookie-policy", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A separate cookie policy (text or HTML file).")
@crawl_options
def policy(source: str, as_json: bool, cookie_policy: str | None, **params) -> None:
    """Analyze a privacy policy alone: SOURCE is a text/HTML file or a URL."""
    import msgspec

    from analyzer.policy import analyze_policy

    try:
        text = _policy_text(source, params)
    except (OSError, ConsentwatchError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    cookie_text = _file_text(Path(cookie_policy)) if cookie_policy else None
    analysis = analyze_policy(text, cookie_policy_text=cookie_text)
    if as_json:
        sys.stdout.buffer.write(msgspec.json.encode(analysis) + b"\n")
        return
    from .render import render_policy_analysis

    render_policy_analysis(console, source, analysis)


def _file_text(path: Path) -> str:
    from crawler.text_extract import extract_main_text

    raw = path.read_text(encoding="utf-8", errors="replace")
    looks_html = path.suffix.lower() in (".html", ".htm") or raw.lstrip()[:200].lower().startswith(("<!doctype", "<html"))
    return extract_main_text(raw) if looks_html else raw


def _policy_text(source: str, params: dict) -> str:
    if "://" not in source:
        path = Path(source)
        if not path.is_file():
            raise OSError(f"{source}: no such file (give a text/HTML file or an http(s) URL)")
        return _file_text(path)
    return asyncio.run(_fetch_policy(source, params))


async def _fetch_policy(url: str, params: dict) -> str:
    from crawler.discovery import fetch_policy_text

    async with browser_environment(params) as options:
        async with Crawler(options) as crawler:
            return await fetch_policy_text(crawler.browser, url, options.timeout_s)


@main.command()
@db_option(help="Store the demo audits in this database.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Also write the reports as JSON lines.")
@click.option("--settle", "settle_s", type=click.FloatRange(0, 30), default=3.0, show_default=True)
def demo(db: str | None, json_out: str | None, settle_s: float) -> None:
    """Audit the bundled demo web (five invented companies on a local fake internet) and print the findings."""
    from crawler.testing import FakeInternet

    async def run() -> int:
        async with FakeInternet(test_sites=False) as web:
            domains = list(web.demo_domains)
            console.print(f"[bold]consentwatch demo[/bold]: auditing {len(domains)} invented sites served on loopback "
                          f"({', '.join(domains)})")
            params = {"host_rules": web.host_rules, "settle_s": settle_s, "timeout_s": 30.0, "concurrency": 8}
            extra = tuple(web.trust_args)
            from .options import build_crawl_options

            options = build_crawl_options(params, extra_args=extra)
            return await _run_audits(domains, options, json_out=json_out, db=db, always_store=True)

    with browser_required():
        failed = asyncio.run(run())
    from ..store import describe_db, resolve_db

    console.print(f"\nReports stored in {describe_db(resolve_db(db))}. To browse them: `.venv/bin/consentwatch serve`"
                  " and open http://127.0.0.1:8787/v1/sites/<domain>/report.html")
    sys.exit(1 if failed else 0)


@main.group()
def data() -> None:
    """Public tracker lists (downloaded at run time, never bundled)."""


@data.command("update")
@click.option("--dir", "data_dir", type=click.Path(file_okay=False), default=None,
              help="Where to keep the lists (default: the user data dir).")
def data_update(data_dir: str | None) -> None:
    """Download current DuckDuckGo, Ghostery, Disconnect and Open Cookie Database lists."""
    from analyzer.external import DataUpdateError, licence_notice, update_data

    try:
        records = update_data(Path(data_dir) if data_dir else None, log=click.echo)
    except DataUpdateError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
    console.print(licence_notice(records))


from .service_commands import register as _register_service_commands  # noqa: E402  (needs `main`)

_register_service_commands(main)

from .evidence_commands import register as _register_evidence_commands  # noqa: E402  (needs `main`)

_register_evidence_commands(main)

if __name__ == "__main__":
    main()
