"""GPP US state sections decoded from strings the IAB's reference implementation (@iabgpp/cmpapi 3.2.0)
wrote, next to usnat; and their opt-outs used by the findings."""

from __future__ import annotations

import pytest

from analyzer.consent.bits import DecodeError
from analyzer.consent.findings import us_string_failures
from analyzer.consent.gpp import SECTION_NAMES, decode_gpp, decode_us_state, us_state_layouts
from model.consent import VisitConsent

# new CmpApi(1, 1) with: usca SaleOptOut 1, SharingOptOut 2, Gpc true; usva SaleOptOut 2, TargetedAdvertisingOptOut 1;
# usco SaleOptOut 1, TargetedAdvertisingOptOut 1, Gpc false; ustx both 2; usmd SaleOptOut 1, TargetedAdvertising 2;
# usnat SaleOptOut 2, SharingOptOut 1.
FIVE_STATES = "DBADrNMG~CAAkAAAAAACA.QA~BUYAAACA.YA~BEkAACA~BAUAAIA.QA~BAoAAAgA.QA~BgBg.QA"


def test_state_sections_decode_as_written():
    gpp = decode_gpp(FIVE_STATES)
    assert gpp.sections == ["usnat", "usca", "usva", "usco", "ustx", "usmd"] and gpp.errors == []
    assert (gpp.usnat.sale_opt_out, gpp.usnat.sharing_opt_out) == (2, 1)
    states = {s.name: s for s in gpp.us_states}
    assert (states["usca"].sale_opt_out, states["usca"].sharing_opt_out, states["usca"].gpc) == (1, 2, True)
    assert states["usca"].targeted_advertising_opt_out is None  # California's section has no such field
    assert (states["usva"].sale_opt_out, states["usva"].targeted_advertising_opt_out, states["usva"].gpc) == (2, 1, None)
    assert (states["usco"].sale_opt_out, states["usco"].targeted_advertising_opt_out, states["usco"].gpc) == (1, 1, False)
    assert (states["ustx"].sale_opt_out, states["ustx"].targeted_advertising_opt_out) == (2, 2)
    assert (states["usmd"].sale_opt_out, states["usmd"].targeted_advertising_opt_out) == (1, 2)
    assert states["usco"].not_opted_out() is False and states["usca"].not_opted_out() is True
    assert states["usca"].summary() == "GPP usca: sale opted out, sharing did not opt out, GPC flag set"


def test_every_state_section_has_a_layout_and_a_name():
    layouts = us_state_layouts()
    assert set(layouts) == set(range(8, 28))
    for section_id, layout in layouts.items():
        assert SECTION_NAMES[section_id] == layout["name"]
        assert any(f["name"] == "sale_opt_out" for f in layout["core"])


def test_a_truncated_state_section_is_an_error_not_a_crash():
    gpp = decode_gpp("DBABBgA~xlA")  # header says usca; the body is cut short
    assert gpp.us_states == [] or gpp.errors
    with pytest.raises(DecodeError):
        decode_us_state(99, "BAAA")


def test_state_sections_count_as_not_opted_out_strings():
    consent = VisitConsent(visit="gpc", gpp=decode_gpp(FIVE_STATES))
    named = [which for _, which in us_string_failures(consent)]
    assert named == ["GPP usnat section", "GPP usca section", "GPP usva section", "GPP ustx section", "GPP usmd section"]
