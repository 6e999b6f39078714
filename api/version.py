"""The installed consentwatch version, as the API reports it (health, OpenAPI)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    try:
        return version("consentwatch")
    except PackageNotFoundError:
        return "0+unknown"
