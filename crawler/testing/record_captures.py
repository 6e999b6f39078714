"""Recorded captures: a few fake-internet sites crawled once and kept as JSON, so the analyzer can be tested
with no browser (tests/test_recorded_findings.py).

    python -m crawler.testing.record_captures                    # re-record every site into tests/recorded/
    python -m crawler.testing.record_captures tunnelmoss.com     # only these sites
    python -m crawler.testing.record_captures --out DIR          # somewhere else

A recording is a ``Recording``: the capture (``model.capture``) plus what the recorder did to it. The capture
holds everything the analyzer reads (visits, policy texts, well-known files), normalised so that a refresh
diffs readably: epoch times shifted so the crawl starts at ``RECORDED_EPOCH`` (their differences, e.g. a
cookie's lifetime, are kept), cookies and storage sorted. Times within a visit (``t_ms``, ``click_ms``, …) are
kept exactly: they are evidence, and rounding them changes findings (a cookie set less than a millisecond
after the accept click, rounded onto the click, counts as set before any answer).
Bodies the analyzer does not read are dropped: the policy pages' HTML (their extracted text stays) and the
banner screenshots. Values the fake trackers randomise as real ones do (client ids, timestamps in hit URLs,
cookie value hashes) are kept as observed: they are the evidence, and they change at every refresh.

Reading (``load_recording``) refuses, naming the file and how to re-record it, a file that is not JSON, a
recording of another format or capture schema version, or one whose content does not fit the model.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

from model.capture import CAPTURE_SCHEMA_VERSION, Capture

# What each recorded site is built to show (its definition: crawler/testing/demo/sites/*.yaml with the
# ground truth in demo/expected.yaml, or crawler/testing/sites/banners.yaml with its `banner_fixture`).
RECORDED_SITES: dict[str, str] = {
    "tunnelmoss.com": "OneTrust banner shown after every tag fired (pre-consent tracking); GPC ignored; "
                      "'will not sell' with ad trackers; a separate cookie policy",
    "brightfoldinstruments.com": "claims GPC (policy and /.well-known/gpc.json) yet loads ad trackers with GPC; "
                                 "session recorders described only vaguely",
    "ridgelofthosting.com": "claims Do Not Track (policy and dnt-policy.txt) yet tracks with DNT; undeclared "
                            "HubSpot, Criteo, Clarity; a heuristic-only banner after the tags",
    "saltmarsh-recipes.com": "Quantcast TCF banner whose reject is read as consent: Consent Mode granted and "
                             "tracking after reject, denied pings before",
    "pebble-post-shop.com": "a banner with no way to refuse (accept only); tags wait for consent",
    "harbor-lantern.com": "a OneTrust banner done right: tags wait for consent, reject holds",
}

RECORDING_FORMAT = 1  # bump when the recorder changes what it writes; older files then fail to load
RECORDED_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: every recording's crawl starts here
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "tests" / "recorded"
REFRESH = "python -m crawler.testing.record_captures"


class Recording(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    format: int
    domain: str
    chosen_for: str
    normalised: list[str]  # what the recorder changed, for whoever reads a diff
    capture: Capture


class _CaptureHead(msgspec.Struct):
    schema_version: int


class _RecordingHead(msgspec.Struct):
    """Just enough of a recording to check its versions before decoding the rest."""

    format: int
    capture: _CaptureHead


class RecordingError(ValueError):
    """A recorded capture that cannot be used: what is wrong with which file, and how to re-record it."""


NORMALISED = [
    f"epoch times shifted so the crawl starts at {RECORDED_EPOCH:.0f} (2026-01-01T00:00:00Z)",
    "times within a visit (t_ms, *_ms) kept as observed: they are evidence",
    "cookies and storage records sorted",
    "policy HTML and banner screenshots dropped (the analyzer reads the extracted text only)",
]


def recording_path(directory: Path, domain: str) -> Path:
    return directory / f"{domain}.json"


def normalise(capture: Capture) -> Capture:
    """The capture as recorded: see the module docstring. Returns a new Capture."""
    data = msgspec.to_builtins(capture)
    shift = RECORDED_EPOCH - capture.started_at if capture.started_at else 0.0
    data["started_at"] = _epoch(data["started_at"], shift)
    data["finished_at"] = _epoch(data["finished_at"], shift)
    for blocked in data["blocked"]:
        blocked["at"] = _epoch(blocked["at"], shift)
    for visit in data["visits"]:
        visit["started_at"] = _epoch(visit["started_at"], shift)
        for blocked in visit["blocked"]:
            blocked["at"] = _epoch(blocked["at"], shift)
        for cookie in visit["cookies"]:
            if cookie["expires"] is not None:
                cookie["expires"] = _epoch(cookie["expires"], shift)
        visit["cookies"].sort(key=lambda c: (c["domain"], c["name"], c["path"]))
        visit["storage"].sort(key=lambda s: (s["origin"], s["kind"], s["key"], s["t_ms"] is None, s["t_ms"] or 0))
        if visit["consent"] is not None:
            for shot in visit["consent"]["screenshots"]:
                shot["jpeg"] = ""
                shot["note"] = "dropped from the recording"
    for policy in data["policies"]:
        policy["html"] = ""
    return msgspec.convert(data, Capture)


def _epoch(value: float, shift: float) -> float:
    return round(value + shift, 3) if value else value



def encode_recording(capture: Capture) -> bytes:
    recording = Recording(format=RECORDING_FORMAT, domain=capture.domain, normalised=NORMALISED,
                          chosen_for=RECORDED_SITES.get(capture.domain, ""), capture=normalise(capture))
    return msgspec.json.format(msgspec.json.encode(recording), indent=1) + b"\n"


def load_recording(path: Path) -> Capture:
    """The capture recorded in ``path``; ``RecordingError`` when the file cannot be used as it is."""
    domain = path.name.removesuffix(".json")
    redo = f"re-record it with `{REFRESH} {domain}`"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read the recording ({exc.strerror}); {redo}") from exc
    try:
        head = msgspec.json.decode(data, type=_RecordingHead)
    except msgspec.DecodeError as exc:
        raise RecordingError(f"{path}: not a recording of format {RECORDING_FORMAT} ({exc}); {redo}") from exc
    if head.format != RECORDING_FORMAT:
        raise RecordingError(f"{path}: recording format {head.format}, this code reads format {RECORDING_FORMAT}; "
                             f"{redo}")
    if head.capture.schema_version != CAPTURE_SCHEMA_VERSION:
        raise RecordingError(f"{path}: capture schema version {head.capture.schema_version}, this code reads "
                             f"version {CAPTURE_SCHEMA_VERSION}; {redo}")
    try:
        recording = msgspec.json.decode(data, type=Recording)
    except msgspec.DecodeError as exc:
        raise RecordingError(f"{path}: the recording does not fit the capture model ({exc}); {redo}") from exc
    if recording.domain != domain or recording.capture.domain != domain:
        raise RecordingError(f"{path}: holds {recording.capture.domain!r}, not {domain!r}; {redo}")
    return recording.capture


async def crawl_sites(domains: Sequence[str]) -> list[Capture]:
    """Crawl ``domains`` on a fresh fake internet (no seeds needed), as the test suite's crawler does."""
    from crawler import BrowserOptions, Crawler, CrawlOptions

    from .server import FakeInternet

    async with FakeInternet() as web:
        options = CrawlOptions(browser=BrowserOptions(host_rules=web.host_rules, extra_args=tuple(web.trust_args)),
                               settle_s=3.5, timeout_s=30.0, max_concurrent_visits=6)
        async with Crawler(options) as crawler:
            return list(await asyncio.gather(*(crawler.crawl(d) for d in domains)))


def write_recordings(captures: Sequence[Capture], out: Path) -> tuple[list[Path], list[str]]:
    """One recording per complete capture: (files written, why each other capture was not written)."""
    out.mkdir(parents=True, exist_ok=True)
    paths, refused = [], []
    for capture in captures:
        problem = incomplete(capture)
        if problem:
            refused.append(f"{capture.domain}: {problem}; not written (the previous recording stays), run again")
            continue
        path = recording_path(out, capture.domain)
        path.write_bytes(encode_recording(capture))
        paths.append(path)
    return paths, refused


def incomplete(capture: Capture) -> str | None:
    """Why a crawl is not worth recording (unreachable, partial, a visit failed), or None."""
    if not capture.reachable:
        return f"unreachable ({capture.error})"
    problems = [f"{v.name} visit {'failed' if not v.ok else 'partial'} ({v.error or '; '.join(v.cut) or 'no detail'})"
                for v in capture.visits if not v.ok or v.partial]
    if capture.partial and not problems:
        problems.append(f"partial ({'; '.join(capture.cut) or capture.error or 'no detail'})")
    return "; ".join(problems) or None


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REFRESH, description=__doc__.split("\n\n")[0])
    parser.add_argument("domains", nargs="*", help=f"sites to record (default: {', '.join(RECORDED_SITES)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="directory (default: %(default)s)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    unknown = [d for d in args.domains if d not in RECORDED_SITES]
    if unknown:
        parser.error(f"not a recorded site: {', '.join(unknown)} (add it to RECORDED_SITES with what it shows)")
    paths, refused = write_recordings(asyncio.run(crawl_sites(args.domains or list(RECORDED_SITES))), args.out)
    for path in paths:
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB")
    for problem in refused:
        print(f"error: {problem}", file=sys.stderr)
    if refused:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
