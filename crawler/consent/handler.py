"""The consent handler: finds the cookie banner of a visit and answers it (reject or accept).

Order of trust: autoconsent's rules (which know ~1000 CMPs and their APIs) first; the vocabulary
heuristic when no rule claimed a banner; a rule that fails to opt out hands over to the heuristic.
Everything lands in a ``ConsentRecord``: outcome, CMP, method, banner and click times, self-test,
and a timeline. ``state.phase`` turns to ``after_consent`` at the first click of the answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from playwright.async_api import Page

from model.capture import ConsentRecord, TimelineEvent

from ..collectors.base import VisitState
from . import heuristic, screenshots
from .autoconsent import AutoconsentSession, EngineEvent, RuleSet, load_rules
from .heuristic import HeuristicBanner
from .vocabulary import REFUSALS, Vocabulary, load_vocabulary


@dataclass(frozen=True)
class ConsentOptions:
    detect_timeout_s: float = 4.0  # after load, how long a banner may take to appear
    heuristic_after_s: float = 1.0  # give the rules this head start before the heuristic looks
    grace_s: float = 2.5  # when the heuristic sees a banner first, the rules may still claim it
    popup_wait_s: float = 5.0  # a CMP the rules detected gets this long to show its popup
    action_timeout_s: float = 8.0  # one opt-out/opt-in, including multi-step settings dialogs
    self_test_timeout_s: float = 3.0
    close_timeout_s: float = 2.0  # a heuristic click must close the banner within this
    retry_after_s: float = 2.0  # an answer with no visible effect is given once more after this (late handlers)
    budget_s: float = 12.0  # all of it; keep below the visit's timeout_s so the timeline survives
    shots: screenshots.ScreenshotOptions = screenshots.ScreenshotOptions()  # before/after the answer


class Timeline:
    def __init__(self, state: VisitState, record: ConsentRecord) -> None:
        self.state, self.record = state, record

    def add(self, event: str, detail: str = "", t_ms: float | None = None) -> float:
        t = self.state.now_ms() if t_ms is None else t_ms
        self.record.timeline.append(TimelineEvent(t_ms=t, event=event, detail=detail[:300]))
        return t


class ConsentOperator:
    """The default ``ConsentHandler``: autoconsent in every frame, heuristic fallback."""

    def __init__(self, options: ConsentOptions | None = None, rules: RuleSet | None = None,
                 vocabulary: Vocabulary | None = None) -> None:
        self.options = options or ConsentOptions()
        self.rules = rules or load_rules()
        self.vocabulary = vocabulary or load_vocabulary()

    async def setup(self, state: VisitState) -> None:
        session = AutoconsentSession(state, self.rules)
        await session.install(state.context)
        state.consent_session = session

    async def operate(self, page: Page, state: VisitState, action: str,
                      on_banner: Callable[[bool | None], None] | None = None,
                      before_answer: Callable[[], Awaitable[None]] | None = None) -> ConsentRecord:
        """Find the banner and answer it. ``on_banner`` hears as soon as the search ends: True (a banner),
        False (none, and no CMP on the page), None (a CMP showed nothing: undecided); the audit plan
        runs the other banner visits on it (crawler/audit_plan.py). A banner found is answered only once
        ``before_answer`` has returned (the baseline phase of a merged visit, crawler/baseline_phase.py);
        that wait is not charged to the handler's budget."""
        record = ConsentRecord(outcome="no_banner")
        timeline = Timeline(state, record)
        timeline.add("page_load", page.url)
        hold = _Hold(before_answer)
        try:
            operating = self._operate(page, state, action, record, timeline, on_banner or (lambda seen: None), hold)
            await _within_budget(asyncio.ensure_future(operating), self.options.budget_s, hold)
        except TimeoutError:
            if record.outcome == "done":  # answered; only the self-test ran out of time
                timeline.add("self_test", "no result in time")
            else:
                _fail(record, timeline, f"banner handling took longer than {self.options.budget_s:g} s")
        if record.screenshots:  # a banner was seen and shot: the page once the answer settled
            await screenshots.settled(page, self.options.shots)
            record.screenshots.append(await screenshots.take(page, state, "after_click", self.options.shots))
        record.timeline.sort(key=lambda e: e.t_ms)
        return record

    async def _operate(self, page: Page, state: VisitState, action: str, record: ConsentRecord,
                       timeline: Timeline, on_banner: Callable[[bool | None], None], hold: _Hold) -> ConsentRecord:
        session = state.consent_session
        if session is None:
            return _fail(record, timeline, "consent handler was not set up for this visit")
        found = await self._find_banner(page, session, on_banner)
        on_banner(True if found is not None else None if session.of_type("cmpDetected") else False)
        _copy_engine_events(session, timeline)
        if found is not None and hold.wanted:
            await hold.wait()
            if hold.spent_s() >= 0.05:
                timeline.add("answer_held", f"{hold.spent_s():.1f} s: the baseline phase was observed first")
            if isinstance(found, HeuristicBanner):  # the page may have redrawn it meanwhile: click what is shown
                again = await heuristic.scan_page(page, self.vocabulary)
                if again is not None:
                    again.seen_ms, found = found.seen_ms, again
        if found is not None and self.options.shots.enabled:  # the banner as shown, before any click
            record.screenshots.append(await screenshots.take(page, state, "before_click", self.options.shots))
        if isinstance(found, EngineEvent):
            return await self._answer_with_rules(page, session, found, action, record, timeline)
        if isinstance(found, HeuristicBanner):
            return await self._answer_with_heuristic(session, found, action, record, timeline)
        detected = session.of_type("cmpDetected")
        record.cmp = detected[0].cmp if detected else None
        record.reason = (f"{record.cmp} is on the page but showed no banner" if detected
                         else f"no consent banner within {self.options.detect_timeout_s:g} s of load")
        timeline.add("no_banner", record.reason)
        return record

    # ------------------------------------------------------------------ finding the banner
    async def _find_banner(self, page: Page, session: AutoconsentSession,
                           on_banner: Callable[[bool | None], None]) -> EngineEvent | HeuristicBanner | None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + self.options.detect_timeout_s
        next_look = start + self.options.heuristic_after_s
        while True:
            popup = session.first("popupFound")
            if popup is not None:
                return popup
            if session.of_type("cmpDetected"):
                on_banner(None)  # a consent manager is on the page: not "no banner", whatever it shows
            now = loop.time()
            if now >= next_look and not session.of_type("cmpDetected"):
                banner = await heuristic.scan_page(page, self.vocabulary)
                if banner is not None:
                    on_banner(True)  # before the rules' grace: the other banner visits may start now
                    banner.seen_ms = session.state.now_ms()
                    return await self._rules_first(session, banner)
                next_look = loop.time() + 1.0
            if now >= deadline:
                break
            await session.changed(min(0.25, deadline - now))
        # A CMP the rules detected but whose popup check failed may still show a banner.
        banner = await heuristic.scan_page(page, self.vocabulary)
        if banner is not None:
            banner.seen_ms = session.state.now_ms()
        return banner

    async def _rules_first(self, session: AutoconsentSession, banner: HeuristicBanner) -> EngineEvent | HeuristicBanner:
        """The heuristic saw a banner; the rules get to claim it if they know it. A full detection round
        of the engine in that frame after now (not wall time: a busy machine slows the engine down)
        decides, bounded by ``grace_s``; a detected CMP then gets the time its popup check needs."""
        loop = asyncio.get_running_loop()
        start_attempts = session.attempts(banner.frame)
        deadline = loop.time() + self.options.grace_s
        while loop.time() < deadline:
            if session.first("popupFound") is not None or session.of_type("cmpDetected"):
                popup = await session.wait_for("popupFound", self.options.popup_wait_s)
                return popup or banner
            if session.attempts(banner.frame) >= start_attempts + 2 or session.gave_up(banner.frame):
                break
            await session.changed(min(0.25, deadline - loop.time()))
        return banner

    # ------------------------------------------------------------------ autoconsent path
    async def _answer_with_rules(self, page: Page, session: AutoconsentSession, popup: EngineEvent, action: str,
                                 record: ConsentRecord, timeline: Timeline) -> ConsentRecord:
        record.method, record.cmp, record.banner_shown_ms = "autoconsent", popup.cmp, popup.t_ms
        frame = popup.frame
        before = await _consent_snapshot(page)
        armed = session.arm()
        timeline.add("answer", f"autoconsent {'optOut' if action == 'reject' else 'optIn'} ({popup.cmp})", armed)
        if frame is None or not await session.send(frame, {"type": "optOut" if action == "reject" else "optIn"}):
            return _fail(record, timeline, f"the {popup.cmp} frame went away before the answer")
        result_type = "optOutResult" if action == "reject" else "optInResult"
        result = await session.wait_for(result_type, self.options.action_timeout_s, since_ms=armed, frame=frame)
        _mark_click(session, record, timeline, armed, result.t_ms if result else None)
        if result is None or not result.message.get("result"):
            why = "timed out" if result is None else "returned false"
            timeline.add(result_type, f"{popup.cmp}: {why}")
            return await self._rules_failed(page, session, action, record, timeline, f"the {popup.cmp} rule {why}")
        timeline.add(result_type, f"{popup.cmp}: true", result.t_ms)
        if not await self._took_effect(page, before):
            # Clicked too early (handlers attached after the banner was drawn, as tarteaucitron does):
            # nothing changed, so answer once more.
            timeline.add("retry", f"{popup.cmp}: no effect seen (banner still shown, no cookie changed); answering again")
            await asyncio.sleep(self.options.retry_after_s)
            again = session.arm()
            if not await session.send(frame, {"type": "optOut" if action == "reject" else "optIn"}):
                return _fail(record, timeline, f"the {popup.cmp} frame went away before the second answer")
            result = await session.wait_for(result_type, self.options.action_timeout_s, since_ms=again, frame=frame)
            _mark_click(session, record, timeline, again, result.t_ms if result else None)
            if result is None or not result.message.get("result") or not await self._took_effect(page, before):
                return _fail(record, timeline, f"the {popup.cmp} answer had no effect, twice (banner still shown, "
                                               "no consent cookie changed)")
            timeline.add(result_type, f"{popup.cmp}: true (second answer)", result.t_ms)
        record.outcome = "done"
        if action == "reject":
            record.refusal = "reject"
        if result.message.get("scheduleSelfTest"):
            await self._self_test(session, frame, record, timeline)
        return record

    async def _took_effect(self, page: Page, before: frozenset | None) -> bool:
        """The answer changed something a CMP changes: a cookie was written, or the banner is gone."""
        if before is not None and await _consent_snapshot(page) != before:
            return True
        return await heuristic.scan_page(page, self.vocabulary) is None

    async def _self_test(self, session: AutoconsentSession, frame, record: ConsentRecord, timeline: Timeline) -> None:
        asked = session.state.now_ms()
        if not await session.send(frame, {"type": "selfTest"}):
            return
        test = await session.wait_for("selfTestResult", self.options.self_test_timeout_s, since_ms=asked, frame=frame)
        if test is not None:
            record.self_test = bool(test.message.get("result"))
            timeline.add("self_test", str(record.self_test).lower(), test.t_ms)

    async def _rules_failed(self, page: Page, session: AutoconsentSession, action: str, record: ConsentRecord,
                            timeline: Timeline, why: str) -> ConsentRecord:
        banner = await heuristic.scan_page(page, self.vocabulary)
        if banner is None:
            return _fail(record, timeline, why)
        timeline.add("heuristic_fallback", banner.describe())
        cmp = record.cmp
        answered = await self._answer_with_heuristic(session, banner, action, record, timeline, keep_shown=True)
        answered.cmp = cmp
        if answered.outcome == "failed":
            answered.reason = f"{why}; {answered.reason}"
        return answered

    # ------------------------------------------------------------------ heuristic path
    async def _answer_with_heuristic(self, session: AutoconsentSession, banner: HeuristicBanner, action: str,
                                     record: ConsentRecord, timeline: Timeline, keep_shown: bool = False) -> ConsentRecord:
        record.method = "heuristic"
        if not keep_shown:
            record.banner_shown_ms = timeline.add("banner_shown", banner.describe(), banner.seen_ms)
        button = banner.refusal() if action == "reject" else banner.first("accept")
        if button is None and action == "reject":
            return await self._reject_in_settings(session, banner, record, timeline)
        if button is None:
            return _fail(record, timeline, f"banner has no accept button ({banner.describe()})")
        return await self._click_and_check(session, banner, button, record, timeline)

    async def _click_and_check(self, session: AutoconsentSession, banner: HeuristicBanner, button: heuristic.Button,
                               record: ConsentRecord, timeline: Timeline) -> ConsentRecord:
        armed = session.arm()
        timeline.add("answer", f"heuristic: click {button.label!r} ({button.kind})", armed)
        clicked = await heuristic.click(banner, button)
        closed = clicked and await heuristic.wait_gone(banner, self.options.close_timeout_s)
        if not closed:  # some banners only listen to trusted events
            timeline.add("retry", f"trusted click on {button.label!r}")
            clicked = await heuristic.trusted_click(banner, button) or clicked
            closed = clicked and await heuristic.wait_gone(banner, self.options.close_timeout_s)
        if not clicked:
            return _fail(record, timeline, f"could not click {button.label!r}")
        _mark_click(session, record, timeline, armed, session.state.now_ms())
        record.self_test = closed
        timeline.add("self_test", f"banner closed: {str(record.self_test).lower()}")
        if not record.self_test:
            return _fail(record, timeline, f"banner still visible after clicking {button.label!r}")
        record.outcome = "done"
        if button.kind in REFUSALS:
            record.refusal = button.kind
        return record

    async def _reject_in_settings(self, session: AutoconsentSession, banner: HeuristicBanner, record: ConsentRecord,
                                  timeline: Timeline) -> ConsentRecord:
        """No reject on the first layer: try the settings layer (reject there, or untick and save)."""
        settings = banner.first("settings")
        if settings is not None:
            session.arm()
            timeline.add("answer", f"heuristic: open settings {settings.label!r}")
            if await heuristic.click(banner, settings):
                await asyncio.sleep(0.7)
                layer = await heuristic.scan_page(banner.frame.page, self.vocabulary)
                if layer is not None and layer.refusal() is not None:
                    return await self._click_and_check(session, layer, layer.refusal(), record, timeline)
                if layer is not None and layer.first("save") is not None:
                    unticked = await heuristic.uncheck_all(layer)
                    timeline.add("untick", f"{unticked} optional purpose(s) switched off")
                    return await self._click_and_check(session, layer, layer.first("save"), record, timeline)
        record.outcome = "no_reject_option"
        record.reason = f"the banner offers {', '.join(banner.kinds()) or 'no classified buttons'} but no way to reject"
        timeline.add("no_reject_option", record.reason)
        return record


async def _consent_snapshot(page: Page) -> frozenset | None:
    """Every cookie of the visit (name, domain, value): a CMP's answer writes at least one."""
    try:
        return frozenset((c["name"], c["domain"], c["value"]) for c in await page.context.cookies())
    except Exception:  # noqa: BLE001 - a closed context has nothing to compare
        return None


def _mark_click(session: AutoconsentSession, record: ConsentRecord, timeline: Timeline, armed: float,
                until: float | None) -> None:
    """The answer's time: the last click between arming and the result (an API opt-out has none)."""
    clicks = [c for c in session.clicks_since(armed) if until is None or c.t_ms <= until]
    for c in clicks:
        timeline.add("click", f"{c.target} in {c.frame_url}", c.t_ms)
    if clicks:
        record.click_ms = clicks[-1].t_ms
    elif until is not None:
        record.click_ms = armed  # the engine called the CMP's API right after our instruction
        timeline.add("click", "answered through the CMP's API (no DOM click)", armed)
    if record.click_ms is not None and session.state.phase != "after_consent":  # "load", or "typing" (canaries)
        session.state.phase = "after_consent"


class _Hold:
    """The wait before an answer (``before_answer``), timed so the handler's budget can leave it out."""

    def __init__(self, before_answer: Callable[[], Awaitable[None]] | None) -> None:
        self._before_answer = before_answer
        self._since: float | None = None
        self._spent = 0.0

    @property
    def wanted(self) -> bool:
        return self._before_answer is not None

    async def wait(self) -> None:
        if self._before_answer is None:
            return
        self._since = time.monotonic()
        try:
            await self._before_answer()
        finally:
            self._spent, self._since = self.spent_s(), None

    def spent_s(self) -> float:
        return self._spent + (time.monotonic() - self._since if self._since is not None else 0.0)


async def _within_budget(task: asyncio.Future, budget_s: float, hold: _Hold) -> None:
    """``asyncio.wait_for(task, budget_s)``, with the time held before the answer added to the budget."""
    started = time.monotonic()
    try:
        while True:
            left = started + budget_s + hold.spent_s() - time.monotonic()
            if left <= 0:
                raise TimeoutError
            done, _ = await asyncio.wait({task}, timeout=left)
            if done:
                task.result()
                return
    finally:
        if not task.done():  # out of budget, or the caller was cancelled: the answer stops with it
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _copy_engine_events(session: AutoconsentSession, timeline: Timeline) -> None:
    names = {"cmpDetected": "cmp_detected", "popupFound": "banner_shown"}
    seen: set[tuple[str, str]] = set()
    for event in session.events:
        name = names.get(event.type)
        if name and (name, event.cmp) not in seen:
            seen.add((name, event.cmp))
            frame = event.frame.url if event.frame is not None else ""
            timeline.add(name, f"{event.cmp} in {frame}", event.t_ms)


def _fail(record: ConsentRecord, timeline: Timeline, reason: str) -> ConsentRecord:
    record.outcome, record.reason = "failed", reason
    timeline.add("failed", reason)
    return record


def default_consent_handler() -> ConsentOperator:
    return ConsentOperator()
