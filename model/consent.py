"""A visit's consent state, decoded (analyzer/consent decodes it; the report carries it per visit).

The banner outcome plus every consent signal the page carried: IAB TCF v2 and GPP strings, the US
Privacy string, OneTrust groups, Cookiebot's answer and Google Consent Mode hits around the answer.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .capture import ConsentMethod, ConsentOutcome, Refusal, VisitName

ANSWERED: ConsentOutcome = "done"
ConsentModeState = Literal["granted", "denied", "no_consent_mode"]
TcfSource = Literal["api", "cookie"]  # the CMP's __tcfapi answer, or the euconsent-v2 cookie

# GPP usnat and US-state opt-out fields.
OPT_OUT = {0: "not applicable", 1: "opted out", 2: "did not opt out"}
# OneTrust's standard groups; sites may add their own.
ONETRUST_GROUP_NAMES = {"C0001": "strictly necessary", "C0002": "performance", "C0003": "functional",
                        "C0004": "targeting", "C0005": "social media"}


class PublisherRestriction(msgspec.Struct, kw_only=True):
    purpose: int
    restriction: int  # 0 not allowed, 1 require consent, 2 require legitimate interest
    vendors: list[int] = []


class TCString(msgspec.Struct, kw_only=True):
    """An IAB TCF v2 TC string (v2.2 and v2.3 share the format), decoded by the spec's field table."""

    version: int
    created: str  # ISO 8601 UTC
    last_updated: str
    cmp_id: int
    cmp_version: int
    consent_screen: int
    consent_language: str
    vendor_list_version: int
    policy_version: int  # 2 = TCF v2.0/2.1, 4 = v2.2, 5 = v2.3
    is_service_specific: bool
    use_non_standard_texts: bool
    special_feature_optins: list[int]
    purpose_consents: list[int]
    purpose_legitimate_interests: list[int]
    purpose_one_treatment: bool
    publisher_cc: str
    vendor_consents: list[int]
    vendor_legitimate_interests: list[int]
    publisher_restrictions: list[PublisherRestriction] = []
    disclosed_vendors: list[int] = []
    allowed_vendors: list[int] = []
    publisher_purpose_consents: list[int] = []
    publisher_purpose_legitimate_interests: list[int] = []
    custom_purpose_consents: list[int] = []
    custom_purpose_legitimate_interests: list[int] = []

    @property
    def consents_nothing(self) -> bool:
        return not self.purpose_consents and not self.vendor_consents and not self.special_feature_optins

    def summary(self) -> str:
        purposes = ", ".join(map(str, self.purpose_consents)) or "none"
        return (f"TCF v2 (policy {self.policy_version}, CMP {self.cmp_id}): purposes consented: {purposes}; "
                f"{len(self.vendor_consents)} vendor(s) consented; "
                f"{len(self.vendor_legitimate_interests)} on legitimate interest")


class USPrivacy(msgspec.Struct, kw_only=True):
    """The IAB US Privacy string (CCPA): ``1YNN`` = version, notice given, opted out of sale, LSPA covered."""

    string: str
    version: int
    notice: bool | None
    opted_out_of_sale: bool | None  # None: "-" (does not apply)
    lspa_covered: bool | None

    def summary(self) -> str:
        state = {True: "opted out of sale", False: "NOT opted out of sale", None: "sale opt-out not applicable"}
        return f"US Privacy {self.string}: {state[self.opted_out_of_sale]}"


class UsNat(msgspec.Struct, kw_only=True):
    """GPP section 7 (usnat, v1 and v2); opt-out fields: 0 not applicable, 1 opted out, 2 did not opt out."""

    version: int
    sharing_notice: int
    sale_opt_out_notice: int
    sharing_opt_out_notice: int
    targeted_advertising_opt_out_notice: int
    sensitive_data_processing_opt_out_notice: int
    sensitive_data_limit_use_notice: int
    sale_opt_out: int
    sharing_opt_out: int
    targeted_advertising_opt_out: int
    sensitive_data_processing: list[int]
    known_child_sensitive_data_consents: list[int]
    personal_data_consents: int
    mspa_covered_transaction: int
    mspa_opt_out_option_mode: int
    mspa_service_provider_mode: int
    gpc: bool | None = None  # from the GPC subsection, when present

    def summary(self) -> str:
        return (f"GPP usnat v{self.version}: sale {OPT_OUT.get(self.sale_opt_out, '?')}, "
                f"sharing {OPT_OUT.get(self.sharing_opt_out, '?')}, targeted advertising "
                f"{OPT_OUT.get(self.targeted_advertising_opt_out, '?')}"
                + ("" if self.gpc is None else f", GPC flag {'set' if self.gpc else 'not set'}"))


class UsState(msgspec.Struct, kw_only=True):
    """A US state section: its name and the 2-bit opt-out fields it has (None: the state has no such field)."""

    name: str
    sale_opt_out: int | None = None
    sharing_opt_out: int | None = None
    targeted_advertising_opt_out: int | None = None
    gpc: bool | None = None
    fields: dict[str, int | list[int]] = {}  # every core field, as decoded

    def not_opted_out(self) -> bool:
        return 2 in (self.sale_opt_out, self.sharing_opt_out, self.targeted_advertising_opt_out)

    def summary(self) -> str:
        parts = [f"{what} {OPT_OUT.get(value, '?')}" for what, value in (
            ("sale", self.sale_opt_out), ("sharing", self.sharing_opt_out),
            ("targeted advertising", self.targeted_advertising_opt_out)) if value is not None]
        return (f"GPP {self.name}: " + ", ".join(parts)
                + ("" if self.gpc is None else f", GPC flag {'set' if self.gpc else 'not set'}"))


class GPPString(msgspec.Struct, kw_only=True):
    """An IAB Global Privacy Platform string: its header and the sections the findings read."""

    string: str
    version: int
    section_ids: list[int]
    sections: list[str]  # names, in order
    usnat: UsNat | None = None
    uspv1: USPrivacy | None = None
    tcfeuv2: TCString | None = None
    us_states: list[UsState] = []
    errors: list[str] = []  # sections present but not decodable


class OneTrustConsent(msgspec.Struct, kw_only=True):
    """OneTrust's ``OptanonConsent`` cookie (or ``OnetrustActiveGroups``): which groups are granted."""

    groups: dict[str, bool]
    interaction_count: int | None = None
    gpc_enabled: bool | None = None

    @property
    def optional_granted(self) -> list[str]:
        return sorted(g for g, on in self.groups.items() if on and g != "C0001")

    def summary(self) -> str:
        on = ", ".join(f"{g} ({ONETRUST_GROUP_NAMES.get(g, 'custom')})" for g in self.optional_granted) or "none"
        return f"OneTrust groups granted beyond strictly necessary: {on}"


class ConsentModeSummary(msgspec.Struct, kw_only=True):
    """Google hits counted by the storage state they declared, before and after the banner answer."""

    before_answer: dict[ConsentModeState, int] = {}
    after_answer: dict[ConsentModeState, int] = {}


class AnswerSplit(msgspec.Struct, kw_only=True):
    """Requests and cookies of a banner visit on either side of the answer (``click_ms``)."""

    requests_before: int = 0
    requests_after: int = 0
    cookies_before: list[str] = []  # "name @ domain", first set up to the answer
    cookies_after: list[str] = []  # first set after it
    cookies_untimed: int = 0  # present at the end, no Set-Cookie/document.cookie time seen


class VisitConsent(msgspec.Struct, kw_only=True):
    """One visit's consent state: the banner answer (banner visits) and every decoded consent signal."""

    visit: VisitName
    outcome: ConsentOutcome | None = None  # the banner outcome (reject/accept visits), None elsewhere
    cmp: str | None = None
    method: ConsentMethod | None = None
    banner_shown_ms: float | None = None
    click_ms: float | None = None
    self_test: bool | None = None
    reason: str | None = None
    refusal: Refusal | None = None
    tcf: TCString | None = None
    tcf_source: TcfSource | None = None
    usp: USPrivacy | None = None
    gpp: GPPString | None = None
    onetrust: OneTrustConsent | None = None
    cookiebot: dict[str, bool] | None = None  # Cookiebot's answer: hasResponse, declined, necessary, marketing …
    consent_mode: ConsentModeSummary | None = None
    split: AnswerSplit | None = None  # banner visits with an answer
    errors: list[str] = []

    @property
    def answered(self) -> bool:
        return self.outcome == ANSWERED and self.click_ms is not None

    def lines(self) -> list[str]:
        """Human-readable decoded state, one signal a line (for evidence)."""
        out = [x.summary() for x in (self.tcf, self.usp, self.onetrust) if x is not None]
        if self.gpp is not None:
            out.append(f"GPP sections {', '.join(self.gpp.sections) or 'none'}"
                       + (f"; {self.gpp.usnat.summary()}" if self.gpp.usnat else "")
                       + "".join(f"; {s.summary()}" for s in self.gpp.us_states))
        if self.cookiebot:
            granted = [k for k in ("preferences", "statistics", "marketing") if self.cookiebot.get(k)]
            out.append(f"Cookiebot consent: {', '.join(granted) or 'necessary only'}")
        return out
