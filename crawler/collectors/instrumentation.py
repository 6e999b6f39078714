"""JS API instrumentation: which script called which fingerprinting-relevant API, in every frame.

An init script (``instrumentation.js``) wraps canvas, WebGL, audio, navigator/screen properties,
WebRTC, storage/cookie writes, typing/pointer listeners and MutationObserver before any page
script runs, aggregates calls per (API, calling script) in the page and sends only changes,
batched, through a binding whose name is a per-visit secret and whose global is deleted at
start. After load the collector asks every frame to flush (an event whose type is another
secret) and waits for exactly the batches each frame says it sent, then types canary values
into the page's form fields (``instrumentation_canaries``) and flushes again.

Dedicated and service workers (of the page and of its out-of-process iframes) get the same script
through CDP as they attach (``cdp_children``), with a ``Runtime.addBinding`` binding; their rows name
the worker script (``worker_url``) and its creator (``frame_url``). Best effort: Playwright resumes a
worker as soon as it attaches, so the worker's first task may run uninstrumented; shared workers are
not reached. See docs/instrumentation.md.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from importlib import resources

from playwright.async_api import Frame, Page

from model.capture import ApiCall, CanaryInput, Visit

from .base import Collector, Inputs
from .cdp_children import STEP_TIMEOUT_S, ChildTarget, ChildTargets
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
  try { globalThis.dispatchEvent(new CustomEvent(type, { detail })); } catch (e) {}
  return detail.token ? [detail.token, detail.seq] : null;
}
"""


WORKER_TYPES = ("worker", "service_worker")
MAX_WORKERS_LISTED = 50


def instrumentation_script(binding: str, flush_event: str, worker: bool = False) -> str:
    config = dict(PAGE_LIMITS, binding=binding, flushEvent=flush_event, listenedEvents=list(LISTENED_EVENTS),
                  worker=worker)
    source = resources.files("crawler.collectors").joinpath("instrumentation.js").read_text(encoding="utf-8")
    return source.replace("__CW_CONFIG__", json.dumps(config))


class InstrumentationCollector(Collector[None]):
    name = "instrumentation"

    def __init__(self, state) -> None:
        super().__init__(state)
        self._binding = "_" + secrets.token_hex(12)
        self._flush_event = "_" + secrets.token_hex(12)
        self._worker_binding = "_" + secrets.token_hex(12)
        self._rows: dict[tuple[str, str | None, str | None, str | None], ApiCall] = {}
        self._received: dict[str, int] = {}  # frame/worker token -> highest batch seq received
        self._arrived = asyncio.Event()
        self._canaries: list[CanaryInput] = []
        self._typing_cut: str | None = None
        self._children: ChildTargets | None = None
        self._workers: list[dict] = []  # the workers instrumented: url, type, creator
        self._worker_source = ""

    async def setup(self) -> None:
        await self.state.context.expose_binding(self._binding, self._on_batch)
        await self.state.context.add_init_script(instrumentation_script(self._binding, self._flush_event))
        self._worker_source = instrumentation_script(self._worker_binding, self._flush_event, worker=True)

    async def attach(self, page: Page) -> None:
        """Workers: auto-attach (through out-of-process iframes too) and instrument each one."""
        session = await self.state.context.new_cdp_session(page)
        self._children = ChildTargets(session, self._instrument_worker, lambda: page.url)
        await self._children.start()

    async def _instrument_worker(self, child: ChildTarget) -> None:
        if child.type not in WORKER_TYPES:
            return
        created: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_created(_params: dict) -> None:
            if not created.done():
                created.set_result(None)
        child.on("Runtime.executionContextCreated", on_created)
        child.on("Runtime.bindingCalled", lambda params: self._on_worker_batch(child, params))
        await child.send("Runtime.enable")
        # Evaluating before the worker's global scope exists crashed its renderer in about one run of
        # four (measured); after executionContextCreated it never did.
        await asyncio.wait_for(created, STEP_TIMEOUT_S)
        await child.send("Runtime.addBinding", {"name": self._worker_binding})
        await child.send("Runtime.evaluate", {"expression": self._worker_source, "silent": True})
        # Bindings still report with Runtime off; console and context events of a chatty worker don't.
        await child.send("Runtime.disable")
        if len(self._workers) < MAX_WORKERS_LISTED:
            self._workers.append({"url": child.url, "type": child.type, "creator": child.creator_url})

    def _on_worker_batch(self, child: ChildTarget, params: dict) -> None:
        if params.get("name") != self._worker_binding:
            return
        try:
            token, seq, batch = json.loads(params.get("payload", ""))
        except (ValueError, TypeError):
            return
        self._receive(token, seq, batch, child.creator_url, child.url)

    def _on_batch(self, source: dict, token: str, seq: int, batch: list) -> None:
        frame = source.get("frame")
        self._receive(token, seq, batch, frame.url if frame is not None else None, None)

    def _receive(self, token: object, seq: object, batch: object, frame_url: str | None,
                 worker_url: str | None) -> None:
        t_ms = self.state.now_ms()
        for api, script, count, args, distinct, _t in batch if isinstance(batch, list) else []:
            self._add(str(api), str(script) or None, frame_url, worker_url, int(count), args, int(distinct), t_ms)
        if isinstance(token, str) and isinstance(seq, int):
            self._received[token] = max(self._received.get(token, 0), seq)
        self._arrived.set()

    def _add(self, api: str, script: str | None, frame_url: str | None, worker_url: str | None, count: int,
             args: list, distinct: int, t_ms: float) -> None:
        key = (api, script, frame_url, worker_url)
        row = self._rows.get(key)
        if row is None:
            if len(self._rows) >= MAX_ENTRIES:
                return
            row = self._rows[key] = ApiCall(api=api, script_url=script, frame_url=frame_url, first_ms=t_ms,
                                            worker_url=worker_url)
        row.count += count
        row.distinct_args = max(row.distinct_args, distinct)
        for arg in args[:MAX_ARGS] if isinstance(args, list) else []:
            if len(row.args) < MAX_ARGS and str(arg) not in row.args:
                row.args.append(str(arg))

    async def after_load(self, page: Page) -> None:
        if self._children is not None:  # the workers seen so far are set up before the page is typed into
            await self._children.settled(1.0)
        await self.flush(page)
        if self.state.phase == "load":  # no banner was answered: this visit may type
            typing = await type_canaries(page, self.state)
            self._canaries, self._typing_cut = typing.typed, typing.cut
            if self._canaries:
                await self.flush(page)

    async def flush(self, page: Page) -> None:
        """Ask every frame to send what it holds; wait (bounded) until those batches arrived."""
        expected: dict[str, int] = {}
        workers = [c for c in self._children.live() if c.type in WORKER_TYPES] if self._children else []
        answers = await asyncio.gather(*(_flush_frame(f, self._flush_event) for f in page.frames),
                                       *(_flush_worker(w, self._flush_event) for w in workers))
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
            except TimeoutError:
                break

    async def collect(self, visit: Visit, inputs: Inputs) -> None:
        visit.api_calls = sorted(self._rows.values(), key=lambda r: (r.first_ms or 0.0, r.api))
        visit.canaries = self._canaries
        if self._typing_cut:
            visit.cut.append(self._typing_cut)
        errors = self._children.errors if self._children else []
        past_cap = self._children.past_cap_note("script behaviour", WORKER_TYPES) if self._children else None
        if past_cap:
            visit.cut.append(past_cap)
        if self._workers or errors:  # which workers were instrumented, and which could not be
            self.keep(visit, {"workers": self._workers, "worker_setup_errors": errors[:20]})


async def _flush_frame(frame: Frame, event_type: str) -> list | None:
    try:
        return await asyncio.wait_for(frame.evaluate(FLUSH, event_type), FLUSH_WAIT_S)
    except Exception:  # noqa: BLE001 - detached or navigating frames cannot answer
        return None


async def _flush_worker(worker: ChildTarget, event_type: str) -> list | None:
    expression = f"({FLUSH})({json.dumps(event_type)})"
    try:
        reply = await asyncio.wait_for(worker.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                                      "silent": True}), FLUSH_WAIT_S)
    except Exception:  # noqa: BLE001 - a terminated worker cannot answer; its timed batches arrived already
        return None
    value = (reply.get("result") or {}).get("value")
    return value if isinstance(value, list) and len(value) == 2 else None
