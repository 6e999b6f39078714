"""Consent state of every visit, as the page's CMP reports it and as its consent cookies store it.

Runs in all visits (the ``gpc`` visit's US Privacy / GPP strings matter as much as ``reject``'s TCF
string), after the settle time. Raw strings only: decoding is the analyzer's job. Consent cookies keep
their values (they are consent records, not identifiers); every other cookie value stays redacted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Page

from model.capture import ConsentRecord, TimelineEvent, Visit

from ..collectors.base import Collector, Inputs
from .vocabulary import load_vocabulary

SCRIPT = Path(__file__).with_name("readers.js").read_text("utf-8")
API_TIMEOUT_MS = 1500


class ConsentStateCollector(Collector[None]):
    name = "consent_state"

    def __init__(self, state) -> None:
        super().__init__(state)
        self._state: dict = {}
        self._read_ms: float | None = None

    async def after_load(self, page: Page) -> None:
        self._read_ms = self.state.now_ms()
        try:
            apis = await asyncio.wait_for(page.main_frame.evaluate(SCRIPT, API_TIMEOUT_MS), API_TIMEOUT_MS / 1000 * 4)
        except Exception:  # noqa: BLE001 - a page that navigated away or froze has no CMP answer for us
            apis = {}
        self._state.update({k: v for k, v in (apis or {}).items() if v is not None})
        cookies = await self._consent_cookies()
        if cookies:
            self._state["cookies"] = cookies

    async def _consent_cookies(self) -> dict[str, str]:
        vocab = load_vocabulary()
        out: dict[str, str] = {}
        for c in await self.state.context.cookies():
            if vocab.is_consent_cookie(c["name"]):
                out[c["name"]] = str(c.get("value", ""))[:vocab.max_cookie_chars]
        return out

    async def collect(self, visit: Visit, inputs: Inputs) -> None:
        if not self._has_signal():
            return
        if visit.consent is None:
            visit.consent = ConsentRecord(outcome="not_attempted")
        visit.consent.state = {**visit.consent.state, **self._state, "read_ms": self._read_ms}
        visit.consent.timeline.append(TimelineEvent(t_ms=self._read_ms or 0.0, event="consent_state_read",
                                                    detail=", ".join(sorted(k for k in self._state if k != "gpc"))))

    def _has_signal(self) -> bool:
        return any(k != "gpc" for k in self._state)
