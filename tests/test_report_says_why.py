"""A partial audit says why, and what policy discovery could not use: the crawl's own cut (a discovery budget, a
crawl deadline) and discovery's notes (a policy link that downloaded a file, a page that never finished
parsing) go from the capture into the report, its JSON and its page. Before, the report said only "partial"
and the notes were dropped on the crawler's side. (A real crawl's notes: tests/test_hostile_sites.py.)"""

from __future__ import annotations

import msgspec

from analyzer import analyze_capture
from api.http.html import render_report_page, template_env
from api.http.keys import TEMPLATES
from crawler.testing.record_captures import DEFAULT_DIR, RECORDED_SITES, load_recording, recording_path
from model.capture import decode_capture, encode_capture
from model.report import Report, decode_report, encode_report

CUT = "discovery stopped at its budget (7.5 s)"
NOTE = "privacy policy link https://shop.example/privacy.pdf did not load as a policy"


def _recorded_capture():
    return load_recording(recording_path(DEFAULT_DIR, sorted(RECORDED_SITES)[0]))


def _page(report: Report) -> str:
    return render_report_page({TEMPLATES: template_env()}, report, 1, None, "/r.json")  # type: ignore[arg-type]


def test_the_crawls_cut_and_discovery_notes_reach_the_report_and_its_page():
    capture = msgspec.structs.replace(_recorded_capture(), partial=True, cut=[CUT], discovery_notes=[NOTE])
    report = decode_report(encode_report(analyze_capture(decode_capture(encode_capture(capture)))))
    assert report.partial and report.cut == [CUT] and report.discovery_notes == [NOTE]
    html = _page(report)
    assert f"Partial audit: {CUT}." in html
    assert f"Policy discovery: {NOTE}" in html


def test_a_complete_audit_says_nothing_of_either():
    report = analyze_capture(_recorded_capture())
    assert not report.partial and report.cut == [] and report.discovery_notes == []
    html = _page(report)
    assert "Partial audit" not in html and "Policy discovery:" not in html


def test_captures_and_reports_stored_before_the_fields_still_decode():
    capture = msgspec.json.decode(encode_capture(_recorded_capture()))
    capture.pop("discovery_notes")
    old = decode_capture(msgspec.json.encode(capture))
    assert old.discovery_notes == []
    report = msgspec.json.decode(encode_report(analyze_capture(old)))
    for key in ("cut", "discovery_notes"):
        report.pop(key)
    again = decode_report(msgspec.json.encode(report))
    assert again.cut == [] and again.discovery_notes == []
