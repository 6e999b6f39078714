"""The store contract, once for every backend (SQLite file, PostgreSQL database): audits and history, the
job queue, schedules, tokens, and the summary cache following writes from another store."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import msgspec
import pytest

from analyzer.legal import codes_for_rule
from api.errors import ConflictError, JobNotFoundError, QueueFullError, ScheduleNotFoundError
from api.service.samples import make_capture, make_report
from api.service.scheduler import new_schedule, next_run, queue_due
from api.store import open_store
from api.store.base import QueueLimits, SiteQuery
from api.store.records import FindingRow, prepare_audit
from model.report import Finding, SiteSummary

T0 = 1_700_000_000.0


def audit(domain: str, at: float, loaded: list[int], declared: list[int], policy: str = "We use Google Analytics.",
          grade=("C", 68), reachable: bool = True, codes: tuple[str, ...] = ()):
    report = make_report(domain, at, loaded, declared, policy_text=policy, grade=grade)
    report.reachable = reachable
    report.findings += [Finding(code=c, severity="high", title=c, explanation=c) for c in codes]
    return report, prepare_audit(make_capture(report, policy), report)


async def test_opening_twice_finds_the_schema_up_to_date(store_location):
    for _ in range(2):
        s = open_store(store_location)
        await s.open()
        await s.check()
        await s.close()


async def test_audit_round_trip_summary_and_etag(store):
    _report, prepared = audit("shop.com", T0, loaded=[0, 2], declared=[0])
    report_id = await store.save_audit(prepared)
    blob = await store.summary("shop.com")
    assert blob is not None and blob.etag == prepared.etag and blob.body == prepared.summary_json
    summary = msgspec.json.decode(blob.body, type=SiteSummary)
    assert summary.counts.undeclared == 1 and summary.undeclared == ["Meta Pixel"]
    assert [g.company for g in summary.undeclared_by_company] == ["Meta"]
    stored = await store.report("shop.com")
    assert stored is not None and stored.report_id == report_id and stored.audited_at == T0
    assert msgspec.json.decode(stored.body)["domain"] == "shop.com"
    capture = await store.capture(stored.capture_id)
    assert capture is not None and b"privacy" in capture
    assert await store.policy_text(report_id) == "We use Google Analytics."
    assert await store.summary("other.com") is None
    assert await store.report("other.com") is None and await store.report("shop.com", report_id + 1000) is None
    assert await store.capture(10**9) is None and await store.policy_text(10**9) is None


async def test_an_evidence_bundle_is_kept_once_per_audit(store):
    _, prepared = audit("proof.com", T0, [0], [0])
    report_id = await store.save_audit(prepared)
    assert await store.evidence_bundle(report_id) is None
    assert await store.save_evidence_bundle(report_id, b"first bundle", T0) == b"first bundle"
    # a second build (another replica, a later download) does not replace what was already handed out
    assert await store.save_evidence_bundle(report_id, b"second bundle", T0 + 1) == b"first bundle"
    assert await store.evidence_bundle(report_id) == b"first bundle"
    assert await store.evidence_bundle(report_id + 1000) is None


async def test_concurrent_first_bundles_of_one_audit_agree(store_location):
    stores = [open_store(store_location) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        report_id = await stores[0].save_audit(audit("race.com", T0, [0], [0])[1])
        kept = await asyncio.gather(*(s.save_evidence_bundle(report_id, f"bundle {i}".encode(), T0)
                                      for i, s in enumerate(stores)))
        assert len(set(kept)) == 1 and kept[0] in {b"bundle 0", b"bundle 1", b"bundle 2"}
        assert await stores[1].evidence_bundle(report_id) == kept[0]
    finally:
        for s in stores:
            await s.close()


async def test_history_is_kept_and_unreachable_audit_does_not_hide_the_last_good_one(store):
    _, first = audit("news.com", T0, [0], [0], grade=("A", 95))
    _, second = audit("news.com", T0 + 100, [0, 3], [0], grade=("C", 60))
    _, down = audit("news.com", T0 + 200, [], [], reachable=False, grade=("?", 0))
    ids = [await store.save_audit(a) for a in (first, second, down)]
    history = await store.history("news.com")
    assert [h.report_id for h in history] == ids
    assert [h.grade for h in history] == ["A", "C", "?"] and history[2].reachable is False
    assert history[1].counts.loaded == 2 and history[0].policy_sha256 == first.policy_sha256
    latest = await store.report("news.com")
    assert latest is not None and latest.report_id == ids[1]  # the popup keeps the last reachable audit
    assert (await store.summary("news.com")).etag == second.etag
    old = await store.report("news.com", ids[0])
    assert old is not None and old.audited_at == T0
    assert await store.history("never.com") == []


async def test_an_older_audit_stored_late_does_not_replace_the_latest(store):
    _, new = audit("late.com", T0 + 100, [0], [0], grade=("A", 95))
    _, old = audit("late.com", T0, [0, 2], [0], grade=("D", 50))
    await store.save_audit(new)
    await store.save_audit(old)
    assert (await store.summary("late.com")).etag == new.etag
    assert [h.audited_at for h in await store.history("late.com")] == [T0, T0 + 100]


async def test_a_failing_save_leaves_nothing_half_written(store, integrity_error):
    _, good = audit("keep.com", T0, [0], [0])
    await store.save_audit(good)
    first = await store.report("keep.com")
    _, bad = audit("keep.com", T0 + 1, [1], [])
    broken: FindingRow = msgspec.structs.replace(bad.findings[0], code=None)  # NOT NULL violation
    with pytest.raises(integrity_error):
        await store.save_audit(dataclasses.replace(bad, findings=[broken]))
    assert len(await store.history("keep.com")) == 1
    assert (await store.summary("keep.com")).etag == good.etag
    assert await store.capture(first.capture_id + 1) is None  # the capture went with the report


async def test_site_list_filters_and_pages(store):
    await store.save_audit(audit("a-shop.com", T0, [0, 2], [0], grade=("D", 50))[1])
    await store.save_audit(audit("b-news.com", T0, [0], [0], grade=("A", 95), codes=("PRE_CONSENT_TRACKING",))[1])
    await store.save_audit(audit("c-blog.com", T0, [3], [], grade=("D", 45), codes=("GPC_NOT_HONORED",))[1])
    rows, total = await store.list_sites(SiteQuery())
    assert total == 3 and [r.domain for r in rows] == ["a-shop.com", "b-news.com", "c-blog.com"]
    assert rows[0].grade == "D" and rows[0].score == 50 and rows[0].audited_at == T0
    assert msgspec.json.decode(rows[0].summary, type=SiteSummary).counts.loaded == 2
    rows, _ = await store.list_sites(SiteQuery(grade="d"))
    assert [r.domain for r in rows] == ["a-shop.com", "c-blog.com"]
    rows, _ = await store.list_sites(SiteQuery(finding="UNDECLARED_TRACKER"))
    assert [r.domain for r in rows] == ["a-shop.com", "c-blog.com"]
    rows, _ = await store.list_sites(SiteQuery(company="META"))  # by name, any case
    assert [r.domain for r in rows] == ["a-shop.com"]
    rows, _ = await store.list_sites(SiteQuery(company="google"))  # by id
    assert [r.domain for r in rows] == ["a-shop.com", "b-news.com"]
    rows, _ = await store.list_sites(SiteQuery(product="meta-pixel"))  # loaded (trackers table)
    assert [r.domain for r in rows] == ["a-shop.com"]
    rows, _ = await store.list_sites(SiteQuery(product="hotjar"))
    assert [r.domain for r in rows] == ["c-blog.com"]
    rows, _ = await store.list_sites(SiteQuery(product="tiktok-pixel"))
    assert rows == []
    # ?rule=: the finding codes that cite a legal reference (issue 14 §5)
    rows, _ = await store.list_sites(SiteQuery(rule_codes=codes_for_rule("eprivacy-5-3")))
    assert [r.domain for r in rows] == ["b-news.com"]
    rows, _ = await store.list_sites(SiteQuery(rule_codes=codes_for_rule("gdpr-13")))  # UNDECLARED_TRACKER
    assert [r.domain for r in rows] == ["a-shop.com", "c-blog.com"]
    rows, total = await store.list_sites(SiteQuery(rule_codes=codes_for_rule("cpa-rule-5"), grade="D"))
    assert [r.domain for r in rows] == ["c-blog.com"] and total == 1
    rows, total = await store.list_sites(SiteQuery(rule_codes=[]))  # a rule no code cites: nothing
    assert rows == [] and total == 0
    rows, total = await store.list_sites(SiteQuery(limit=2, offset=2))
    assert total == 3 and [r.domain for r in rows] == ["c-blog.com"]
    rows, total = await store.list_sites(SiteQuery(grade="B"))
    assert rows == [] and total == 0


async def test_queue_dedupes_active_domains_and_retries_with_backoff(store):
    jobs = await store.enqueue(["x.com", "y.com", "x.com"], "api", 2, T0)
    assert jobs[0].id == jobs[2].id and jobs[0].id != jobs[1].id
    assert jobs[0].state == "queued" and jobs[0].progress == "queued" and jobs[0].max_attempts == 2
    assert await store.queue_position(jobs[0].id) == 0 and await store.queue_position(jobs[1].id) == 1
    job = await store.claim(T0)
    assert job is not None and job.domain == "x.com" and job.state == "running" and job.attempts == 1
    assert job.started_at == T0 and job.heartbeat_at == T0 and await store.queue_position(job.id) is None
    again = await store.enqueue(["x.com"], "api", 2, T0)  # running: still the same job
    assert again[0].id == job.id and again[0].state == "running"
    retried = await store.fail_job(job.id, "boom", retry_at=T0 + 60, now=T0)
    assert retried is not None and retried.state == "queued" and retried.not_before == T0 + 60
    assert retried.progress == "retry scheduled" and retried.heartbeat_at is None
    nxt = await store.claim(T0 + 1)
    assert nxt is not None and nxt.domain == "y.com"  # x.com waits for its back-off
    assert await store.claim(T0 + 2) is None
    job = await store.claim(T0 + 61)
    assert job is not None and job.domain == "x.com" and job.attempts == 2
    failed = await store.fail_job(job.id, "boom again", retry_at=None, now=T0 + 62)
    assert failed.state == "failed" and failed.error == "boom again" and failed.finished_at == T0 + 62
    assert await store.fail_job(job.id, "twice", retry_at=None, now=T0 + 63) is None  # only a running job
    fresh = await store.enqueue(["x.com"], "api", 2, T0 + 63)  # finished jobs do not block a new one
    assert fresh[0].id not in (job.id, nxt.id) and fresh[0].state == "queued"
    assert [j.domain for j in await store.jobs("queued")] == ["x.com"]
    assert [j.id for j in await store.jobs(limit=2)] == [fresh[0].id, nxt.id]  # newest first
    assert await store.job(10**9) is None


async def test_one_running_job_per_site_and_other_sites_go_first(store):
    shop = await store.enqueue(["www.shop.co.uk", "blog.shop.co.uk"], "api", 3, T0)
    [other] = await store.enqueue(["other.com"], "api", 3, T0)  # queued after both
    first = await store.claim(T0)
    assert first is not None and first.id in {j.id for j in shop} and first.site == "shop.co.uk"
    second = await store.claim(T0)
    assert second is not None and second.id == other.id  # the other shop.co.uk host waits: its site is busy
    assert await store.claim(T0) is None
    await store.fail_job(first.id, "boom", retry_at=None, now=T0 + 5)  # the site's running audit ends
    third = await store.claim(T0 + 5)
    assert third is not None and {third.id, first.id} == {j.id for j in shop} and third.site == "shop.co.uk"


async def test_a_minimum_interval_between_audits_of_one_site(store):
    [job] = await store.enqueue(["paced.com"], "api", 3, T0)
    assert (await store.claim(T0, min_interval_s=600)).id == job.id  # never audited: starts at once
    await store.fail_job(job.id, "done with it", retry_at=None, now=T0 + 20)
    [again] = await store.enqueue(["www.paced.com"], "api", 3, T0 + 30)  # same site, another host
    [elsewhere] = await store.enqueue(["free.com"], "api", 3, T0 + 30)
    assert (await store.claim(T0 + 30, min_interval_s=600)).id == elsewhere.id
    assert await store.claim(T0 + 599, min_interval_s=600) is None
    assert (await store.claim(T0 + 600, min_interval_s=600)).id == again.id
    # a retry is an audit too: it is paced like a new one
    await store.fail_job(again.id, "flaky", retry_at=T0 + 601, now=T0 + 600)
    assert await store.claim(T0 + 700, min_interval_s=600) is None
    assert (await store.claim(T0 + 700, min_interval_s=0)).id == again.id  # no interval: only the back-off


async def test_concurrent_claims_keep_one_running_job_per_site(store_location):
    stores = [open_store(store_location) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        hosts = [f"h{i}.site{i % 4}.com" for i in range(12)]  # 4 sites, 3 hosts each
        await stores[0].enqueue(hosts, "api", 3, T0)
        claimed = await asyncio.gather(*(s.claim(T0) for s in stores for _ in range(3)))
        running = [j for j in claimed if j is not None]
        assert len({j.site for j in running}) == len(running) == 4
    finally:
        for s in stores:
            await s.close()


async def test_progress_and_heartbeats_touch_only_running_jobs(store):
    [job] = await store.enqueue(["p.com"], "cli", 3, T0)
    await store.set_progress(job.id, "crawling")  # not running yet: ignored
    assert (await store.job(job.id)).progress == "queued"
    await store.claim(T0)
    await store.set_progress(job.id, "analyzing")
    await store.heartbeat([job.id, 10**9], T0 + 5)
    await store.heartbeat([], T0 + 6)
    running = await store.job(job.id)
    assert running.progress == "analyzing" and running.heartbeat_at == T0 + 5 and running.source == "cli"


async def test_save_audit_marks_its_job_done_and_cancel_rules(store):
    [job] = await store.enqueue(["done.com"], "api", 3, T0)
    await store.claim(T0)
    _, prepared = audit("done.com", T0, [0], [0])
    report_id = await store.save_audit(prepared, job.id)
    done = await store.job(job.id)
    assert done.state == "done" and done.report_id == report_id and done.progress == "done" and done.error is None
    with pytest.raises(ConflictError):
        await store.cancel(job.id, T0)
    with pytest.raises(JobNotFoundError):
        await store.cancel(999, T0)
    [queued] = await store.enqueue(["later.com"], "api", 3, T0)
    cancelled = await store.cancel(queued.id, T0)
    assert cancelled.state == "cancelled" and cancelled.finished_at == T0
    assert await store.claim(T0 + 10) is None
    assert await store.job_counts() == {"done": 1, "cancelled": 1}


async def test_stale_running_jobs_are_found_and_released_only_if_still_stale(store):
    await store.enqueue(["slow.com", "live.com"], "api", 3, T0)
    slow = await store.claim(T0)
    live = await store.claim(T0)
    await store.heartbeat([live.id], T0 + 50)
    stale = await store.stale_jobs(T0 + 30)
    assert [j.id for j in stale] == [slow.id]
    assert await store.fail_job(live.id, "lost", T0 + 60, T0 + 60, stale_before=T0 + 30) is None
    released = await store.fail_job(slow.id, "lost", T0 + 60, T0 + 60, stale_before=T0 + 30)
    assert released.state == "queued"


async def test_a_worker_declared_dead_cannot_write_to_the_job_it_lost(store):
    """Fencing: the claim's attempt is the token. A worker whose job was re-queued (reaped) and claimed again
    comes back: its failure, progress and report change nothing; the new holder's writes go through."""
    [job] = await store.enqueue(["zombie.com"], "api", 3, T0)
    first = await store.claim(T0, "host:1")
    assert first.attempts == 1
    reaped = await store.fail_job(job.id, "interrupted", T0 + 100, T0 + 100, stale_before=T0 + 90,
                                  attempt=first.attempts)
    assert reaped.state == "queued"
    second = await store.claim(T0 + 100, "host:2")
    assert (second.id, second.attempts, second.worker) == (job.id, 2, "host:2")
    # The old holder, back: nothing it writes under attempt 1 lands.
    assert await store.fail_job(job.id, "boom", T0 + 200, T0 + 101, attempt=first.attempts) is None
    await store.set_progress(job.id, "storing", attempt=first.attempts)
    _, late = audit("zombie.com", T0 + 101, [0], [0])
    with pytest.raises(ConflictError, match="taken over"):
        await store.save_audit(late, job.id, attempt=first.attempts)
    held = await store.job(job.id)
    assert (held.state, held.worker, held.attempts, held.progress, held.report_id) == \
        ("running", "host:2", 2, "starting", None)
    assert await store.summary("zombie.com") is None and await store.history("zombie.com") == []
    # A second reaper round that read attempt 1 before the re-claim releases nothing either.
    assert await store.fail_job(job.id, "interrupted", T0 + 300, T0 + 300, attempt=first.attempts) is None
    # The holder's writes go through.
    await store.set_progress(job.id, "storing", attempt=second.attempts)
    assert (await store.job(job.id)).progress == "storing"
    _, fresh = audit("zombie.com", T0 + 102, [0], [0])
    report_id = await store.save_audit(fresh, job.id, attempt=second.attempts)
    done = await store.job(job.id)
    assert (done.state, done.report_id) == ("done", report_id)
    assert [a.report_id for a in await store.history("zombie.com")] == [report_id]


async def test_queue_limits_are_all_or_nothing(store):
    token = await store.add_token("ci", "ab" * 32, T0)
    limits = QueueLimits(per_token=2, total=3, retry_after_s=7.0)
    await store.enqueue(["a.com"], "api", 3, T0, token_id=token.id, limits=limits)
    with pytest.raises(QueueFullError) as refused:
        await store.enqueue(["b.com", "c.com"], "api", 3, T0, token_id=token.id, limits=limits)
    assert refused.value.retry_after == 7.0
    assert await store.job_counts() == {"queued": 1}  # nothing of the refused request
    again = await store.enqueue(["a.com", "b.com"], "api", 3, T0, token_id=token.id, limits=limits)
    assert [j.token_id for j in again] == [token.id] * 2  # a.com was active already: one new job fits
    twice = await store.enqueue(["c.com", "c.com"], "api", 3, T0, limits=limits)  # one new job: fits the 3rd place
    assert len(twice) == 2 and twice[0].id == twice[1].id
    await store.enqueue(["z.com"], "schedule:x", 3, T0)  # schedules are not limited
    with pytest.raises(QueueFullError):
        await store.enqueue(["d.com"], "api", 3, T0, token_id=None, limits=limits)  # total cap: 4 active > 3
    assert (await store.job_counts())["queued"] == 4


async def test_concurrent_claims_never_hand_out_one_job_twice(store_location):
    stores = [open_store(store_location) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        await stores[0].enqueue([f"d{i}.com" for i in range(30)], "api", 3, T0)

        async def drain(s) -> list[int]:
            got = []
            while (job := await s.claim(T0)) is not None:
                got.append(job.id)
            return got

        claimed = [j for part in await asyncio.gather(*(drain(s) for s in stores)) for j in part]
        assert len(claimed) == 30 and len(set(claimed)) == 30
    finally:
        for s in stores:
            await s.close()


async def test_concurrent_enqueues_keep_one_active_job_per_domain(store_location):
    stores = [open_store(store_location) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        domains = [f"d{i}.com" for i in range(20)]
        results = await asyncio.gather(*(s.enqueue(domains, "api", 3, T0) for s in stores))
        ids = {d: {batch[i].id for batch in results} for i, d in enumerate(domains)}
        assert all(len(v) == 1 for v in ids.values())
        assert (await stores[0].job_counts()) == {"queued": 20}
    finally:
        for s in stores:
            await s.close()


async def test_schedules(store):
    every = new_schedule("news-sites", ["a.com", "b.com"], "24h", None, T0)
    cron = new_schedule("nightly", ["c.com"], None, "0 3 * * *", T0)
    assert cron.next_run_at > T0 and time.gmtime(cron.next_run_at).tm_hour == 3
    await store.add_schedule(every)
    await store.add_schedule(cron)
    with pytest.raises(ConflictError):
        await store.add_schedule(every)
    listed = await store.schedules()
    assert [s.name for s in listed] == ["news-sites", "nightly"] and listed[0] == every
    assert [s.name for s in await store.due_schedules(T0 + 1)] == ["news-sites"]
    assert await queue_due(store, T0 + 1, max_attempts=3) == 2
    assert sorted(j.source for j in await store.jobs("queued")) == ["schedule:news-sites"] * 2
    [after] = [s for s in await store.schedules() if s.name == "news-sites"]
    assert after.last_run_at == T0 + 1 and after.next_run_at == next_run(every, T0 + 1) == T0 + 1 + 86400
    assert await queue_due(store, T0 + 2, max_attempts=3) == 0  # not due again yet
    await store.remove_schedule("nightly")
    with pytest.raises(ScheduleNotFoundError):
        await store.remove_schedule("nightly")


async def test_tokens(store):
    info = await store.add_token("ci", "ab" * 32, T0)
    assert info.name == "ci" and info.created_at == T0 and info.revoked_at is None
    assert (await store.token_by_hash("ab" * 32)).name == "ci"
    assert await store.token_by_hash("ff" * 32) is None
    with pytest.raises(ConflictError):
        await store.add_token("ci", "cd" * 32, T0)
    await store.touch_token(info.id, T0 + 0.5)
    assert (await store.token_by_hash("ab" * 32)).last_used_at == T0 + 0.5
    await store.revoke_token("ci", T0 + 1)
    assert (await store.token_by_hash("ab" * 32)).revoked_at == T0 + 1
    with pytest.raises(ConflictError):
        await store.revoke_token("ci", T0 + 2)  # already revoked
    assert [t.id for t in await store.tokens()] == [info.id]


async def test_data_survives_reopening(store_location):
    s = open_store(store_location)
    await s.open()
    await s.save_audit(audit("persist.com", T0, [0], [0])[1])
    await s.enqueue(["queued.com"], "api", 3, T0)
    await s.close()
    s = open_store(store_location)
    await s.open()
    try:
        assert await s.summary("persist.com") is not None
        assert [j.domain for j in await s.jobs("queued")] == ["queued.com"]
    finally:
        await s.close()


async def test_cached_summaries_follow_writes_from_another_store(store_location):
    reader, writer = open_store(store_location), open_store(store_location)  # two service processes
    await reader.open()
    await writer.open()
    try:
        assert await reader.summary("cache.com") is None
        _, first = audit("cache.com", T0, [0], [0])
        await writer.save_audit(first)
        deadline = time.monotonic() + 5
        while (blob := await reader.summary("cache.com")) is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # another process's write is seen within the backend's recheck delay
        assert blob is not None and blob.etag == first.etag
        _, second = audit("cache.com", T0 + 1, [0, 1], [0])
        await reader.save_audit(second)  # a write through the same store is seen at once
        assert (await reader.summary("cache.com")).etag == second.etag != first.etag
    finally:
        await reader.close()
        await writer.close()


async def test_queue_limits_hold_between_concurrent_requests(store_location):
    stores = [open_store(store_location) for _ in range(4)]
    for s in stores:
        await s.open()
    try:
        limits = QueueLimits(per_token=100, total=5)

        async def ask(s, i: int) -> bool:
            try:
                await s.enqueue([f"a{i}.com", f"b{i}.com"], "api", 3, T0, limits=limits)
                return True
            except QueueFullError:
                return False

        accepted = await asyncio.gather(*(ask(stores[i % 4], i) for i in range(8)))
        assert sum(accepted) == 2  # two requests of two fit in five places, a third does not
        assert (await stores[0].job_counts()) == {"queued": 4}
    finally:
        for s in stores:
            await s.close()


async def test_concurrent_saves_of_one_domain_keep_the_newest_audit(store_location):
    stores = [open_store(store_location) for _ in range(4)]
    for s in stores:
        await s.open()
    try:
        audits = [audit("race.com", T0 + i, [0], [0], grade=("C", 60 + i))[1] for i in range(8)]
        assert len({a.etag for a in audits}) == 8
        await asyncio.gather(*(stores[i % 4].save_audit(a) for i, a in enumerate(reversed(audits))))
        fresh = open_store(store_location)
        await fresh.open()
        try:
            assert (await fresh.summary("race.com")).etag == audits[-1].etag
            assert len(await fresh.history("race.com")) == 8
        finally:
            await fresh.close()
    finally:
        for s in stores:
            await s.close()
