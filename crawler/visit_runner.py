"""Runs one visit: fresh context → collectors → navigation → (consent action) → settle → collect.

Every step is bounded in time, so a hanging or hostile page ends with a partial visit rather
than a hung crawl; every collector stage is isolated, so one failure never loses the rest.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from model.capture import ConsentRecord, Visit

from .baseline_phase import BaselinePhase
from .browser import LaunchedBrowser
from .collectors import DEFAULT_COLLECTORS, CollectorClass, VisitCollectors, VisitState
from .collectors.network import mark_blocked
from .deadline import MIN_STEP_S, Deadline
from .discovery import unreachable_error
from .errors import first_line
from .page_guard import PageGuard
from .visits import VisitSpec

STAGE_TIMEOUT_S = 8.0
STALLED_NOTE = " (an earlier collector of this stage had timed out: the page was not answering)"
FROZEN_NOTE = "the page had stopped answering (a collector's after-load read of it timed out)"
UNDISGUISED_NOTE = ("service worker {url}: its client-hints disguise was not confirmed to precede its first statements, "
                    "which may have read the headless shell's (crawler/worker_disguise.py)")
CLOSE_TIMEOUT_S = 5.0


class ConsentHandler(Protocol):
    """Operates cookie banners for visits whose spec has a ``consent_action`` (see the banner issue)."""

    async def setup(self, state: VisitState) -> None: ...

    async def operate(self, page: Page, state: VisitState, action: str,
                      on_banner: Callable[[bool | None], None] | None = None,
                      before_answer: Callable[[], Awaitable[None]] | None = None) -> ConsentRecord: ...


@dataclass(frozen=True)
class VisitOptions:
    timeout_s: float = 30.0  # navigation (load event) limit
    settle_s: float = 3.0  # idle time after load to catch late requests
    keep_values: bool = False
    consent_handler: ConsentHandler | None = None
    deadline: Deadline = Deadline()  # the crawl's: every wait below is bounded by it
    overlap_banner_wait: bool = True  # a banner wait that clicked nothing counts as settle time
    collectors: tuple[CollectorClass, ...] = DEFAULT_COLLECTORS  # in run order


def _nothing(*_args) -> None:
    return None


@dataclass(frozen=True)
class VisitHooks:
    """How the audit plan (crawler/audit_plan.py) rides on a visit: the first visit of a lean audit tries
    the homepage's other URLs when one gives no response, says where the homepage answered, lends its
    page to discovery once loaded and again once its observation is collected; a banner visit tells as
    soon as it knows whether there is a banner."""

    fallback_urls: tuple[str, ...] = ()  # tried in turn, each in a fresh page, when the URL gives no response
    answered: Callable[[str | None, str | None], None] = _nothing  # (URL that answered, or None and why)
    loaded: Callable[[Page], Awaitable[None]] | None = None  # the page has loaded (or stopped trying)
    banner: Callable[[bool | None], None] = _nothing  # True: a banner; False: none and no CMP; None: unknown
    # The visit's observation is complete: its page (None if it got no document) and whether the page still
    # answered (False once a collector's after-load read of it timed out: a frozen page).
    collected: Callable[[Page | None, bool], Awaitable[None]] | None = None
    # A banner visit whose no-interaction phase may serve as the baseline visit (crawler/baseline_phase.py)
    # hands its snapshot (or why there is none) to this; ``hold_answer``: the banner answer waits for it.
    baseline: Callable[[Visit | str], None] | None = None
    hold_answer: bool = False


async def run_visit(browser: LaunchedBrowser, spec: VisitSpec, url: str, site_domain: str,
                    options: VisitOptions, hooks: VisitHooks = VisitHooks()) -> Visit:
    visit = Visit(name=spec.name, url=url, started_at=time.time(), signals=spec.signals)
    started = time.monotonic()
    context = await _open_context(browser, spec, visit, options.deadline)
    if context is None:
        return visit
    state = VisitState(context=context, site_domain=site_domain, keep_values=options.keep_values)
    collectors = VisitCollectors(options.collectors, state)
    guard: PageGuard | None = None
    page: Page | None = None
    deadline = options.deadline
    errors: list[str] = []  # each homepage URL tried that gave no response
    answered = False
    baseline: BaselinePhase | None = None
    page_answered = True
    try:
        async with deadline.scope() as cut:
            guard = await PageGuard(context).install()
            await _prepare(context, spec, state, collectors, visit, options)
            for attempt, candidate in enumerate((url, *hooks.fallback_urls)):
                if attempt:  # a fresh page: leaving a network-error page can be interrupted by Chromium
                    errors.append(visit.error or "")
                    visit.error, visit.url = None, candidate
                page = await _open_page(browser, context, guard, visit, options, first=bool(hooks.fallback_urls))
                page.on("dialog", _dismiss)
                await _stage(collectors, "attach", visit, page)
                state.t0 = time.monotonic()
                if not hooks.fallback_urls:
                    await _navigate(page, candidate, visit, options)
                    break
                if await _navigate_first(page, candidate, visit, options):
                    hooks.answered(candidate, None)
                    answered = True
                    break
            if hooks.fallback_urls and not answered:
                errors.append(visit.error or "")
                visit.error = unreachable_error(browser, context, errors)
                hooks.answered(None, visit.error)
                answered = True
                raise _Unreachable()
            loaded = time.monotonic()
            if hooks.baseline is not None:  # observed from load on, before anything else may act on the page
                baseline = BaselinePhase(visit, page, collectors, options.settle_s, options.deadline, loaded, _stage,
                                         hooks.hold_answer)
                baseline.start(lambda snapshot: _wrap_up(snapshot, browser, context, guard))
            if hooks.loaded is not None:
                await hooks.loaded(page)
            if spec.consent_action and visit.status is not None:
                visit.consent = await _operate_consent(page, state, spec.consent_action, options, hooks,
                                                       baseline.before_answer if baseline is not None else None)
            if baseline is not None:  # the visit's own after-load stage must not run beside the snapshot's
                await baseline.finished()
            await _settle(visit, options, _settled_while_waiting(visit, loaded) if options.overlap_banner_wait else 0.0)
            page_answered = not await _stage(collectors, "after_load", visit, page)
    except _Unreachable:
        pass
    except (TimeoutError, PlaywrightError) as exc:
        visit.partial = True
        if cut.expired():
            visit.cut.append(f"stopped at the crawl deadline ({deadline.describe()}) "
                             f"{(time.monotonic() - started):.1f} s into the visit")
        else:
            visit.error = visit.error or f"visit interrupted: {first_line(exc) or type(exc).__name__}"
    finally:
        # Wrap-up: work stopped WRAP_UP_S before the deadline; collecting (from memory) and closing
        # use that reserve, each step at least MIN_STEP_S, so a cut crawl ends just past its deadline.
        await _stage(collectors, "collect", visit, visit, deadline=deadline)
        if hooks.baseline is not None:
            hooks.baseline(await BaselinePhase.outcome(baseline, visit, deadline))
        if hooks.fallback_urls and not answered and (visit.cut or deadline.expired):  # cut before an answer
            hooks.answered(None, f"site did not answer before the crawl deadline ({deadline.describe()})")
        hooks.banner(None)  # no-op when the handler already told; otherwise: unknown
        # Only a page that got a document ran site code: one still waiting on its navigation (a site that
        # never answers) has nothing to read, and asking it waits out each timeout for nothing; so does
        # asking a page whose main thread stopped answering.
        document_page = page if visit.status is not None else None
        if hooks.collected is not None:
            await _safe(hooks.collected(document_page, page_answered))
        if guard is not None and document_page is not None and page_answered:
            visit.popups_blocked = await guard.blocked_popups(document_page, deadline.step(2.0))
        elif document_page is not None:
            visit.cut.append(f"popups blocked not counted: {FROZEN_NOTE}")
        await _close(context, deadline.step(CLOSE_TIMEOUT_S))
        visit.blocked = browser.blocked_requests(context)
        mark_blocked(visit.requests, visit.blocked)
        visit.cut.extend(UNDISGUISED_NOTE.format(url=url) for url in browser.undisguised_service_workers(context))
    if guard is not None:
        visit.popups_closed, visit.downloads_cancelled = guard.popups_closed, guard.downloads_cancelled
    visit.partial = visit.partial or bool(visit.cut)
    if not browser.connected:  # its events stopped mid-visit: say so rather than leave a quiet gap
        visit.partial = True
        visit.error = visit.error or "the browser crashed or was killed during the visit"
    visit.duration_ms = round((time.monotonic() - started) * 1000.0, 1)
    visit.ok = visit.status is not None and visit.error is None
    return visit


async def _open_page(browser: LaunchedBrowser, context: BrowserContext, guard: PageGuard, visit: Visit,
                     options: VisitOptions, first: bool) -> Page:
    """The visit's page. The plan's first visit is also the site's reachability check: like discovery's own
    page, its page gets the page-load limit to open in, so a busy browser is not an unreachable site. Any
    other visit's page may take what is left of the crawl: a browser swamped by a storm of frames and
    workers took longer than the 8 s this once had, and the visit then ended "interrupted" instead of cut
    at the deadline, which is what happened (the deadline's scope around the visit cuts this wait)."""
    if first:
        limit: float | None = options.deadline.bound(options.timeout_s)
    else:
        limit = STAGE_TIMEOUT_S if math.isinf(options.deadline.at) else None
    try:
        return await asyncio.wait_for(guard.new_page(lambda: browser.new_page(context)), limit)
    except TimeoutError:
        if limit is not None:  # our own limit, not one from inside the open
            visit.error = f"the browser did not open the visit's page within {limit:g} s"
        raise


async def _prepare(context, spec: VisitSpec, state: VisitState, collectors: VisitCollectors, visit: Visit,
                   options: VisitOptions) -> None:
    for script in spec.init_scripts:
        await context.add_init_script(script)
    await _stage(collectors, "setup", visit)
    if spec.consent_action and options.consent_handler is not None:
        await options.consent_handler.setup(state)


async def _navigate(page: Page, url: str, visit: Visit, options: VisitOptions) -> None:
    documents: list[int] = []
    # Remember the main document's status: a page whose load event never comes (a hanging
    # subresource) is still a page the visitor sees, with a banner to answer.
    def on_response(response) -> None:
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            documents.append(response.status)
            visit.status = response.status  # kept even when the crawl deadline cuts the wait short

    page.on("response", on_response)
    limit = options.deadline.bound(options.timeout_s)
    try:
        response = await page.goto(url, wait_until="load", timeout=limit * 1000.0)
    except PlaywrightTimeoutError:
        visit.partial = True
        visit.error = f"page did not finish loading within {limit:g} s"
        if limit < options.timeout_s:
            visit.cut.append(f"load wait shortened from {options.timeout_s:g} s to {limit:.1f} s by the crawl deadline")
        visit.final_url = page.url
        visit.status = documents[-1] if documents else None
        return
    except PlaywrightError as exc:
        visit.error = f"navigation failed: {first_line(exc)}"
        return
    finally:
        page.remove_listener("response", on_response)
    visit.final_url = page.url
    visit.status = response.status if response is not None else None


class _Unreachable(Exception):
    """No URL of the homepage gave a response: the visit ends here (its error says why)."""


async def _navigate_first(page: Page, url: str, visit: Visit, options: VisitOptions) -> bool:
    """The plan's first load of the homepage: did ``url`` give a response (then wait for the load event
    as any visit does)? "commit" proves the site answers even when a blocking script stalls the parse."""
    limit = options.deadline.bound(options.timeout_s)
    started = time.monotonic()
    try:
        response = await page.goto(url, wait_until="commit", timeout=limit * 1000.0)
    except PlaywrightTimeoutError:
        visit.error = f"{url}: no response within {limit:g} s"
        return False
    except PlaywrightError as exc:
        visit.error = f"{url}: {first_line(exc)}"
        return False
    visit.status = response.status if response is not None else None
    left = max(0.01, limit - (time.monotonic() - started))
    try:
        await page.wait_for_load_state("load", timeout=left * 1000.0)
    except PlaywrightTimeoutError:
        visit.partial = True
        visit.error = f"page did not finish loading within {limit:g} s"
        if limit < options.timeout_s:
            visit.cut.append(f"load wait shortened from {options.timeout_s:g} s to {limit:.1f} s by the crawl deadline")
    except PlaywrightError as exc:
        visit.error = f"navigation failed: {first_line(exc)}"
    visit.final_url = page.url
    return True


async def _operate_consent(page: Page, state: VisitState, action: str, options: VisitOptions,
                           hooks: VisitHooks, before_answer: Callable[[], Awaitable[None]] | None = None
                           ) -> ConsentRecord:
    if options.consent_handler is None:
        return ConsentRecord(outcome="failed", reason="no consent handler installed")
    if before_answer is None:
        limit = options.deadline.bound(options.timeout_s)
        operating = options.consent_handler.operate(page, state, action, on_banner=hooks.banner)
    else:  # the answer waits for the baseline phase: the settle and its after-load stage
        limit = options.deadline.bound(options.timeout_s + options.settle_s + 2 * STAGE_TIMEOUT_S)
        operating = options.consent_handler.operate(page, state, action, on_banner=hooks.banner,
                                                    before_answer=before_answer)
    try:
        return await asyncio.wait_for(operating, limit)
    except TimeoutError:
        return ConsentRecord(outcome="failed", reason=f"banner handling exceeded {limit:.3g} s")


async def _wrap_up(snapshot: Visit, browser: LaunchedBrowser, context, guard: PageGuard | None) -> None:
    """What the runner adds to a visit beside its collectors, for a baseline phase's snapshot."""
    snapshot.blocked = browser.blocked_requests(context)
    mark_blocked(snapshot.requests, snapshot.blocked)
    if guard is not None:
        snapshot.popups_closed, snapshot.downloads_cancelled = guard.popups_closed, guard.downloads_cancelled


def _settled_while_waiting(visit: Visit, loaded: float) -> float:
    """Idle time already spent after load: a banner wait that found nothing to click (or a click
    that never happened) is settle time too, so it is not paid twice."""
    consent = visit.consent
    if consent is None or consent.click_ms is not None:
        return 0.0  # no banner visit, or something was clicked: the after-consent phase needs its own settle
    waited = time.monotonic() - loaded
    visit.plan.append(f"settle overlapped with the banner wait ({waited:.1f} s, {consent.outcome}): "
                      "nothing was clicked, so the page had been idle since load")
    return waited


async def _settle(visit: Visit, options: VisitOptions, already_s: float = 0.0) -> None:
    """Idle after load (or after the consent click) to catch late requests; other contexts use the CPU."""
    wanted = max(0.0, options.settle_s - already_s)
    settle = options.deadline.bound(wanted) if wanted > 0 else 0.0
    if settle < wanted:
        visit.cut.append(f"settle shortened from {wanted:.1f} s to {settle:.1f} s by the crawl deadline")
    visit.settle_ms = (settle + min(already_s, options.settle_s)) * 1000.0
    await asyncio.sleep(settle)


async def _stage(collectors: VisitCollectors, stage: str, visit: Visit, *args,
                 deadline: Deadline = Deadline()) -> bool:
    """Each collector's ``stage``, one after the other, each bounded. Once one has timed out, the page (or
    the browser) is not answering: the collectors after it get MIN_STEP_S, not STAGE_TIMEOUT_S each (a
    page spinning its main thread cost 8 s per collector that reads it, all that time on a core).
    Whether one timed out: the caller's own reads of the page would wait the same way."""
    stalled = False
    for collector in collectors:
        timeout_s = deadline.step(MIN_STEP_S if stalled else STAGE_TIMEOUT_S)
        try:
            await asyncio.wait_for(collectors.run(collector, stage, visit, *args), timeout_s)
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            message = first_line(exc) or type(exc).__name__
            if isinstance(exc, asyncio.TimeoutError):
                message = f"timed out after {timeout_s:g} s" + (STALLED_NOTE if stalled else "")
                stalled = True
            collectors.failed(collector, stage, message, visit)
    return stalled


_LATE_CONTEXTS: set[asyncio.Task] = set()  # contexts given up on while opening: closed once they exist


async def _open_context(browser: LaunchedBrowser, spec: VisitSpec, visit: Visit,
                        deadline: Deadline) -> BrowserContext | None:
    """The visit's fresh context, or None with the reason on ``visit``. Bounded by the crawl deadline: a
    browser swamped by other pages (a storm of frames and workers) took tens of seconds to open one, past
    the deadline of the whole crawl. A context given up on is closed as soon as it exists, never leaked."""
    limit = None if math.isinf(deadline.at) else deadline.step(math.inf)
    opening = asyncio.ensure_future(browser.new_context(extra_http_headers=spec.extra_headers or None))
    try:
        return await asyncio.wait_for(asyncio.shield(opening), limit)
    except PlaywrightError as exc:
        visit.error = f"could not open a browser context: {first_line(exc)}"
        return None
    except BaseException as exc:  # the deadline, or the crawl cancelled meanwhile: close it once it exists
        _LATE_CONTEXTS.add(opening)
        opening.add_done_callback(_close_late_context)
        if not isinstance(exc, TimeoutError):
            raise
    visit.partial = True
    visit.cut.append(f"stopped at the crawl deadline ({deadline.describe()}): its browser context had not "
                     f"opened after {limit:.1f} s")
    return None


def _close_late_context(opening: asyncio.Task) -> None:
    _LATE_CONTEXTS.discard(opening)
    if not opening.cancelled() and opening.exception() is None:
        closing = asyncio.ensure_future(_close(opening.result()))
        _LATE_CONTEXTS.add(closing)
        closing.add_done_callback(_LATE_CONTEXTS.discard)


async def _close(context, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
    try:
        await asyncio.wait_for(context.close(), timeout_s)
    except Exception:  # noqa: BLE001 - a crashed browser has nothing left to close
        pass


def _dismiss(dialog) -> Awaitable | None:
    return asyncio.ensure_future(_safe(dialog.dismiss()))


async def _safe(coro) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001
        pass
