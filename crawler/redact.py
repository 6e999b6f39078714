"""Cookie values are identifiers: stored as length + hash unless the user asked to keep them."""

from __future__ import annotations

import hashlib


def value_fingerprint(value: str) -> tuple[int, str]:
    return len(value), hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def split_set_cookie(header: str) -> tuple[str, str, str]:
    """``"a=b; Path=/"`` → ``("a", "b", "Path=/")``."""
    pair, _, attributes = header.partition(";")
    name, _, value = pair.partition("=")
    return name.strip(), value.strip(), attributes.strip()
