"""The collector list is explicit wiring: ``CrawlOptions.collectors`` (``DEFAULT_COLLECTORS``) says
which collectors run and in which order, a collector names the collectors whose results it reads
(``needs``), and a failed producer shows up in the visit instead of quietly emptying its consumers.

Unit tests with fakes (no browser) beside two real visits against the fake internet."""

from __future__ import annotations

import importlib
import pkgutil

import msgspec
import pytest

import crawler
from crawler import Crawler
from crawler.collectors import DEFAULT_COLLECTORS, Collector, VisitCollectors, VisitState, check_lineup
from crawler.collectors.cookies import CookieCollector
from crawler.collectors.network import NetworkCollector, NetworkResult
from crawler.collectors.storage import StorageCollector, StorageResult
from model.capture import SetCookieHeader, StorageRecord, Visit, decode_capture, encode_capture

SITE = "wiring-check.com"


# ---------------------------------------------------------------------------- the list itself


def test_default_collectors_run_after_the_collectors_they_need():
    names = [c.name for c in DEFAULT_COLLECTORS]
    assert len(set(names)) == len(names), names
    for position, cls in enumerate(DEFAULT_COLLECTORS):
        before = DEFAULT_COLLECTORS[:position]
        for producer in cls.needs:
            assert producer in before, f"{cls.name} needs {producer.name}, which does not run before it: {names}"
    check_lineup(DEFAULT_COLLECTORS)


def test_the_cookie_collector_states_what_it_reads():
    assert set(CookieCollector.needs) == {NetworkCollector, StorageCollector}


def _all_collector_classes() -> set[type]:
    for package in ("crawler.collectors", "crawler.consent"):
        for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
            importlib.import_module(f"{package}.{module.name}")
    found, todo = set(), [Collector]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("crawler.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_collector_the_crawler_defines_is_in_the_default_list():
    # Nothing registers itself any more: a collector written but not listed would silently never run.
    unlisted = sorted(c.__qualname__ for c in _all_collector_classes() - set(DEFAULT_COLLECTORS))
    assert unlisted == []


class Early(Collector[int]):
    name = "early"


class NeedsEarly(Collector[None]):
    name = "needs_early"
    needs = (Early,)


@pytest.mark.parametrize("lineup,message", [
    ((NeedsEarly, Early), "collector 'needs_early' needs 'early', which runs after it"),
    ((NeedsEarly,), "collector 'needs_early' needs 'early', which is not in the list"),
    ((Early, NeedsEarly, Early), "two collectors are named 'early'"),
])
def test_a_list_that_cannot_run_is_refused_before_any_visit(lineup, message):
    with pytest.raises(ValueError, match=message):
        check_lineup(lineup)
    with pytest.raises(ValueError, match=message):
        Crawler(crawler.CrawlOptions(collectors=lineup))


# ---------------------------------------------------------------------------- results between collectors (fakes)


class FakeContext:
    """The one BrowserContext call the cookie collector makes: the cookie store at the end."""

    async def cookies(self) -> list[dict]:
        return [{"name": "sid", "domain": SITE, "value": "abc", "expires": -1},
                {"name": "pref", "domain": SITE, "value": "1", "expires": -1}]


class HeaderNetwork(NetworkCollector):
    """The network collector's place and name, handing on one Set-Cookie header."""

    async def collect(self, visit, inputs) -> NetworkResult:
        return NetworkResult((SetCookieHeader(url=f"https://{SITE}/", name="sid", attributes={}, value_len=3,
                                              value_sha256="x", t_ms=120.0),))


class BrokenNetwork(NetworkCollector):
    async def collect(self, visit, inputs) -> NetworkResult:
        raise RuntimeError("network exploded")


class WriteStorage(StorageCollector):
    async def collect(self, visit, inputs) -> StorageResult:
        return StorageResult((StorageRecord(origin=f"https://{SITE}", kind="cookie_write", key="pref", value_len=1,
                                            t_ms=340.0),))


async def _collect(lineup) -> Visit:
    """The collect stage as the visit runner drives it: each collector in order, failures recorded."""
    visit = Visit(name="baseline", url=f"https://{SITE}/")
    collectors = VisitCollectors(lineup, VisitState(context=FakeContext(), site_domain=SITE))
    for collector in collectors:
        try:
            await collectors.run(collector, "collect", visit, visit)
        except Exception as exc:  # noqa: BLE001 - as the runner does
            collectors.failed(collector, "collect", str(exc), visit)
    return visit


async def test_the_cookie_collector_gets_its_times_from_the_network_and_storage_results():
    visit = await _collect((HeaderNetwork, WriteStorage, CookieCollector))
    assert {c.name: c.first_seen_ms for c in visit.cookies} == {"sid": 120.0, "pref": 340.0}
    assert visit.collector_errors == [] and not visit.partial


async def test_a_failed_network_collector_is_a_missing_input_of_the_cookie_collector():
    visit = await _collect((BrokenNetwork, WriteStorage, CookieCollector))
    # The cookies are still there; the header time is unknown, and the visit says why.
    assert {c.name: c.first_seen_ms for c in visit.cookies} == {"sid": None, "pref": 340.0}
    assert visit.partial
    errors = [(e.collector, e.stage, e.message) for e in visit.collector_errors]
    assert errors[0] == ("network", "collect", "network exploded")
    assert errors[1][:2] == ("cookies", "collect")
    assert errors[1][2].startswith("missing input: network failed (collect: network exploded)")


async def test_a_producer_that_failed_before_collect_is_an_incomplete_input():
    visit = Visit(name="baseline", url=f"https://{SITE}/")
    collectors = VisitCollectors((HeaderNetwork, WriteStorage, CookieCollector),
                                 VisitState(context=FakeContext(), site_domain=SITE))
    network = collectors.collectors[0]
    collectors.failed(network, "attach", "no CDP session", visit)
    for collector in collectors:
        await collectors.run(collector, "collect", visit, visit)
    assert {c.name: c.first_seen_ms for c in visit.cookies} == {"sid": 120.0, "pref": 340.0}
    (note,) = [e for e in visit.collector_errors if e.collector == "cookies"]
    assert note.message.startswith("input may be incomplete: network failed (attach: no CDP session)")


# ---------------------------------------------------------------------------- real visits


COOKIE_PAGE = ("<html><head><title>wiring</title></head><body><p>hi</p>"
               "<script>document.cookie = 'scripted=1; path=/';</script></body></html>")


class TitleLength(Collector[int]):
    """A collector of the caller's own: one number, kept under its name, handed to the next one."""

    name = "title_length"

    def __init__(self, state: VisitState) -> None:
        super().__init__(state)
        self._length: int | None = None

    async def after_load(self, page) -> None:
        self._length = len(await page.title())

    async def collect(self, visit, inputs) -> int | None:
        self.keep(visit, {"chars": self._length})
        return self._length


class TitleLengthTwice(Collector[None]):
    name = "title_length_twice"
    needs = (TitleLength,)

    async def collect(self, visit, inputs) -> None:
        length = inputs.of(TitleLength)
        self.keep(visit, None if length is None else 2 * length)


@pytest.mark.browser
async def test_a_custom_collector_runs_and_its_output_is_kept_under_its_name(fake_web, options_for):
    fake_web.add_page("custom-collector.com", "/", COOKIE_PAGE, headers={"Set-Cookie": "served=1; Path=/"})
    options = options_for(fake_web, visits=("baseline",), settle_s=0.5,
                          collectors=(*DEFAULT_COLLECTORS, TitleLength, TitleLengthTwice))
    async with Crawler(options) as crawler:
        capture = await crawler.crawl("custom-collector.com")
    (visit,) = capture.visits
    assert visit.collector_errors == []
    assert visit.collected == {"title_length": {"chars": len("wiring")}, "title_length_twice": 2 * len("wiring")}
    assert visit.title == "wiring" and visit.requests  # the default collectors ran as well
    assert decode_capture(encode_capture(capture)).visits[0].collected == visit.collected
    # With every producer working, both kinds of cookie time are known.
    times = {c.name: c.first_seen_ms for c in visit.cookies}
    assert times["served"] is not None and times["scripted"] is not None, times


class ExplodingNetwork(NetworkCollector):
    """The real network collector, whose hand-over fails."""

    async def collect(self, visit, inputs) -> NetworkResult:
        await super().collect(visit, inputs)
        raise RuntimeError("network exploded at collect")


@pytest.mark.browser
async def test_a_failing_network_collector_makes_the_cookie_times_visibly_missing(fake_web, options_for):
    fake_web.add_page("missing-input.com", "/", COOKIE_PAGE, headers={"Set-Cookie": "served=1; Path=/"})
    lineup = tuple(ExplodingNetwork if c is NetworkCollector else c for c in DEFAULT_COLLECTORS)
    async with Crawler(options_for(fake_web, visits=("baseline",), settle_s=0.5, collectors=lineup)) as crawler:
        (visit,) = (await crawler.crawl("missing-input.com")).visits
    times = {c.name: c.first_seen_ms for c in visit.cookies}
    assert times["served"] is None  # its only time was the Set-Cookie header the network collector held
    assert times["scripted"] is not None  # the storage collector's document.cookie write still counts
    assert visit.partial
    messages = {e.collector: e.message for e in visit.collector_errors}
    assert messages["network"] == "network exploded at collect"
    assert messages["cookies"].startswith("missing input: network failed (collect: network exploded at collect)")


def test_collected_output_is_plain_data_in_the_capture():
    visit = Visit(name="baseline", url="https://x.com/", collected={"mine": {"a": [1, 2]}})
    assert msgspec.json.decode(msgspec.json.encode(visit), type=Visit).collected == {"mine": {"a": [1, 2]}}
