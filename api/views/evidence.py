"""Evidence endpoints: the public signing key(s) and an audit's signed evidence bundle."""

from __future__ import annotations

from aiohttp import web

from model.capture import decode_capture

from ..errors import ServiceError, SiteNotFoundError
from ..evidence import EvidenceError, build_bundle, key_id, load_private_key, public_key_b64
from ..keys import STORE
from ..targets import canonical_domain
from .common import json_response, path_id


class NoSigningKeyError(ServiceError):
    status = 503
    code = "no_signing_key"


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
    bundle = build_bundle(decode_capture(capture), stored.body, stored.report_id, _signing_key())
    return web.Response(body=bundle, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{domain}-audit-{stored.report_id}-evidence.zip"'})
