"""Measure claim extraction against the labelled article set, and how its time grows.

    python benchmarks/bench_extraction.py                 # all splits, then the scaling line
    python benchmarks/bench_extraction.py --set dev2      # a tuning split
    python benchmarks/bench_extraction.py --set heldout --json out.json
    python benchmarks/bench_extraction.py --set dev3 --details
    python benchmarks/bench_extraction.py --exclude blind # develop without a blind set
    python benchmarks/bench_extraction.py --no-scaling    # skip the long documents (~30 s)

One run prints every split (sub-folder) of ``tests/evidence_articles`` that holds
labelled articles: the tuning sets (``dev``; ``dev2`` and ``dev3`` of the
real-page structures of issue 14, rounds 4 and 5), the held-out sets seen since
their first run (``heldout``, ``heldout2``, ``heldout3``, and ``heldout4``, the
round-4 blind set) and, when the folder is there, the ``blind`` set of the
current round (written and labelled before its rules and measured once with
them; see its README), then all together. No split name is built in: a folder
that is absent is simply not listed (``--exclude`` of an absent folder does
nothing; ``--set`` of one reports that it has no articles). For each:
precision / recall / F1 for claims and for attribution, field accuracy on
matched claims, how many page-furniture numbers were taken as claims, and the
time per article (HTML/markdown conversion plus extraction). ``--json PATH``
also writes the whole report (``-`` for standard output). ``--path`` reads
another folder; the articles are read with the built-in evidence's named
periods ("since the pandemic"); the matching rules are documented in
:mod:`crossings.evidence.extract.bench`.

The scaling line times extraction of one long document, the labelled articles
one after another and repeated, at 50 KB, 800 KB and 4.9 MB, and prints the
seconds per KB at each size and the ratio of the largest to the smallest
(1.0 when the time is linear in the length of the text).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from crossings.evidence.builtin import named_periods
from crossings.evidence.extract import EXTRACTOR_VERSION, extract_claims
from crossings.evidence.extract.bench import (
    default_set_path,
    load_gold,
    read_article,
    run_benchmark,
)

#: Sizes of the scaling line, in KB (4.9 MB the largest a reported document had).
SCALING_KB = (50, 800, round(4.9 * 1024))


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
    print(f"  page-furniture numbers taken as claims: {report.get('furniture_claims', 0)}")
    print(f"  time per article: {1000 * float(str(report['seconds_per_article'])):.1f} ms")


def _print_details(report: dict[str, object]) -> None:
    """Print misses, false positives and attribution errors per article."""
    details = report["details"]
    assert isinstance(details, list)
    for d in details:
        if not (
            d["false_positives"] or d["misses"] or d["attribution_errors"] or d["furniture_claims"]
        ):
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
        for f in d.get("furniture_claims", ()):
            print(f"    page furniture taken as a claim: {f!r}")


def long_document(size_kb: int, path: Path | None = None) -> str:
    """The labelled articles one after another, repeated to ``size_kb`` KB."""
    docs = load_gold(path or default_set_path())
    base = "\n\n".join(read_article(d.path).text for d in docs)
    n = size_kb * 1024
    return (base * (n // len(base) + 1))[:n]


def scaling(
    sizes_kb: tuple[int, ...] = SCALING_KB, path: Path | None = None
) -> list[dict[str, float]]:
    """Seconds per KB of extracting one long document of each size."""
    named = named_periods()
    rows = []
    for kb in sizes_kb:
        text = long_document(kb, path)
        t0 = time.perf_counter()
        claims = extract_claims(text, published=dt.date(2024, 1, 1), named_periods=named)
        seconds = time.perf_counter() - t0
        rows.append({"kb": kb, "seconds": seconds, "per_kb": seconds / kb, "claims": len(claims)})
    return rows


def _size(kb: float) -> str:
    return f"{kb / 1024:.1f} MB" if kb >= 1024 else f"{kb:g} KB"


def _print_scaling(rows: list[dict[str, float]]) -> None:
    """The scaling line: seconds per KB at each size, and the largest/smallest ratio."""
    parts = ", ".join(
        f"{_size(r['kb'])} {1000 * r['per_kb']:.2f} ms/KB ({r['seconds']:.1f} s, "
        f"{int(r['claims'])} claims)"
        for r in rows
    )
    ratio = rows[-1]["per_kb"] / rows[0]["per_kb"]
    print(
        f"scaling: {parts}; per-KB ratio {_size(rows[-1]['kb'])} / {_size(rows[0]['kb'])} "
        f"= {ratio:.2f} (1.00 = linear)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set",
        dest="split",
        default="all",
        help="dev, dev3, heldout4, blind, another sub-folder name, or all (default)",
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
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="SPLIT",
        help="leave a sub-folder out of --set all (repeatable)",
    )
    parser.add_argument(
        "--no-scaling",
        dest="scaling",
        action="store_false",
        help="skip the scaling line (extraction of 50 KB, 800 KB and 4.9 MB documents)",
    )
    args = parser.parse_args(argv)

    split = None if args.split == "all" else args.split
    try:
        report = run_benchmark(
            args.path, split=split, named_periods=named_periods(), exclude=args.exclude
        )
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report["extractor_version"] = EXTRACTOR_VERSION
    if args.json == "-":
        if args.scaling:
            report["scaling"] = scaling(path=args.path)
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
    if args.scaling:
        report["scaling"] = scaling(path=args.path)
        _print_scaling(report["scaling"])  # type: ignore[arg-type]
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        print(f"report written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
