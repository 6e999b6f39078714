"""Every request of the visit: documents, subresources, beacons, frames, workers, WebSockets.

Context-level events see requests inside cross-site iframes and workers, which a page-level CDP
session does not (../shared/PLATFORM.md); the CDP initiators of those come from child sessions.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from playwright.async_api import Page, Request, Response, WebSocket

from model.capture import BlockedRequest, RequestRecord, SetCookieHeader, Visit

from ..netguard import url_host_port
from ..redact import split_set_cookie, value_fingerprint
from .base import Collector, Inputs
from .cdp_children import CHILD_TYPES, ChildTarget, ChildTargets

# Chromium's own background traffic, which no site caused.
BROWSER_NOISE_HOSTS = (
    "update.googleapis.com",
    "connectivitycheck.gstatic.com",
    "clients2.google.com",
    "safebrowsing.googleapis.com",
    "optimizationguide-pa.googleapis.com",
    "accounts.google.com/ListAccounts",
)
MAX_REQUESTS = 5000  # a hostile page cannot exhaust memory
MAX_POST_DATA = 16 * 1024  # bytes of a request body kept (canary and PII searches read it)
MAX_POST_DATA_TOTAL = 2 * 1024 * 1024  # per visit
MAX_INITIATORS = 10000
NETWORK_ENABLE = {"maxTotalBufferSize": 0, "maxResourceBufferSize": 0}  # initiators only, no bodies kept


def is_browser_noise(url: str) -> bool:
    rest = url.split("://", 1)[-1]
    return any(rest.startswith(h) for h in BROWSER_NOISE_HOSTS) or url.startswith(("chrome://", "chrome-extension://"))


def _frame_url(request: Request) -> tuple[str | None, bool]:
    try:
        frame = request.frame
    except Exception:  # noqa: BLE001 - service-worker requests have no frame
        return None, False
    is_main = frame.parent_frame is None
    if request.is_navigation_request():
        # A frame's own document request: a subframe belongs to the frame that embeds it; the main
        # frame still shows its previous URL (about:blank) at this point, so name the new one.
        return (request.url, True) if is_main else (frame.parent_frame.url, False)
    return frame.url, is_main


def initiator_script(initiator: dict) -> str | None:
    """The innermost script URL on a CDP initiator's stack (async parents included), else its URL."""
    stack = initiator.get("stack")
    while stack:
        for frame in stack.get("callFrames", []):
            if frame.get("url"):
                return frame["url"]
        stack = stack.get("parent")
    return initiator.get("url")


@dataclass(frozen=True)
class NetworkResult:
    """What the network collector hands on: every Set-Cookie header it read, with its time."""

    set_cookie_headers: tuple[SetCookieHeader, ...]


class NetworkCollector(Collector[NetworkResult]):
    name = "network"

    def __init__(self, state) -> None:
        super().__init__(state)
        self._records: dict[Request, RequestRecord] = {}
        self._sockets: list[RequestRecord] = []
        self._ids = itertools.count(1)
        self._pending: set[asyncio.Task] = set()
        self._post_data_kept = 0
        self._initiators: dict[tuple[str, str], tuple[str | None, str]] = {}  # (method, url) -> (script, type)
        self._children: ChildTargets | None = None

    async def setup(self) -> None:
        ctx = self.state.context
        ctx.on("request", self._on_request)
        ctx.on("requestfinished", self._on_finished)
        ctx.on("requestfailed", self._on_failed)
        ctx.on("response", self._on_response)
        ctx.on("page", self._watch_page)

    async def attach(self, page: Page) -> None:
        self._watch_page(page)
        await self._watch_initiators(page)

    async def _watch_initiators(self, page: Page) -> None:
        """CDP initiators of the page's requests: which script on the JS stack caused each one.

        Playwright's Request has no initiator; a page-level CDP session sees the main frame and
        same-process frames only. Out-of-process (cross-site, under site isolation) iframes and
        workers are child targets: each is auto-attached and paused until Network is enabled in it,
        so an iframe's first request already has its initiator (``cdp_children``).
        """
        session = await self.state.context.new_cdp_session(page)
        session.on("Network.requestWillBeSent", self._on_will_be_sent)
        await session.send("Network.enable", NETWORK_ENABLE)
        self._children = ChildTargets(session, self._watch_child, lambda: page.url)
        await self._children.start()

    async def _watch_child(self, child: ChildTarget) -> None:
        if child.type in CHILD_TYPES:
            child.on("Network.requestWillBeSent", self._on_will_be_sent)
            await child.send("Network.enable", NETWORK_ENABLE)

    def _on_will_be_sent(self, event: dict) -> None:
        if len(self._initiators) >= MAX_INITIATORS:
            return
        request = event.get("request") or {}
        initiator = event.get("initiator") or {}
        key = (request.get("method", "GET"), request.get("url", ""))
        self._initiators.setdefault(key, (initiator_script(initiator), initiator.get("type", "other")))

    def _watch_page(self, page: Page) -> None:
        if getattr(page, "_consentwatch_ws", False):
            return
        page._consentwatch_ws = True  # type: ignore[attr-defined]
        page.on("websocket", self._on_websocket)

    def _on_request(self, request: Request) -> None:
        if len(self._records) >= MAX_REQUESTS or is_browser_noise(request.url):
            return
        frame_url, is_main = _frame_url(request)
        worker = None
        try:
            sw = request.service_worker
            worker = sw.url if sw else None
        except Exception:  # noqa: BLE001
            pass
        chain: list[str] = []
        prev = request.redirected_from
        while prev is not None and len(chain) < 50:
            chain.append(prev.url)
            prev = prev.redirected_from
        chain.reverse()
        self._records[request] = RequestRecord(
            id=str(next(self._ids)),
            url=request.url,
            method=request.method,
            resource_type=request.resource_type,
            frame_url=frame_url,
            is_main_frame=is_main,
            is_navigation=request.is_navigation_request(),
            worker_url=worker,
            initiator=worker or frame_url,
            redirected_from=chain[-1] if chain else None,
            redirect_chain=chain,
            t_ms=self.state.now_ms(),
            post_data_size=len(request.post_data_buffer or b""),
            post_data=self._kept_post_data(request),
            phase=self.state.phase,
        )

    def _kept_post_data(self, request: Request) -> str | None:
        try:
            body = request.post_data_buffer
        except Exception:  # noqa: BLE001 - multipart bodies with files can refuse
            return None
        if not body or self._post_data_kept >= MAX_POST_DATA_TOTAL:
            return None
        kept = body[:MAX_POST_DATA]
        self._post_data_kept += len(kept)
        return kept.decode("utf-8", errors="replace")

    def _on_finished(self, request: Request) -> None:
        record = self._records.get(request)
        if record is not None and record.status is None:
            # Redirect hops and some worker requests finish without a response event.
            self._track(self._status_from_response(request, record))

    async def _status_from_response(self, request: Request, record: RequestRecord) -> None:
        try:
            response = await request.response()
        except Exception:  # noqa: BLE001 - the context may be closing
            return
        if response is not None and record.status is None:
            record.status = response.status

    def _track(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _on_failed(self, request: Request) -> None:
        record = self._records.get(request)
        if record is not None:
            record.failure = request.failure or "failed"

    def _on_response(self, response: Response) -> None:
        record = self._records.get(response.request)
        if record is None:
            return
        record.status = response.status
        self._track(self._read_set_cookies(response, record, self.state.now_ms()))

    async def _read_set_cookies(self, response: Response, record: RequestRecord, t_ms: float) -> None:
        try:
            headers = await response.header_values("set-cookie")
        except Exception:  # noqa: BLE001 - the context may be closing
            return
        for raw in headers:
            for line in raw.split("\n"):
                if line.strip():
                    record.set_cookie_headers.append(self._redacted(response.url, line, t_ms))

    def _redacted(self, url: str, header: str, t_ms: float) -> SetCookieHeader:
        name, value, attributes = split_set_cookie(header)
        length, digest = value_fingerprint(value)
        return SetCookieHeader(
            url=url, name=name, attributes=attributes, value_len=length, value_sha256=digest,
            value=value if self.state.keep_values else None, t_ms=t_ms,
        )

    def _on_websocket(self, ws: WebSocket) -> None:
        record = RequestRecord(
            id=str(next(self._ids)), url=ws.url, method="GET", resource_type="websocket",
            t_ms=self.state.now_ms(), phase=self.state.phase,
        )
        ws.on("socketerror", lambda error: setattr(record, "failure", str(error)))
        self._sockets.append(record)

    async def collect(self, visit: Visit, inputs: Inputs) -> NetworkResult:
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=2.0)
        records = list(self._records.values()) + self._sockets
        records.sort(key=lambda r: r.t_ms)
        for record in records:
            found = self._initiators.get((record.method, record.url))
            if found is not None:
                record.initiator_script, record.initiator_type = found
        visit.requests = records
        past_cap = self._children.past_cap_note("request initiators", CHILD_TYPES) if self._children else None
        if past_cap:
            visit.cut.append(past_cap)
        if self._children is not None and self._children.errors:  # iframes/workers whose initiators may be missing
            self.keep(visit, {"child_target_errors": self._children.errors[:20]})
        return NetworkResult(tuple(h for r in records for h in r.set_cookie_headers))


def mark_blocked(records: list[RequestRecord], blocked: list[BlockedRequest]) -> None:
    """Name the address policy on requests the guard proxy refused: the browser itself saw only a
    failed tunnel (https, wss) or an error page (plain http)."""
    reasons = {(b.host.lower(), b.port): b.reason for b in blocked}
    if not reasons:
        return
    for record in records:
        target = url_host_port(record.url)
        if target is not None and (target[0].lower(), target[1]) in reasons and record.status in (None, 403):
            record.failure = f"blocked by address policy: {reasons[(target[0].lower(), target[1])]}"
