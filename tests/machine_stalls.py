"""A witness for time the whole machine did not run, so a wall-clock bound measures the code under test.

On the shared 2-core VM the tests run on, the VM's CPUs now and then stop for 10–40 s while its
load is high: the kernel logs "rcu_preempt kthread starved" and "workqueue lockup … stuck for 36s",
and an unrelated process that only sleeps in 50 ms steps sees the same gap as the crawl. No bound in
the crawler can shorten that. The witness is such a process: it sleeps in short steps and reports
every step that took far longer. A step inside our own process would not do: a crawler holding the
GIL or flooding its event loop would then excuse itself.
"""

from __future__ import annotations

import subprocess
import sys

STEP_S = 0.05
GAP_S = 0.5  # a sleeping process woken this late did not run at all (CFS wakes a sleeper within ms)

_WITNESS = f"""
import time
step, last = {STEP_S}, time.monotonic()
while True:
    time.sleep(step)
    now = time.monotonic()
    if now - last > {GAP_S}:
        print(last + step, now, flush=True)  # the stretch it did not run, on the system's monotonic clock
    last = now
"""


class MachineStalls:
    """``with MachineStalls() as stalls: …`` then ``stalls.seconds``: how long the machine stood still."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.spans: list[tuple[float, float]] = []  # (from, to) in time.monotonic() of any process here

    def __enter__(self) -> MachineStalls:
        self._process = subprocess.Popen([sys.executable, "-c", _WITNESS], stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc) -> None:
        assert self._process is not None
        self._process.terminate()
        out, _ = self._process.communicate(timeout=10)
        self.spans = [(float(a), float(b)) for a, b in (line.split() for line in out.splitlines() if line.strip())]

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in self.spans]

    @property
    def seconds(self) -> float:
        return sum(self.gaps)

    def within(self, start: float, end: float) -> float:
        """How long the machine stood still between ``start`` and ``end`` (time.monotonic())."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.spans)

    def describe(self) -> str:
        if not self.gaps:
            return "the machine ran throughout"
        return f"the machine stood still {self.seconds:.1f} s ({', '.join(f'{g:.1f}' for g in self.gaps)} s gaps)"
