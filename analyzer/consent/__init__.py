"""Consent state decoders (TCF v2, GPP, US Privacy, Google Consent Mode, OneTrust) and the consent
findings. Importing this package registers the findings' producers."""

from . import findings  # noqa: F401  (registers the producers)
from .bits import DecodeError
from .consent_mode import ConsentModeHit, google_hit
from .gpp import decode_gpp, decode_usnat
from .onetrust import decode_optanon
from .signal import banner_signal
from .state import consent_summary, decode_visit_consent
from .tcf import decode_tc_string
from .usp import decode_usp

__all__ = [
    "ConsentModeHit", "DecodeError", "banner_signal", "consent_summary", "decode_gpp", "decode_optanon", "decode_tc_string", "decode_usnat",
    "decode_usp", "decode_visit_consent", "google_hit",
]
