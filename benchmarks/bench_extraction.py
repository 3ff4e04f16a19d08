"""Measure claim extraction against the labelled article set.

    python benchmarks/bench_extraction.py                 # all splits
    python benchmarks/bench_extraction.py --set dev       # the tuning split
    python benchmarks/bench_extraction.py --set heldout --json out.json
    python benchmarks/bench_extraction.py --set dev --details

Prints precision / recall / F1 for claims and for attribution, field
accuracy on matched claims, and the time per article (HTML/markdown
conversion plus extraction). ``--json PATH`` also writes the whole report
(``-`` for standard output). The labelled set is ``tests/evidence_articles``
(``--path`` for another folder); the matching rules are documented in
:mod:`crossings.evidence.extract.bench`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crossings.evidence.extract import EXTRACTOR_VERSION
from crossings.evidence.extract.bench import run_benchmark


def _line(name: str, scores: dict[str, float]) -> str:
    """One result line."""
    return (
        f"  {name:<12} P={scores['precision']:.3f}  R={scores['recall']:.3f}  F1={scores['f1']:.3f}"
    )


def _print_report(title: str, report: dict[str, object]) -> None:
    """Print the summary of one report."""
    claims = report["claims"]
    attribution = report["attribution"]
    fields = report["field_accuracy_on_matched"]
    assert isinstance(claims, dict) and isinstance(attribution, dict)
    assert isinstance(fields, dict)
    print(
        f"{title}: {report['articles']} articles, {claims['gold']} gold claims, "
        f"{claims['predicted']} predicted, {claims['matched']} matched"
    )
    print(_line("claims", claims))
    print(
        _line("attribution", attribution)
        + f"  (tp={attribution['true_positives']} fp={attribution['false_positives']} "
        f"fn={attribution['false_negatives']})"
    )
    print("  fields on matched claims: " + ", ".join(f"{k} {v:.2f}" for k, v in fields.items()))
    print(f"  time per article: {1000 * float(str(report['seconds_per_article'])):.1f} ms")


def _print_details(report: dict[str, object]) -> None:
    """Print misses, false positives and attribution errors per article."""
    details = report["details"]
    assert isinstance(details, list)
    for d in details:
        if not (d["false_positives"] or d["misses"] or d["attribution_errors"]):
            continue
        print(
            f"  {d['article']}: gold {d['gold']}, predicted {d['predicted']}, "
            f"matched {d['matched']}"
        )
        for fp in d["false_positives"]:
            print(
                f"    false positive {fp['value']:g} {fp['subject']} {fp['period']}: "
                f"{fp['quote']!r}"
            )
        for m in d["misses"]:
            print(f"    missed {m['value']:g} {m['subject']} {m['period']}")
        for a in d["attribution_errors"]:
            print(f"    attribution {a['value']:g}: predicted {a['predicted']!r}, gold {a['gold']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set",
        dest="split",
        default="all",
        help="dev, heldout, another sub-folder name, or all (default)",
    )
    parser.add_argument(
        "--path",
        type=Path,
        default=None,
        help="labelled set folder (default: tests/evidence_articles)",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="PATH",
        help="write the full report as JSON to PATH (or '-' for stdout)",
    )
    parser.add_argument(
        "--details", action="store_true", help="list misses and false positives per article"
    )
    args = parser.parse_args(argv)

    split = None if args.split == "all" else args.split
    report = run_benchmark(args.path, split=split)
    report["extractor_version"] = EXTRACTOR_VERSION
    if args.json == "-":
        json.dump(report, sys.stdout, indent=2, default=str)
        print()
        return 0
    print(f"extractor {EXTRACTOR_VERSION}")
    if split is None:
        splits = report.get("splits")
        assert isinstance(splits, dict)
        for name, sub in splits.items():
            _print_report(name, sub)
        _print_report("all", report)
    else:
        _print_report(split, report)
    if args.details:
        _print_details(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        print(f"report written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
