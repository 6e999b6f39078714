"""The fake internet: tracker stubs, demo companies and test sites served on loopback.

    from crawler.testing import FakeInternet
    async with FakeInternet(seeds_dir=...) as web:
        browser = await p.chromium.launch(args=[*web.chromium_args, ...])
"""

from .expectations import demo_expectations, products_seen
from .serve import serve_forever
from .server import NXDOMAIN_HOST, FakeInternet, ServedRequest

__all__ = ["NXDOMAIN_HOST", "FakeInternet", "ServedRequest", "demo_expectations", "products_seen", "serve_forever"]
