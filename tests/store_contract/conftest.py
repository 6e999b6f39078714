"""The store contract runs once per backend: ``store_location`` is a fresh, empty database of each kind."""

from __future__ import annotations

import sqlite3

import pytest

from api.store import Store, open_store

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_location(backend, request, tmp_path) -> str:
    if backend == "sqlite":
        return str(tmp_path / "cw.db")
    return request.getfixturevalue("pg_cluster").new_database()


@pytest.fixture
def integrity_error(backend) -> type[Exception]:
    """What a backend raises for a row that breaks a constraint (a bug in the caller, not a user error)."""
    if backend == "sqlite":
        return sqlite3.IntegrityError
    import psycopg

    return psycopg.errors.IntegrityError


@pytest.fixture
async def store(store_location):
    s: Store = open_store(store_location)
    await s.open()
    yield s
    await s.close()
