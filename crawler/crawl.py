"""``crawl_domain``: discovery and every visit, each visit in its own fresh context, gathered into a Capture.

Which page loads that takes is the audit plan's business (crawler/audit_plan.py: ``lean`` by default,
``classic`` on request).

A ``Crawler`` keeps one browser for many domains and bounds how many visits run at once across
all of them; settle time is idle, so visits overlap and the CPU stays busy.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Literal

from playwright.async_api import Playwright, async_playwright

from model.capture import Capture, Visit
from model.domains import normalize_domain
from model.errors import ConsentwatchError

from .audit_plan import PLANS, LeanAudit
from .baseline_phase import BASELINE
from .browser import BrowserOptions, LaunchedBrowser, launch
from .collectors import DEFAULT_COLLECTORS, CollectorClass, check_lineup
from .consent import default_consent_handler
from .deadline import Deadline
from .discovery import Discovery, discover
from .errors import CrawlError
from .visit_runner import ConsentHandler, VisitOptions, run_visit
from .visit_slots import CrawlSlots, VisitSlots
from .visits import DEFAULT_VISITS, visit_specs

# Worst honest case: the homepage's load (https, then http) and discovery's budget, then the visits
# (side by side): a load, the banner, the settle. Hostile sites are cut there.
DEADLINE_TIMEOUTS = 6.0
DISCOVERY_TIMEOUTS = 1.5
DEFAULT_CONCURRENT_VISITS = 24
# CrawlOptions.merge_baseline: always, never, or only while another domain's crawl shares this Crawler.
MergeBaseline = bool | Literal["when_busy"]
ALONE_NOTE = ("a page of its own: no other crawl was running as this one started, so the baseline was not "
              "merged into a banner visit (merge_baseline='when_busy': the shorter wall time for a lone audit)")


@dataclass(frozen=True)
class CrawlOptions:
    browser: BrowserOptions = field(default_factory=BrowserOptions)
    visits: tuple[str, ...] = DEFAULT_VISITS
    timeout_s: float = 30.0  # one page load
    settle_s: float = 3.0
    keep_values: bool = False
    find_policies: bool = True
    # Measured (bench/crawl.py, headless shell, 2 cores): a visit is mostly idle settle, ~0.3 CPU-s;
    # 6 at once gave 57 visits/min, 12 gave 99, 24 gave 145 with every late request caught.
    max_concurrent_visits: int = DEFAULT_CONCURRENT_VISITS
    consent_handler: ConsentHandler | None = field(default_factory=default_consent_handler)  # banner visits
    deadline_s: float | None = None  # the whole crawl of a domain; None: DEADLINE_TIMEOUTS × timeout_s
    discovery_budget_s: float | None = None  # policy discovery's share; None: DISCOVERY_TIMEOUTS × timeout_s
    # A banner wait that clicked nothing counts as settle time (False: the five-load plan, which
    # settled again after it; tests/plan_findings.py records that plan's findings with it).
    overlap_banner_wait: bool = True
    collectors: tuple[CollectorClass, ...] = DEFAULT_COLLECTORS  # run in this order in every visit
    # "lean": discovery folded into the first visit, banner visits skipped when the first banner visit saw
    # none; "classic": discovery's own load, then every visit (crawler/audit_plan.py).
    plan: str = "lean"
    # Lean plan: the baseline visit is observed in a banner visit's page before its answer (accept holds its
    # answer for the settle time; reject never waits, its page serves only when it answered nothing), rather
    # than in a page of its own (crawler/baseline_phase.py). Fewer loads and CPU per audit, a few seconds
    # more wall time for one banner audit (README, "Measured"). "when_busy": merged only when another
    # domain's crawl is running in this Crawler as this one starts: a lone audit (someone waiting for it:
    # the popup's "Request audit", `consentwatch audit one.example`) gets the shorter wall time, a batch the
    # lower cost per audit.
    merge_baseline: MergeBaseline = "when_busy"
    # Lean plan: banner visits after the first start without waiting for its banner verdict (skipped only when
    # it is known by then): shorter wall time for one audit, a page load more on sites without a banner.
    eager_banner_visits: bool = False

    @property
    def crawl_deadline_s(self) -> float:
        return self.deadline_s if self.deadline_s is not None else DEADLINE_TIMEOUTS * self.timeout_s

    @property
    def discovery_s(self) -> float:
        budget = self.discovery_budget_s if self.discovery_budget_s is not None else DISCOVERY_TIMEOUTS * self.timeout_s
        return min(budget, self.crawl_deadline_s)

    def visit_options(self, deadline: Deadline = Deadline()) -> VisitOptions:
        return VisitOptions(self.timeout_s, self.settle_s, self.keep_values, self.consent_handler, deadline,
                            self.overlap_banner_wait, self.collectors)


class Crawler:
    """One browser, many domains. Use as ``async with Crawler(options) as crawler``."""

    def __init__(self, options: CrawlOptions | None = None) -> None:
        self.options = options or CrawlOptions()
        self._playwright_cm = None
        self._playwright: Playwright | None = None
        self._browser: LaunchedBrowser | None = None
        self._launch_lock = asyncio.Lock()
        self._slots = VisitSlots(self.options.max_concurrent_visits)
        self._crawling = 0  # crawls of this Crawler under way ("when_busy" merges only beside another)
        visit_specs(self.options.visits)  # fail early on unknown visit names
        check_lineup(self.options.collectors)  # and on a collector before one it needs
        if self.options.plan not in PLANS:
            raise ValueError(f"unknown audit plan {self.options.plan!r}; known: {', '.join(PLANS)}")

    async def __aenter__(self) -> Crawler:
        self._playwright_cm = async_playwright()
        self._playwright = await self._playwright_cm.__aenter__()
        await self._ensure_browser()
        return self

    async def __aexit__(self, *exc) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright_cm is not None:
            await self._playwright_cm.__aexit__(*exc)

    @property
    def browser(self) -> LaunchedBrowser:
        if self._browser is None:
            raise CrawlError("crawler not started: use `async with Crawler(...)`")
        return self._browser

    async def _ensure_browser(self) -> LaunchedBrowser:
        async with self._launch_lock:
            if self._browser is None or not self._browser.connected:
                if self._browser is not None:
                    await self._browser.close()  # crashed: start a new one for what follows
                assert self._playwright is not None
                try:
                    self._browser = await launch(self._playwright, self.options.browser)
                except ConsentwatchError:
                    raise  # BrowserNotFoundError and friends already say what is wrong
                except Exception as exc:  # Playwright's launch errors, reworded
                    raise CrawlError(f"could not launch Chromium: {str(exc).splitlines()[0]}") from exc
            return self._browser

    async def crawl(self, domain: str) -> Capture:
        """Crawl one domain. Raises InvalidDomainError for bad input; an unreachable site is a Capture."""
        host = normalize_domain(domain)
        browser = await self._ensure_browser()
        capture = Capture(domain=host, start_url=f"https://{host}/", started_at=time.time(),
                          browser_version=browser.version, browser_build=browser.build, user_agent=browser.user_agent,
                          deadline_s=self.options.crawl_deadline_s, values_kept=self.options.keep_values,
                          plan=self.options.plan)
        slots = self._slots.for_crawl()  # this crawl's visits go before those of crawls started after it
        if self.options.plan == "lean":
            self._crawling += 1
            try:
                return await self._crawl_lean(browser, host, capture, self._lean_options(), slots)
            finally:
                self._crawling -= 1
        async with slots:
            # The clock starts with the crawl's first slot: waiting behind other domains is not its fault.
            deadline = Deadline.after(self.options.crawl_deadline_s)
            found = await discover(browser, host, self.options.timeout_s, self.options.find_policies,
                                   deadline, self.options.discovery_s)
        _take_discovery(capture, found)
        if found.start_url is None:
            capture.reachable = False
            capture.error = found.error
        else:
            capture.start_url = found.start_url
            capture.visits = await self._run_visits(browser, capture.start_url, host, deadline.remaining(), slots)
            self._judge_visits(capture)
        return self._finish(capture)

    def _lean_options(self) -> CrawlOptions:
        """This crawl's options, with "when_busy" decided now (after counting this crawl in)."""
        if self.options.merge_baseline != "when_busy":
            return self.options
        return replace(self.options, merge_baseline=self._crawling > 1)

    async def _crawl_lean(self, browser: LaunchedBrowser, host: str, capture: Capture,
                          options: CrawlOptions, slots: CrawlSlots) -> Capture:
        outcome = await LeanAudit(browser, host, options, slots).run()
        if self.options.merge_baseline == "when_busy" and options.merge_baseline is False:
            for visit in outcome.visits:
                if visit.name == BASELINE:
                    visit.plan.append(ALONE_NOTE)
        _take_discovery(capture, outcome.discovery)
        capture.skipped = outcome.skipped
        if outcome.start_url is None:
            capture.reachable = False
            capture.error = outcome.error
        else:
            capture.start_url = outcome.start_url
            capture.visits = outcome.visits
            self._judge_visits(capture)
        return self._finish(capture)

    @staticmethod
    def _judge_visits(capture: Capture) -> None:
        capture.partial = any(v.partial or not v.ok for v in capture.visits)
        failed = [v for v in capture.visits if v.error]
        if failed and all(not v.ok for v in capture.visits):
            capture.error = "; ".join(f"{v.name}: {v.error}" for v in failed)

    @staticmethod
    def _finish(capture: Capture) -> Capture:
        capture.cut.extend(f"{v.name}: {c}" for v in capture.visits for c in v.cut)
        capture.partial = capture.partial or bool(capture.cut)
        capture.finished_at = time.time()
        return capture

    async def _run_visits(self, browser: LaunchedBrowser, url: str, host: str, left_s: float,
                          slots: CrawlSlots) -> list[Visit]:
        async def one(spec) -> Visit:
            async with slots:
                # The visits run side by side: each gets what discovery left of the deadline, counted
                # from its own slot, so waiting behind other domains' visits is not charged to this site.
                return await run_visit(browser, spec, url, host, self.options.visit_options(Deadline.after(left_s)))

        specs = visit_specs(self.options.visits)
        results = await asyncio.gather(*(one(s) for s in specs), return_exceptions=True)
        visits = []
        for spec, result in zip(specs, results):
            if isinstance(result, BaseException):
                visits.append(Visit(name=spec.name, url=url, partial=True, error=f"visit crashed: {result!r}"))
            else:
                visits.append(result)
        return visits


async def crawl_domain(domain: str, options: CrawlOptions | None = None) -> Capture:
    """The crawler's one entry point: crawl ``domain`` with a browser of its own."""
    normalize_domain(domain)  # bad input fails before a browser starts
    async with Crawler(options) as crawler:
        return await crawler.crawl(domain)


def _take_discovery(capture: Capture, found: Discovery) -> None:
    """What policy discovery found, cut and noted, into the capture; the same for either plan."""
    capture.policies, capture.well_known, capture.blocked = found.policies, found.well_known, found.blocked
    capture.cut.extend(found.cut)
    capture.discovery_notes = list(dict.fromkeys(found.notes))
