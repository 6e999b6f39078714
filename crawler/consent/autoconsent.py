"""DuckDuckGo's autoconsent engine in every frame of a visit, spoken to over its message protocol.

The engine (PyPI ``duckduckgo-autoconsent-py``: the npm bundle and its rules, no Node) runs as an init
script in every frame and reports through one binding. We answer ``init`` with our config and the
rules that can apply to that frame, answer ``eval`` when asked, and send ``optOut``/``optIn``
ourselves (``autoAction: null``) so the handler knows when the answer is given.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from dataclasses import dataclass, field

from playwright.async_api import BrowserContext, Frame

from ..collectors.base import VisitState

SEND_BINDING = "__consentwatchAutoconsent"
RECEIVE = "__consentwatchAutoconsentReceive"
CLICK_BINDING = "__consentwatchClick"

# The bundle reads ``window.autoconsentSendMessage`` once, when it starts; afterwards its globals are
# moved under our prefix so a page (and the page-info collector) sees nothing new.
PRELUDE = f"""
(() => {{
  window.autoconsentSendMessage = (m) => {{ try {{ window.{SEND_BINDING}(m); }} catch (e) {{}} }};
  const describe = (el) => {{
    if (!el || !el.tagName) return '?';
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (text ? ' "' + text.slice(0, 60) + '"' : '');
  }};
  // Capture phase on window sees every click, DOM-API ones included, before the page's handlers run.
  window.addEventListener('click', (e) => {{
    try {{ window.{CLICK_BINDING}(describe(e.composedPath ? e.composedPath()[0] : e.target)); }} catch (err) {{}}
  }}, true);
}})();
"""
POSTLUDE = f"""
(() => {{
  if (window.autoconsentReceiveMessage) {{
    Object.defineProperty(window, '{RECEIVE}', {{ value: window.autoconsentReceiveMessage, configurable: true }});
  }}
  delete window.autoconsentReceiveMessage;
  delete window.autoconsentSendMessage;
  delete window.autoconsentHeuristics;
}})();
"""

CONFIG = {
    "enabled": True,
    "autoAction": None,  # we decide when to answer
    "disabledCmps": [],
    "enablePrehide": False,  # an audit looks at the page as a visitor sees it
    "enableCosmeticRules": False,  # hiding a banner is not an answer: only rules that click count
    "enableGeneratedRules": True,
    "enableHeuristicDetection": False,
    "heuristicMode": "off",  # our own heuristic (heuristic.py) handles unknown banners
    "detectRetries": 20,
    "isMainWorld": True,  # init scripts run in the main world, so rule snippets run inline
    "logs": {k: False for k in ("lifecycle", "rulesteps", "detectionsteps", "evals", "errors", "messages", "waits")},
}


@dataclass(frozen=True)
class RuleSet:
    """autoconsent's declarative rules, split so each frame gets only those that can apply to it."""

    generic: tuple[dict, ...]
    site_specific: tuple[tuple[re.Pattern | None, dict], ...]
    version: str

    def for_url(self, url: str) -> dict:
        matching = [rule for pattern, rule in self.site_specific if pattern is None or pattern.search(url)]
        return {"autoconsent": [*self.generic, *matching]}


@functools.cache
def load_rules() -> RuleSet:
    import duckduckgo_autoconsent as dac

    generic, specific = [], []
    for rule in json.loads(dac.rules_json()):
        pattern = (rule.get("runContext") or {}).get("urlPattern")
        if not pattern:
            generic.append(rule)
            continue
        try:
            specific.append((re.compile(pattern), rule))
        except re.error:  # a JS-only construct: let the engine decide in the page
            specific.append((None, rule))
    return RuleSet(tuple(generic), tuple(specific), dac.__version__)


@functools.cache
def bundle() -> str:
    import duckduckgo_autoconsent as dac

    return dac.bundle()


@dataclass
class EngineEvent:
    """One message the engine sent (cmpDetected, popupFound, optOutResult, …)."""

    t_ms: float
    type: str
    frame: Frame | None
    message: dict

    @property
    def cmp(self) -> str:
        return str(self.message.get("cmp") or "")


@dataclass
class Click:
    t_ms: float
    frame_url: str
    target: str


@dataclass
class AutoconsentSession:
    """One visit's engine: per-frame init, the events it reported, and the clicks anything made."""

    state: VisitState
    rules: RuleSet
    events: list[EngineEvent] = field(default_factory=list)
    clicks: list[Click] = field(default_factory=list)
    armed_at: float | None = None  # t_ms when the handler started answering: clicks after it are the answer
    progress: dict = field(default_factory=dict)  # frame → (findCmp attempts, lifecycle) from the engine's reports
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set = field(default_factory=set)

    async def install(self, context: BrowserContext) -> None:
        await context.expose_binding(SEND_BINDING, self._on_message)
        await context.expose_binding(CLICK_BINDING, self._on_click)
        await context.add_init_script(PRELUDE)
        await context.add_init_script(bundle())
        await context.add_init_script(POSTLUDE)

    # ------------------------------------------------------------------ from the page
    def _on_message(self, source: dict, message: dict) -> None:
        if not isinstance(message, dict):
            return
        frame = source.get("frame")
        kind = message.get("type")
        if kind == "init":
            url = str(message.get("url") or "")
            if frame is not None and url.startswith("http"):  # about:blank first documents are skipped
                self._spawn(self.send(frame, {"type": "initResp", "config": CONFIG, "rules": self.rules.for_url(url)}))
        elif kind == "eval":
            self._spawn(self._answer_eval(frame, message))
        elif kind == "report":
            engine = message.get("state") or {}
            self.progress[frame] = (int(engine.get("findCmpAttempts") or 0), str(engine.get("lifecycle") or ""))
            self._changed.set()
        else:
            self.events.append(EngineEvent(self.state.now_ms(), str(kind), frame, message))
            self._changed.set()

    def _on_click(self, source: dict, target: str) -> None:
        frame = source.get("frame")
        click = Click(self.state.now_ms(), frame.url if frame is not None else "", str(target)[:120])
        self.clicks.append(click)
        if self.armed_at is not None and self.state.phase != "after_consent":  # "load", or "typing" (canaries)
            self.state.phase = "after_consent"  # the click starts the answer: later requests are marked
        self._changed.set()

    async def _answer_eval(self, frame: Frame | None, message: dict) -> None:
        result = False
        if frame is not None:
            try:
                result = bool(await frame.evaluate(f"() => {{ {message.get('code', 'return false')} }}"))
            except Exception:  # noqa: BLE001 - a snippet that throws is a false
                result = False
            await self.send(frame, {"type": "evalResp", "id": message.get("id"), "result": result})

    # ------------------------------------------------------------------ to the page
    async def send(self, frame: Frame, message: dict) -> bool:
        try:
            # As one JSON string: Playwright validates an object argument field by field on the event loop,
            # which for initResp (~800 rules) stalled the service's loop for seconds per frame.
            return bool(await frame.evaluate(
                f"m => {{ const r = window.{RECEIVE}; if (!r) return false; r(JSON.parse(m)); return true; }}",
                json.dumps(message)))
        except Exception:  # noqa: BLE001 - the frame may be gone
            return False

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ for the handler
    def first(self, kind: str, since_ms: float = -1.0, frame: Frame | None = None) -> EngineEvent | None:
        return next((e for e in self.events if e.type == kind and e.t_ms >= since_ms
                     and (frame is None or e.frame is frame)), None)

    def of_type(self, kind: str) -> list[EngineEvent]:
        return [e for e in self.events if e.type == kind]

    def clicks_since(self, t_ms: float) -> list[Click]:
        return [c for c in self.clicks if c.t_ms >= t_ms]

    async def changed(self, timeout_s: float) -> None:
        """Return when a new event or click arrives, or after ``timeout_s``."""
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), max(0.0, timeout_s))
        except TimeoutError:
            pass

    async def wait_for(self, kind: str, timeout_s: float, since_ms: float = -1.0,
                       frame: Frame | None = None) -> EngineEvent | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            found = self.first(kind, since_ms, frame)
            if found is not None or loop.time() >= deadline:
                return found
            await self.changed(deadline - loop.time())

    def attempts(self, frame: Frame) -> int:
        return self.progress.get(frame, (0, ""))[0]

    def gave_up(self, frame: Frame) -> bool:
        """The engine in ``frame`` finished looking without finding a CMP (or never started there)."""
        lifecycle = self.progress.get(frame, (0, ""))[1]
        return lifecycle in ("nothingDetected", "") or lifecycle.endswith("Failed")

    def arm(self) -> float:
        self.armed_at = self.state.now_ms()
        return self.armed_at
