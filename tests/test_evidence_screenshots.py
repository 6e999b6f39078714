"""A real banner audit (real Chromium on the fake internet) end to end into its evidence: the page shot
just before the banner click and after the answer settled, in the signed bundle with their SHA-256s
(issue 14 §4), and the consent findings carrying the rules they may touch (§5)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import msgspec
import pytest
import pytest_asyncio
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from analyzer import analyze_capture
from api.cli import main
from api.service import evidence as ev
from crawler.consent.screenshots import ScreenshotOptions
from crawler.testing.sites import TEST_SITES_DIR, load_sites
from model.report import encode_report, summary_of

pytestmark = pytest.mark.browser

SITE = next(s.host for s in load_sites(TEST_SITES_DIR) if s.role == "banner_cookieyes")
BANNER_VISITS = ("reject", "accept")
JPEG_START = b"\xff\xd8\xff"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def audit(fake_web, web_crawler):
    capture = await web_crawler.crawl(SITE)
    return capture, analyze_capture(capture)


def test_banner_visits_are_shot_before_the_click_and_after_it_settled(audit):
    capture, _ = audit
    for name in BANNER_VISITS:
        consent = capture.visit(name).consent
        assert consent.outcome == "done", (consent.reason, consent.timeline)
        before, after = consent.screenshots
        assert (before.moment, after.moment) == ("before_click", "after_click")
        assert before.t_ms <= consent.click_ms <= after.t_ms
        for shot in (before, after):
            assert shot.jpeg.startswith(JPEG_START) and len(shot.jpeg) <= ScreenshotOptions().max_bytes, shot.note
        assert before.jpeg != after.jpeg  # the banner is gone in the second one
    for visit in capture.visits:
        if visit.name not in BANNER_VISITS:
            assert visit.consent is None or not visit.consent.screenshots, visit.name


def test_bundle_carries_both_images_with_their_hashes_and_verifies(audit, tmp_path):
    capture, report = audit
    key = Ed25519PrivateKey.generate()
    bundle = ev.build_bundle(capture, encode_report(report), 11, key)
    zf = zipfile.ZipFile(io.BytesIO(bundle))
    manifest = json.loads(zf.read(ev.MANIFEST))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    for name in BANNER_VISITS:
        for shot in capture.visit(name).consent.screenshots:
            path = f"screenshots/{name}-{shot.moment}.jpg"
            assert zf.read(path) == shot.jpeg and listed[path] == hashlib.sha256(shot.jpeg).hexdigest()
    assert {(s["visit"], s["moment"]) for s in manifest["screenshots"]} == {
        (v, m) for v in BANNER_VISITS for m in ("before_click", "after_click")}
    assert JPEG_START not in zf.read("capture.json")  # not twice: the images are their own files
    assert ev.verify_bundle(bundle, [key.public_key()]).ok

    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    runner = CliRunner()
    verified = runner.invoke(main, ["verify", str(path), "--key", ev.public_key_b64(key)])
    assert verified.exit_code == 0 and "OK" in verified.output, verified.output
    swapped = _rezip(bundle, "screenshots/reject-after_click.jpg", zf.read("screenshots/reject-before_click.jpg"))
    path.write_bytes(swapped)
    failed = runner.invoke(main, ["verify", str(path), "--key", ev.public_key_b64(key)])
    assert failed.exit_code == 1 and "screenshots/reject-after_click.jpg" in failed.output


def test_pre_consent_tracking_names_the_rules_it_may_touch(audit):
    _, report = audit
    data = json.loads(encode_report(report))
    finding = next(f for f in data["findings"] if f["code"] == "PRE_CONSENT_TRACKING")
    refs = {r["id"]: r for r in finding["references"]}
    assert set(refs) == {"eprivacy-5-3", "gdpr-6-1-a"}
    assert refs["eprivacy-5-3"]["article"] == "Art. 5(3)" and refs["eprivacy-5-3"]["jurisdiction"] == "EU"
    assert all(r["url"].startswith("https://") for r in refs.values())
    assert "may" in data["legal_notice"] and "not legal advice" in data["legal_notice"]
    top = msgspec.json.decode(msgspec.json.encode(summary_of(report)))["top_findings"]
    assert any(f["code"] == "PRE_CONSENT_TRACKING" and f["references"] for f in top)


def _rezip(data: bytes, name: str, content: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for entry in src.namelist():
            zf.writestr(entry, content if entry == name else src.read(entry))
    return out.getvalue()
