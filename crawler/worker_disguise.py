"""Shared and service workers of the headless shell show the page's client hints too.

The page-level ``Emulation.setUserAgentOverride`` (crawler/disguise.py) reaches the frames and dedicated
workers a page starts, not shared or service workers: they are targets of their own, whose brands come from
the shell's built-in metadata (``HeadlessChrome`` among them), and no session that attaches when they appear
reaches them before their script runs (tests/test_disguise.py says what was tried). What every worker waits for
is its script. One browser-level CDP session (it sees every context's requests, service worker scripts
included; a page session sees neither those nor shared workers) pauses the responses Chromium gives resource
type ``Other``: worker scripts and their module imports, which pages otherwise almost never load. The request's
``networkId`` is the id of the worker a main script is for; ``frameId`` is the worker an import is for.

* Shared workers (and workers they start): the script gets the patch of crawler/worker_patch.py, which makes
  ``navigator.userAgentData`` answer the page's metadata before the site's code runs. Deterministic.
* Service workers: their bytes must stay the server's (an update check, which no CDP interception sees,
  compares the stored script with a fresh fetch byte for byte: a patched one would be "updated" to the
  unpatched one), so the response is held while the worker gets the page's override through a session of
  ours, then goes on unchanged. The worker takes the override as it starts, but not strictly before its
  first statements: Playwright's own session may resume it first. Measured (Chromium 156, load 20-32, the
  test page of tests/test_disguise.py 120 times, 4 at once, two runs): 2 and 3 of 240 service workers read
  the shell's brands at their first statement; 0 of 600 shared workers did. A version installed by an update check within one
  visit passes no interception at all and keeps the shell's brands (a strict xfail pins it).
  Measured again (idle 2-core VM, pages registering 6 classic service workers, 4 pages at once): 5/120,
  10/240; one per page, one page at a time: 1/60. None of these changed the rate: holding the script 300 ms
  after the override was sent (2/120), attaching at Target.targetCreated (5/120), a page-level non-flat
  auto-attach sending the override too (9/240), a second CDP connection of our own (--remote-debugging-port)
  auto-attaching flat with waitForDebuggerOnStart and sending the override before its own resume (6/120):
  whichever session resumes first starts the worker, and Playwright's resumes at once. The worker answers the
  override only after the response went on, in every case. Module service workers were not seen to lose
  (their static imports load before the body runs): tests/test_disguise.py's worker-kinds test, repeated
  with both cores busy, failed 3 of 60 times, each on the classic service worker.

Whether a service worker got the override in time is checked, not assumed: the override is followed on the same
session by ``Debugger.enable``, whose answer reports the scripts already compiled. A worker whose main script was
compiled before that answer may have run its first statements before the override (every worker of the race
above is caught so, with some that were in time: 14 of 14 caught, 14 more flagged, in 480 measured);
``take_unconfirmed`` hands a visit the ones of its context, which it lists as cut. The debugger is then disabled.

Anything that fails lets the response go on unchanged: a page never breaks for the disguise.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
from dataclasses import dataclass, field

from playwright.async_api import Browser, CDPSession

from .worker_patch import is_script_type, patch_script, worker_patch

PATTERNS = [{"urlPattern": "*", "resourceType": "Other", "requestStage": "Response"}]
STANDALONE = ("service_worker", "shared_worker")  # workers of their own, which no page override reaches
PATCHED_BY = ("shared_worker", "worker")  # a script for, or loaded by, one of these gets the patch
STEP_TIMEOUT_S = 5.0  # one CDP call; the response goes on unchanged when it times out
MAX_SCRIPT_BYTES = 8 * 1024 * 1024  # a bigger worker script runs unpatched rather than be held in memory
MAX_FAILURES_KEPT = 100
MAX_TARGET_TYPES = 4096
WIRE_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})  # the body is decoded
_TARGET_ID = re.compile(r"[0-9A-F]{32}")  # a worker's id; other requests' networkIds look like "pid.n"
MAX_CHECKS = 4096  # service workers whose check no visit has taken yet (a long crawl drops the oldest)


@dataclass
class _StartCheck:
    """Did a service worker's override arrive before its main script was compiled?"""

    url: str
    context_id: str  # the CDP browser context it runs in
    enable_id: int  # Debugger.enable, sent right after the override
    in_time: bool | None = None  # None: not known yet


@dataclass
class WorkerDisguise:
    """Every shared and service worker a browser starts answers with ``override``'s client hints."""

    session: CDPSession
    override: dict  # Emulation.setUserAgentOverride parameters, the pages' own
    patch: str
    patched: int = 0  # scripts fulfilled with the patch
    overridden: int = 0  # service workers given the override
    passed: int = 0  # paused responses that went on unchanged (not a worker's, not a script, not 2xx)
    failed: list[str] = field(default_factory=list)  # what went on without its disguise, and why
    # target id -> its type ("" if none) and CDP browser context id, from one Target.getTargetInfo
    _targets: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _checks: dict[str, _StartCheck] = field(default_factory=dict, repr=False)  # by the session sent through
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)
    _sent: dict[int, str] = field(default_factory=dict, repr=False)  # commands sent to workers, by id
    _tasks: set[asyncio.Task] = field(default_factory=set, repr=False)

    @classmethod
    async def start(cls, browser: Browser, override: dict) -> WorkerDisguise:
        session = await browser.new_browser_cdp_session()
        disguise = cls(session, override, worker_patch(override["userAgentMetadata"]))
        session.on("Fetch.requestPaused", disguise._on_paused)
        session.on("Target.receivedMessageFromTarget", disguise._on_worker_message)
        await session.send("Fetch.enable", {"patterns": PATTERNS})
        return disguise

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        try:
            await self.session.detach()
        except Exception:  # noqa: BLE001 - the browser may be gone already
            pass

    def _on_paused(self, event: dict) -> None:
        task = asyncio.ensure_future(self._handle(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, event: dict) -> None:
        request_id = event["requestId"]
        try:
            owner = await self._target_type(event.get("networkId"))  # the worker a main script is for
            # The frame or worker that loads it, when that decides: a module import, a worker's own worker.
            creator = "" if owner in STANDALONE else await self._target_type(event.get("frameId"))
            if owner == "service_worker":
                await self._override(event["networkId"], event.get("request", {}).get("url", ""))
                self.overridden += 1
            elif owner == "shared_worker" or creator in PATCHED_BY:
                body = await self._patched_body(event)
                if body is not None:
                    await self._fulfil(event, body)
                    self.patched += 1
                    return
                self.passed += 1
            else:
                self.passed += 1
        except Exception as exc:  # noqa: BLE001 - recorded; the response goes on unchanged
            if len(self.failed) < MAX_FAILURES_KEPT:
                self.failed.append(f"{event.get('request', {}).get('url', '')[:200]}: {exc!r}")
        await self._continue(request_id)

    async def _target_type(self, target_id: str | None) -> str:
        if not target_id or not _TARGET_ID.fullmatch(target_id):
            return ""
        if target_id not in self._targets:
            try:
                info = (await self._send("Target.getTargetInfo", {"targetId": target_id}))["targetInfo"]
            except Exception:  # noqa: BLE001 - no such target (a frame that is not one, a worker gone)
                info = {}
            if len(self._targets) >= MAX_TARGET_TYPES:
                self._targets.clear()
            self._targets[target_id] = (info.get("type", ""), info.get("browserContextId", ""))
        return self._targets[target_id][0]

    async def _patched_body(self, event: dict) -> bytes | None:
        status = event.get("responseStatusCode") or 0
        headers = {h["name"].lower(): h["value"] for h in event.get("responseHeaders") or []}
        if not 200 <= status < 300 or status in (204, 205) or not is_script_type(headers.get("content-type")):
            return None
        if int(headers.get("content-length", "0") or 0) > MAX_SCRIPT_BYTES:
            return None
        answer = await self._send("Fetch.getResponseBody", {"requestId": event["requestId"]})
        raw = answer.get("body", "")
        body = base64.b64decode(raw) if answer.get("base64Encoded") else raw.encode("utf-8")
        if len(body) > MAX_SCRIPT_BYTES:
            return None
        return patch_script(body, self.patch, headers.get("content-type"))

    async def _fulfil(self, event: dict, body: bytes) -> None:
        headers = [h for h in event.get("responseHeaders") or [] if h["name"].lower() not in WIRE_HEADERS]
        params = {"requestId": event["requestId"], "responseCode": event["responseStatusCode"],
                  "responseHeaders": headers, "body": base64.b64encode(body).decode("ascii")}
        if event.get("responseStatusText"):
            params["responsePhrase"] = event["responseStatusText"]
        await self._send("Fetch.fulfillRequest", params)

    async def _continue(self, request_id: str) -> None:
        try:
            await self._send("Fetch.continueRequest", {"requestId": request_id})
        except Exception:  # noqa: BLE001 - the request (or its target) is gone
            pass

    async def _override(self, target_id: str, url: str) -> None:
        """Attach to the service worker (non-flat: Playwright's CDPSession cannot address a flat child session)
        and send it the override, then Debugger.enable to check it came in time. The browser holds the commands
        until the worker starts, which it cannot before its script arrives; the worker answers once it runs,
        after the response went on: an error is recorded."""
        attached = await self._send("Target.attachToTarget", {"targetId": target_id, "flatten": False})
        session_id = attached["sessionId"]
        await self._to_worker(session_id, "Emulation.setUserAgentOverride", self.override)
        if len(self._checks) >= MAX_CHECKS:
            self._checks.pop(next(iter(self._checks)))
        self._checks[session_id] = _StartCheck(url, self._targets.get(target_id, ("", ""))[1],
                                               await self._to_worker(session_id, "Debugger.enable", {}))
        # While the debugger is on, a `debugger;` statement in the site's worker must not stop it (an anti-debugging
        # trap times one); processed right after the enable, before any of the worker's code in the in-time case.
        await self._to_worker(session_id, "Debugger.setSkipAllPauses", {"skip": True}, answer_checked=False)

    async def _to_worker(self, session_id: str, method: str, params: dict, answer_checked: bool = True) -> int:
        call_id = next(self._ids)
        if answer_checked:  # an error answer is recorded in ``failed``
            self._sent[call_id] = method
        message = {"id": call_id, "method": method, "params": params}
        await self._send("Target.sendMessageToTarget", {"sessionId": session_id, "message": json.dumps(message)})
        return call_id

    def _on_worker_message(self, params: dict) -> None:
        try:
            message = json.loads(params.get("message", "{}"))
        except ValueError:
            return
        self._check_start(params.get("sessionId", ""), message)
        method = self._sent.pop(message.get("id", -1), None)
        if method is not None and "error" in message and len(self.failed) < MAX_FAILURES_KEPT:
            self.failed.append(f"{method}: {message['error'].get('message', message['error'])}")

    def _check_start(self, session_id: str, message: dict) -> None:
        """Debugger.enable reports the scripts compiled before it ran: the main script among them means the
        worker may have started before the override (sent just before it) took effect."""
        check = self._checks.get(session_id)
        if check is None or check.in_time is not None:
            return
        if message.get("method") == "Debugger.scriptParsed" and message.get("params", {}).get("url") == check.url:
            check.in_time = False
        elif message.get("id") == check.enable_id:
            check.in_time = "error" not in message
        else:
            return
        task = asyncio.ensure_future(self._quiet_to_worker(session_id, "Debugger.disable"))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quiet_to_worker(self, session_id: str, method: str) -> None:
        try:
            await self._to_worker(session_id, method, {}, answer_checked=False)
        except Exception:  # noqa: BLE001 - the worker (or the browser) is gone
            pass

    def take_unconfirmed(self, context_id: str) -> list[str]:
        """The service workers of ``context_id`` not confirmed to have started disguised (too late, or not known
        yet), each once; the context's other checks are dropped."""
        taken = [sid for sid, check in self._checks.items() if check.context_id == context_id]
        return [check.url for check in (self._checks.pop(sid) for sid in taken) if check.in_time is not True]

    async def _send(self, method: str, params: dict) -> dict:
        return await asyncio.wait_for(self.session.send(method, params), STEP_TIMEOUT_S)
