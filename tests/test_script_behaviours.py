"""What scripts do (issue 14): instrumentation in real Chromium, detections, findings, no false positives."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
import pytest_asyncio

from analyzer.audit import analyze_capture
from analyzer.behaviour import detect_behaviour
from analyzer.behaviour.detect import ScriptCalls, behaviour_rules, fingerprints_of
from analyzer.behaviour.findings import initiator_chain
from analyzer.behaviour.leaks import encodings, find_leaks
from analyzer.behaviour.practices import declared_practices
from analyzer.findings import sighting_evidence
from analyzer.observed import Sighting
from crawler import Crawler
from crawler.collectors.instrumentation_canaries import TYPING_BUDGET_S
from model.capture import ApiCall, CanaryInput, Capture, PolicyDocument, RequestRecord, Visit

BEHAVIOUR_CODES = {"FINGERPRINTING", "SESSION_RECORDING_UNDECLARED", "KEYSTROKES_SENT_BEFORE_SUBMIT",
                   "PII_SENT_TO_THIRD_PARTY"}
ROLES = ["trackers", "fp_canvas", "fp_fonts", "fp_webgl", "fp_audio", "fp_webrtc", "recorder_known", "recorder_unknown",
         "keylogger", "advanced_matching", "clean_chart", "clean_form"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reports(fake_web, options_for):
    # Side by side, as a batch crawls: each crawl is one visit that mostly waits for its settle.
    fake_web.add_page(SLOW_KEYS_HOST, "/", SLOW_KEYS_PAGE)
    hosts = {**{role: fake_web.sites[role] for role in ROLES}, "slow_keys": SLOW_KEYS_HOST}
    options = options_for(fake_web, visits=("baseline",), settle_s=1.5, find_policies=False)
    async with Crawler(options) as crawler:
        captures = await asyncio.gather(*(crawler.crawl(host) for host in hosts.values()))
    return {role: (capture, analyze_capture(capture)) for role, capture in zip(hosts, captures)}


# Two fields whose every keydown keeps the page busy for 1.5 s: the first field's keyed tail (two keys) alone
# takes longer than the typing budget, so no field is typed.
SLOW_KEYS_HOST = "slow-keys-newsletter.com"
SLOW_KEYS_PAGE = """<!doctype html><title>Slow keys</title><h1>Newsletter</h1>
<form action="/subscribe" method="post"><label>Email <input type="email" id="email"></label>
<label>Phone <input type="tel" id="phone"></label><button>Subscribe</button></form>
<script>addEventListener('keydown', () => { const end = Date.now() + 1500; while (Date.now() < end) {} }, true);
</script>"""


def behaviour_findings(report):
    return [f for f in report.findings if f.code in BEHAVIOUR_CODES]


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role,kind,script", [
    ("fp_canvas", "canvas", "https://fp-vendor.net/canvas.js"),
    ("fp_fonts", "font", "https://fp-vendor.net/fonts.js"),
    ("fp_webgl", "webgl", "https://fp-vendor.net/webgl.js"),
    ("fp_audio", "audio", "https://fp-vendor.net/audio.js"),
    ("fp_webrtc", "webrtc", "https://fp-vendor.net/webrtc.js"),
])
async def test_each_fingerprinting_kind_is_found_and_only_that_kind(reports, role, kind, script):
    _capture, report = reports[role]
    found = behaviour_findings(report)
    assert [f.category for f in found] == [f"fingerprinting:{kind}"], [f.title for f in found]
    evidence = found[0].evidence
    assert evidence[0].kind == "api_calls" and evidence[0].url == script
    # The request the fingerprinter sent names it as its initiator.
    assert any(e.kind == "request" and "fp-vendor.net/collect" in e.url and script in e.detail for e in evidence)


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_known_recorder_by_signature_and_unknown_by_behaviour(reports):
    known = [f for f in behaviour_findings(reports["recorder_known"][1]) if f.code == "SESSION_RECORDING_UNDECLARED"]
    assert [f.product_id for f in known] == ["logrocket"]
    unknown = [f for f in behaviour_findings(reports["recorder_unknown"][1]) if f.code == "SESSION_RECORDING_UNDECLARED"]
    assert len(unknown) == 1 and "tapestream-replay.net" in unknown[0].title
    assert any(e.kind == "api_calls" and "document subtree" in (e.text or "") for e in unknown[0].evidence)
    # A recorder captures typed values too: the canary reached LogRocket's ingestion host.
    assert any(f.code == "KEYSTROKES_SENT_BEFORE_SUBMIT" and "lr-ingest.io" in f.title
               for f in behaviour_findings(reports["recorder_known"][1]))


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_form_logger_sends_keystrokes_before_submit(reports):
    capture, report = reports["keylogger"]
    visit = capture.visits[0]
    assert {c.kind for c in visit.canaries} == {"email", "phone"}, visit.cut
    keys = [f for f in report.findings if f.code == "KEYSTROKES_SENT_BEFORE_SUBMIT"]
    assert len(keys) == 1 and "form-insights.net" in keys[0].title
    carrying = keys[0].evidence[0]
    assert carrying.url == "https://form-insights.net/k" and "formlog.js" in carrying.detail
    assert all(r.phase == "typing" for r in visit.requests if r.url == "https://form-insights.net/k")


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_fields_left_untyped_by_the_typing_budget_are_said(reports):
    capture, _report = reports["slow_keys"]
    visit = capture.visits[0]
    assert visit.status == 200 and visit.canaries == []
    assert (f"canaries typed into 0 of 2 form fields: the rest did not fit the {TYPING_BUDGET_S:g} s typing budget"
            in visit.cut)
    assert visit.partial and capture.partial
    assert any("typing budget" in cut for cut in capture.cut), capture.cut


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_advanced_matching_pixel_sends_hashed_email(reports):
    _capture, report = reports["advanced_matching"]
    pii = [f for f in report.findings if f.code == "PII_SENT_TO_THIRD_PARTY"]
    assert len(pii) == 1 and "facebook.com" in pii[0].title
    assert "ud[em] = a hash of the email canary" in pii[0].explanation


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", ["clean_chart", "clean_form"])
async def test_clean_counterparts_are_not_flagged(reports, role):
    capture, report = reports[role]
    assert behaviour_findings(report) == []
    visit = capture.visits[0]
    assert visit.api_calls, "the instrumentation saw the page's own calls"
    if role == "clean_form":
        assert {c.kind for c in visit.canaries} == {"email", "password"}  # typed, and nothing left the page


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_tag_manager_injected_requests_name_their_initiator_chain(reports):
    capture, report = reports["trackers"]
    # Two dozen tracker stubs: none fingerprints, none is a recorder "by behaviour".
    assert not [f.title for f in behaviour_findings(report) if f.code == "FINGERPRINTING" or not f.product_id]
    visit = capture.visits[0]
    gtag = next(r for r in visit.requests if "googletagmanager.com/gtag/js" in r.url and "G-CWZOO0001" in r.url)
    assert gtag.initiator_type == "script" and "googletagmanager.com/gtm.js?id=GTM-CWZOO01" in gtag.initiator_script
    hit = next(r for r in visit.requests if "google-analytics.com/g/collect" in r.url and "G-CWZOO0001" in r.url)
    assert hit.initiator_script == gtag.url
    chain = initiator_chain(visit, hit.url)
    assert chain[:3] == [gtag.url, gtag.initiator_script, "https://tracker-zoo.com/"]  # hit ← gtag ← GTM ← page
    # Tracker evidence in every finding says which script caused the request.
    [evidence] = sighting_evidence([Sighting("baseline", request=hit)])
    assert evidence.detail.endswith(f", caused by {gtag.url}")


TAMPER_PAGE = """<!doctype html><html><head><title>pending</title><script>
const out = {};
const proto = CanvasRenderingContext2D.prototype;
out.native = Function.prototype.toString.call(HTMLCanvasElement.prototype.toDataURL);
out.name = HTMLCanvasElement.prototype.toDataURL.name + '/' + proto.measureText.name + '/' + proto.measureText.length;
out.toStringOfToString = Function.prototype.toString.toString();
out.getter = Object.getOwnPropertyDescriptor(Navigator.prototype, 'hardwareConcurrency').get.toString();
out.ctor = String(window.OfflineAudioContext) + ' ' + (OfflineAudioContext.prototype.constructor === OfflineAudioContext);
const f = document.createElement('iframe'); document.documentElement.appendChild(f);
const clean = new Set(Object.getOwnPropertyNames(f.contentWindow));
out.globals = Object.getOwnPropertyNames(window).filter(k => !clean.has(k) && !/^\\d+$/.test(k)
  && !k.startsWith('__playwright') && !k.startsWith('__consentwatch')
  && k !== 'out' && k !== 'proto' && k !== 'clean' && k !== 'f');
const ctx = document.createElement('canvas').getContext('2d');
const t0 = performance.now();
for (let i = 0; i < 1000000; i++) { if (i % 500 === 0) ctx.font = (8 + i / 500) + 'px serif'; ctx.measureText('x'); }
out.loopMs = Math.round(performance.now() - t0);
document.title = JSON.stringify(out);
</script></head><body>tamper</body></html>"""


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_wrappers_look_native_leave_no_globals_and_stay_bounded(fake_web, options_for):
    fake_web.add_page("tamper-check.com", "/", TAMPER_PAGE)
    async with Crawler(options_for(fake_web, visits=("baseline",), settle_s=0.5, find_policies=False)) as crawler:
        capture = await crawler.crawl("tamper-check.com")
    visit = capture.visits[0]
    seen = json.loads(visit.title)
    assert seen["native"] == "function toDataURL() { [native code] }"
    assert seen["name"] == "toDataURL/measureText/1"
    assert seen["toStringOfToString"] == "function toString() { [native code] }"
    assert seen["getter"] == "function get hardwareConcurrency() { [native code] }"
    assert seen["ctor"] == "function OfflineAudioContext() { [native code] } true"
    assert seen["globals"] == []
    measured = [c for c in visit.api_calls if c.api == "canvas.measureText"]
    assert sum(c.count for c in measured) == 1_000_000
    assert all(len(c.args) <= 20 and c.distinct_args <= 1000 for c in measured)
    assert len(visit.api_calls) < 50


# ---------------------------------------------------------------------------- without a browser


def calls(*rows: tuple) -> ScriptCalls:
    sc = ScriptCalls("baseline", "https://x.net/s.js")
    for api, count, args, distinct in rows:
        sc.calls[api] = ApiCall(api=api, script_url=sc.script_url, count=count, args=list(args), distinct_args=distinct)
    return sc


def kinds(sc: ScriptCalls) -> list[str]:
    return [f.kind for f in fingerprints_of(sc, behaviour_rules()["fingerprinting"])]


TEXT = ("canvas.fillText", 1, ["Cwm fjordbank glyphs"], 1)


def test_canvas_criteria_boundaries():
    assert kinds(calls(TEXT, ("canvas.toDataURL", 1, ["16x16 image/png"], 1))) == ["canvas"]
    assert kinds(calls(TEXT, ("canvas.toDataURL", 1, ["15x60 image/png"], 1))) == []  # too small
    assert kinds(calls(TEXT, ("canvas.toDataURL", 1, ["240x60 image/png"], 1), ("canvas.save", 1, [], 0))) == []
    assert kinds(calls(("canvas.fillText", 1, ["abcdefghi"], 1), ("canvas.fillStyle", 1, ["#000"], 1),
                       ("canvas.getImageData", 1, ["20x20 of 240x60"], 1))) == []  # 9 chars, one colour
    assert kinds(calls(("canvas.fillText", 1, ["abc"], 1), ("canvas.fillStyle", 2, ["#000", "#f00"], 2),
                       ("canvas.getImageData", 1, ["20x20 of 240x60"], 1))) == ["canvas"]
    assert kinds(calls(("canvas.toDataURL", 1, ["240x60 image/png"], 1))) == []  # no text written


def test_font_and_webrtc_thresholds():
    assert kinds(calls(("canvas.measureText", 49, [], 49))) == []
    assert kinds(calls(("canvas.measureText", 50, [], 50))) == ["font"]
    rtc = [("webrtc.RTCPeerConnection", 1, [], 0), ("webrtc.createDataChannel", 1, [], 0),
           ("webrtc.createOffer", 1, [], 0), ("webrtc.onicecandidate", 1, [], 0)]
    assert kinds(calls(*rtc)) == ["webrtc"]
    assert kinds(calls(*rtc, ("webrtc.setRemoteDescription", 1, [], 0))) == []  # a real call connects


def test_canary_encodings_are_found_and_absent_values_are_not():
    email = CanaryInput(kind="email", value="Cw.Canary@Mailbox-Canary.com ", field="input#e")
    phone = CanaryInput(kind="phone", value="+1 202 555 0147", field="input#p")
    forms = encodings(email)
    assert forms["sha256"] == hashlib.sha256(b"cw.canary@mailbox-canary.com").hexdigest()
    assert forms["md5"] == hashlib.md5(b"cw.canary@mailbox-canary.com", usedforsecurity=False).hexdigest()
    assert encodings(phone)["sha256 (E.164)"] == hashlib.sha256(b"+12025550147").hexdigest()
    requests = [
        RequestRecord(id="1", url="https://t.net/a?x=" + forms["base64"]),
        RequestRecord(id="2", url="https://u.net/b", method="POST", post_data="h=" + encodings(phone)["sha1 (digits)"]),
        RequestRecord(id="3", url="https://v.net/c?q=cw.canary"),  # a prefix is not the value
        RequestRecord(id="4", url="https://site.com/save", method="POST", post_data="e=Cw.Canary%40Mailbox-Canary.com"),
    ]
    visit = Visit(name="baseline", url="https://site.com/", canaries=[email, phone], requests=requests)
    leaks = find_leaks(visit, "site.com", behaviour_rules()["pii"])
    canaries = [(leak.request.id, leak.third_party) for leak in leaks if leak.kind == "canary"]
    assert canaries == [("1", True), ("2", True), ("4", False)]


def test_hashed_email_parameters_without_canaries():
    digest = hashlib.sha256(b"someone@example.org").hexdigest()
    requests = [RequestRecord(id="1", url=f"https://www.google.com/pagead/1p-conversion/1/?em=tv.1~em.{digest}"),
                RequestRecord(id="2", url="https://t.net/p?em=notahash"),
                RequestRecord(id="3", url="https://www.facebook.com/tr/", method="POST", post_data=f"ud[ph]={digest}")]
    visit = Visit(name="baseline", url="https://site.com/", requests=requests)
    leaks = find_leaks(visit, "site.com", behaviour_rules()["pii"])
    assert sorted((leak.request.id, leak.what) for leak in leaks) == [("1", "em = a hash"), ("3", "ud[ph] = a hash")]


def fingerprinting_capture(policy_text: str) -> Capture:
    rows = [ApiCall(api="canvas.fillText", script_url="https://fp.net/f.js", count=1, args=["Cwm fjordbank glyphs"],
                    distinct_args=1),
            ApiCall(api="canvas.toDataURL", script_url="https://fp.net/f.js", count=1, args=["240x60 image/png"],
                    distinct_args=1)]
    visit = Visit(name="baseline", url="https://site.com/", ok=True, status=200, api_calls=rows,
                  requests=[RequestRecord(id="1", url="https://site.com/", resource_type="document")])
    policy = PolicyDocument(kind="privacy", url="https://site.com/privacy", found_via="link", text=policy_text)
    return Capture(domain="site.com", start_url="https://site.com/", visits=[visit], policies=[policy])


@pytest.mark.parametrize("text,declared", [
    ("We and our partners use device fingerprinting to prevent fraud.", True),
    ("Some pages use session replay tools that record mouse movements.", False),
    ("We do not use browser fingerprinting.", False),
    ("We never rely on device fingerprinting techniques.", False),
])
def test_declared_fingerprinting_is_not_a_finding(text, declared):
    capture = fingerprinting_capture(text)
    assert ("fingerprinting" in declared_practices(capture)) is declared
    codes = [f.code for f in analyze_capture(capture).findings]
    assert ("FINGERPRINTING" in codes) is (not declared)
    assert [fp.kind for fp in detect_behaviour(capture).fingerprints] == ["canvas"]


def test_practice_vocabulary_covers_recording_and_hashed_email():
    capture = fingerprinting_capture("We use session recording. We share hashed email addresses with Meta (advanced matching).")
    assert set(declared_practices(capture)) == {"session-recording", "hashed-email"}
