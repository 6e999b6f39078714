"""Errors the crawler raises. The hierarchy, in one place:

    ConsentwatchError                 base of every error this project raises on purpose
    ├── InvalidDomainError            the input is not a crawlable domain (CLI exit 2)
    ├── BrowserNotFoundError          no Chromium found by any of the three discovery ways
    └── CrawlError                    a crawl could not run at all (browser crashed at launch, …)

An unreachable site is *not* an exception: it yields a Capture with ``reachable=False`` and an
``error``, so that whatever was observed is kept.
"""


class ConsentwatchError(Exception):
    """Base of every error consentwatch raises on purpose."""


class InvalidDomainError(ConsentwatchError, ValueError):
    """The input is not a domain we can crawl."""


class BrowserNotFoundError(ConsentwatchError):
    """No usable Chromium executable was found."""


class CrawlError(ConsentwatchError):
    """A crawl could not be carried out at all."""
