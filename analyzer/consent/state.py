"""A visit's consent state, decoded: the banner outcome plus every consent signal the page carried.

Sources, in order of trust: what the CMP's own API answered in the page (``__tcfapi``, ``__uspapi``,
``__gpp``), then the consent cookies (``euconsent-v2``, ``usprivacy``, ``__gpp``, ``OptanonConsent``),
and Google Consent Mode as Google's own hits declared it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict, TypeVar

import msgspec

from model.capture import RequestRecord, Visit
from model.consent import (
    ANSWERED,
    AnswerSplit,
    ConsentModeState,
    ConsentModeSummary,
    OneTrustConsent,
    TcfSource,
    VisitConsent,
)

from .bits import DecodeError
from .consent_mode import ConsentModeHit, google_hit
from .gpp import decode_gpp
from .onetrust import decode_optanon, groups_from_active
from .tcf import decode_tc_string
from .usp import decode_usp


# What crawler/consent/readers.js and the consent-cookie reader put in ConsentRecord.state (the parts
# read here; a CMP API that did not answer leaves only an ``error`` key, which is not read).
class _TcfApi(TypedDict, total=False):
    tcString: str | None


class _UspApi(TypedDict, total=False):
    uspString: str | None


class _GppApi(TypedDict, total=False):
    gppString: str | None


class _OneTrustApi(TypedDict, total=False):
    activeGroups: str


class CookiebotState(TypedDict, total=False):
    hasResponse: bool
    declined: bool
    necessary: bool
    preferences: bool
    statistics: bool
    marketing: bool


class PageConsentState(TypedDict, total=False):
    tcf: _TcfApi
    usp: _UspApi
    gpp: _GppApi
    onetrust: _OneTrustApi
    cookiebot: CookiebotState
    cookies: dict[str, str]  # consent cookies by name, values kept
    gpc: bool
    read_ms: float | None


class TimedHit(msgspec.Struct, kw_only=True):
    t_ms: float
    after_answer: bool
    hit: ConsentModeHit


MAX_SPLIT_COOKIES = 50


def answer_split(visit: Visit, click_ms: float) -> AnswerSplit:
    out = AnswerSplit(requests_before=sum(1 for r in visit.requests if r.t_ms <= click_ms),
                      requests_after=sum(1 for r in visit.requests if r.t_ms > click_ms))
    for c in visit.cookies:
        if c.first_seen_ms is None:
            out.cookies_untimed += 1
            continue
        side = out.cookies_after if c.first_seen_ms > click_ms else out.cookies_before
        if len(side) < MAX_SPLIT_COOKIES:
            side.append(f"{c.name} @ {c.domain}")
    return out


def _category(hit: ConsentModeHit) -> ConsentModeState:
    if not hit.uses_consent_mode:
        return "no_consent_mode"
    return "granted" if hit.granted else "denied"


def google_hits(visit: Visit, click_ms: float | None) -> list[TimedHit]:
    out = []
    for r in visit.requests:
        hit = google_hit(r.url)
        if hit is not None:
            out.append(TimedHit(t_ms=r.t_ms, after_answer=is_after(r, click_ms), hit=hit))
    return out


def is_after(request: RequestRecord, click_ms: float | None) -> bool:
    return click_ms is not None and request.t_ms > click_ms


def _consent_mode(hits: list[TimedHit]) -> ConsentModeSummary | None:
    if not hits:
        return None
    summary = ConsentModeSummary()
    for h in hits:
        bucket = summary.after_answer if h.after_answer else summary.before_answer
        key = _category(h.hit)
        bucket[key] = bucket.get(key, 0) + 1
    return summary


def decode_visit_consent(visit: Visit) -> VisitConsent | None:
    """None when the visit saw neither a banner attempt, a consent signal nor a Google hit."""
    record = visit.consent
    click = record.click_ms if record is not None and record.outcome == ANSWERED else None
    hits = google_hits(visit, click)
    if record is None and not hits:
        return None
    out = VisitConsent(visit=visit.name, consent_mode=_consent_mode(hits))
    if record is not None:
        if record.outcome != "not_attempted":
            out.outcome, out.cmp, out.method, out.reason = record.outcome, record.cmp, record.method, record.reason
            out.banner_shown_ms, out.click_ms, out.self_test = record.banner_shown_ms, record.click_ms, record.self_test
            out.refusal = record.refusal
            if record.click_ms is not None:
                out.split = answer_split(visit, record.click_ms)
        _decode_signals(_page_state(record.state or {}, out), out)
    return out


def _page_state(raw: object, out: VisitConsent) -> PageConsentState:
    """The crawler's raw state in its known shape; a shape it does not have is an error of the visit, not a crash."""
    try:
        return msgspec.convert(raw, PageConsentState)
    except msgspec.ValidationError as exc:
        out.errors.append(f"consent state read from the page: {exc}")
        return {}


def _decode_signals(state: PageConsentState, out: VisitConsent) -> None:
    cookies = state.get("cookies") or {}
    tcf_api = state.get("tcf") or {}
    source: TcfSource
    tc, source = (tcf_api.get("tcString"), "api") if tcf_api.get("tcString") else (cookies.get("euconsent-v2"), "cookie")
    out.tcf = _try(out, "TC string", decode_tc_string, tc)
    out.tcf_source = source if out.tcf else None
    usp = (state.get("usp") or {}).get("uspString") or cookies.get("usprivacy")
    out.usp = _try(out, "US Privacy string", decode_usp, usp)
    gpp = (state.get("gpp") or {}).get("gppString") or cookies.get("__gpp")
    out.gpp = _try(out, "GPP string", decode_gpp, gpp)
    if cookies.get("OptanonConsent"):
        out.onetrust = _try(out, "OptanonConsent", decode_optanon, cookies["OptanonConsent"])
    elif (state.get("onetrust") or {}).get("activeGroups"):
        active = groups_from_active(state["onetrust"]["activeGroups"])
        out.onetrust = OneTrustConsent(groups={g: True for g in active})
    cookiebot = state.get("cookiebot")
    out.cookiebot = {k: bool(v) for k, v in cookiebot.items()} if cookiebot else None


_Decoded = TypeVar("_Decoded")


def _try(out: VisitConsent, what: str, decode: Callable[[str], _Decoded], value: str | None) -> _Decoded | None:
    if not value:
        return None
    try:
        return decode(value)
    except (DecodeError, ValueError) as exc:
        out.errors.append(f"{what} {value[:60]!r}: {exc}")
        return None


def consent_summary(visit: Visit) -> VisitConsent | None:
    """The decoded state for the report's visit summary."""
    return decode_visit_consent(visit)
