"""Shared and service workers of the headless shell get the page's client hints too.

The page-level ``Emulation.setUserAgentOverride`` (crawler/disguise.py) reaches the frames and dedicated
workers a page starts, not shared or service workers: they are targets of their own, whose brands come from
the shell's built-in metadata (``HeadlessChrome`` among them), and a session that attaches when they appear
loses the race with their script (tests/test_disguise.py says what was tried). What every worker waits for
before it runs is its script. One browser-level CDP session pauses the requests for worker scripts
(``Fetch``, resource type ``Other``: Chromium gives worker scripts that type, and pages otherwise almost never
use it), attaches to the worker the request is for (its target id is the request's ``networkId``), gives it
the page's override, waits until the worker has acknowledged it, and only then lets the request go on. The
script's bytes are not touched: a service worker's update check (which no CDP interception sees) compares
them equal, and nothing in the worker can tell.

A browser-level session sees every context's requests, the service worker script fetches included (a page
session sees neither those nor shared worker targets). A worker's session stays attached for the worker's
life: the override lasts as long as it does. Anything that fails lets the request go on as it was: a page never
breaks for the disguise.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from dataclasses import dataclass, field

from playwright.async_api import Browser, CDPSession

PATTERNS = [{"urlPattern": "*", "resourceType": "Other", "requestStage": "Request"}]
WORKER_TYPES = ("worker", "shared_worker", "service_worker")
STEP_TIMEOUT_S = 5.0  # one CDP call; a request is continued without the override when it times out
MAX_FAILURES_KEPT = 100
_TARGET_ID = re.compile(r"[0-9A-F]{32}")  # a worker script's networkId; other requests have "pid.n" or none


@dataclass
class WorkerDisguise:
    """Every worker a browser starts gets ``override`` (``Emulation.setUserAgentOverride`` parameters)
    before its script arrives."""

    session: CDPSession
    override: dict
    disguised: int = 0  # workers given the override
    passed: int = 0  # paused requests that were not for a worker
    failed: list[str] = field(default_factory=list)  # workers that run without the override, and why
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)
    _methods: dict[int, str] = field(default_factory=dict, repr=False)  # commands sent to workers, by id
    _tasks: set[asyncio.Task] = field(default_factory=set, repr=False)

    @classmethod
    async def start(cls, browser: Browser, override: dict) -> WorkerDisguise:
        session = await browser.new_browser_cdp_session()
        disguise = cls(session, override)
        session.on("Fetch.requestPaused", disguise._on_paused)
        session.on("Target.receivedMessageFromTarget", disguise._on_message)
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
        target_id = event.get("networkId") or ""
        try:
            if _TARGET_ID.fullmatch(target_id) and await self._disguise(target_id):
                self.disguised += 1
            else:
                self.passed += 1
        except Exception as exc:  # noqa: BLE001 - recorded; the worker runs regardless
            if len(self.failed) < MAX_FAILURES_KEPT:
                self.failed.append(f"{event.get('request', {}).get('url', '')[:200]}: {exc!r}")
        finally:
            try:
                await self._send("Fetch.continueRequest", {"requestId": event["requestId"]})
            except Exception:  # noqa: BLE001 - the request (or its target) is gone
                pass

    async def _disguise(self, target_id: str) -> bool:
        """Give the worker ``target_id`` the override; False when the target is no worker."""
        try:
            info = (await self._send("Target.getTargetInfo", {"targetId": target_id}))["targetInfo"]
        except Exception:  # noqa: BLE001 - no such target: a request whose networkId only looks like one
            return False
        if info.get("type") not in WORKER_TYPES:
            return False
        attached = await self._send("Target.attachToTarget", {"targetId": target_id, "flatten": False})
        await self._send_to(attached["sessionId"], "Emulation.setUserAgentOverride", self.override)
        return True

    async def _send(self, method: str, params: dict) -> dict:
        return await asyncio.wait_for(self.session.send(method, params), STEP_TIMEOUT_S)

    async def _send_to(self, session_id: str, method: str, params: dict) -> None:
        """One command to an attached worker (non-flat: Playwright's CDPSession cannot address a flat child
        session). The browser holds it for the worker, which takes it before it evaluates its script; the
        worker answers once it runs, which is after the request goes on: an error answer is recorded."""
        call_id = next(self._ids)
        self._methods[call_id] = method
        await self._send("Target.sendMessageToTarget", {
            "sessionId": session_id, "message": json.dumps({"id": call_id, "method": method, "params": params})})

    def _on_message(self, params: dict) -> None:
        try:
            message = json.loads(params.get("message", "{}"))
        except ValueError:
            return
        method = self._methods.pop(message.get("id", -1), None)
        if method is not None and "error" in message and len(self.failed) < MAX_FAILURES_KEPT:
            self.failed.append(f"{method}: {message['error'].get('message', message['error'])}")
