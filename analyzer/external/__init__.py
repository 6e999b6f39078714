"""Loaders for third-party tracker lists (DuckDuckGo TDS, Ghostery TrackerDB, Disconnect,
Open Cookie Database) and ``update_data``, which downloads them. The lists are never bundled."""

from analyzer.external.cookie_database import OpenCookieDatabase, load_cookie_database
from analyzer.external.disconnect import Disconnect, load_disconnect
from analyzer.external.duckduckgo import DuckDuckGoTDS, load_duckduckgo
from analyzer.external.ghostery import GhosteryTrackerDB, load_ghostery
from analyzer.external.lists import ExternalLists, load_default_lists, load_lists
from analyzer.external.model import CookieMatch, ListMatch
from analyzer.external.sources import DATASETS, Dataset, default_lists_dir
from analyzer.external.update import DatasetRecord, DataUpdateError, licence_notice, read_manifest, update_data

__all__ = [
    "DATASETS",
    "CookieMatch",
    "DataUpdateError",
    "Dataset",
    "DatasetRecord",
    "Disconnect",
    "DuckDuckGoTDS",
    "ExternalLists",
    "GhosteryTrackerDB",
    "ListMatch",
    "OpenCookieDatabase",
    "default_lists_dir",
    "licence_notice",
    "load_cookie_database",
    "load_default_lists",
    "load_disconnect",
    "load_duckduckgo",
    "load_ghostery",
    "load_lists",
    "read_manifest",
    "update_data",
]
