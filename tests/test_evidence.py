"""Evidence bundles: signed manifest, tampered files, wrong keys, the CLI and the API endpoints."""

from __future__ import annotations

import io
import json
import zipfile

import aiohttp
import msgspec
import pytest
from aiohttp.test_utils import TestServer
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.cli import main
from api.http.app import create_app
from api.service import evidence as ev
from api.service.config import ServiceConfig
from api.service.samples import make_capture, make_report
from api.store import SqliteStore
from api.store.records import prepare_audit
from model.capture import PolicyDocument, RequestRecord

T0 = 1_700_000_000.0


def sample():
    report = make_report("shop.com", T0, [0, 2], [0], policy_text="We use Google Analytics.")
    capture = make_capture(report, "We use Google Analytics.")
    capture.browser_version = "156.0.8078.79"
    capture.policies = [PolicyDocument(kind="privacy", url="https://shop.com/privacy", found_via="link",
                                       html="<p>We use Google Analytics.</p>", text="We use Google Analytics.")]
    capture.visits[0].requests = [RequestRecord(id="1", url="https://t.net/k", method="POST", post_data="email=x%40y.com",
                                                post_data_size=15, initiator_script="https://t.net/log.js")]
    return capture, msgspec.json.encode(report)


def rezip(data: bytes, change: dict[str, bytes | None]) -> bytes:
    """The bundle with some entries replaced (None: removed) or added."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            if name in change:
                if change[name] is not None:
                    zf.writestr(name, change[name])
            else:
                zf.writestr(name, src.read(name))
        for name, content in change.items():
            if name not in src.namelist() and content is not None:
                zf.writestr(name, content)
    return out.getvalue()


def test_bundle_verifies_and_is_deterministic():
    key = Ed25519PrivateKey.generate()
    capture, report = sample()
    bundle = ev.build_bundle(capture, report, 7, key)
    assert bundle == ev.build_bundle(capture, report, 7, key)
    result = ev.verify_bundle(bundle, [key.public_key()])
    assert result.ok, result.problems
    manifest = result.manifest
    assert manifest["audit_id"] == "7" and manifest["browser_version"] == "156.0.8078.79"
    paths = {f["path"] for f in manifest["files"]}
    assert {"report.json", "capture.json", "policies/privacy.html", "policies/privacy.txt"} <= paths
    assert {f"visits/{v.name}.har" for v in capture.visits} <= paths
    har = json.loads(zipfile.ZipFile(io.BytesIO(bundle)).read(f"visits/{capture.visits[0].name}.har"))
    entry = har["log"]["entries"][0]
    assert entry["request"]["postData"]["text"] == "email=x%40y.com" and entry["_initiator"] == "https://t.net/log.js"


@pytest.mark.parametrize("change,expected", [
    ({"report.json": b'{"grade": "A"}'}, "report.json: content does not match"),
    ({"policies/privacy.txt": None}, "policies/privacy.txt: missing"),
    ({"extra.txt": b"added later"}, "extra.txt: not listed"),
    ({ev.MANIFEST: b'{"files": []}'}, "signature does not match"),
])
def test_tampered_bundles_fail(change, expected):
    key = Ed25519PrivateKey.generate()
    capture, report = sample()
    result = ev.verify_bundle(rezip(ev.build_bundle(capture, report, 7, key), change), [key.public_key()])
    assert not result.ok and any(expected in p for p in result.problems), result.problems


def test_wrong_key_fails_and_garbage_is_not_a_bundle():
    capture, report = sample()
    bundle = ev.build_bundle(capture, report, 7, Ed25519PrivateKey.generate())
    result = ev.verify_bundle(bundle, [Ed25519PrivateKey.generate().public_key()])
    assert not result.ok and "signature" in result.problems[0]
    assert ev.verify_bundle(b"not a zip", [Ed25519PrivateKey.generate().public_key()]).problems == ["not a zip file"]


def test_size_cap_omits_hars_and_still_verifies(monkeypatch):
    key = Ed25519PrivateKey.generate()
    capture, report = sample()
    capture.visits[0].requests = [RequestRecord(id=str(i), url=f"https://t.net/{'x' * 500}/{i}") for i in range(200)]
    bundle = ev.build_bundle(capture, report, 1, key, max_bytes=60_000)
    har_path = f"visits/{capture.visits[0].name}.har"
    har = json.loads(zipfile.ZipFile(io.BytesIO(bundle)).read(har_path))
    assert "omitted" in har and har["size"] > 60_000
    verified = ev.verify_bundle(bundle, [key.public_key()])
    # the big HAR went first, then the raw capture (it holds the same 200 requests); the report stays
    assert verified.ok and har_path in verified.manifest["omitted"] and "capture.json" in verified.manifest["omitted"]
    assert not {"report.json", "policies/privacy.txt"} & set(verified.manifest["omitted"])
    files, omitted = ev.bundle_files(capture, report, max_bytes=60_000)
    assert sum(map(len, files.values())) <= 60_000 and omitted == verified.manifest["omitted"]


def test_size_cap_gives_way_largest_optional_first_and_keeps_the_policy_text():
    capture, report = sample()
    capture.policies[0].html = "<p>" + "policy " * 20_000 + "</p>"  # ~140 kB of HTML, its text stays small
    files, omitted = ev.bundle_files(capture, report, max_bytes=20_000)
    assert "policies/privacy.html" in omitted and "capture.json" in omitted
    assert files["policies/privacy.txt"] == b"We use Google Analytics." and files["report.json"] == report
    assert sum(map(len, files.values())) <= 20_000


def test_a_cap_smaller_than_the_report_itself_is_refused_with_the_setting_to_change():
    capture, report = sample()
    with pytest.raises(ev.EvidenceError, match="evidence-max-mib"):
        ev.bundle_files(capture, report, max_bytes=len(report) // 2)


def test_cli_key_create_refuses_overwrite_and_verify_exit_codes(tmp_path, monkeypatch):
    key_path = tmp_path / "k.pem"
    monkeypatch.setenv(ev.KEY_ENV, str(key_path))
    runner = CliRunner()
    created = runner.invoke(main, ["key", "create"])
    assert created.exit_code == 0, created.output
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    public = created.output.strip().splitlines()[-1]
    assert runner.invoke(main, ["key", "create"]).exit_code == 2  # never silently replaced
    capture, report = sample()
    bundle = tmp_path / "b.zip"
    bundle.write_bytes(ev.build_bundle(capture, report, 3, ev.load_private_key()))
    ok = runner.invoke(main, ["verify", str(bundle), "--key", public])
    assert ok.exit_code == 0 and "OK" in ok.output
    other = ev.public_key_b64(Ed25519PrivateKey.generate())
    assert runner.invoke(main, ["verify", str(bundle), "--key", other]).exit_code == 1
    tampered = tmp_path / "t.zip"
    tampered.write_bytes(rezip(bundle.read_bytes(), {"report.json": b"{}"}))
    failed = runner.invoke(main, ["verify", str(tampered)])
    assert failed.exit_code == 1 and "report.json" in failed.output
    assert runner.invoke(main, ["verify", str(bundle), "--key", "not-a-key"]).exit_code == 2


async def test_api_serves_keys_and_a_verifiable_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv(ev.KEY_ENV, str(tmp_path / "k.pem"))
    db = tmp_path / "cw.db"
    store = SqliteStore(db)
    await store.open()
    capture, _report_bytes = sample()
    report = make_report("shop.com", T0, [0, 2], [0], policy_text="We use Google Analytics.")
    report_id = await store.save_audit(prepare_audit(capture, report))
    await store.close()
    server = TestServer(create_app(ServiceConfig(db=str(db), run_jobs=False, rate_limit=1000, rate_burst=1000)),
                        host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
            async with http.get(f"/v1/sites/shop.com/audits/{report_id}/evidence.zip") as r:
                assert r.status == 503  # no key yet: said plainly, nothing half-signed
            async with http.get("/v1/keys") as r:
                assert (await r.json()) == {"keys": []}
            ev.create_key()
            async with http.get("/v1/keys") as r:
                published = (await r.json())["keys"][0]["public_key"]
            async with http.get(f"/v1/sites/shop.com/audits/{report_id}/evidence.zip") as r:
                assert r.status == 200 and r.content_type == "application/zip"
                bundle = await r.read()
            ev.create_key(overwrite=True)  # a new key now: the kept bundle is still the one handed out
            async with http.get(f"/v1/sites/shop.com/audits/{report_id}/evidence.zip") as r:
                assert r.status == 200 and await r.read() == bundle
            async with http.get(f"/v1/sites/shop.com/audits/{report_id + 99}/evidence.zip") as r:
                assert r.status == 404
            async with http.get("/v1/sites/shop.com/audits/abc/evidence.zip") as r:
                assert r.status == 404
    finally:
        await server.close()
    result = ev.verify_bundle(bundle, [ev.parse_public_key(published)])
    assert result.ok and result.manifest["audit_id"] == str(report_id)
    store = SqliteStore(db)
    await store.open()
    try:
        assert await store.evidence_bundle(report_id) == bundle  # kept in the store, not rebuilt per request
    finally:
        await store.close()
