"""Where each external list comes from, what it is called on disk and under which licence.

None of these files ship with consentwatch: the CC BY-NC-SA lists may not be redistributed
in a product under our licence, so users download them (``consentwatch data update``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

CC_BY_NC_SA = "CC BY-NC-SA 4.0 (https://creativecommons.org/licenses/by-nc-sa/4.0/)"


@dataclass(frozen=True)
class Dataset:
    name: str
    filename: str  # canonical name in the lists directory
    pattern: str  # glob accepted when loading (snapshots carry versions in their names)
    url: str
    licence: str
    attribution: str
    npm_member: str | None = None  # set when ``url`` is an npm "latest" document: file inside the tarball


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="duckduckgo-tds",
        filename="ddg-tds-v6-extension.json",
        pattern="ddg-tds*.json",
        url="https://staticcdn.duckduckgo.com/trackerblocking/v6/current/extension-tds.json",
        licence=CC_BY_NC_SA,
        attribution="DuckDuckGo Tracker Radar / tracker-blocklists © Duck Duck Go, Inc.",
    ),
    Dataset(
        name="ghostery-trackerdb",
        filename="ghostery-trackerdb.json",
        pattern="ghostery-trackerdb*.json",
        url="https://registry.npmjs.org/@ghostery/trackerdb/latest",
        licence=CC_BY_NC_SA,
        attribution="Ghostery TrackerDB © Ghostery GmbH",
        npm_member="package/dist/trackerdb.json",
    ),
    Dataset(
        name="disconnect-services",
        filename="disconnect-services.json",
        pattern="disconnect-services*.json",
        url="https://raw.githubusercontent.com/disconnectme/disconnect-tracking-protection/master/services.json",
        licence=CC_BY_NC_SA,
        attribution="Disconnect tracking protection lists © Disconnect, Inc.",
    ),
    Dataset(
        name="disconnect-entities",
        filename="disconnect-entities.json",
        pattern="disconnect-entities*.json",
        url="https://raw.githubusercontent.com/disconnectme/disconnect-tracking-protection/master/entities.json",
        licence=CC_BY_NC_SA,
        attribution="Disconnect tracking protection lists © Disconnect, Inc.",
    ),
    Dataset(
        name="open-cookie-database",
        filename="open-cookie-database.csv",
        pattern="open-cookie-database*.csv",
        url="https://raw.githubusercontent.com/jkwakman/Open-Cookie-Database/master/open-cookie-database.csv",
        licence="Apache-2.0 (https://www.apache.org/licenses/LICENSE-2.0)",
        attribution="Open Cookie Database by Jan Kwakman",
    ),
)

MANIFEST = "manifest.json"


def default_lists_dir() -> Path:
    return Path(platformdirs.user_data_dir("consentwatch")) / "lists"


def find_file(directory: Path, dataset: Dataset) -> Path | None:
    """The dataset's file in ``directory``: the canonical name, else the last versioned match."""
    canonical = directory / dataset.filename
    if canonical.is_file():
        return canonical
    found = sorted(p for p in directory.glob(dataset.pattern) if p.is_file())
    return found[-1] if found else None
