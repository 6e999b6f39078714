"""Crawl jobs: queue one domain or many (202 + job URLs), watch progress, cancel."""

from __future__ import annotations

import asyncio
import time

import msgspec
from aiohttp import web

from ...errors import BadRequestError, JobNotFoundError
from ...service.targets import canonical_domain
from ...store.base import Job, QueueLimits
from ..keys import CONFIG, GUARD, RUNNER, STORE, TOKEN
from ..schemas import CrawlAccepted, CrawlRequest, JobList, JobView
from .common import int_param, json_response, link, path_id

_decode_request = msgspec.json.Decoder(CrawlRequest).decode
STATES = ("queued", "running", "done", "failed", "cancelled")


async def job_view(request: web.Request, job: Job) -> JobView:
    position = await request.app[STORE].queue_position(job.id) if job.state == "queued" else None
    done = job.state == "done"
    return JobView(
        id=job.id, url=link(request, f"/v1/crawls/{job.id}"), domain=job.domain, state=job.state,
        progress=job.progress, queue_position=position, attempts=job.attempts, max_attempts=job.max_attempts,
        source=job.source, created_at=job.created_at, not_before=job.not_before, started_at=job.started_at,
        finished_at=job.finished_at, error=job.error, worker=job.worker,
        report_url=link(request, f"/v1/sites/{job.domain}/report?report_id={job.report_id}") if done else None,
        summary_url=link(request, f"/v1/sites/{job.domain}/summary") if done else None,
    )


def requested_domains(body: bytes, limit: int) -> list[str]:
    try:
        req = _decode_request(body)
    except msgspec.ValidationError as exc:
        raise BadRequestError(f"invalid crawl request: {exc}") from None
    except msgspec.DecodeError:
        raise BadRequestError('the body must be JSON: {"domain": "example.com"} or {"domains": [...]}') from None
    if (req.domain is msgspec.UNSET) == (req.domains is msgspec.UNSET):
        raise BadRequestError('give exactly one of "domain" or "domains"')
    raw = [req.domain] if isinstance(req.domain, str) else list(req.domains or [])
    if not raw:
        raise BadRequestError('"domains" is empty')
    if len(raw) > limit:
        raise BadRequestError(f"at most {limit} domains per request")
    return list(dict.fromkeys(canonical_domain(d) for d in raw))  # dedupe, keep order


async def create_crawls(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    domains = requested_domains(await request.read(), config.max_domains_per_request)
    guard = request.app[GUARD]
    await asyncio.gather(*(guard.check(d) for d in domains))  # all or nothing: one refusal queues none
    limits = QueueLimits(per_token=config.max_queued_per_token, total=config.max_queued,
                         retry_after_s=config.queue_retry_after_s)
    jobs = await request.app[STORE].enqueue(domains, "api", config.max_attempts, time.time(),
                                            token_id=request[TOKEN].id, limits=limits)
    request.app[RUNNER].wake()
    views = [await job_view(request, job) for job in jobs]
    headers = {"Location": views[0].url} if len(views) == 1 else None
    return json_response(CrawlAccepted(jobs=views), status=202, headers=headers)


def _job_id(request: web.Request) -> int:
    return path_id(request, lambda shown: JobNotFoundError(f"no crawl job {shown}"))


async def get_crawl(request: web.Request) -> web.Response:
    job_id = _job_id(request)
    job = await request.app[STORE].job(job_id)
    if job is None:
        raise JobNotFoundError(f"no crawl job {job_id}")
    return json_response(await job_view(request, job))


async def cancel_crawl(request: web.Request) -> web.Response:
    job = await request.app[RUNNER].cancel(_job_id(request))
    return json_response(await job_view(request, job))


async def list_crawls(request: web.Request) -> web.Response:
    state = request.query.get("state")
    if state is not None and state not in STATES:
        raise BadRequestError(f"state must be one of {', '.join(STATES)}")
    jobs = await request.app[STORE].jobs(state, int_param(request, "limit", 50, 1, 500))  # type: ignore[arg-type]
    return json_response(JobList(jobs=[await job_view(request, j) for j in jobs]))
