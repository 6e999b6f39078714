"""Request bodies past analysis: only a finding's evidence keeps its body, unless values are kept."""

from __future__ import annotations

import msgspec

from api.service.samples import make_capture, make_report
from api.store.records import decompress, prepare_audit
from model.capture import Capture, RequestRecord, decode_capture
from model.report import Evidence, Finding, FindingProduct

T0 = 1_700_000_000.0


def audited(values_kept: bool = False) -> tuple[Capture, object]:
    report = make_report("shop.com", T0, [0], [0], policy_text="We use Google Analytics.")
    capture = make_capture(report, "We use Google Analytics.")
    capture.values_kept = values_kept
    first, second = capture.visits[0], capture.visits[1]
    first.requests = [
        RequestRecord(id="1", url="https://rec.example/keys", method="POST", post_data="k=alice%40mail.test",
                      post_data_size=19),
        RequestRecord(id="2", url="https://cdn.example/beacon", method="POST", post_data="session=9f2c",
                      post_data_size=12),
    ]
    second.requests = [RequestRecord(id="3", url="https://rec.example/keys", method="POST", post_data="k=bob",
                                     post_data_size=5),
                       RequestRecord(id="4", url="https://px.example/tr", method="POST", post_data="ud[em]=ab12",
                                     post_data_size=11)]
    report.findings += [
        Finding(code="KEYSTROKES_SENT_BEFORE_SUBMIT", severity="high", title="t", explanation="e",
                evidence=[Evidence(kind="request", visit=first.name, url="https://rec.example/keys")]),
        Finding(code="PII_SENT_TO_THIRD_PARTY", severity="high", title="t", explanation="e", products=[
            FindingProduct(id="p", name="P", evidence=[Evidence(kind="request", url="https://px.example/tr")])]),
    ]
    return capture, report


def stored(capture: Capture, report) -> Capture:
    return decode_capture(decompress(prepare_audit(capture, report).capture_blob))


def bodies(capture: Capture) -> dict[str, str | None]:
    return {r.id: r.post_data for v in capture.visits for r in v.requests}


def test_only_cited_requests_keep_their_bodies_and_sizes_stay():
    capture, report = audited()
    kept = stored(capture, report)
    # cited in its own visit (id 1) and, through a product's visit-less evidence, anywhere (id 4);
    # the same URL in another visit (id 3) and an uncited beacon (id 2) lose their bodies
    assert bodies(kept) == {"1": "k=alice%40mail.test", "2": None, "3": None, "4": "ud[em]=ab12"}
    assert [r.post_data_size for v in kept.visits for r in v.requests] == [19, 12, 5, 11]
    assert bodies(capture)["2"] == "session=9f2c"  # the analyzer's copy is untouched


def test_keep_values_stores_every_body():
    capture, report = audited(values_kept=True)
    assert bodies(stored(capture, report)) == bodies(capture)


def test_old_captures_without_the_flag_decode_as_values_not_kept():
    capture, _ = audited(values_kept=True)
    raw = msgspec.json.decode(msgspec.json.encode(capture))
    del raw["values_kept"]
    assert decode_capture(msgspec.json.encode(raw)).values_kept is False
