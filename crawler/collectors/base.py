"""Collectors: pluggable observers of one visit, each with the same lifecycle.

    setup()                 the context exists, no page yet: context-level hooks, bindings, init scripts
    attach(page)            the page exists, navigation has not started
    after_load(page)        the page loaded and settled
    collect(visit, inputs)  write what was observed into the Visit; return what later collectors read

Which collectors run, and in which order, is the list in ``CrawlOptions.collectors``
(``DEFAULT_COLLECTORS`` in ``crawler/collectors/__init__.py``). A collector that reads another's
result says so in ``needs``; the list must place it after those (``lineup.check_lineup``), and
``inputs.of(Producer)`` hands it the producer's typed result, or None when that producer failed.

The runner calls every stage of every collector inside its own try/timeout, so one broken
collector is reported in ``visit.collector_errors`` and never sinks the others or the visit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from playwright.async_api import BrowserContext, Page

from model.capture import Visit

if TYPE_CHECKING:
    from ..consent.autoconsent import AutoconsentSession

R = TypeVar("R")


@dataclass
class VisitState:
    """What every collector of one visit shares."""

    context: BrowserContext
    site_domain: str
    keep_values: bool = False
    t0: float | None = None  # monotonic time when navigation started
    phase: str = "load"  # switched to "after_consent" by the consent handler
    consent_session: AutoconsentSession | None = None  # the consent handler's engine, from its setup

    def now_ms(self) -> float:
        if self.t0 is None:
            return 0.0
        return round((time.monotonic() - self.t0) * 1000.0, 1)


class Inputs:
    """The results of the collectors that ran before, by collector name; absent when one failed."""

    def __init__(self, results: dict[str, Any]) -> None:
        self._results = results

    def of(self, producer: type[Collector[R]]) -> R | None:
        return self._results.get(producer.name)


class Collector(Generic[R]):
    """One observer of a visit; ``R`` is the type of what it hands to the collectors that need it."""

    name: ClassVar[str] = "collector"
    needs: ClassVar[tuple[type[Collector[Any]], ...]] = ()  # whose results collect() reads

    def __init__(self, state: VisitState) -> None:
        self.state = state

    async def setup(self) -> None:
        pass

    async def attach(self, page: Page) -> None:
        pass

    async def after_load(self, page: Page) -> None:
        pass

    async def collect(self, visit: Visit, inputs: Inputs) -> R | None:
        return None

    def keep(self, visit: Visit, data: Any) -> None:
        """Store output that has no field of its own in the Visit, under this collector's name."""
        visit.collected[self.name] = data
