"""The demo web's ground truth (``demo/expected.yaml``) for tests and the analyzer's evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

EXPECTED_PATH = Path(__file__).parent / "demo" / "expected.yaml"


@lru_cache(maxsize=1)
def demo_expectations() -> dict[str, Any]:
    """``{"indicators": {product: [[host, path_prefix], ...]}, "sites": {domain: {...}}}``."""
    return yaml.safe_load(EXPECTED_PATH.read_text())


def products_seen(requests: Iterable[tuple[str, str]]) -> set[str]:
    """Products whose indicator requests appear among (host, path) pairs."""
    seen = set()
    pairs = list(requests)
    for product, indicators in demo_expectations()["indicators"].items():
        if any(h == host and p.startswith(prefix) for h, p in pairs for host, prefix in indicators):
            seen.add(product)
    return seen
