"""The IAB US Privacy string (CCPA): ``1YNN`` = version, notice given, opted out of sale, LSPA covered."""

from __future__ import annotations

from model.consent import USPrivacy

from .bits import DecodeError

_FLAG = {"Y": True, "N": False, "-": None}


def decode_usp(text: str) -> USPrivacy:
    s = text.strip().upper()
    if len(s) != 4 or s[0] != "1" or any(c not in _FLAG for c in s[1:]):
        raise DecodeError(f"not a US Privacy v1 string: {text!r}")
    return USPrivacy(string=s, version=1, notice=_FLAG[s[1]], opted_out_of_sale=_FLAG[s[2]], lspa_covered=_FLAG[s[3]])
