"""Errors only the crawler raises; the root and the whole tree are in ``model.errors``."""

from model.errors import ConsentwatchError


class BrowserNotFoundError(ConsentwatchError):
    """No usable Chromium executable was found."""


class CrawlError(ConsentwatchError):
    """A crawl could not be carried out at all."""
