"""Consent findings: what loads before any answer, what goes on after "reject", Google Consent Mode
claims, consent strings that ignore GPC, and banners without a way to say no.

Windows: "before any answer" is the baseline visit (banner left alone) plus the reject/accept visits
up to their click; "after reject" is the reject visit strictly after its click (``click_ms``).
Google hits that declare denied storage are cookieless pings: reported on their own, at lower
severity than tracking.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.capture import CookieRecord, RequestRecord, Visit
from model.consent import VisitConsent
from model.report import Evidence, Finding, FindingProduct

from ..findings import AuditContext, build_finding, finding_product, gpc_claim, product_names
from ..observed import Sighting, TrackerObservation
from .consent_mode import google_hit
from .state import decode_visit_consent

PER_TRACKER_EVIDENCE = 2
MAX_EVIDENCE = 12
BANNER_OUTCOMES = ("done", "failed", "no_reject_option")
IDENTIFIER_MIN_LEN = 16  # shorter values are flags ("1", "true"), not identifiers
IDENTIFIER_MIN_LIFETIME_S = 30 * 86400


@dataclass
class Window:
    """The sightings of one visit that fall in a time window, with the clock to describe them."""

    visit: Visit
    consent: VisitConsent | None
    after_click: bool  # True: strictly after the click; False: up to the click (or the whole visit)

    @property
    def click_ms(self) -> float | None:
        return self.consent.click_ms if self.consent is not None else None

    @property
    def boundary_ms(self) -> float | None:
        """Where "before any answer" ends: the answer, or the first request of a failed interaction."""
        if self.click_ms is not None:
            return self.click_ms
        interacted = [r.t_ms for r in self.visit.requests if r.phase != "load"]
        return min(interacted) if interacted else None

    def has_request(self, r: RequestRecord) -> bool:
        if self.after_click:
            return self.click_ms is not None and r.t_ms > self.click_ms
        boundary = self.boundary_ms
        return r.phase == "load" and (boundary is None or r.t_ms <= boundary)

    def has_cookie(self, c: CookieRecord) -> bool:
        boundary = self.click_ms if self.after_click else self.boundary_ms
        if boundary is None:
            return not self.after_click
        if c.first_seen_ms is None:
            return False  # no time known: cannot place it on either side of the answer
        return c.first_seen_ms > boundary if self.after_click else c.first_seen_ms <= boundary

    def contains(self, s: Sighting) -> bool:
        if s.visit != self.visit.name:
            return False
        if s.request is not None:
            return self.has_request(s.request)
        return s.cookie is not None and self.has_cookie(s.cookie)

    def clock(self, t_ms: float | None) -> tuple[float | None, str]:
        """(t_ms for the evidence, how to read it)."""
        click = self.click_ms
        if t_ms is None:
            return None, "time unknown"
        if click is None:
            return t_ms, f"{self.visit.name} visit, banner unanswered: {t_ms / 1000:.2f} s after navigation start"
        delta = round(t_ms - click, 1)
        side = "after" if delta > 0 else "before"
        return delta, f"{abs(delta) / 1000:.2f} s {side} the {self.visit.name} click (t_ms relative to the click)"


# Observations by tracker key, each with its sightings and the window each fell in.
Groups = dict[str, tuple[TrackerObservation, list[tuple[Window, Sighting]]]]


# ---------------------------------------------------------------------------- context


def visit_consents(ctx: AuditContext) -> dict[str, VisitConsent]:
    """Each visit's decoded consent state, by visit name (decoded once per audit)."""
    if ctx.consents is None:
        ctx.consents = {v.name: c for v in ctx.capture.visits if (c := decode_visit_consent(v)) is not None}
    return ctx.consents


def banner_visits(ctx: AuditContext) -> list[VisitConsent]:
    """The reject/accept visits in which a banner was shown."""
    return [c for name, c in visit_consents(ctx).items()
            if name in ("reject", "accept") and c.outcome in BANNER_OUTCOMES and c.banner_shown_ms is not None]


def _is_google(ctx: AuditContext, obs: TrackerObservation) -> bool:
    company = obs.tracker.company_id
    if not company:
        return False
    chain = ctx.knowledge.company_chain(company) if company in ctx.knowledge.companies else [company]
    return "google" in chain


def _pre_answer_windows(ctx: AuditContext) -> list[Window]:
    consent = visit_consents(ctx)
    out = []
    for name in ("reject", "accept", "baseline"):  # evidence with a click to measure from first
        visit = ctx.capture.visit(name)
        if visit is not None:
            out.append(Window(visit, consent.get(name), after_click=False))
    return out


def _after_reject_window(ctx: AuditContext) -> Window | None:
    visit = ctx.capture.visit("reject")
    consent = visit_consents(ctx).get("reject")
    if visit is None or consent is None or not consent.answered:
        return None
    return Window(visit, consent, after_click=True)


# ---------------------------------------------------------------------------- classification


def _sighting_kind(ctx: AuditContext, obs: TrackerObservation, s: Sighting) -> str:
    """tracking | denied (a cookieless Consent Mode ping, or a Google tag load) for one sighting."""
    if s.request is None:
        return "tracking"  # a tracker's cookie is stored: that is never a cookieless ping
    hit = google_hit(s.request.url)
    if hit is not None:
        return "denied" if hit.uses_consent_mode and not hit.granted else "tracking"
    return "denied" if _is_google(ctx, obs) else "tracking"


def _split(ctx: AuditContext, windows: list[Window]) -> tuple[Groups, Groups]:
    """Tracking-category observations seen in the windows: (tracking, denied-only), each key → (obs, sightings)."""
    tracking: Groups = {}
    denied: Groups = {}
    for obs in ctx.known():
        if obs.tracker.category not in ctx.rules.tracking_categories:
            continue
        seen = [(w, s) for w in windows for s in obs.sightings if w.contains(s)]  # windows in order of preference
        if not seen:
            continue
        kinds = {_sighting_kind(ctx, obs, s) for _, s in seen}
        (tracking if "tracking" in kinds else denied)[obs.tracker.key] = (obs, seen)
    return tracking, denied


def _unattributed_identifier_cookies(ctx: AuditContext, window: Window) -> list[CookieRecord]:
    """Third-party cookies nobody attributes that look like identifiers, set inside the window."""
    known = {(s.cookie.name, s.cookie.domain) for o in ctx.known() for s in o.sightings if s.cookie is not None}
    horizon = ctx.capture.started_at + IDENTIFIER_MIN_LIFETIME_S
    return [c for c in window.visit.cookies
            if c.first_party is False and (c.name, c.domain) not in known and window.has_cookie(c)
            and c.value_len >= IDENTIFIER_MIN_LEN and c.expires is not None and c.expires > horizon]


# ---------------------------------------------------------------------------- evidence


def _evidence(window: Window, s: Sighting, note: str = "") -> Evidence:
    if s.request is not None:
        t, clock = window.clock(s.request.t_ms)
        hit = google_hit(s.request.url)
        detail = clock + (f"; Consent Mode: {hit.describe()}" if hit else "") + (f"; {note}" if note else "")
        return Evidence(kind="request", visit=s.visit, url=s.request.url, t_ms=t, detail=detail)
    assert s.cookie is not None, "a sighting is a request or a cookie"
    return _cookie_evidence(window, s.cookie, note)


def _cookie_evidence(window: Window, c: CookieRecord, note: str = "") -> Evidence:
    t, clock = window.clock(c.first_seen_ms)
    party = "third-party" if c.first_party is False else "first-party"
    return Evidence(kind="cookie", visit=window.visit.name, cookie=f"{c.name} @ {c.domain}", t_ms=t,
                    detail=f"{party} cookie first set {clock}" + (f"; {note}" if note else ""))


def _tracker_evidence(groups: Groups) -> list[Evidence]:
    out: list[Evidence] = []
    for _obs, seen in groups.values():
        out.extend(_evidence(w, s) for w, s in seen[:PER_TRACKER_EVIDENCE])
    return out[:MAX_EVIDENCE]


def state_evidence(consent: VisitConsent, what: str) -> Evidence:
    lines = consent.lines()
    banner = f"banner: {consent.cmp or 'unknown CMP'} via {consent.method or '?'}, outcome {consent.outcome}"
    if consent.click_ms is not None:
        banner += f", answered at {consent.click_ms / 1000:.2f} s"
    return Evidence(kind="consent_state", visit=consent.visit, t_ms=consent.click_ms,
                    text="; ".join([banner, *lines]), detail=what)


def _products(groups: Groups) -> list[FindingProduct]:
    return [finding_product(obs.tracker, [_evidence(w, s) for w, s in seen[:PER_TRACKER_EVIDENCE]])
            for obs, seen in groups.values()]


def _group_names(groups: Groups) -> str:
    return product_names([obs for obs, _ in groups.values()])


def _first_banner(ctx: AuditContext) -> VisitConsent | None:
    shown = banner_visits(ctx)
    return next((c for c in shown if c.visit == "reject"), shown[0] if shown else None)


# ---------------------------------------------------------------------------- rules


def _us_opt_out_notice(ctx: AuditContext) -> bool:
    """The banner's only refusal is a US opt-out of sale/sharing: an opt-out regime, where tracking
    before the choice is the lawful default and the opt-out itself is what must take effect."""
    reject = visit_consents(ctx).get("reject")
    return reject is not None and reject.refusal == "opt_out"


def pre_consent_tracking(ctx: AuditContext) -> list[Finding]:
    banner = _first_banner(ctx)
    if banner is None or _us_opt_out_notice(ctx):
        return []
    tracking, _ = _split(ctx, _pre_answer_windows(ctx))
    if not tracking:
        return []
    evidence = [state_evidence(banner, "the banner asking for consent")] + _tracker_evidence(tracking)
    return [build_finding(ctx, "PRE_CONSENT_TRACKING", visit="baseline", count=len(tracking),
                          products=_group_names(tracking), cmp=banner.cmp or "a cookie banner", evidence=evidence,
                          product_list=_products(tracking))]


def tracking_after_reject(ctx: AuditContext) -> list[Finding]:
    window = _after_reject_window(ctx)
    if window is None or window.consent is None:
        return []
    tracking, _ = _split(ctx, [window])
    strangers = _unattributed_identifier_cookies(ctx, window)
    if not tracking and not strangers:
        return []
    evidence = [state_evidence(window.consent, "the reject answer")] + _tracker_evidence(tracking)
    evidence += [_cookie_evidence(window, c, "unattributed identifier cookie") for c in strangers[:PER_TRACKER_EVIDENCE * 2]]
    names = _group_names(tracking) or "no known tracker"
    cookies = ", ".join(f"{c.name} @ {c.domain}" for c in strangers) or "none"
    return [build_finding(ctx, "TRACKING_AFTER_REJECT", visit="reject", count=len(tracking), products=names,
                          cookies=cookies, evidence=evidence, product_list=_products(tracking))]


def consent_mode_granted_after_reject(ctx: AuditContext) -> list[Finding]:
    window = _after_reject_window(ctx)
    if window is None or window.consent is None:
        return []
    granted = [r for r in window.visit.requests if window.has_request(r)
               and (h := google_hit(r.url)) is not None and h.uses_consent_mode and h.granted]
    if not granted:
        return []
    evidence = [state_evidence(window.consent, "the reject answer the hits contradict")]
    evidence += [_evidence(window, Sighting("reject", request=r)) for r in granted[:MAX_EVIDENCE]]
    return [build_finding(ctx, "CONSENT_MODE_GRANTED_AFTER_REJECT", visit="reject", count=len(granted),
                          evidence=evidence, product_list=_granted_products(ctx, window, granted))]


def _granted_products(ctx: AuditContext, window: Window, granted: list[RequestRecord]) -> list[FindingProduct]:
    """The Google products whose hits declared granted storage, each with its own hits."""
    urls = {r.url for r in granted}
    out = []
    for obs in ctx.known():
        hits = [s for s in obs.sightings if s.request is not None and s.request.url in urls and window.contains(s)]
        if hits:
            out.append(finding_product(obs.tracker, [_evidence(window, s) for s in hits[:PER_TRACKER_EVIDENCE]]))
    return out


def consent_mode_denied_pings(ctx: AuditContext) -> list[Finding]:
    banner = _first_banner(ctx)
    if banner is None:
        return []
    windows = _pre_answer_windows(ctx)
    after = _after_reject_window(ctx)
    if after is not None:
        windows.append(after)
    pings: list[tuple[Window, Sighting]] = []
    products: Groups = {}
    for obs in ctx.known():
        for s in obs.sightings:
            hit = google_hit(s.request.url) if s.request is not None else None
            if hit is None or not hit.uses_consent_mode or hit.granted:
                continue
            window = next((w for w in windows if w.contains(s)), None)
            if window is not None:
                pings.append((window, s))
                products[obs.tracker.key] = (obs, [])
    if not pings:
        return []
    evidence = [state_evidence(banner, "the banner whose answer the pings precede or follow")]
    evidence += [_evidence(w, s) for w, s in pings[:MAX_EVIDENCE]]
    return [build_finding(ctx, "CONSENT_MODE_DENIED_PINGS", visit=banner.visit, count=len(pings),
                          products=_group_names(products), evidence=evidence)]


def gpc_consent_strings(ctx: AuditContext) -> list[Finding]:
    consent = visit_consents(ctx).get("gpc")
    claim = gpc_claim(ctx)
    if consent is None or claim is None:
        return []
    failures = us_string_failures(consent)
    if not failures:
        return []
    source, claim_evidence = claim
    evidence = claim_evidence + [Evidence(kind="consent_state", visit="gpc", text=text, detail=detail)
                                 for text, detail in failures]
    return [build_finding(ctx, "GPC_CONSENT_STRING_NOT_OPTED_OUT", visit="gpc", claim_source=source,
                          strings=", ".join(d for _, d in failures), evidence=evidence)]


def us_string_failures(consent: VisitConsent) -> list[tuple[str, str]]:
    """(decoded state, which string) for every US consent string that says "not opted out"."""
    out: list[tuple[str, str]] = []
    if consent.usp is not None and consent.usp.opted_out_of_sale is False:
        out.append((consent.usp.summary(), "US Privacy string"))
    usnat = consent.gpp.usnat if consent.gpp is not None else None
    if usnat is not None and 2 in (usnat.sale_opt_out, usnat.sharing_opt_out, usnat.targeted_advertising_opt_out):
        out.append((usnat.summary(), "GPP usnat section"))
    for state in consent.gpp.us_states if consent.gpp is not None else []:
        if state.not_opted_out():
            out.append((state.summary(), f"GPP {state.name} section"))
    return out


def gpc_not_in_consent_strings(ctx: AuditContext) -> list[Finding]:
    """GPC on, and the site's own US consent strings (it runs a US privacy CMP) say "not opted out".
    Without a GPC claim: GPC is a legal opt-out of sale/sharing in California, Colorado and other
    states, and a CMP that writes US strings is the site saying those laws apply."""
    consent = visit_consents(ctx).get("gpc")
    if consent is None or gpc_claim(ctx) is not None:
        return []  # with a claim, GPC_CONSENT_STRING_NOT_OPTED_OUT says it, with the claim
    failures = us_string_failures(consent)
    if not failures:
        return []
    evidence = [Evidence(kind="consent_state", visit="gpc", text=text, detail=detail) for text, detail in failures]
    return [build_finding(ctx, "GPC_NOT_IN_CONSENT_STRING", visit="gpc", strings=", ".join(d for _, d in failures),
                          evidence=evidence)]


def opt_out_not_recorded(ctx: AuditContext) -> list[Finding]:
    """A "Do Not Sell or Share" control was used, but the US consent strings still say "not opted out"."""
    consent = visit_consents(ctx).get("reject")
    if consent is None or consent.refusal != "opt_out" or not consent.answered:
        return []
    failures = us_string_failures(consent)
    if not failures:
        return []
    evidence = [state_evidence(consent, "the opt-out answer")]
    evidence += [Evidence(kind="consent_state", visit="reject", text=text, detail=detail) for text, detail in failures]
    return [build_finding(ctx, "OPT_OUT_NOT_RECORDED", visit="reject", strings=", ".join(d for _, d in failures),
                          evidence=evidence)]


def banner_without_reject(ctx: AuditContext) -> list[Finding]:
    consent = visit_consents(ctx).get("reject")
    if consent is None or consent.outcome != "no_reject_option":
        return []
    evidence = Evidence(kind="consent_state", visit="reject", t_ms=consent.banner_shown_ms,
                        text=consent.reason or "no reject option", detail="the banner as the reject visit found it")
    return [build_finding(ctx, "BANNER_WITHOUT_REJECT", visit="reject", evidence=[evidence])]
