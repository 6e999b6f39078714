"""Runs one visit: fresh context → collectors → navigation → (consent action) → settle → collect.

Every step is bounded in time, so a hanging or hostile page ends with a partial visit rather
than a hung crawl; every collector stage is isolated, so one failure never loses the rest.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Protocol

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from .browser import LaunchedBrowser
from .capture import CollectorError, ConsentRecord, Visit
from .collectors import COLLECTORS, Collector, VisitState
from .collectors.network import mark_blocked
from .visits import VisitSpec

STAGE_TIMEOUT_S = 8.0
CLOSE_TIMEOUT_S = 5.0


class ConsentHandler(Protocol):
    """Operates cookie banners for visits whose spec has a ``consent_action`` (see the banner issue)."""

    async def setup(self, state: VisitState) -> None: ...

    async def operate(self, page: Page, state: VisitState, action: str) -> ConsentRecord: ...


@dataclass(frozen=True)
class VisitOptions:
    timeout_s: float = 30.0  # navigation (load event) limit
    settle_s: float = 3.0  # idle time after load to catch late requests
    keep_values: bool = False
    consent_handler: ConsentHandler | None = None


async def run_visit(browser: LaunchedBrowser, spec: VisitSpec, url: str, site_domain: str,
                    options: VisitOptions) -> Visit:
    visit = Visit(name=spec.name, url=url, started_at=time.time(), signals=spec.signals)
    started = time.monotonic()
    try:
        context = await browser.new_context(extra_http_headers=spec.extra_headers or None)
    except PlaywrightError as exc:
        visit.error = f"could not open a browser context: {_first_line(exc)}"
        return visit
    state = VisitState(context=context, site_domain=site_domain, keep_values=options.keep_values)
    collectors = [cls(state) for cls in COLLECTORS]
    try:
        await _prepare(context, spec, state, collectors, visit, options)
        page = await asyncio.wait_for(browser.new_page(context), STAGE_TIMEOUT_S)
        page.on("dialog", _dismiss)
        await _stage(collectors, "attach", visit, page)
        state.t0 = time.monotonic()
        await _navigate(page, url, visit, options)
        if spec.consent_action and visit.status is not None:
            visit.consent = await _operate_consent(page, state, spec.consent_action, options)
        visit.settle_ms = options.settle_s * 1000.0
        await asyncio.sleep(options.settle_s)  # idle: other contexts use the CPU meanwhile
        await _stage(collectors, "after_load", visit, page)
    except (PlaywrightError, asyncio.TimeoutError) as exc:
        visit.partial = True
        visit.error = visit.error or f"visit interrupted: {_first_line(exc) or type(exc).__name__}"
    finally:
        await _stage(collectors, "collect", visit, visit)
        await _close(context)
        visit.blocked = browser.blocked_requests(context)
        mark_blocked(visit.requests, visit.blocked)
    visit.duration_ms = round((time.monotonic() - started) * 1000.0, 1)
    visit.ok = visit.status is not None and visit.error is None
    return visit


async def _prepare(context, spec: VisitSpec, state: VisitState, collectors: list[Collector], visit: Visit,
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

    page.on("response", on_response)
    try:
        response = await page.goto(url, wait_until="load", timeout=options.timeout_s * 1000.0)
    except PlaywrightTimeoutError:
        visit.partial = True
        visit.error = f"page did not finish loading within {options.timeout_s:g} s"
        visit.final_url = page.url
        visit.status = documents[-1] if documents else None
        return
    except PlaywrightError as exc:
        visit.error = f"navigation failed: {_first_line(exc)}"
        return
    finally:
        page.remove_listener("response", on_response)
    visit.final_url = page.url
    visit.status = response.status if response is not None else None


async def _operate_consent(page: Page, state: VisitState, action: str, options: VisitOptions) -> ConsentRecord:
    if options.consent_handler is None:
        return ConsentRecord(outcome="failed", reason="no consent handler installed")
    try:
        return await asyncio.wait_for(options.consent_handler.operate(page, state, action), options.timeout_s)
    except asyncio.TimeoutError:
        return ConsentRecord(outcome="failed", reason=f"banner handling exceeded {options.timeout_s:g} s")


async def _stage(collectors: list[Collector], stage: str, visit: Visit, *args) -> None:
    for collector in collectors:
        method = getattr(collector, stage)
        try:
            await asyncio.wait_for(method(*args), STAGE_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            visit.partial = True
            message = _first_line(exc) or type(exc).__name__
            if isinstance(exc, asyncio.TimeoutError):
                message = f"timed out after {STAGE_TIMEOUT_S:g} s"
            visit.collector_errors.append(CollectorError(collector=collector.name, stage=stage, message=message))


async def _close(context) -> None:
    try:
        await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - a crashed browser has nothing left to close
        pass


def _dismiss(dialog) -> Awaitable | None:
    return asyncio.ensure_future(_safe(dialog.dismiss()))


async def _safe(coro) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
