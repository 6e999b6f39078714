"""Service commands (serve, schedule, token, …), registered onto the main CLI group."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add the service's commands to ``group``."""
