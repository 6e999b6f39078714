"""The collectors of a visit. ``DEFAULT_COLLECTORS`` is the list ``CrawlOptions.collectors`` starts
from, in run order: a collector that reads another's result (``needs``) comes after it."""

from __future__ import annotations

from ..consent.state_collector import ConsentStateCollector
from .base import Collector, Inputs, VisitState
from .bot_wall import BotWallCollector
from .cookies import CookieCollector
from .instrumentation import InstrumentationCollector
from .lineup import CollectorClass, VisitCollectors, check_lineup
from .network import NetworkCollector
from .page_info import PageInfoCollector
from .storage import StorageCollector

DEFAULT_COLLECTORS: tuple[CollectorClass, ...] = (
    NetworkCollector,
    StorageCollector,
    CookieCollector,  # needs network (Set-Cookie times) and storage (document.cookie write times)
    PageInfoCollector,
    InstrumentationCollector,
    BotWallCollector,
    ConsentStateCollector,
)

__all__ = [
    "DEFAULT_COLLECTORS",
    "Collector",
    "CollectorClass",
    "Inputs",
    "VisitCollectors",
    "VisitState",
    "check_lineup",
]
