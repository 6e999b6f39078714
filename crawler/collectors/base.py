"""Collectors: pluggable observers of one visit, each with the same lifecycle.

    setup(state)        the context exists, no page yet: context-level hooks, bindings, init scripts
    attach(page)        the page exists, navigation has not started
    after_load(page)    the page loaded and settled
    collect(visit)      write what was observed into the Visit

The runner calls every stage of every collector inside its own try/timeout, so one broken
collector is reported in ``visit.collector_errors`` and never sinks the others or the visit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from playwright.async_api import BrowserContext, Page

from model.capture import Visit


@dataclass
class VisitState:
    """What every collector of one visit shares."""

    context: BrowserContext
    site_domain: str
    keep_values: bool = False
    t0: float | None = None  # monotonic time when navigation started
    phase: str = "load"  # switched to "after_consent" by the consent handler
    extras: dict = field(default_factory=dict)  # collectors may share derived data here

    def now_ms(self) -> float:
        if self.t0 is None:
            return 0.0
        return round((time.monotonic() - self.t0) * 1000.0, 1)


class Collector:
    name = "collector"

    def __init__(self, state: VisitState) -> None:
        self.state = state

    async def setup(self) -> None:
        pass

    async def attach(self, page: Page) -> None:
        pass

    async def after_load(self, page: Page) -> None:
        pass

    async def collect(self, visit: Visit) -> None:
        pass


COLLECTORS: list[type[Collector]] = []


def register_collector(cls: type[Collector]) -> type[Collector]:
    COLLECTORS.append(cls)
    return cls
