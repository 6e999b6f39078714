"""Peak PSS of this process and its Chromium children, sampled in the background."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def tree_pss_mib(root: int | None = None) -> float:
    return sum(pss_kib(p) for p in descendants(root or os.getpid())) / 1024.0


class PeakMemory:
    """``async with PeakMemory() as peak: …; peak.mib``"""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.mib = 0.0
        self._task: asyncio.Task | None = None

    async def _sample(self) -> None:
        while True:
            self.mib = max(self.mib, await asyncio.to_thread(tree_pss_mib))
            await asyncio.sleep(self.interval)

    async def __aenter__(self) -> "PeakMemory":
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()
        self.mib = max(self.mib, await asyncio.to_thread(tree_pss_mib))
