"""Consent state decoders (TCF v2, GPP, US Privacy, Google Consent Mode, OneTrust) and the consent
findings (``findings``; they run from ``analyzer/producers.py``'s ``PRODUCERS``)."""

from .bits import DecodeError
from .consent_mode import ConsentModeHit, google_hit
from .gpp import decode_gpp, decode_usnat
from .onetrust import decode_optanon
from .signal import banner_signal
from .state import consent_summary, decode_visit_consent
from .tcf import decode_tc_string
from .usp import decode_usp

__all__ = [
    "ConsentModeHit", "DecodeError", "banner_signal", "consent_summary", "decode_gpp", "decode_optanon",
    "decode_tc_string", "decode_usnat", "decode_usp", "decode_visit_consent", "google_hit",
]
