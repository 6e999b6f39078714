"""The external lists present in one directory, loaded together (any of them may be missing)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.external.cookie_database import OpenCookieDatabase, load_cookie_database
from analyzer.external.disconnect import Disconnect, load_disconnect
from analyzer.external.duckduckgo import DuckDuckGoTDS, load_duckduckgo
from analyzer.external.ghostery import GhosteryTrackerDB, load_ghostery
from analyzer.external.sources import DATASETS, default_lists_dir, find_file


@dataclass
class ExternalLists:
    duckduckgo: DuckDuckGoTDS | None = None
    ghostery: GhosteryTrackerDB | None = None
    disconnect: Disconnect | None = None
    cookies: OpenCookieDatabase | None = None
    directory: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)  # dataset name → file loaded

    @property
    def loaded(self) -> list[str]:
        return list(self.files)

    def __bool__(self) -> bool:
        return bool(self.files)


def load_lists(directory: Path | str | None = None) -> ExternalLists:
    """Load every list found in ``directory`` (default: the user data dir's ``lists/``).

    Missing files are skipped, not errors: attribution then relies on our own signatures."""
    base = Path(directory) if directory is not None else default_lists_dir()
    files = {d.name: p for d in DATASETS if (p := find_file(base, d)) is not None} if base.is_dir() else {}
    lists = ExternalLists(directory=base, files=files)
    if "duckduckgo-tds" in files:
        lists.duckduckgo = load_duckduckgo(files["duckduckgo-tds"])
    if "ghostery-trackerdb" in files:
        lists.ghostery = load_ghostery(files["ghostery-trackerdb"])
    if "disconnect-services" in files:
        lists.disconnect = load_disconnect(files["disconnect-services"], files.get("disconnect-entities"))
    if "open-cookie-database" in files:
        lists.cookies = load_cookie_database(files["open-cookie-database"])
    return lists


@functools.cache
def load_default_lists() -> ExternalLists:
    """The user's downloaded lists, parsed once per process."""
    return load_lists(None)
