"""Policy analyzer accuracy on the OPP-115 development split: confusion matrices and scores.

    .venv/bin/python bench/policy_accuracy.py [--errors]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.knowledge import load_knowledge  # noqa: E402
from analyzer.policy.evaluation import evaluate  # noqa: E402

OPP115 = ROOT.parent / "shared" / "opp115-dev"


def load_opp115(directory: Path = OPP115) -> tuple[list[dict], dict[str, str]]:
    rows = [json.loads(line) for line in (directory / "labels.jsonl").read_text().splitlines() if line.strip()]
    texts = {row["id"]: (directory / "policies" / f"{row['id']}.txt").read_text(encoding="utf-8") for row in rows}
    return rows, texts


def main() -> None:
    rows, texts = load_opp115()
    result = evaluate(rows, texts, load_knowledge())
    print(f"OPP-115 dev: {len(rows)} policies\n")
    print(f"Do Not Track stance — accuracy {result.dnt.accuracy:.3f}")
    print(result.dnt.table(), "\n")
    print(f"'Does not sell' claim — agreement {result.sale.accuracy:.3f}")
    print(result.sale.table(), "\n")
    print(f"Third-party reference level — accuracy {result.reference_level.accuracy:.3f}")
    print(result.reference_level.table(), "\n")
    named = result.named
    print(
        f"Named third parties (company level, knowledge-base names only): precision {named.precision:.3f} "
        f"recall {named.recall:.3f} (tp {named.true_positives}, fp {named.false_positives}, "
        f"fn {named.false_negatives}); labelled names outside the knowledge base: {len(named.unmapped)}"
    )
    if "--errors" in sys.argv:
        print("\nper-policy differences (+ predicted not labelled, - labelled not predicted):")
        print("\n".join("  " + line for line in named.errors))
        print("unmapped labelled names:")
        print("\n".join("  " + line for line in named.unmapped))


if __name__ == "__main__":
    main()
