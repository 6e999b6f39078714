"""JS API instrumentation: which script called which fingerprinting-relevant API, in every frame.

An init script (``instrumentation.js``) wraps canvas, WebGL, audio, navigator/screen properties,
WebRTC, storage/cookie writes, typing/pointer listeners and MutationObserver before any page
script runs, aggregates calls per (API, calling script) in the page and sends only changes,
batched, through a binding whose name is a per-visit secret and whose global is deleted at
start. After load the collector asks every frame to flush (an event whose type is another
secret) and waits for exactly the batches each frame says it sent, then types canary values
into the page's form fields (``instrumentation_canaries``) and flushes again.
See docs/instrumentation.md.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from importlib import resources

from playwright.async_api import Frame, Page

from model.capture import ApiCall, Visit

from .base import Collector, Inputs
from .instrumentation_canaries import type_canaries

MAX_ENTRIES = 3000  # (api, script, frame) rows per visit
MAX_ARGS = 20  # distinct arguments kept per row
FLUSH_WAIT_S = 0.75  # per frame evaluate and per wait; after_load (2 flushes + typing) must fit the runner's 8 s stage timeout

LISTENED_EVENTS = ("keydown", "keypress", "keyup", "input", "change", "mousemove", "scroll", "icecandidate")
PAGE_LIMITS = {
    "stackedCalls": 2000,  # calls of one API whose caller is read from the stack; later ones reuse it
    "maxKeys": 2000,  # (api, script) entries per frame
    "maxDistinct": 1000,  # distinct arguments counted per entry
    "maxArgs": MAX_ARGS,
    "maxArgLength": 120,
    "flushMs": 250,
}

FLUSH = """
(type) => {
  const detail = {};
  try { window.dispatchEvent(new CustomEvent(type, { detail })); } catch (e) {}
  return detail.token ? [detail.token, detail.seq] : null;
}
"""


def instrumentation_script(binding: str, flush_event: str) -> str:
    config = dict(PAGE_LIMITS, binding=binding, flushEvent=flush_event, listenedEvents=list(LISTENED_EVENTS))
    source = resources.files("crawler.collectors").joinpath("instrumentation.js").read_text(encoding="utf-8")
    return source.replace("__CW_CONFIG__", json.dumps(config))


class InstrumentationCollector(Collector[None]):
    name = "instrumentation"

    def __init__(self, state) -> None:
        super().__init__(state)
        self._binding = "_" + secrets.token_hex(12)
        self._flush_event = "_" + secrets.token_hex(12)
        self._rows: dict[tuple[str, str | None, str | None], ApiCall] = {}
        self._received: dict[str, int] = {}  # frame token -> highest batch seq received
        self._arrived = asyncio.Event()
        self._canaries = []

    async def setup(self) -> None:
        await self.state.context.expose_binding(self._binding, self._on_batch)
        await self.state.context.add_init_script(instrumentation_script(self._binding, self._flush_event))

    def _on_batch(self, source: dict, token: str, seq: int, batch: list) -> None:
        frame = source.get("frame")
        frame_url = frame.url if frame is not None else None
        t_ms = self.state.now_ms()
        for api, script, count, args, distinct, _t in batch if isinstance(batch, list) else []:
            self._add(str(api), str(script) or None, frame_url, int(count), args, int(distinct), t_ms)
        if isinstance(token, str) and isinstance(seq, int):
            self._received[token] = max(self._received.get(token, 0), seq)
        self._arrived.set()

    def _add(self, api: str, script: str | None, frame_url: str | None, count: int, args: list, distinct: int,
             t_ms: float) -> None:
        key = (api, script, frame_url)
        row = self._rows.get(key)
        if row is None:
            if len(self._rows) >= MAX_ENTRIES:
                return
            row = self._rows[key] = ApiCall(api=api, script_url=script, frame_url=frame_url, first_ms=t_ms)
        row.count += count
        row.distinct_args = max(row.distinct_args, distinct)
        for arg in args[:MAX_ARGS] if isinstance(args, list) else []:
            if len(row.args) < MAX_ARGS and str(arg) not in row.args:
                row.args.append(str(arg))

    async def after_load(self, page: Page) -> None:
        await self.flush(page)
        if self.state.phase == "load":  # no banner was answered: this visit may type
            self._canaries = await type_canaries(page, self.state)
            if self._canaries:
                await self.flush(page)

    async def flush(self, page: Page) -> None:
        """Ask every frame to send what it holds; wait (bounded) until those batches arrived."""
        expected: dict[str, int] = {}
        answers = await asyncio.gather(*(_flush_frame(f, self._flush_event) for f in page.frames))
        for answer in answers:
            if answer:
                token, seq = answer
                expected[token] = max(expected.get(token, 0), int(seq))
        deadline = asyncio.get_running_loop().time() + FLUSH_WAIT_S
        while any(self._received.get(t, 0) < s for t, s in expected.items()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                break

    async def collect(self, visit: Visit, inputs: Inputs) -> None:
        visit.api_calls = sorted(self._rows.values(), key=lambda r: (r.first_ms or 0.0, r.api))
        visit.canaries = self._canaries


async def _flush_frame(frame: Frame, event_type: str) -> list | None:
    try:
        return await asyncio.wait_for(frame.evaluate(FLUSH, event_type), FLUSH_WAIT_S)
    except Exception:  # noqa: BLE001 - detached or navigating frames cannot answer
        return None
