"""Storage: the store protocols (``base``) and their backends (``sqlite``, ``postgres``); ``open_store`` picks one
from a location."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from ..errors import StoreError
from .base import Store
from .sqlite import SqliteStore

DB_ENV = "CONSENTWATCH_DB"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("consentwatch")) / "consentwatch.db"


def resolve_db(location: str | os.PathLike | None) -> str:
    """``--db`` value, else ``CONSENTWATCH_DB``, else the user data dir."""
    return str(location or os.environ.get(DB_ENV) or default_db_path())


def open_store(location: str | os.PathLike | None = None, busy_timeout_s: float = 10.0,
               max_bytes: int | None = None) -> Store:
    """A backend for ``location``: ``postgresql://…`` (PostgreSQL), else a file path or ``sqlite:///path``.

    ``max_bytes`` caps a SQLite file; PostgreSQL's room is the server's business."""
    text = resolve_db(location)
    if text.startswith(("postgres://", "postgresql://")):
        if max_bytes is not None:
            raise StoreError("a size cap (--max-db-size) applies to a SQLite file only; PostgreSQL's room is the"
                             " server's (e.g. a tablespace quota)")
        try:
            from .postgres import PostgresStore  # psycopg is only needed for PostgreSQL
        except ImportError as exc:
            raise StoreError(f"a PostgreSQL database needs psycopg: pip install 'psycopg[binary]' psycopg_pool ({exc})") from exc
        return PostgresStore(text, busy_timeout_s=busy_timeout_s)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    return SqliteStore(text, busy_timeout_s=busy_timeout_s, max_bytes=max_bytes)


def describe_db(location: str) -> str:
    """``location`` fit to print: a PostgreSQL URL without its password."""
    if location.startswith(("postgres://", "postgresql://")):
        from .postgres import redact

        return redact(location)
    return location


__all__ = ["DB_ENV", "SqliteStore", "Store", "default_db_path", "describe_db", "open_store", "resolve_db"]
