"""consentwatch crawler: what a website really loads, captured in real Chromium.

The names below load on first use (PEP 562), so importing a light module such as ``crawler.errors``
does not start Playwright through this package. The contracts (capture, errors) are defined in ``model``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # the lazy names below, for type checkers (re-exported through __all__)
    from model.capture import Capture, Visit, decode_capture, encode_capture  # noqa: F401
    from model.errors import ConsentwatchError, InvalidDomainError  # noqa: F401

    from .browser import BrowserOptions, find_chromium  # noqa: F401
    from .crawl import Crawler, CrawlOptions, crawl_domain  # noqa: F401
    from .errors import BrowserNotFoundError, CrawlError  # noqa: F401

# public name → the module that defines it (the contracts live in the model package)
_EXPORTS: dict[str, str] = {
    "BrowserOptions": ".browser", "find_chromium": ".browser",
    "Capture": "model.capture", "Visit": "model.capture", "decode_capture": "model.capture",
    "encode_capture": "model.capture",
    "CrawlOptions": ".crawl", "Crawler": ".crawl", "crawl_domain": ".crawl",
    "BrowserNotFoundError": ".errors", "CrawlError": ".errors",
    "ConsentwatchError": "model.errors", "InvalidDomainError": "model.errors",
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
