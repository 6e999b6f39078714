"""Schedules: a named list of domains crawled every interval or on a cron expression (croniter)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time

from croniter import croniter

from ..errors import BadRequestError
from ..store.base import Schedule, Store

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
MIN_INTERVAL_S = 60.0


def parse_every(text: str) -> float:
    """``24h``, ``90m``, ``1h30m``, ``7d``, ``3600`` (seconds) → seconds."""
    text = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
    elif text and _PART.sub("", text) == "":
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    else:
        raise BadRequestError(f"{text!r} is not an interval (examples: 30m, 24h, 7d, 1h30m)")
    if seconds < MIN_INTERVAL_S:
        raise BadRequestError(f"interval {text!r} is shorter than {MIN_INTERVAL_S:.0f}s")
    return seconds


def check_cron(expression: str) -> str:
    if not croniter.is_valid(expression):
        raise BadRequestError(f"{expression!r} is not a cron expression (example: '0 3 * * *')")
    return expression


def next_run(schedule: Schedule, after: float) -> float:
    if schedule.every_s is not None:
        return after + schedule.every_s
    assert schedule.cron is not None
    start = dt.datetime.fromtimestamp(after, tz=dt.UTC)
    return croniter(schedule.cron, start).get_next(float)


def new_schedule(name: str, domains: list[str], every: str | None, cron: str | None, now: float) -> Schedule:
    if (every is None) == (cron is None):
        raise BadRequestError("give exactly one of an interval (--every) or a cron expression (--cron)")
    if not domains:
        raise BadRequestError("a schedule needs at least one domain")
    schedule = Schedule(name=name, domains=domains, every_s=parse_every(every) if every else None,
                        cron=check_cron(cron) if cron else None, created_at=now)
    # Interval schedules run at once; cron schedules wait for their next slot.
    schedule.next_run_at = now if schedule.every_s is not None else next_run(schedule, now)
    return schedule


async def queue_due(store: Store, now: float, max_attempts: int) -> int:
    """Queue the domains of every due schedule; returns how many jobs were queued or already active."""
    queued = 0
    for schedule in await store.due_schedules(now):
        jobs = await store.enqueue(schedule.domains, f"schedule:{schedule.name}", max_attempts, now)
        await store.mark_schedule_run(schedule.name, now, next_run(schedule, now))
        queued += len(jobs)
        log.info("schedule %s: queued %d domain(s)", schedule.name, len(jobs))
    return queued


async def run_scheduler(store: Store, tick_s: float, max_attempts: int, on_queued) -> None:
    while True:
        try:
            if await queue_due(store, time.time(), max_attempts):
                on_queued()
        except Exception:  # one bad tick must not stop future schedules
            log.exception("scheduler tick failed")
        await asyncio.sleep(tick_s)
