"""Analyzer throughput on one core (prints a table; asserts nothing).

    .venv/bin/python bench/analyze.py            # target: >= 50,000 attributed requests/s/core

Each measurement is one function returning ``Result`` rows and listed in ``MEASUREMENTS``;
add a function there to measure another part of the analyzer.

Attribution is measured on a synthetic but realistic request mix (``request_mix``): for 40 sites,
a third of requests to the site's own hosts, ~45 % to well-known trackers (the signature
examples of our knowledge base, with varying query strings), the rest to long-tail hosts taken
from the DuckDuckGo, Ghostery and Disconnect lists and to unknown hosts.
"""

from __future__ import annotations

import functools
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analyzer.attribution import Attributor  # noqa: E402
from analyzer.external import ExternalLists, load_lists  # noqa: E402
from analyzer.knowledge import Knowledge, load_knowledge  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"
MIX_SIZE = 200_000
ROUNDS = 3


@dataclass
class Result:
    name: str
    value: float
    unit: str
    note: str = ""


# -- inputs ------------------------------------------------------------------------------------


def request_mix(knowledge: Knowledge, lists: ExternalLists, size: int = MIX_SIZE, seed: int = 7) -> list[tuple[str, str]]:
    """(url, site) pairs; the same mix whether or not the lists are used, so rates compare."""
    rng = random.Random(seed)
    sites = [f"shop{i}.example-{'co.uk' if i % 4 == 0 else 'store.com'}" for i in range(40)]
    trackers = [s.example for p in knowledge.products.values() for s in p.requests]
    long_tail = _long_tail_hosts(lists, rng) or [f"t{i}.tail-tracker-{i}.com" for i in range(1500)]
    unknown = [f"cdn{i}.unknown-{i}.net" for i in range(300)]
    out = []
    for n in range(size):
        site = rng.choice(sites)
        roll = rng.random()
        if roll < 0.33:
            host = rng.choice(("www.", "static.", "cdn.", "api.", "")) + site
            url = f"https://{host}/assets/{rng.randrange(500)}.js?v={n}"
        elif roll < 0.78:
            base = rng.choice(trackers)
            url = f"{base}{'&' if '?' in base else '?'}z={n}"
        elif roll < 0.95:
            url = f"https://{rng.choice(long_tail)}/p?e=view&n={n}"
        else:
            url = f"https://{rng.choice(unknown)}/lib.js?n={n}"
        out.append((url, site))
    return out


def _long_tail_hosts(lists: ExternalLists, rng: random.Random) -> list[str]:
    hosts: list[str] = []
    for source in (lists.duckduckgo and lists.duckduckgo.tracker_hosts, lists.ghostery and lists.ghostery.hosts,
                   lists.disconnect and lists.disconnect.hosts):
        if source:
            hosts += rng.sample(source, min(500, len(source)))
    return hosts


@functools.cache
def inputs() -> tuple[Knowledge, ExternalLists, list[tuple[str, str]]]:
    """Built once, shared by the measurements (and outside their timings)."""
    knowledge = load_knowledge()
    lists = load_lists(SHARED_DATA)
    return knowledge, lists, request_mix(knowledge, lists)


# -- measurements --------------------------------------------------------------------------------


def _rate(attributor: Attributor, mix: list[tuple[str, str]]) -> float:
    attribute = attributor.attribute_request
    start = time.perf_counter()
    for url, site in mix:
        attribute(url, site)
    return len(mix) / (time.perf_counter() - start)


def _attribution_rates(label: str, lists: ExternalLists) -> list[Result]:
    knowledge, _, mix = inputs()
    cold = _rate(Attributor(knowledge, lists), mix)  # first pass: every (host, site) planned
    attributor = Attributor(knowledge, lists)
    warm = max(_rate(attributor, mix) for _ in range(ROUNDS))
    sources: dict[str, int] = {}
    for url, site in mix[:20_000]:
        source = attributor.attribute_request(url, site).source
        sources[source] = sources.get(source, 0) + 1
    share = ", ".join(f"{k} {v / 200:.0f}%" for k, v in sorted(sources.items(), key=lambda kv: -kv[1]))
    return [
        Result(f"attribution, {label}, warm", warm, "requests/s", share),
        Result(f"attribution, {label}, cold", cold, "requests/s", "fresh Attributor, one pass"),
    ]


def attribution_own_signatures() -> list[Result]:
    return _attribution_rates("own signatures only", ExternalLists())


def attribution_all_lists() -> list[Result]:
    _, lists, _ = inputs()
    return _attribution_rates(f"own + {len(lists.loaded)} list files", lists)


def cookie_attribution() -> list[Result]:
    knowledge, lists, _ = inputs()
    rng = random.Random(3)
    names = [n for p in knowledge.products.values() for n in p.cookies_exact] + ["session", "cart", "PHPSESSID", "uid"]
    cookies = [(rng.choice(names) + ("" if rng.random() < 0.7 else f"_{i % 97}"),
                rng.choice((".shop.example-store.com", ".doubleclick.net", ".facebook.com", "px.tail-xyz.com")))
               for i in range(50_000)]
    attributor = Attributor(knowledge, lists)
    start = time.perf_counter()
    for name, domain in cookies:
        attributor.attribute_cookie(name, domain, "shop.example-store.com")
    return [Result("cookie attribution, all lists", len(cookies) / (time.perf_counter() - start), "cookies/s")]


def list_loading() -> list[Result]:
    start = time.perf_counter()
    lists = load_lists(SHARED_DATA)
    elapsed = time.perf_counter() - start
    return [Result("load external lists", elapsed * 1000, "ms", ", ".join(lists.loaded))]


def policy_analysis() -> list[Result]:
    from analyze_policies import policies_per_second  # bench/ is on sys.path when run as a script

    return [Result("policy analysis (OPP-115 dev, CPU time)", policies_per_second(), "policies/s", "target >= 100")]


MEASUREMENTS: list[Callable[[], list[Result]]] = [
    policy_analysis,
    list_loading,
    attribution_own_signatures,
    attribution_all_lists,
    cookie_attribution,
]


def main() -> None:
    inputs()
    for measure in MEASUREMENTS:
        for result in measure():
            print(f"{result.name:<48} {result.value:>12,.0f} {result.unit:<12} {result.note}")


if __name__ == "__main__":
    main()
