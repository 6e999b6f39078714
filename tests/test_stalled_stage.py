"""Once a collector of a stage timed out, the page is not answering: the collectors after it in that stage
get a short wait, not the full stage timeout each (a page spinning its main thread cost 8 s per collector
that reads it). Collectors that answer are not affected, and every collector still runs."""

from __future__ import annotations

import asyncio

import pytest

import crawler.visit_runner as visit_runner
from crawler.collectors.base import Collector, VisitState
from crawler.collectors.lineup import VisitCollectors
from crawler.deadline import MIN_STEP_S
from model.capture import Visit

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _collector(name: str, answers: bool, calls: list[str]) -> type[Collector]:
    class Probe(Collector):
        async def after_load(self, page) -> None:
            calls.append(name)
            if not answers:
                await asyncio.Event().wait()  # a page whose main thread never gets to it

    Probe.name = name
    return Probe


def _run(lineup: list[tuple[str, bool]]):
    calls: list[str] = []
    collectors = VisitCollectors([_collector(n, a, calls) for n, a in lineup],
                                 VisitState(context=None, site_domain="example.com"))
    visit = Visit(name="baseline", url="https://example.com/")
    return visit, calls, visit_runner._stage(collectors, "after_load", visit, None)


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    monkeypatch.setattr(visit_runner, "STAGE_TIMEOUT_S", 1.5)  # the short wait stays MIN_STEP_S (0.5 s)


async def test_after_a_timeout_the_rest_of_the_stage_waits_only_briefly():
    visit, calls, stage = _run([("first", True), ("storage", False), ("page_info", False), ("cookies", True)])
    await asyncio.wait_for(stage, 5)
    assert calls == ["first", "storage", "page_info", "cookies"], "every collector still runs"
    errors = {e.collector: e.message for e in visit.collector_errors}
    assert errors == {"storage": "timed out after 1.5 s",
                      "page_info": f"timed out after {MIN_STEP_S:g} s" + visit_runner.STALLED_NOTE}
    assert visit.partial


async def test_collectors_that_answer_keep_the_full_timeout():
    visit, calls, stage = _run([("storage", True), ("page_info", True), ("instrumentation", False)])
    await asyncio.wait_for(stage, 5)
    assert calls == ["storage", "page_info", "instrumentation"]
    assert [(e.collector, e.message) for e in visit.collector_errors] == [("instrumentation", "timed out after 1.5 s")]
