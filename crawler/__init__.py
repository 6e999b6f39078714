"""consentwatch crawler: what a website really loads, captured in real Chromium.

The names below load on first use (PEP 562), so importing a light module such as ``crawler.capture``
(the capture contract the analyzer reads) does not start Playwright through this package.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # the lazy names below, for type checkers (re-exported through __all__)
    from .browser import BrowserOptions, find_chromium  # noqa: F401
    from .capture import Capture, Visit, decode_capture, encode_capture  # noqa: F401
    from .crawl import CrawlOptions, Crawler, crawl_domain  # noqa: F401
    from .errors import BrowserNotFoundError, ConsentwatchError, CrawlError, InvalidDomainError  # noqa: F401

# public name → the module that defines it
_EXPORTS: dict[str, str] = {
    "BrowserOptions": ".browser", "find_chromium": ".browser",
    "Capture": ".capture", "Visit": ".capture", "decode_capture": ".capture", "encode_capture": ".capture",
    "CrawlOptions": ".crawl", "Crawler": ".crawl", "crawl_domain": ".crawl",
    "BrowserNotFoundError": ".errors", "ConsentwatchError": ".errors", "CrawlError": ".errors",
    "InvalidDomainError": ".errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
