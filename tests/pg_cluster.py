"""A throwaway PostgreSQL cluster for the test session: ``initdb --no-sync`` + ``pg_ctl`` on a free loopback port.

Started once per session (a few seconds) and stopped at the end; each test gets a database of its own
(``CREATE DATABASE``, cheap on an empty cluster). As root the server runs as ``postgres`` via ``runuser``
(PostgreSQL refuses to run as root), in a temporary directory that user owns. Where PostgreSQL is
missing the PostgreSQL tests skip, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

TEST_DB = "consentwatch_tests"
PG_BIN_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15")]


def find_pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    return next((d for d in PG_BIN_DIRS if (d / "pg_ctl").exists()), None)


def missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL is required in CI: {reason} (make setup installs it)")
    pytest.skip(f"PostgreSQL tests need a local PostgreSQL server: {reason} (make setup installs it)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgCluster:
    bin_dir: Path
    root: Path
    port: int
    run_as: list[str]
    _names = itertools.count(1)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), *args],
                              capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        init = subprocess.run([*self.run_as, str(self.bin_dir / "initdb"), "--no-sync", "-A", "trust", "-U", "postgres",
                               "-E", "UTF8", "--locale=C", "-D", str(self.root / "data")],
                              capture_output=True, text=True, timeout=120)
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=200"
        started = self._ctl("-o", options, "-l", str(self.root / "server.log"), "-w", "start")
        if started.returncode:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}\n{log}")
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEST_DB}")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    def new_database(self) -> str:
        """The URL of a fresh, empty store: a schema of its own in the shared test database (creating a
        schema takes milliseconds, a database a second or more). A store sees only its schema."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.url(TEST_DB), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return self.url(TEST_DB) + f"?options=-csearch_path%3D{name}"


def start_cluster() -> PgCluster:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        missing("pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("the psycopg package is not installed (pip install -e .[test])")
    root = Path(tempfile.mkdtemp(prefix="cw-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            missing("running as root and there is no 'postgres' user to run the server as")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    cluster = PgCluster(bin_dir=bin_dir, root=root, port=free_port(), run_as=run_as)
    for attempt in range(3):  # another process may take the free port before the server binds it
        try:
            cluster.start()
            return cluster
        except RuntimeError:
            if attempt == 2 or "could not bind" not in (root / "server.log").read_text(errors="replace"):
                shutil.rmtree(root, ignore_errors=True)
                raise
            shutil.rmtree(root / "data", ignore_errors=True)
            cluster.port = free_port()
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = start_cluster()
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.root, ignore_errors=True)
