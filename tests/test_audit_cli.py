"""``consentwatch audit``/``crawl``/``demo`` through the shared pieces: the audit pipeline (stored, written as JSON,
failures per domain), exit code 3 when there is no Chromium, and one ``--db`` option read from CONSENTWATCH_DB."""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import msgspec
import pytest

from api.cli import main
from api.cli.options import EXIT_NO_BROWSER
from api.store import DB_ENV, SqliteStore
from crawler.testing import NXDOMAIN_HOST
from model.report import Report

REPO = Path(__file__).resolve().parents[1]
DEMO_SITE = "quaykitetech.com"


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found.update(_commands(command, prefix + name + " "))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("args", [["crawl", "example.com"], ["audit", "example.com", "example.org"], ["demo"]])
def test_every_browser_command_exits_3_naming_the_missing_chromium(args):
    done = _cli(*args, env={"CONSENTWATCH_CHROMIUM": "/nonexistent/chromium"})
    assert done.returncode == EXIT_NO_BROWSER == 3, done.stderr
    assert "Chromium not found at '/nonexistent/chromium'" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


def test_the_console_script_is_the_cli_group():
    target = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["consentwatch"]
    module, _, attribute = target.partition(":")
    assert getattr(importlib.import_module(module), attribute) is main


def test_every_db_option_reads_consentwatch_db():
    with_db = {name: command for name, command in _commands(main).items()
               if any(param.name == "db" for param in command.params)}
    assert {"audit", "demo", "serve", "worker", "token create", "schedule add", "evidence"} <= set(with_db)
    for name, command in with_db.items():
        (db,) = [param for param in command.params if param.name == "db"]
        assert isinstance(db, click.Option) and db.opts == ["--db"] and db.envvar == DB_ENV, name


def test_the_db_option_and_the_no_browser_exit_are_written_once():
    sources = {path.name: path.read_text(encoding="utf-8") for path in (REPO / "api" / "cli").glob("*.py")}
    assert [name for name, text in sources.items() if '"--db"' in text] == ["options.py"]
    assert [name for name, text in sources.items() if "exit(3)" in text.replace(" ", "")] == []


@pytest.mark.browser
def test_audit_stores_writes_and_reports_each_domain_and_goes_on_past_an_unreachable_one(tmp_path):
    db, out = tmp_path / "cw.db", tmp_path / "reports.jsonl"
    done = _cli("audit", "--demo-web", "--settle", "0", "--db", str(db), "--json", str(out), DEMO_SITE, NXDOMAIN_HOST)
    assert done.returncode == 1, done.stderr  # the unreachable domain counts as failed; the other is audited
    reports = {r.domain: r for r in (msgspec.json.decode(line, type=Report) for line in out.read_bytes().splitlines())}
    assert set(reports) == {DEMO_SITE, NXDOMAIN_HOST}
    assert reports[DEMO_SITE].reachable and not reports[NXDOMAIN_HOST].reachable
    assert DEMO_SITE in done.stdout

    async def stored() -> set[str]:
        store = SqliteStore(db)
        await store.open()
        try:
            return {d for d in (DEMO_SITE, NXDOMAIN_HOST) if await store.summary(d) is not None}
        finally:
            await store.close()

    assert DEMO_SITE in asyncio.run(stored())
