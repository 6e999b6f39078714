"""Errors only the crawler raises; the root and the whole tree are in ``model.errors``."""

from model.errors import ConsentwatchError


class BrowserNotFoundError(ConsentwatchError):
    """No usable Chromium executable was found."""


class CrawlError(ConsentwatchError):
    """A crawl could not be carried out at all."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message ("" when it has none): what a capture's error says of it."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
