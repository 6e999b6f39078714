"""Time budgets: one crawl's overall deadline and the budgets carved out of it (discovery, a visit).

Every wait in a crawl is bounded by ``bound(seconds)``: the smaller of its own limit and what is left,
so a hostile site can cost at most the deadline, and whatever ran out is named in the capture.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

# Work stops this long before the deadline, so collecting what was seen and closing the context
# still fit inside it (collectors read from memory; closing a context takes well under a second).
WRAP_UP_S = 3.0
MIN_STEP_S = 0.5  # a wrap-up step past the deadline still gets this long


@dataclass(frozen=True)
class Deadline:
    """A point in ``time.monotonic()`` time; ``at=inf`` never expires."""

    at: float = math.inf
    total_s: float = math.inf  # the budget it was made from, for messages

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        if seconds is None or math.isinf(seconds):
            return cls()
        return cls(time.monotonic() + seconds, seconds)

    def within(self, seconds: float | None) -> Deadline:
        """A sub-budget: ``seconds`` from now, but never past this deadline."""
        inner = Deadline.after(seconds)
        return inner if inner.at <= self.at else self

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def bound(self, seconds: float) -> float:
        """``seconds``, or less when the deadline comes first (never below a few ms)."""
        return max(0.01, min(seconds, self.remaining()))

    def step(self, seconds: float) -> float:
        """A wrap-up step's limit (collecting, closing): ``seconds``, cut to what is left, never below
        MIN_STEP_S, so a crawl cut at its deadline ends just past it."""
        return max(MIN_STEP_S, self.bound(seconds))

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    @property
    def work_ends(self) -> float:
        """When work must stop so the wrap-up still fits (inside the loop's time base)."""
        if math.isinf(self.at):
            return math.inf
        wrap_up = min(WRAP_UP_S, self.total_s * 0.2)
        return asyncio.get_running_loop().time() + (self.at - wrap_up - time.monotonic())

    @contextlib.asynccontextmanager
    async def scope(self) -> AsyncIterator[asyncio.Timeout]:
        """``async with deadline.scope() as cut``: the body is cancelled when work must stop;
        ``cut.expired()`` then says so (a TimeoutError escapes the block)."""
        when = None if math.isinf(self.at) else self.work_ends
        async with asyncio.timeout_at(when) as cut:
            yield cut

    def describe(self) -> str:
        return f"{self.total_s:g} s"
