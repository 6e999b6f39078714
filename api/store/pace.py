"""Politeness per site, the same for every backend and every process that claims jobs.

A *site* is a registrable domain (``shop.co.uk`` for ``www.shop.co.uk``): at most one job of a site
runs at a time, and two audits of a site start at least ``min_interval_s`` apart. Both rules live in
the database (the running job's ``site`` column and the ``site_pace`` table), so they hold across
crawl workers on many machines: together they are the per-target rate limit.
"""

from __future__ import annotations

import msgspec

from model.domains import registrable_domain

# How long a job waits before looking again when another job of its site is running (its end is unknown).
RUNNING_RECHECK_S = 15.0
# How far down the queue a claim looks past jobs whose site is busy or paced.
CLAIM_LOOKAHEAD = 500


class Held(msgspec.Struct, frozen=True, kw_only=True):
    """A job that may not start yet, and until when."""

    until: float
    reason: str


def site_of(domain: str) -> str:
    return registrable_domain(domain)


def hold(site: str, now: float, running: bool, last_started_at: float | None, min_interval_s: float) -> Held | None:
    """Why a job of ``site`` may not start at ``now``, or None when it may."""
    if running:
        return Held(until=now + RUNNING_RECHECK_S, reason=f"another audit of {site} is running")
    if last_started_at is not None and min_interval_s > 0 and now < last_started_at + min_interval_s:
        return Held(until=last_started_at + min_interval_s,
                    reason=f"{site} was audited {now - last_started_at:.0f} s ago (minimum interval {min_interval_s:.0f} s)")
    return None
