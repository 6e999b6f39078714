"""Importing this package registers the built-in collectors (order = run order)."""

from . import network, storage, cookies, page_info, instrumentation, bot_wall  # noqa: F401  (registration side effects)
from .base import COLLECTORS, Collector, VisitState, register_collector

__all__ = ["COLLECTORS", "Collector", "VisitState", "register_collector"]
