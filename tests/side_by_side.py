"""Crawls that mostly wait, run side by side from one module fixture, each test reading its own result.

A module fixture that raised would fail every test of its file with the same error; here a crawl's exception
is kept and raised again by the one test that reads that crawl, and the other crawls' tests still run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any


class SideBySide:
    """Results by name of awaitables run at once; ``result(name)`` raises what that one raised."""

    def __init__(self, results: dict[str, Any]) -> None:
        self._results = results

    @classmethod
    async def run(cls, jobs: Mapping[str, Awaitable[Any]]) -> SideBySide:
        return cls(dict(zip(jobs, await asyncio.gather(*jobs.values(), return_exceptions=True))))

    def result(self, name: str) -> Any:
        value = self._results[name]
        if isinstance(value, BaseException):
            raise value
        return value
