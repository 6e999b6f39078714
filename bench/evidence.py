"""Evidence bundle size per audit on the demo web (prints; asserts nothing).

    .venv/bin/python bench/evidence.py [--domains 2] [--domain tunnelmoss.com …]

Full audits (every visit, policy discovery) of the demo companies, then the signed bundle of each:
zip size, uncompressed size, the largest files, and the cap (api.service.evidence.DEFAULT_MAX_BUNDLE_BYTES,
the default of `serve --evidence-max-mib`).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from analyzer.audit import analyze_capture
from api.service.evidence import DEFAULT_MAX_BUNDLE_BYTES, build_bundle
from crawler import BrowserOptions, Crawler, CrawlOptions
from crawler.testing import FakeInternet


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=2)
    parser.add_argument("--domain", action="append", default=[], help="audit these demo domains instead")
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    async with FakeInternet() as web:
        options = CrawlOptions(browser=BrowserOptions(host_rules=web.host_rules, extra_args=tuple(web.trust_args)),
                               settle_s=3.5, max_concurrent_visits=4)
        async with Crawler(options) as crawler:
            for domain in args.domain or web.demo_domains[:args.domains]:
                started = time.monotonic()
                capture = await crawler.crawl(domain)
                report = analyze_capture(capture)
                bundle = build_bundle(capture, msgspec.json.encode(report), 1, key)
                zf = zipfile.ZipFile(io.BytesIO(bundle))
                raw = sum(i.file_size for i in zf.infolist())
                largest = sorted(zf.infolist(), key=lambda i: -i.file_size)[:3]
                print(f"{domain}: {len(bundle) / 1024:.0f} KiB zipped, {raw / 1024:.0f} KiB uncompressed "
                      f"({len(zf.infolist())} files; largest "
                      + ", ".join(f"{i.filename} {i.file_size / 1024:.0f} KiB" for i in largest)
                      + f"); screenshots {_shots(zf) / 1024:.0f} KiB; audit {time.monotonic() - started:.0f} s")
    print(f"cap per bundle (uncompressed): {DEFAULT_MAX_BUNDLE_BYTES / 2**20:.0f} MiB")


def _shots(zf: zipfile.ZipFile) -> int:
    return sum(i.file_size for i in zf.infolist() if i.filename.startswith("screenshots/"))


if __name__ == "__main__":
    asyncio.run(main())
