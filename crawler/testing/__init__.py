"""The fake internet: tracker stubs, demo companies and test sites served on loopback.

    from crawler.testing import FakeInternet
    async with FakeInternet(seeds_dir=...) as web:
        browser = await p.chromium.launch(args=[*web.chromium_args, ...])
"""

from .server import NXDOMAIN_HOST, FakeInternet, ServedRequest

__all__ = ["FakeInternet", "ServedRequest", "NXDOMAIN_HOST"]
