"""Policy analyzer accuracy: the stance set (bench/data/policy_stances.yaml: DNT, GPC and sale
sentences by class, dev and held-out), the same in the other languages policy discovery supports
(bench/data/policy_stances_languages.yaml, per language and field) and the OPP-115 development split.

    .venv/bin/python bench/policy_accuracy.py [--errors]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.knowledge import load_knowledge  # noqa: E402
from analyzer.policy.evaluation import evaluate, load_stance_set, score_stances  # noqa: E402

OPP115 = ROOT.parent / "shared" / "opp115-dev"
STANCE_SET = ROOT / "bench" / "data" / "policy_stances.yaml"
LANGUAGE_SET = ROOT / "bench" / "data" / "policy_stances_languages.yaml"
FIELDS = ("dnt", "gpc", "sale")


def load_opp115(directory: Path = OPP115) -> tuple[list[dict], dict[str, str]]:
    rows = [json.loads(line) for line in (directory / "labels.jsonl").read_text().splitlines() if line.strip()]
    texts = {row["id"]: (directory / "policies" / f"{row['id']}.txt").read_text(encoding="utf-8") for row in rows}
    return rows, texts


def stance_set(show_errors: bool) -> None:
    items = load_stance_set(STANCE_SET, OPP115 if OPP115.is_dir() else None)
    scores = score_stances(items, load_knowledge())
    sources = sum(1 for i in items if i.source != "own")
    print(f"Stance set: {len(items)} labelled sentences/passages ({len(items) - sources} own, {sources} from OPP-115 dev)\n")
    print(f"{'field':6} {'all':>13} {'dev':>13} {'held out':>13}")
    for name in ("dnt", "gpc", "sale"):
        cells = [scores.by_field.get(name)] + [scores.by_split.get((name, split)) for split in ("dev", "heldout")]
        print(f"{name:6} " + " ".join(_fraction(c).rjust(13) for c in cells))
    print("\nper class (all splits):")
    for (name, cls), confusion in sorted(scores.by_class.items()):
        print(f"  {name:5} {cls:24} {_fraction(confusion)}")
    for name in ("dnt", "gpc", "sale"):
        print(f"\n{name} — gold \\ predicted\n{scores.by_field[name].table()}")
    if show_errors:
        print("\nerrors:")
        print("\n".join("  " + line for line in scores.errors))
    print()


def language_set(show_errors: bool) -> None:
    items = load_stance_set(LANGUAGE_SET)
    scores = score_stances(items, load_knowledge())
    codes = list(dict.fromkeys(i.lang for i in items))
    print(f"Other languages: {len(items)} labelled sentences ({', '.join(codes)})\n")
    print(f"{'lang':6} " + " ".join(f.rjust(13) for f in (*FIELDS, "all")))
    for code in codes:
        cells = [scores.by_lang.get((code, f)) for f in FIELDS]
        print(f"{code:6} " + " ".join(_fraction(c).rjust(13) for c in cells) + _fraction(_merged(cells)).rjust(14))
    by_split = [_merged([scores.by_split.get((f, split)) for f in FIELDS]) for split in ("dev", "heldout")]
    print(f"\nall languages: dev {_fraction(by_split[0])}, held out {_fraction(by_split[1])}")
    for name in FIELDS:
        print(f"  {name:5} dev {_fraction(scores.by_split.get((name, 'dev')))}, "
              f"held out {_fraction(scores.by_split.get((name, 'heldout')))}")
    if show_errors and scores.errors:
        print("\nerrors:")
        print("\n".join("  " + line for line in scores.errors))
    print()


def _merged(confusions):
    present = [c for c in confusions if c is not None]
    if not present:
        return None
    merged = type(present[0])()
    for c in present:
        merged.counts.update(c.counts)
    return merged


def _fraction(confusion) -> str:
    if confusion is None or not confusion.total:
        return "-"
    right = round(confusion.accuracy * confusion.total)
    return f"{right}/{confusion.total} {confusion.accuracy:.2f}"


def main() -> None:
    stance_set("--errors" in sys.argv)
    language_set("--errors" in sys.argv)
    rows, texts = load_opp115()
    result = evaluate(rows, texts, load_knowledge())
    print(f"OPP-115 dev: {len(rows)} policies\n")
    print(f"Do Not Track stance — accuracy {result.dnt.accuracy:.3f}")
    print(result.dnt.table(), "\n")
    print(f"'Does not sell' claim — agreement {result.sale.accuracy:.3f} "
          f"({result.sale_outweighed} of the claims found are outweighed by sharing for advertising: sale = sells_or_shares)")
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
