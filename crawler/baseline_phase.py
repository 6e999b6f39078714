"""The baseline visit observed in a banner visit's page, before any answer (the lean plan's merge).

A baseline visit loads the homepage in a fresh context, leaves it alone for the settle time, types the
canaries, reads the consent state, and collects. A banner visit's page, up to its answer, is exactly
that page: a fresh context, the same homepage, nothing done to it. So the lean plan runs no page for
the baseline: in a banner visit, from load on, the banner search runs (its verdict still tells the
other banner visits at once) while this phase waits the settle time, runs every collector's after-load
stage (canaries, storage, consent state) and snapshots what every collector holds as a ``baseline``
visit. The snapshot is a deep copy: the banner visit's own records keep changing after it.

Which banner visit may wait with its answer is the audit plan's choice (crawler/audit_plan.py): the
accept visit holds its answer for the phase (when it opts in changes no finding), the reject visit does
not (its click time decides what is "after reject"), so its phase counts only when no banner was
answered before the settle time was over: a site without a banner.

When the page never got that far (an error, the crawl deadline), the baseline is what the visit saw
when nothing was done to it (no banner answered), else it has none and says why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import msgspec
from playwright.async_api import Page

from model.capture import ConsentRecord, Visit

from .collectors import VisitCollectors
from .deadline import Deadline

BASELINE = "baseline"
# Visit.plan notes; tests and readers match on these openings.
OBSERVED_IN = "merged: observed in the {host} visit's page"
HOSTED = "merged: this page was also the baseline visit's"
STEP_S = 8.0  # bound on waiting for an unfinished phase when the visit ends (the runner's stage bound)

Stage = Callable[..., Awaitable[bool]]  # the runner's _stage: did a collector time out
WrapUp = Callable[[Visit], Awaitable[None]]


class BaselinePhase:
    """One banner visit's no-interaction phase, snapshot as a candidate for the baseline visit.

    ``hold``: the banner answer waits for the snapshot (the accept visit: when it answers changes no
    finding). Without it (the reject visit, whose click time decides what counts as "after reject"), an
    answer before the settle time ends the phase unobserved; an answer while the snapshot is being
    taken waits for it, so a snapshot never contains an interaction."""

    def __init__(self, visit: Visit, page: Page, collectors: VisitCollectors, settle_s: float, deadline: Deadline,
                 loaded: float, stage: Stage, hold: bool) -> None:
        self.visit, self.page, self.collectors, self.stage = visit, page, collectors, stage
        self.settle_s, self.deadline, self.loaded, self.hold = settle_s, deadline, loaded, hold
        self.snapshot: Visit | None = None
        self.error: str | None = None
        self.observed_s = 0.0  # how long after load the snapshot was taken
        self._task: asyncio.Task | None = None
        self._taking = False

    def start(self, wrap_up: WrapUp) -> None:
        self._task = asyncio.create_task(self._observe(wrap_up))

    async def before_answer(self) -> None:
        """The banner handler calls this before its first action on the page."""
        if self._task is None or self._task.done():
            return
        if self.hold or self._taking:
            await asyncio.wait({self._task})
            return
        self._task.cancel()
        self.error = (f"the {self.visit.name} visit answered its banner {time.monotonic() - self.loaded:.1f} s after "
                      f"load, before the {self.settle_s:g} s settle time was over")

    async def finished(self) -> None:
        if self._task is not None:
            await asyncio.wait({self._task})

    async def _observe(self, wrap_up: WrapUp) -> None:
        try:
            wanted = max(0.0, self.settle_s - (time.monotonic() - self.loaded))
            settle = self.deadline.bound(wanted) if wanted > 0 else 0.0
            await asyncio.sleep(settle)
            self._taking = True
            snapshot = _copy(self.visit, BASELINE)
            snapshot.consent = None
            if settle < wanted:
                snapshot.cut.append(f"settle shortened from {wanted:.1f} s to {settle:.1f} s by the crawl deadline")
            self.observed_s = time.monotonic() - self.loaded
            snapshot.settle_ms = round(self.observed_s * 1000.0, 1)
            await self.stage(self.collectors, "after_load", snapshot, self.page)
            await self.stage(self.collectors, "collect", snapshot, snapshot, deadline=self.deadline)
            await wrap_up(snapshot)
            snapshot.duration_ms = round((time.time() - snapshot.started_at) * 1000.0, 1)
            snapshot.partial = snapshot.partial or bool(snapshot.cut)
            snapshot.ok = snapshot.status is not None and snapshot.error is None
            self.snapshot = _copy(snapshot, BASELINE)  # frozen: the page's records keep changing
        except Exception as exc:  # noqa: BLE001 - the banner visit goes on; the baseline says why it is empty
            self.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")

    @staticmethod
    async def outcome(phase: BaselinePhase | None, visit: Visit, deadline: Deadline) -> Visit | str:
        """Once the banner visit ``visit`` has ended and collected: the baseline observed in its page, or
        why there is none."""
        if phase is not None and phase._task is not None:
            done, _ = await asyncio.wait({phase._task}, timeout=deadline.step(STEP_S))
            if not done:
                phase._task.cancel()
                await asyncio.gather(phase._task, return_exceptions=True)
                phase.error = phase.error or "its observation did not finish in time"
            if phase.snapshot is not None:
                snapshot = phase.snapshot
                snapshot.observed_in = visit.name
                snapshot.plan.append(
                    OBSERVED_IN.format(host=visit.name) + f" (a fresh context, the same homepage): its first "
                    f"{phase.observed_s:.1f} s after load, before anything answered a banner; the settle, "
                    "canaries and consent state read there, then every collector's record copied as this "
                    "visit; one homepage load saved")
                return snapshot
        why = (phase.error if phase is not None else None) or "the page never loaded"
        if visit.consent is not None and visit.consent.click_ms is not None:
            return why
        return _baseline_from_whole(visit, why)


def hosted_note(observed_s: float) -> str:
    return (HOSTED + f": its first {observed_s:.1f} s after load, before any answer, were observed as the "
            "baseline visit")


def _baseline_from_whole(visit: Visit, reason: str) -> Visit:
    """The banner visit ended before its baseline phase did, and answered nothing: all it saw."""
    whole = _copy(visit, BASELINE)
    state = visit.consent.state if visit.consent is not None else {}
    whole.consent = ConsentRecord(outcome="not_attempted", state=dict(state)) if state else None
    whole.observed_in = visit.name
    whole.plan.append(OBSERVED_IN.format(host=visit.name) + f": no banner was answered there, so all it saw is "
                      f"this visit's no-interaction observation ({reason})")
    return whole


def _copy(visit: Visit, name: str) -> Visit:
    copied = msgspec.json.decode(msgspec.json.encode(visit), type=Visit)
    copied.name = name  # type: ignore[assignment]
    copied.plan = list(copied.plan)
    return copied
