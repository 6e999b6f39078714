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

    async def __aenter__(self) -> PeakMemory:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()
        self.mib = max(self.mib, await asyncio.to_thread(tree_pss_mib))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "python"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    if "--type=renderer" in cmdline:
        return "renderer"
    if "--type=" in cmdline:
        return "helpers"  # GPU, network/storage utility processes, zygote
    if "chrom" in cmdline:
        return "browser"
    return "other"  # Playwright's node driver


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


class CpuSplit:
    """CPU seconds of the process tree by role (python, browser, renderer, helpers, other) over a block.

    Processes that exit inside the block (renderers of closed contexts) are sampled every ``interval``
    and counted up to their last sample, so short-lived renderers are not lost."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.root = os.getpid()
        self.start: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self._task: asyncio.Task | None = None

    def _sample(self) -> None:
        for pid in descendants(self.root):
            cpu = _cpu_s(pid)
            role = self.last[pid][0] if pid in self.last else _role(pid, self.root)
            self.last[pid] = (role, cpu)

    async def _loop(self) -> None:
        while True:
            await asyncio.to_thread(self._sample)
            await asyncio.sleep(self.interval)

    async def __aenter__(self) -> CpuSplit:
        self._sample()
        self.start = {pid: cpu for pid, (_, cpu) in self.last.items()}
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()
        self._sample()

    def by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, (role, cpu) in self.last.items():
            out[role] = out.get(role, 0.0) + max(0.0, cpu - self.start.get(pid, 0.0))
        return out
