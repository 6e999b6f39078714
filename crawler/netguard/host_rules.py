"""Chromium's ``--host-resolver-rules`` (``MAP pattern host[:port]``, ``MAP pattern ~NOTFOUND``,
``EXCLUDE pattern``), applied by the guard proxy.

Behind a proxy Chromium resolves nothing itself, so the operator's (or the fake internet's) rules
must be applied where connections are made. Matching follows Chromium's HostMappingRules: an
EXCLUDE pattern is matched against the host; a MAP pattern against the host, then ``host:port``;
the first MAP that matches wins; a replacement without a port keeps the request's port.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NOT_FOUND = "~NOTFOUND"


@dataclass(frozen=True)
class MapRule:
    pattern: re.Pattern[str]
    host: str  # NOT_FOUND: resolution fails
    port: int | None


@dataclass(frozen=True)
class HostRules:
    maps: tuple[MapRule, ...]
    excludes: tuple[re.Pattern[str], ...]

    @classmethod
    def parse(cls, text: str | None) -> HostRules:
        maps: list[MapRule] = []
        excludes: list[re.Pattern[str]] = []
        for rule in (text or "").split(","):
            words = rule.split()
            if not words:
                continue
            kind = words[0].upper()
            if kind == "EXCLUDE" and len(words) == 2:
                excludes.append(_glob(words[1]))
            elif kind == "MAP" and len(words) == 3:
                host, port = _split_replacement(words[2])
                maps.append(MapRule(_glob(words[1]), host, port))
            else:
                raise ValueError(f"host rule not understood: {rule.strip()!r}")
        return cls(tuple(maps), tuple(excludes))

    def rewrite(self, host: str, port: int) -> tuple[str, int] | None:
        """The (host, port) a rule maps to (host may be NOT_FOUND), or None when no rule applies."""
        if any(p.fullmatch(host) for p in self.excludes):
            return None
        host_port = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        for rule in self.maps:
            if rule.pattern.fullmatch(host) or rule.pattern.fullmatch(host_port):
                return rule.host, rule.port if rule.port is not None else port
        return None


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", "."))


def _split_replacement(text: str) -> tuple[str, int | None]:
    if text == NOT_FOUND:
        return NOT_FOUND, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, None
