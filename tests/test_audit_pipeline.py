"""The one audit pipeline (api/service/pipeline.py) every caller runs: stages in order, a failure named by its
stage with nothing stored, a batch that goes on past failures, and the service's jobs recording the cause.
Real analyzer, real SQLite store; the crawl step is a sample capture (the browser paths are in test_audit_cli.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from api.errors import TargetRefusedError
from api.service.config import ServiceConfig
from api.service.jobs import JobRunner
from api.service.pipeline import AuditFailed, AuditPipeline, analyze
from api.service.samples import make_capture, make_report
from api.service.targets import TargetGuard
from api.store import SqliteStore
from model.errors import InvalidDomainError


async def public_address(host: str) -> list[str]:
    return ["93.184.216.34"]  # the SSRF guard only classifies this address; nothing connects to it


async def private_address(host: str) -> list[str]:
    return ["10.0.0.7"]


class Steps:
    """Stage functions that record what ran; the crawl returns a sample capture, the analysis is the real one."""

    def __init__(self, fail_crawl: Exception | None = None, fail_analysis: Exception | None = None) -> None:
        self.ran: list[str] = []
        self.fail_crawl = fail_crawl
        self.fail_analysis = fail_analysis

    async def crawl(self, domain: str):
        self.ran.append(f"crawl {domain}")
        if self.fail_crawl is not None:
            raise self.fail_crawl
        return make_capture(make_report(domain, time.time(), [0, 1], [0]))

    async def analyze(self, capture):
        self.ran.append(f"analyze {capture.domain}")
        if self.fail_analysis is not None:
            raise self.fail_analysis
        return await asyncio.to_thread(analyze, capture)


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "cw.db")
    await store.open()
    yield store
    await store.close()


async def test_an_audit_runs_guard_crawl_analysis_and_store_in_order(store):
    steps = Steps()
    progress: list[str] = []

    async def progressed(stage: str) -> None:
        progress.append(stage)

    guard = TargetGuard([], public_address)
    pipeline = AuditPipeline(crawl=steps.crawl, analyze=steps.analyze, guard=guard.check)
    audit = await pipeline.run("quiet-ledger.com", save=store.save_audit, progress=progressed)
    assert steps.ran == ["crawl quiet-ledger.com", "analyze quiet-ledger.com"]
    assert progress == ["crawling", "analyzing"]
    assert audit.domain == audit.report.domain == audit.capture.domain == "quiet-ledger.com"
    stored = await store.summary("quiet-ledger.com")
    assert stored is not None and b"quiet-ledger.com" in stored.body


@pytest.mark.parametrize("stage, steps, said", [
    ("crawl", Steps(fail_crawl=RuntimeError("the page crashed")), "crawl failed: RuntimeError('the page crashed')"),
    ("analysis", Steps(fail_analysis=ValueError("bad capture")), "analysis failed: ValueError('bad capture')"),
    ("crawl", Steps(fail_crawl=InvalidDomainError("'x' is not a valid domain name")), "'x' is not a valid domain name"),
])
async def test_a_failure_names_its_stage_keeps_its_cause_and_stores_nothing(store, stage, steps, said):
    pipeline = AuditPipeline(crawl=steps.crawl, analyze=steps.analyze)
    with pytest.raises(AuditFailed) as failed:
        await pipeline.run("quiet-ledger.com", save=store.save_audit)
    assert failed.value.stage == stage and failed.value.domain == "quiet-ledger.com"
    assert failed.value.describe() == said
    assert failed.value.__cause__ is failed.value.cause
    assert ("analyze quiet-ledger.com" in steps.ran) == (stage == "analysis")  # no stage after the failed one
    assert await store.summary("quiet-ledger.com") is None


async def test_a_refused_target_is_never_crawled(store):
    steps = Steps()
    pipeline = AuditPipeline(crawl=steps.crawl, analyze=steps.analyze, guard=TargetGuard([], private_address).check)
    with pytest.raises(AuditFailed) as failed:
        await pipeline.run("intranet-host.com", save=store.save_audit)
    assert failed.value.stage == "guard" and isinstance(failed.value.cause, TargetRefusedError)
    assert steps.ran == []


async def test_a_store_that_cannot_take_the_audit_fails_the_store_stage(tmp_path):
    closed = SqliteStore(tmp_path / "closed.db")
    await closed.open()
    await closed.close()
    steps = Steps()
    with pytest.raises(AuditFailed) as failed:
        await AuditPipeline(crawl=steps.crawl, analyze=steps.analyze).run("quiet-ledger.com", save=closed.save_audit)
    assert failed.value.stage == "store"
    assert failed.value.describe().startswith("store failed: ")


async def test_a_batch_yields_every_audit_and_failure_and_goes_on_past_failures(store):
    class OneBadDomain(Steps):
        async def crawl(self, domain: str):
            if domain == "broken-site.com":
                raise RuntimeError("navigation failed")
            return await super().crawl(domain)

    steps = OneBadDomain()
    pipeline = AuditPipeline(crawl=steps.crawl, analyze=steps.analyze)
    domains = ["quiet-ledger.com", "broken-site.com", "corner-bakery.com"]
    outcomes = [outcome async for outcome in pipeline.run_all(domains, save=store.save_audit)]
    failures = [o for o in outcomes if isinstance(o, AuditFailed)]
    assert sorted(o.domain for o in outcomes) == sorted(domains)
    assert [(f.domain, f.stage) for f in failures] == [("broken-site.com", "crawl")]
    for domain in ("quiet-ledger.com", "corner-bakery.com"):
        assert await store.summary(domain) is not None


async def test_a_batch_left_early_cancels_the_audits_still_running():
    started = asyncio.Event()
    cancelled: list[str] = []

    async def crawl(domain: str):
        if domain == "fast-site.com":
            return make_capture(make_report(domain, time.time(), [0], [0]))
        started.set()
        try:
            await asyncio.Event().wait()  # a crawl that never ends by itself
        except asyncio.CancelledError:
            cancelled.append(domain)
            raise

    async def fast_analysis(capture):
        await started.wait()  # the slow crawl is under way before the first audit comes out
        return await asyncio.to_thread(analyze, capture)

    batch = AuditPipeline(crawl=crawl, analyze=fast_analysis).run_all(["slow-site.com", "fast-site.com"])
    first = await anext(batch)
    assert first.domain == "fast-site.com"
    await batch.aclose()
    assert cancelled == ["slow-site.com"]


async def test_a_service_job_runs_the_pipeline_and_records_the_causes_message(store):
    class FailingCrawl(JobRunner):
        async def _crawl(self, domain: str):
            raise RuntimeError("the page crashed\nsecond line")

    config = ServiceConfig(db=":memory:", run_jobs=False, max_attempts=2)
    runner = FailingCrawl(store, config, TargetGuard([], public_address))
    refusing = JobRunner(store, config, TargetGuard([], private_address))
    try:
        await store.enqueue(["quiet-ledger.com"], "api", 2, 0.0)
        job = await store.claim(time.time())
        await runner.run_one(job)
        failed = await store.job(job.id)
        assert failed.state == "queued" and failed.error == "RuntimeError: the page crashed"  # retried later
        await store.enqueue(["intranet-host.com"], "api", 2, 0.0)
        job = await store.claim(time.time())
        await refusing.run_one(job)
        refused = await store.job(job.id)
        assert refused.state == "failed" and refused.error.startswith("TargetRefusedError: ")  # never retried
    finally:
        await runner.stop()
        await refusing.stop()
