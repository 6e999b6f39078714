"""The capture: everything one crawl of one domain observed, as typed, JSON-serialisable structs.

This module is the contract between the crawler (which fills it) and the analyzer (which reads it).
Times are milliseconds since the visit's navigation started (``t_ms``) unless named ``*_at``
(seconds since the epoch). Cookie values are never stored in clear unless the crawl was asked to
keep them: ``value_len`` + ``value_sha256`` identify a value without revealing it.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

CAPTURE_SCHEMA_VERSION = 1

# The fixed vocabularies of the capture. Decoding rejects any other value, so a new one is added here first.
VisitName = Literal["baseline", "gpc", "reject", "accept"]  # crawler/visits.py registers these
ConsentAction = Literal["reject", "accept"]  # what a banner visit answers
RequestPhase = Literal["load", "typing", "after_consent"]  # before any interaction, canaries typed, banner answered
StorageKind = Literal["local", "session", "indexeddb", "cookie_write"]
CanaryKind = Literal["email", "password", "phone"]
CollectorStage = Literal["setup", "attach", "after_load", "collect"]
ConsentOutcome = Literal["not_attempted", "no_banner", "done", "failed", "no_reject_option"]
ConsentMethod = Literal["autoconsent", "heuristic"]
Refusal = Literal["reject", "opt_out"]  # GDPR-style reject, or the US opt-out of sale/sharing
ScreenshotMoment = Literal["before_click", "after_click"]
PolicyKind = Literal["privacy", "cookie"]
FoundVia = Literal["link", "well_known_path"]


class Struct(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Base for every capture record: keyword-only, JSON via msgspec."""


class RequestRecord(Struct):
    """One network request as the browser made it (documents, subresources, beacons, workers, sockets)."""

    id: str
    url: str
    method: str = "GET"
    resource_type: str = "other"  # document, script, image, xhr, fetch, ping, websocket, ...
    frame_url: str | None = None  # the frame that made it; None for workers
    is_main_frame: bool = False
    is_navigation: bool = False
    worker_url: str | None = None  # set when a (service) worker made it
    initiator: str | None = None  # best-known initiating URL (frame, script or worker)
    redirected_from: str | None = None  # the previous hop of a redirect chain
    redirect_chain: list[str] = []  # earlier hops, oldest first
    status: int | None = None
    failure: str | None = None
    t_ms: float = 0.0
    post_data_size: int = 0
    post_data: str | None = None  # the body, bounded (collectors/network.py), for canary and PII searches;
    # stored only where a finding cites the request, unless values are kept (api/store/records.py)
    initiator_script: str | None = None  # the script on the JS stack that caused it (CDP initiator), when known
    initiator_type: str | None = None  # CDP initiator type: parser, script, preload, other
    set_cookie_headers: list[SetCookieHeader] = []
    phase: RequestPhase = "load"  # "load" (before any interaction), "typing" (canaries), "after_consent" (banner answered)


class SetCookieHeader(Struct):
    """A raw Set-Cookie response header, value redacted unless values are kept."""

    url: str
    name: str
    attributes: str  # everything after the value, e.g. "Domain=.doubleclick.net; Path=/; SameSite=None; Secure"
    value_len: int
    value_sha256: str
    value: str | None = None
    t_ms: float = 0.0


class CookieRecord(Struct):
    """A cookie in the browser's cookie store at the end of the visit."""

    name: str
    domain: str
    path: str = "/"
    expires: float | None = None  # epoch seconds; None for session cookies
    http_only: bool = False
    secure: bool = False
    same_site: str | None = None
    value_len: int = 0
    value_sha256: str = ""
    value: str | None = None
    first_party: bool | None = None  # filled by the crawler from the site's registrable domain
    first_seen_ms: float | None = None  # when a Set-Cookie or a document.cookie write first showed it


class StorageRecord(Struct):
    """A key found in (or written to) web storage of one origin."""

    origin: str
    kind: StorageKind  # "cookie_write" is a document.cookie write
    key: str
    value_len: int = 0
    t_ms: float | None = None  # write time when instrumented, None when only read at the end


class ApiCall(Struct):
    """Calls of one instrumented JS API by one script (collectors/instrumentation.py), aggregated.

    Bounded: ``count`` is exact, ``args`` keeps the first distinct arguments and ``distinct_args``
    counts distinct arguments up to a cap.
    """

    api: str  # e.g. "canvas.toDataURL", "navigator.hardwareConcurrency", "listener.keydown"
    script_url: str | None = None  # the calling script from the JS stack; None when it has no URL
    frame_url: str | None = None  # in a worker: the frame (or worker) that created it
    count: int = 0
    distinct_args: int = 0
    args: list[str] = []
    first_ms: float | None = None
    worker_url: str | None = None  # set when a dedicated or service worker made the calls: its script URL


class CanaryInput(Struct):
    """A canary value the crawler typed into a form field (never submitted), to find key logging."""

    kind: CanaryKind
    value: str
    field: str  # e.g. "input[type=email]#newsletter"
    frame_url: str | None = None
    t_ms: float = 0.0


class CollectorError(Struct):
    collector: str
    stage: CollectorStage
    message: str


class ConsentRecord(Struct):
    """What happened with the cookie banner during a visit (filled by the consent handler)."""

    outcome: ConsentOutcome = "not_attempted"
    cmp: str | None = None
    method: ConsentMethod | None = None
    banner_shown_ms: float | None = None
    click_ms: float | None = None
    self_test: bool | None = None
    reason: str | None = None
    refusal: Refusal | None = None  # how a reject was expressed
    timeline: list[TimelineEvent] = []
    # What the page's consent APIs answered, as JSON, keyed by reader ("tcf", "usp", "gpp", "onetrust", "cookiebot",
    # "cookies", "read_ms"); its shape is the CMPs', decoded into types by analyzer/consent/state.py.
    state: dict[str, Any] = {}
    screenshots: list[Screenshot] = []  # the page just before the answer and after it (banner visits only)


class Screenshot(Struct):
    """The viewport as a small JPEG around the banner answer (issue 14 §4): evidence, size-capped."""

    moment: ScreenshotMoment
    t_ms: float
    jpeg: bytes = b""  # base64 in JSON; empty when it could not be taken within its time or size cap
    note: str | None = None  # why it is empty, or how it was shrunk to fit


class TimelineEvent(Struct):
    t_ms: float
    event: str
    detail: str = ""


class BlockedRequest(Struct):
    """A connection the address policy refused: nothing was sent to it (see crawler/netguard)."""

    host: str  # as the browser asked for it
    port: int
    reason: str  # e.g. "a loopback address", "a localhost name …"
    address: str | None = None  # the address judged, when the host was a name
    url: str | None = None  # plain http: the URL; tunnels (https, wss) show only host and port
    at: float = 0.0  # epoch seconds


class Visit(Struct):
    """One page load of the site's homepage in a fresh, isolated browser context."""

    name: VisitName
    url: str
    started_at: float = 0.0
    duration_ms: float = 0.0
    settle_ms: float = 0.0
    final_url: str | None = None
    status: int | None = None
    title: str | None = None
    ok: bool = False
    partial: bool = False  # something timed out or failed; what is here is still real
    error: str | None = None
    signals: dict[str, str] = {}  # e.g. {"DNT": "1", "Sec-GPC": "1"} sent in this visit
    requests: list[RequestRecord] = []
    cookies: list[CookieRecord] = []
    storage: list[StorageRecord] = []
    js_globals: list[str] = []  # tracker-relevant globals present after settle (e.g. "fbq", "gtag")
    consent: ConsentRecord | None = None
    api_calls: list[ApiCall] = []  # JS API instrumentation (fingerprinting, listeners, recorders)
    canaries: list[CanaryInput] = []  # values typed into the page's fields after load
    collector_errors: list[CollectorError] = []
    collected: dict[str, Any] = {}  # output of collectors with no field here, by collector name (Collector.keep)
    blocked: list[BlockedRequest] = []  # connections refused by the address policy
    text_chars: int | None = None  # visible text of the final page (None: not measured)
    bot_wall_markers: list[str] = []  # "Vendor: marker" of crawler/data/bot_walls.yaml found on the final page
    cut: list[str] = []  # what this visit did not get to do and why (a deadline, a budget)
    plan: list[str] = []  # how the audit plan shortened or merged this visit, and why
    # Merged: this visit's observation was taken in another visit's page (its no-interaction phase, before
    # that visit answered the banner): that visit's name. None: a page of its own.
    observed_in: VisitName | None = None
    popups_closed: int = 0  # opened by the site, closed at once
    popups_blocked: int = 0  # window.open without a user gesture (main frame), blocked as a browser would
    downloads_cancelled: int = 0  # started by the site, cancelled at once


class SkippedVisit(Struct):
    """A visit the audit plan did not run because another visit had already shown it could find nothing
    (crawler/audit_plan.py), e.g. accept when the reject visit saw no banner and no consent manager."""

    name: str  # accept, reject, …
    reason: str


class PolicyDocument(Struct):
    """A privacy or cookie policy page the crawler found and loaded."""

    kind: PolicyKind
    url: str
    found_via: FoundVia
    link_text: str | None = None
    status: int | None = None
    final_url: str | None = None
    language: str | None = None
    title: str | None = None
    html: str = ""
    text: str = ""
    # Set when a cap cut the page: the DOM's full length (html keeps the first MAX_PAGE_HTML_CHARS) and
    # the main text's full length (text keeps the first MAX_POLICY_TEXT_CHARS), both in characters.
    html_truncated_from: int | None = None
    text_truncated_from: int | None = None


class WellKnown(Struct):
    """A /.well-known/ resource fetched from the site."""

    path: str
    url: str
    status: int | None = None
    body: str | None = None
    error: str | None = None


class Capture(Struct):
    domain: str
    start_url: str
    schema_version: int = CAPTURE_SCHEMA_VERSION
    started_at: float = 0.0
    finished_at: float = 0.0
    browser_version: str | None = None
    browser_build: str | None = None  # "chromium-headless-shell", "chromium", "playwright-chromium"
    user_agent: str | None = None
    reachable: bool = True
    error: str | None = None
    partial: bool = False
    visits: list[Visit] = []
    policies: list[PolicyDocument] = []
    well_known: list[WellKnown] = []
    blocked: list[BlockedRequest] = []  # refused during discovery (the visits list their own)
    deadline_s: float | None = None  # the crawl's overall time limit
    cut: list[str] = []  # what the crawl did not get to do within its deadline or budgets, and why
    # What policy discovery tried and could not use, and why (a link that did not load as a policy, a page that
    # did not finish parsing, an address refused); defaulted, so captures stored before it still decode.
    discovery_notes: list[str] = []
    values_kept: bool = False  # --keep-values: cookie values and request bodies may be stored in clear
    plan: str | None = None  # "lean" or "classic" (crawler/audit_plan.py); None: made before plans had names
    skipped: list[SkippedVisit] = []  # visits the plan did not run, and why (merges are in each Visit.plan)

    def visit(self, name: str) -> Visit | None:
        return next((v for v in self.visits if v.name == name), None)


def encode_capture(capture: Capture) -> bytes:
    return msgspec.json.encode(capture)


def decode_capture(data: bytes | str) -> Capture:
    return msgspec.json.decode(data, type=Capture)
