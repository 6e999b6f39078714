"""Numbered SQL migrations (``migrations/NNNN_name.sql``), applied in order, each atomically."""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources

from ..errors import StoreError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(directory: str = "migrations") -> list[Migration]:
    """The numbered migrations in ``directory`` (``migrations`` for SQLite, ``migrations_postgres``)."""
    found = []
    for entry in resources.files("api.store").joinpath(directory).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise StoreError(f"migration numbers must be 1..n without gaps: {[m.version for m in found]}")
    return found


def refuse_newer(applied: set[int], known: list[Migration]) -> None:
    """A database migrated by a newer consentwatch is left alone: this code would misread it."""
    if applied and max(applied) > known[-1].version:
        raise StoreError(f"database schema v{max(applied)} is newer than this consentwatch (v{known[-1].version})")


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every migration the database lacks; returns the versions applied. ``conn`` is in autocommit mode."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                 "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    known = migrations()
    refuse_newer(applied, known)
    done = []
    for migration in known:
        if migration.version in applied:
            continue
        # executescript commits anything pending first; BEGIN … COMMIT inside keeps each file atomic.
        script = (f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                  f"INSERT INTO schema_migrations VALUES ({migration.version}, '{migration.name}', {time.time()});\n"
                  "COMMIT;")
        try:
            conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"migration {migration.version} ({migration.name}) failed: {exc}") from exc
        done.append(migration.version)
    return done
