"""The collectors of one visit, in the order of a collector list, with what each hands on.

A list is checked before any visit (``check_lineup``): names are unique (they namespace the output)
and every collector runs after the collectors it needs. During the visit ``VisitCollectors`` keeps
each collector's result and failures; a collector whose producer failed gets no result for it and
the visit says so in ``collector_errors`` (its output lacks that input), rather than quietly less.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from model.capture import CollectorError, Visit

from .base import Collector, Inputs, VisitState

CollectorClass = type[Collector[Any]]


def check_lineup(collectors: Sequence[CollectorClass]) -> None:
    """Raise ValueError naming the problem when the list cannot run as given."""
    seen: set[str] = set()
    for cls in collectors:
        if cls.name in seen:
            raise ValueError(f"two collectors are named {cls.name!r}: names namespace their output, so they must differ")
        for producer in cls.needs:
            if producer.name not in seen:
                where = "runs after it" if any(c.name == producer.name for c in collectors) else "is not in the list"
                raise ValueError(f"collector {cls.name!r} needs {producer.name!r}, which {where}; "
                                 f"order: {', '.join(c.name for c in collectors)}")
        seen.add(cls.name)


class VisitCollectors:
    """One visit's collector instances, run stage by stage by the visit runner."""

    def __init__(self, classes: Sequence[CollectorClass], state: VisitState) -> None:
        check_lineup(classes)
        self.collectors: list[Collector[Any]] = [cls(state) for cls in classes]
        self._results: dict[str, Any] = {}
        self._failures: dict[str, list[str]] = {}  # collector name → "stage: message" of each failed stage

    def __iter__(self) -> Iterator[Collector[Any]]:
        return iter(self.collectors)

    async def run(self, collector: Collector[Any], stage: str, visit: Visit, *args: Any) -> None:
        """One stage of one collector; ``collect`` gets its inputs and its result is kept for later ones."""
        if stage != "collect":
            await getattr(collector, stage)(*args)
            return
        self._note_missing_inputs(collector, visit)
        inputs = {p.name: self._results[p.name] for p in collector.needs if p.name in self._results}
        self._results[collector.name] = await collector.collect(visit, Inputs(inputs))

    def failed(self, collector: Collector[Any], stage: str, message: str, visit: Visit) -> None:
        """Record a failed stage in the visit, and for the collectors that read this one's result."""
        visit.partial = True
        visit.collector_errors.append(CollectorError(collector=collector.name, stage=stage, message=message))
        self._failures.setdefault(collector.name, []).append(f"{stage}: {message}")

    def _note_missing_inputs(self, collector: Collector[Any], visit: Visit) -> None:
        """A producer that failed at collect hands on nothing; one that failed earlier, maybe too little."""
        for producer in collector.needs:
            failures = self._failures.get(producer.name)
            if not failures:
                continue
            if producer.name in self._results:
                gap, consequence = "input may be incomplete", "used what it handed on"
            else:
                gap, consequence = "missing input", "ran without its result"
            visit.partial = True
            visit.collector_errors.append(CollectorError(
                collector=collector.name, stage="collect",
                message=f"{gap}: {producer.name} failed ({'; '.join(failures)}); {collector.name} {consequence}"))
