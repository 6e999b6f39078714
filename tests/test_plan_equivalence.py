"""The audit plan may spend fewer page loads; it must find the same things. tests/data/plan_findings.json
holds what the five-load plan (discovery + baseline, gpc, reject, accept, each its own homepage load,
a 4 s banner wait before the settle) found on the demo web, the banner fixtures and the test sites;
the current plan must produce the same finding codes with the same products, the same trackers and
the same policy verdicts on every one of them, and say per visit what it shortened or merged."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from plan_findings import EXPECTED, audit_all

# One module fixture audits every site (about 70) and is charged to the first test: the hang guard
# (pyproject's timeout) is per test, so this file gives that first test the time of the whole set.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

RECORDED = json.loads(EXPECTED.read_text())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def audits(web_crawler):
    return await audit_all(web_crawler, sorted(RECORDED))


@pytest.mark.parametrize("domain", sorted(RECORDED))
def test_same_findings_as_the_five_load_plan(audits, domain):
    got = audits[domain]
    expected = RECORDED[domain]
    assert got["findings"] == expected["findings"], domain
    assert got["trackers"] == expected["trackers"], domain
    assert got["policy_found"] == expected["policy_found"], domain


def test_shortened_visits_say_why(audits):
    shortened = [v for a in audits.values() for v in a["capture"].visits if v.plan]
    assert shortened, "no visit was shortened: the plan saves nothing"
    for visit in shortened:
        assert visit.consent is not None and visit.consent.click_ms is None, "a click needs its own settle"
        assert all("because" in p or ":" in p for p in visit.plan)
