"""Policy analysis throughput: policies per second on one core over the OPP-115 dev policies.

    .venv/bin/python bench/analyze_policies.py      # target: >= 100 policies/s/core
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.knowledge import load_knowledge  # noqa: E402
from analyzer.policy import analyze_policy  # noqa: E402

POLICIES = ROOT.parent / "shared" / "opp115-dev" / "policies"


def policies_per_second(texts: list[str] | None = None, rounds: int = 5) -> float:
    """Best of ``rounds`` passes over ``texts`` (default: the 60 OPP-115 dev policies), in one
    thread; the knowledge base and vocabulary are loaded before timing (they load once per process).

    Timed in process CPU time, so other work on a shared machine does not count against it."""
    if texts is None:
        texts = [p.read_text(encoding="utf-8") for p in sorted(POLICIES.glob("*.txt"))]
    knowledge = load_knowledge()
    analyze_policy(texts[0], knowledge=knowledge)  # warm caches: compiled vocabulary, name index
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for text in texts:
            analyze_policy(text, knowledge=knowledge)
        best = min(best, time.process_time() - start)
    return len(texts) / best


if __name__ == "__main__":
    texts = [p.read_text(encoding="utf-8") for p in sorted(POLICIES.glob("*.txt"))]
    rate = policies_per_second(texts)
    size = sum(len(t) for t in texts) / len(texts)
    print(f"{rate:.0f} policies/s on one core ({len(texts)} OPP-115 dev policies, mean {size / 1000:.1f} kB)")
