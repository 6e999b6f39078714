"""Evidence bundles: one audit's files in a zip, with a manifest of SHA-256s signed with Ed25519.

A bundle holds the report, the raw capture, a HAR per visit (built from the capture's requests:
URLs, methods, statuses, times, initiators and the bodies the crawler kept; size-capped), the
screenshots of banner visits just before the answer and after it settled (JPEG, from the capture) and
the policy snapshots (HTML + extracted text). ``manifest.json`` lists every other file with its
SHA-256 and size, plus the tool version, browser build, visit settings and audit id;
``manifest.sig`` is the Ed25519 signature of ``manifest.json``'s exact bytes. The zip is
deterministic (fixed timestamps, sorted entries). A bundle is built once per audit, off the event
loop, the first time it is asked for, from what the store keeps, and stored beside the report
(``bundle_for``): later downloads get the very bytes (and signature) the first one got. Its size is
bounded by a setting (``consentwatch serve --evidence-max-mib``): optional files are replaced by a
note saying what was omitted and how big it was, largest first, until the bundle fits.

Keys: ``consentwatch key create`` writes the private key (PEM, mode 0600) under the user data dir;
its public key is served at ``/v1/keys``; ``consentwatch verify BUNDLE.zip`` checks hashes and the
signature.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import platformdirs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from model.capture import Capture, RequestRecord, Screenshot, Visit, decode_capture, encode_capture

from ..store.base import AuditStore, StoredReport
from ..version import package_version

KEY_ENV = "CONSENTWATCH_EVIDENCE_KEY"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
DEFAULT_MAX_BUNDLE_BYTES = 20 * 1024 * 1024  # uncompressed, per audit
MAX_HAR_BODY = 4096  # request body bytes kept per HAR entry
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class EvidenceError(Exception):
    """A key or bundle problem, worded for the user."""


# ---------------------------------------------------------------------------- keys


def default_key_path() -> Path:
    return Path(os.environ.get(KEY_ENV) or Path(platformdirs.user_data_dir("consentwatch")) / "keys" / "evidence-ed25519.pem")


def create_key(path: Path | None = None, *, overwrite: bool = False) -> Path:
    path = Path(path or default_key_path())
    if path.exists() and not overwrite:
        raise EvidenceError(f"{path} already exists; refusing to replace a signing key (bundles signed with it "
                            "could no longer be checked against /v1/keys)")
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return path


def load_private_key(path: Path | None = None) -> Ed25519PrivateKey:
    path = Path(path or default_key_path())
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise EvidenceError(f"no signing key at {path}: run `consentwatch key create`") from None
    except ValueError as exc:
        raise EvidenceError(f"{path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EvidenceError(f"{path} is not an Ed25519 key")
    return key


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def key_id(public_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A raw 32-byte key in base64 (as /v1/keys publishes it) or a PEM public key."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise EvidenceError("not an Ed25519 public key")
            return key
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError) as exc:
        raise EvidenceError(f"not an Ed25519 public key: {exc}") from None


# ---------------------------------------------------------------------------- building


def har_of(visit: Visit, capture: Capture) -> dict:
    """HAR 1.2 of one visit from the capture (no response bodies: the crawler does not keep them)."""
    started = visit.started_at
    entries = [_har_entry(r, started) for r in visit.requests]
    return {"log": {
        "version": "1.2",
        "creator": {"name": "consentwatch", "version": package_version()},
        "browser": {"name": "Chromium", "version": capture.browser_version or "unknown"},
        "pages": [{"id": visit.name, "title": visit.title or visit.url, "startedDateTime": _iso(started),
                   "pageTimings": {}}],
        "entries": entries,
    }}


def _har_entry(r: RequestRecord, started: float) -> dict:
    body = r.post_data[:MAX_HAR_BODY] if r.post_data else None
    entry = {
        "pageref": "visit", "startedDateTime": _iso(started + r.t_ms / 1000.0), "time": 0,
        "request": {"method": r.method, "url": r.url, "httpVersion": "", "headers": [], "cookies": [],
                    "queryString": [], "headersSize": -1, "bodySize": r.post_data_size},
        "response": {"status": r.status or 0, "statusText": r.failure or "", "httpVersion": "", "headers": [],
                     "cookies": [], "content": {"size": -1, "mimeType": ""}, "redirectURL": "", "headersSize": -1,
                     "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0},
        "_resourceType": r.resource_type, "_initiator": r.initiator_script, "_frame": r.frame_url,
        "_phase": r.phase, "_tMs": r.t_ms,
        "_setCookies": [{"name": h.name, "attributes": h.attributes, "valueSha256": h.value_sha256}
                        for h in r.set_cookie_headers],
    }
    if body is not None:
        entry["request"]["postData"] = {"mimeType": "", "text": body}
    return entry


def _iso(epoch: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch or 0.0, dt.UTC).isoformat(timespec="milliseconds")


def screenshot_path(visit: Visit, shot: Screenshot) -> str:
    return f"screenshots/{visit.name}-{shot.moment}.jpg"


def _screenshots(capture: Capture) -> list[tuple[Visit, Screenshot]]:
    return [(v, shot) for v in capture.visits if v.consent is not None for shot in v.consent.screenshots]


def _without_images(capture: Capture) -> Capture:
    """The capture as the bundle's capture.json: screenshot bytes live in their own files instead."""
    visits = [msgspec.structs.replace(v, consent=msgspec.structs.replace(
        v.consent, screenshots=[msgspec.structs.replace(s, jpeg=b"") for s in v.consent.screenshots]))
        if v.consent is not None and v.consent.screenshots else v for v in capture.visits]
    return msgspec.structs.replace(capture, visits=visits)


def bundle_files(capture: Capture, report_json: bytes,
                 max_bytes: int = DEFAULT_MAX_BUNDLE_BYTES) -> tuple[dict[str, bytes], list[str]]:
    """The bundle's files (path → bytes) and the paths replaced by an omission note to respect ``max_bytes``."""
    files = {"report.json": report_json, "capture.json": encode_capture(_without_images(capture))}
    for visit in capture.visits:
        files[f"visits/{visit.name}.har"] = json.dumps(har_of(visit, capture), indent=1).encode()
    for visit, shot in _screenshots(capture):
        if shot.jpeg:
            files[screenshot_path(visit, shot)] = shot.jpeg
    for policy in capture.policies:
        files[f"policies/{policy.kind}.html"] = policy.html.encode()
        files[f"policies/{policy.kind}.txt"] = policy.text.encode()
    return _capped(files, max_bytes)


def _omission_order(files: dict[str, bytes]) -> list[str]:
    """What may go when the cap is reached, least evidential first: the HARs and the raw capture (the
    report cites their facts), then screenshots, then policy HTML (its extracted text stays)."""
    def largest_first(suffix: str) -> list[str]:
        return sorted((p for p in files if p.endswith(suffix)), key=lambda p: -len(files[p]))

    return largest_first(".har") + ["capture.json"] + largest_first(".jpg") + largest_first(".html")


def _capped(files: dict[str, bytes], max_bytes: int) -> tuple[dict[str, bytes], list[str]]:
    """Replace optional files, in place, by a JSON note until the bundle fits (the manifest lists them
    under ``omitted``); refuse when what must stay is too big by itself."""
    omitted: list[str] = []
    for path in _omission_order(files):
        if sum(len(b) for b in files.values()) <= max_bytes:
            break
        files[path] = json.dumps({"omitted": f"over the bundle size cap ({max_bytes} bytes)",
                                  "size": len(files[path])}).encode()
        omitted.append(path)
    total = sum(len(b) for b in files.values())
    if total > max_bytes:
        raise EvidenceError(f"the report and policy text alone take {total} bytes, over the bundle size cap "
                            f"({max_bytes} bytes): raise --evidence-max-mib")
    return files, sorted(omitted)


def build_bundle(capture: Capture, report_json: bytes, audit_id: int | str, key: Ed25519PrivateKey,
                 max_bytes: int = DEFAULT_MAX_BUNDLE_BYTES) -> bytes:
    files, omitted = bundle_files(capture, report_json, max_bytes)
    public = public_key_b64(key)
    manifest = {
        "format": "consentwatch-evidence/1",
        "audit_id": str(audit_id),
        "domain": capture.domain,
        "tool_version": package_version(),
        "browser_version": capture.browser_version,
        "user_agent": capture.user_agent,
        "crawl_started_at": capture.started_at,
        "crawl_finished_at": capture.finished_at,
        "policies_fetched_at": capture.started_at,  # discovery runs first in every crawl
        "visit_settings": [{"name": v.name, "url": v.url, "signals": v.signals, "settle_ms": v.settle_ms,
                            "started_at": v.started_at} for v in capture.visits],
        "screenshots": [{"visit": v.name, "moment": shot.moment, "t_ms": shot.t_ms, "note": shot.note,
                         "path": screenshot_path(v, shot) if shot.jpeg else None} for v, shot in _screenshots(capture)],
        "omitted": omitted,  # files replaced by a note saying why and how big they were
        "key_id": key_id(public),
        "public_key": public,
        "files": [{"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for p, b in sorted(files.items())],
    }
    manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode()
    signature = base64.b64encode(key.sign(manifest_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in [(MANIFEST, manifest_bytes), (SIGNATURE, signature), *sorted(files.items())]:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


async def bundle_for(store: AuditStore, stored: StoredReport, capture: bytes,
                     signing_key: Callable[[], Ed25519PrivateKey], max_bytes: int) -> bytes:
    """The audit's bundle as first handed out: the kept one, else built now (off the event loop: a big
    capture takes a while to zip and hash) and kept. ``signing_key`` is called only when building."""
    kept = await store.evidence_bundle(stored.report_id)
    if kept is not None:
        return kept
    key = signing_key()
    bundle = await asyncio.to_thread(build_bundle, decode_capture(capture), stored.body, stored.report_id,
                                     key, max_bytes)
    return await store.save_evidence_bundle(stored.report_id, bundle, time.time())


# ---------------------------------------------------------------------------- verifying


@dataclass
class Verification:
    ok: bool
    problems: list[str] = field(default_factory=list)
    manifest: dict | None = None


def verify_bundle(data: bytes, trusted: list[Ed25519PublicKey]) -> Verification:
    """Signature by one of ``trusted`` keys, then every listed file's hash and size; no unlisted files."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return Verification(False, ["not a zip file"])
    names = set(zf.namelist())
    if MANIFEST not in names or SIGNATURE not in names:
        return Verification(False, [f"{MANIFEST} or {SIGNATURE} is missing"])
    manifest_bytes = zf.read(MANIFEST)
    try:
        signature = base64.b64decode(zf.read(SIGNATURE), validate=True)
    except ValueError:
        return Verification(False, [f"{SIGNATURE} is not base64"])
    if not any(_signed_by(key, signature, manifest_bytes) for key in trusted):
        return Verification(False, ["the manifest's signature does not match the trusted key(s)"])
    manifest = json.loads(manifest_bytes)
    problems = []
    listed = {f["path"] for f in manifest["files"]}
    for entry in manifest["files"]:
        if entry["path"] not in names:
            problems.append(f"{entry['path']}: missing")
            continue
        content = zf.read(entry["path"])
        if hashlib.sha256(content).hexdigest() != entry["sha256"] or len(content) != entry["size"]:
            problems.append(f"{entry['path']}: content does not match its SHA-256 in the manifest")
    for extra in sorted(names - listed - {MANIFEST, SIGNATURE}):
        problems.append(f"{extra}: not listed in the manifest")
    return Verification(not problems, problems, manifest)


def _signed_by(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
        return True
    except InvalidSignature:
        return False
