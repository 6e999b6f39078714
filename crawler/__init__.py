"""consentwatch crawler: what a website really loads, captured in real Chromium."""

from .browser import BrowserOptions, find_chromium
from .capture import Capture, Visit, decode_capture, encode_capture
from .crawl import CrawlOptions, Crawler, crawl_domain
from .errors import BrowserNotFoundError, ConsentwatchError, CrawlError, InvalidDomainError

__all__ = [
    "BrowserOptions", "Capture", "CrawlError", "CrawlOptions", "Crawler", "BrowserNotFoundError",
    "ConsentwatchError", "InvalidDomainError", "Visit", "crawl_domain", "decode_capture",
    "encode_capture", "find_chromium",
]
