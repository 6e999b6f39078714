"""IAB TCF v2 (v2.2 and v2.3 share the format) TC strings, decoded by the spec's field table.

Core segment, then optional segments after ``.`` (disclosed vendors, allowed vendors, publisher TC).
Purposes: 1 store/access information, 2 basic ads, 3 ads profile, 4 personalised ads, 5 content
profile, 6 personalised content, 7 ad measurement, 8 content measurement, 9 market research,
10 product development, 11 limited data for content selection (v2.2).
"""

from __future__ import annotations

import datetime as dt

from model.consent import PublisherRestriction, TCString

from .bits import BitReader, DecodeError

SEGMENT_DISCLOSED, SEGMENT_ALLOWED, SEGMENT_PUBLISHER = 1, 2, 3


def _deciseconds(value: int) -> str:
    return dt.datetime.fromtimestamp(value / 10, dt.UTC).isoformat().replace("+00:00", "Z")


def _vendor_section(r: BitReader) -> list[int]:
    max_id = r.int(16)
    if not r.bool():
        return r.field(max_id)
    return _ranges(r)


def _ranges(r: BitReader) -> list[int]:
    ids: list[int] = []
    for _ in range(r.int(12)):
        is_range = r.bool()
        start = r.int(16)
        end = r.int(16) if is_range else start
        if end < start or end - start > 100_000:
            raise DecodeError(f"bad vendor range {start}-{end}")
        ids.extend(range(start, end + 1))
    return sorted(set(ids))


def _restrictions(r: BitReader) -> list[PublisherRestriction]:
    return [PublisherRestriction(purpose=r.int(6), restriction=r.int(2), vendors=_ranges(r)) for _ in range(r.int(12))]


def decode_tc_string(text: str) -> TCString:
    """Decode a TC string; raises DecodeError for anything that is not a TCF v2 string."""
    segments = [s for s in text.strip().split(".") if s]
    if not segments:
        raise DecodeError("empty TC string")
    r = BitReader(segments[0])
    version = r.int(6)
    if version != 2:
        raise DecodeError(f"TC string version {version}, expected 2")
    tc = TCString(
        version=version, created=_deciseconds(r.int(36)), last_updated=_deciseconds(r.int(36)),
        cmp_id=r.int(12), cmp_version=r.int(12), consent_screen=r.int(6), consent_language=r.letters(),
        vendor_list_version=r.int(12), policy_version=r.int(6), is_service_specific=r.bool(),
        use_non_standard_texts=r.bool(), special_feature_optins=r.field(12), purpose_consents=r.field(24),
        purpose_legitimate_interests=r.field(24), purpose_one_treatment=r.bool(), publisher_cc=r.letters(),
        vendor_consents=[], vendor_legitimate_interests=[],
    )
    tc.vendor_consents = _vendor_section(r)
    tc.vendor_legitimate_interests = _vendor_section(r)
    tc.publisher_restrictions = _restrictions(r)
    for segment in segments[1:]:
        _decode_segment(BitReader(segment), tc)
    return tc


def _decode_segment(r: BitReader, tc: TCString) -> None:
    kind = r.int(3)
    if kind == SEGMENT_DISCLOSED:
        tc.disclosed_vendors = _vendor_section(r)
    elif kind == SEGMENT_ALLOWED:
        tc.allowed_vendors = _vendor_section(r)
    elif kind == SEGMENT_PUBLISHER:
        tc.publisher_purpose_consents = r.field(24)
        tc.publisher_purpose_legitimate_interests = r.field(24)
        custom = r.int(6)
        tc.custom_purpose_consents = r.field(custom)
        tc.custom_purpose_legitimate_interests = r.field(custom)
