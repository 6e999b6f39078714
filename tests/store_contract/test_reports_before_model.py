"""Reports and summaries stored before the contracts moved to model/ (GPC claim spelled into the stance, the
policy analysis and consent state as plain JSON) still decode from every backend, with no migration:
the store keeps the bytes, and ``model.report`` reads the old spelling as today's stance + source."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import msgspec

from api.service.samples import make_capture
from api.store.records import compress, etag_of, prepare_audit
from model.report import SiteSummary, decode_report

DATA = Path(__file__).resolve().parents[1] / "data"


async def test_an_old_report_and_summary_decode_from_the_store(store):
    old_report = (DATA / "report_before_model.json").read_bytes()
    old_summary = (DATA / "summary_before_model.json").read_bytes()
    report = decode_report(old_report)
    audit = dataclasses.replace(prepare_audit(make_capture(report), report), report_blob=compress(old_report),
                                summary_json=old_summary, etag=etag_of(old_summary))
    await store.save_audit(audit)

    stored = await store.report(report.domain)
    assert stored is not None and stored.body == old_report  # kept as written: nothing rewrote it
    again = decode_report(stored.body)
    assert (again.signals["gpc"].policy, again.signals["gpc"].source) == ("honors", "well_known_gpc_json")
    assert again == report and again.policy.analysis is not None and again.visits[2].consent is not None

    blob = await store.summary(report.domain)
    assert blob is not None and blob.body == old_summary
    summary = msgspec.json.decode(blob.body, type=SiteSummary)
    assert (summary.signals["gpc"].policy, summary.signals["gpc"].source) == ("honors", "well_known_gpc_json")
