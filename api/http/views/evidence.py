"""Evidence endpoints: the public signing key(s) and an audit's signed evidence bundle."""

from __future__ import annotations

from aiohttp import web

from ...errors import EvidenceUnavailableError, NoSigningKeyError, SiteNotFoundError
from ...service.evidence import EvidenceError, bundle_for, key_id, load_private_key, public_key_b64
from ...service.targets import canonical_domain
from ..keys import CONFIG, STORE
from .common import json_response, path_id


def _signing_key():
    try:
        return load_private_key()
    except EvidenceError as exc:
        raise NoSigningKeyError(f"evidence bundles are not available: {exc}") from None


async def list_keys(request: web.Request) -> web.Response:
    try:
        public = public_key_b64(load_private_key())
    except EvidenceError:
        return json_response({"keys": []})
    return json_response({"keys": [{"key_id": key_id(public), "algorithm": "Ed25519", "public_key": public,
                                    "encoding": "base64 of the raw 32-byte public key"}]})


def _audit_id(request: web.Request, domain: str) -> int:
    return path_id(request, lambda shown: SiteNotFoundError(f"no audit {shown} of {domain}"))


async def audit_evidence(request: web.Request) -> web.Response:
    domain = canonical_domain(request.match_info["domain"])
    report_id = _audit_id(request, domain)
    stored = await request.app[STORE].report(domain, report_id)
    capture = await request.app[STORE].capture(stored.capture_id) if stored and stored.capture_id else None
    if stored is None or capture is None:
        raise SiteNotFoundError(f"no audit {report_id} of {domain} with its capture")
    try:
        bundle = await bundle_for(request.app[STORE], stored, capture, _signing_key,
                                  request.app[CONFIG].evidence_max_bytes)
    except EvidenceError as exc:  # over the size cap: the operator's setting says what to change
        raise EvidenceUnavailableError(str(exc)) from None
    return web.Response(body=bundle, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{domain}-audit-{stored.report_id}-evidence.zip"'})
