"""Google Consent Mode as Google's own hits report it: ``gcs`` and ``gcd`` on Analytics and Ads requests.

``gcs=G1<ad_storage><analytics_storage>`` (1 granted, 0 denied). ``gcd`` carries one letter per
signal, in the order ad_storage, analytics_storage, ad_user_data, ad_personalization, telling where
the value came from: l = not set; t/p = default granted/denied; n/m = update granted/denied without a
default; r/q = default denied then update granted/denied; v/u = default granted then update
granted/denied. A hit without either parameter comes from a tag that does not use Consent Mode: it
sends and stores whatever it likes.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import msgspec

SIGNALS = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization")
GRANTED_LETTERS, DENIED_LETTERS = set("tnrv"), set("pmqu")

# (host suffix, path regex): where Google Analytics 4 and Google Ads hits go.
GOOGLE_HITS = (
    ("google-analytics.com", re.compile(r"^/(g/)?collect")),
    ("analytics.google.com", re.compile(r"^/g/collect")),
    ("doubleclick.net", re.compile(r"^/(pagead/|activity|ddm/)")),
    ("googleadservices.com", re.compile(r"^/pagead/")),
    ("google.com", re.compile(r"^/(pagead/|ccm/|rmkt/)")),
    ("googlesyndication.com", re.compile(r"^/pagead/")),
)


class ConsentModeHit(msgspec.Struct, kw_only=True):
    url: str
    product: str  # "analytics" or "ads"
    uses_consent_mode: bool
    gcs: str | None = None
    gcd: str | None = None
    ad_storage: str | None = None  # "granted" | "denied" | None (unknown)
    analytics_storage: str | None = None
    ad_user_data: str | None = None
    ad_personalization: str | None = None

    @property
    def granted(self) -> bool:
        """Storage granted, or no Consent Mode at all (the tag then behaves as fully granted)."""
        return not self.uses_consent_mode or "granted" in (self.ad_storage, self.analytics_storage)

    @property
    def fully_denied(self) -> bool:
        return self.uses_consent_mode and self.ad_storage == "denied" and self.analytics_storage == "denied"

    def describe(self) -> str:
        if not self.uses_consent_mode:
            return "no Consent Mode parameters (the tag runs unrestricted)"
        parts = [f"{k}={getattr(self, k)}" for k in SIGNALS if getattr(self, k)]
        raw = " ".join(f"{k}={v}" for k, v in (("gcs", self.gcs), ("gcd", self.gcd)) if v)
        return f"{', '.join(parts)} ({raw})"


def _letters(gcd: str) -> list[str]:
    return re.findall(r"[a-z]", gcd)


def _from_letter(letter: str | None) -> str | None:
    if letter in GRANTED_LETTERS:
        return "granted"
    if letter in DENIED_LETTERS:
        return "denied"
    return None


def google_hit(url: str) -> ConsentModeHit | None:
    """The Consent Mode state a Google Analytics / Ads hit declares, or None for any other URL."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    kind = None
    for suffix, pattern in GOOGLE_HITS:
        if (host == suffix or host.endswith("." + suffix)) and pattern.search(path):
            kind = "analytics" if "analytics" in suffix else "ads"
            break
    if kind is None:
        return None
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    gcs, gcd = query.get("gcs"), query.get("gcd")
    hit = ConsentModeHit(url=url, product=kind, uses_consent_mode=bool(gcs or gcd), gcs=gcs, gcd=gcd)
    letters = _letters(gcd) if gcd else []
    for i, signal in enumerate(SIGNALS):
        setattr(hit, signal, _from_letter(letters[i] if i < len(letters) else None))
    if gcs and re.fullmatch(r"G1[01-][01-]", gcs):  # gcs is the effective state of the two storage signals
        hit.ad_storage = {"1": "granted", "0": "denied"}.get(gcs[2], hit.ad_storage)
        hit.analytics_storage = {"1": "granted", "0": "denied"}.get(gcs[3], hit.analytics_storage)
    return hit
