"""The audit plan: which homepage loads an audit spends, and what one visit tells the others.

``classic``: discovery loads the homepage in a context of its own, then every visit loads it again, side
by side (five loads for the default visits).

``lean`` (the default): the same visits, each still in its own fresh context with its own observation, but
- the first visit without a banner action (baseline) also decides where the site answers (https, else
  http) and hosts discovery: the policy links are read from its page once it has loaded and the policies
  load in a context of their own while it settles; the /.well-known/ files are fetched from its page only
  after its observation was collected, so nothing discovery does is part of the visit. One load saved.
- the other visits start as soon as the homepage has answered, not after discovery.
- the first banner visit (reject) says as soon as its banner search ends whether there is a banner; the
  other banner visits (accept) wait for that. When it found no banner and no consent manager on the page,
  they are skipped: they would load the same page to search for the same banner with the same patience
  and find the same nothing. Each skip is listed in ``Capture.skipped`` with its reason; each merge in
  the visit's ``plan``.
- the baseline visit has no page of its own (``CrawlOptions.merge_baseline``; by default only while
  another domain's crawl runs beside it, so a lone audit keeps the shorter wall time): a banner
  visit's page before its answer is a baseline page (crawler/baseline_phase.py). The reject visit loads
  the homepage first and hosts discovery; it answers its banner as soon as found (its click time decides
  what is "after reject"), so its page serves as the baseline only when it answered nothing within the
  settle time: a site without a banner, where accept is skipped. The accept visit holds its answer until
  the settle time is over and its page was observed as the baseline (when it opts in changes no
  finding). The baseline's ``observed_in`` names the visit whose page it was; both ``plan``s say so. One
  more homepage load saved, and the dearest kind: a full visit with its collectors.
- ``CrawlOptions.eager_banner_visits`` (off by default; for an audit someone waits for): the other banner
  visits do not wait for the reject visit's verdict, and are skipped only when it is already known as
  they get a slot. The wall time of a banner audit is then one visit's, not the verdict plus a visit.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from model.capture import SkippedVisit, Visit

from .baseline_phase import BASELINE, hosted_note
from .browser import LaunchedBrowser
from .deadline import Deadline
from .discovery import Discovery, FoldedDiscovery
from .visit_runner import VisitHooks, run_visit
from .visit_slots import CrawlSlots
from .visits import VisitSpec, visit_specs

if TYPE_CHECKING:
    from .crawl import CrawlOptions

PLANS = ("lean", "classic")
# A banner visit waits for the first banner visit's verdict at most this share of the crawl deadline:
# on a slow site it would otherwise start too late to finish, so it runs without the verdict, as in the
# classic plan (skipping is a saving, never a condition).
VERDICT_WAIT_SHARE = 0.15
FOLDED_NOTE = ("discovery folded into this visit: the policy links were read from its page once loaded (the "
               "policies loaded in a context of their own) and the /.well-known/ files fetched from it after "
               "its observation was collected, so none of it is part of this visit; one homepage load saved")


@dataclass(frozen=True)
class Roles:
    first: VisitSpec  # loads the homepage first: finds where it answers, hosts discovery
    scout: VisitSpec | None  # the first banner visit: whether it saw a banner decides the followers
    followers: tuple[VisitSpec, ...]  # the other banner visits
    merged: VisitSpec | None = None  # observed in a banner visit's page before its answer (no load of its own)

    @property
    def holder(self) -> VisitSpec | None:
        """The banner visit whose answer waits for the merged visit's observation."""
        return self.followers[0] if self.merged is not None else None


def roles(specs: list[VisitSpec], merge_baseline: bool = False) -> Roles:
    banner = [s for s in specs if s.consent_action]
    baseline = next((s for s in specs if s.name == BASELINE), None)
    if merge_baseline and len(banner) > 1 and baseline is not None:
        return Roles(banner[0], banner[0], tuple(banner[1:]), baseline)
    first = next((s for s in specs if not s.consent_action), specs[0])
    return Roles(first, banner[0] if banner else None, tuple(banner[1:]))


@dataclass
class LeanOutcome:
    start_url: str | None = None
    error: str | None = None  # why the homepage answered at no URL
    discovery: Discovery = field(default_factory=Discovery)
    visits: list[Visit] = field(default_factory=list)
    skipped: list[SkippedVisit] = field(default_factory=list)


class LeanAudit:
    """One domain's lean plan. ``slots`` bounds the visits running at once across every domain; this crawl
    is served at its rank (crawler/visit_slots.py)."""

    def __init__(self, browser: LaunchedBrowser, host: str, options: CrawlOptions, slots: CrawlSlots):
        self.browser, self.host, self.options, self.slots = browser, host, options, slots
        self.specs = visit_specs(options.visits)
        self.roles = roles(self.specs, options.merge_baseline is True and options.consent_handler is not None)
        loop = asyncio.get_running_loop()
        self._start: asyncio.Future = loop.create_future()  # (url or None, error, seconds since the site's clock)
        self._banner: asyncio.Future = loop.create_future()  # (True / False / None, monotonic time told)
        self._scout_started: asyncio.Future = loop.create_future()  # monotonic time the scout got its slot
        self._clock: float | None = None  # when the first visit got its slot: the crawl deadline counts from it
        self._folded: FoldedDiscovery | None = None
        self._candidates: dict[str, Visit | str] = {}  # the merged baseline as each banner page saw it, or why not
        self.outcome = LeanOutcome()

    async def run(self) -> LeanOutcome:
        loaded = [s for s in self.specs if s is not self.roles.merged]
        results = dict(zip((s.name for s in loaded),
                           await asyncio.gather(*(self._visit(s) for s in loaded), return_exceptions=True)))
        for spec in self.specs:
            result = results.get(spec.name) if spec is not self.roles.merged else self._merged_result(results)
            if isinstance(result, BaseException):
                self.outcome.visits.append(Visit(name=spec.name, url=self.outcome.start_url or f"https://{self.host}/",
                                                 partial=True, error=f"visit crashed: {result!r}"))
            elif result is not None:
                self.outcome.visits.append(result)
        if self.outcome.start_url is None:
            # Unreachable: as in the classic plan, no visits at all; what the address policy refused on the
            # way (a redirect inward, a name that rebinds) is the capture's, as discovery's was.
            first = next((v for v in self.outcome.visits if v.name == self.roles.first.name), None)
            self.outcome.discovery.blocked = list(first.blocked) if first is not None else []
            self.outcome.visits, self.outcome.skipped = [], []
        return self.outcome

    def _merged_result(self, results: dict[str, object]) -> Visit:
        """The holder's snapshot, else the scout's (taken when it answered nothing), else why neither."""
        hosts = [s.name for s in (self.roles.holder, self.roles.scout) if s is not None]
        for host in hosts:
            candidate, visit = self._candidates.get(host), results.get(host)
            if isinstance(candidate, Visit):
                if isinstance(visit, Visit):
                    visit.plan.append(hosted_note(candidate.settle_ms / 1000.0))
                return candidate
        why = "; ".join(f"{h}: {c}" for h in hosts if isinstance(c := self._candidates.get(h), str))
        assert self.roles.merged is not None
        return Visit(name=self.roles.merged.name, url=self.outcome.start_url or f"https://{self.host}/", partial=True,
                     error=f"observed in no banner visit's page ({why or 'none of them loaded the homepage'})")

    def _observed(self, host: str):
        def keep(candidate: Visit | str) -> None:
            self._candidates[host] = candidate
        return keep

    def _baseline_hooks(self, spec: VisitSpec) -> dict:
        if self.roles.merged is None or (spec is not self.roles.scout and spec is not self.roles.holder):
            return {}
        return {"baseline": self._observed(spec.name), "hold_answer": spec is self.roles.holder}

    # ------------------------------------------------------------------ the visits
    async def _visit(self, spec: VisitSpec) -> Visit | None:
        try:
            if spec is self.roles.first:
                return await self._first_visit(spec)
            return await self._later_visit(spec)
        finally:
            if spec is self.roles.scout:  # whatever happened, the followers do not wait for a verdict in vain
                self._scout_starts()
                self._tell_banner(None)

    async def _later_visit(self, spec: VisitSpec) -> Visit | None:
        url, _error, started_s = await asyncio.shield(self._start)
        if url is None:
            return None
        waited_s, note = started_s, None
        eager = spec in self.roles.followers and self.options.eager_banner_visits
        if spec in self.roles.followers and not eager:
            # Only the scout's own time counts (not its wait for a slot behind other domains).
            scout_started = await asyncio.shield(self._scout_started)
            patience = VERDICT_WAIT_SHARE * self.options.crawl_deadline_s
            try:
                seen, told = await asyncio.wait_for(asyncio.shield(self._banner),
                                                    max(0.0, scout_started + patience - time.monotonic()))
            except TimeoutError:
                seen, told = None, time.monotonic()
                note = (f"started without the {self.roles.scout.name} visit's banner verdict: none within "
                        f"{told - scout_started:.1f} s of its start, and the crawl deadline needs the time left")
            waited_s = started_s + max(0.0, told - scout_started)
            if seen is False:
                self.outcome.skipped.append(SkippedVisit(name=spec.name, reason=self._skip_reason(spec)))
                return None
        async with self.slots:
            if spec is self.roles.scout:
                self._scout_starts()
            if eager:  # no wait for the verdict; skipped only when it is already known
                if self._banner.done() and self._banner.result()[0] is False:
                    self.outcome.skipped.append(SkippedVisit(name=spec.name, reason=self._skip_reason(spec)))
                    return None
                note = (f"started without waiting for the {self.roles.scout.name} visit's banner verdict (eager banner "
                        "visits: the audit's wall time counts more than a page load it may not need)")
            # What the site's deadline has left once this visit could start (its wait for a slot behind
            # other domains is not charged to this site, as in the classic plan).
            deadline = Deadline.after(max(0.0, self.options.crawl_deadline_s - waited_s))
            visit = await run_visit(self.browser, spec, url, self.host, self.options.visit_options(deadline),
                                    VisitHooks(banner=self._tell_banner if spec is self.roles.scout else _ignore,
                                               **self._baseline_hooks(spec)))
        if note:
            visit.plan.append(note)
        return visit

    async def _first_visit(self, spec: VisitSpec) -> Visit:
        visit: Visit | None = None
        try:
            async with self.slots:
                self._clock = time.monotonic()
                if spec is self.roles.scout:
                    self._scout_starts()
                deadline = Deadline.after(self.options.crawl_deadline_s)
                visit = await self._load_first(spec, deadline)
                if not self._start.done() and not deadline.expired and not visit.cut:
                    # It failed inside the crawler (a busy browser), not at the site: the homepage was not
                    # even asked. One more try before the site is called unreachable.
                    failed = visit.error
                    visit = await self._load_first(spec, deadline)
                    visit.plan.append(f"the first attempt failed inside the crawler ({failed}); tried once more")
            if self._folded is not None:
                visit.plan.append(FOLDED_NOTE)
            return visit
        finally:  # whatever happened, nobody waits for an answer that will not come, nothing stays open
            error = visit.error if visit is not None else None
            self._answered(None, error or "the first visit ended before the homepage answered", Deadline())
            if self._folded is not None:
                await self._folded.close()

    async def _load_first(self, spec: VisitSpec, deadline: Deadline) -> Visit:
        hooks = VisitHooks(
            fallback_urls=(f"http://{self.host}/",),
            answered=lambda url, error: self._answered(url, error, deadline),
            loaded=self._loaded, collected=self._collected,
            banner=self._tell_banner if spec is self.roles.scout else _ignore, **self._baseline_hooks(spec))
        visit = await run_visit(self.browser, spec, f"https://{self.host}/", self.host,
                                self.options.visit_options(deadline), hooks)
        if not self._start.done() and visit.error and (deadline.expired or not self.browser.connected):
            self._answered(None, visit.error, deadline)
        return visit

    # ------------------------------------------------------------------ what the visits tell each other
    def _since_clock(self) -> float:
        return 0.0 if self._clock is None else time.monotonic() - self._clock

    def _answered(self, url: str | None, error: str | None, deadline: Deadline) -> None:
        if self._start.done():
            return
        self.outcome.start_url, self.outcome.error = url, None if url else error
        if url is not None:
            self._folded = FoldedDiscovery(self.browser, url, self.options.timeout_s, self.options.find_policies,
                                           deadline, self.options.discovery_s)
            self.outcome.discovery = self._folded.result
        else:
            self.outcome.discovery = Discovery(error=error)
        self._start.set_result((url, error, self._since_clock()))

    def _tell_banner(self, seen: bool | None) -> None:
        if not self._banner.done():
            self._banner.set_result((seen, time.monotonic()))

    def _scout_starts(self) -> None:
        if not self._scout_started.done():
            self._scout_started.set_result(time.monotonic())

    async def _loaded(self, page) -> None:
        if self._folded is not None:
            await self._folded.links(page)

    async def _collected(self, page, answered: bool) -> None:
        if self._folded is None:
            return
        try:
            await self._folded.finish(page, answered)
        finally:
            await self._folded.close()

    def _skip_reason(self, spec: VisitSpec) -> str:
        scout = self.roles.scout.name if self.roles.scout else "first banner"
        return (f"the {scout} visit found no cookie banner and no consent manager on the page, so an {spec.name} "
                f"visit would load the same page to search for the same banner and find the same nothing")


def _ignore(_seen: bool | None) -> None:
    return None
