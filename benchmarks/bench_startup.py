"""Start-up cost of the command line: CPU seconds and what gets imported.

    python benchmarks/bench_startup.py [--repeat 5]

For ``crossings --help``, ``crossings check example`` and ``crossings check
north-korea`` it prints the best and median CPU time (user + system) of a fresh
process over ``--repeat`` runs, and the heavy libraries each one imported
(``python -X importtime``: the ten slowest top-level imports and their
cumulative milliseconds). Targets (issue 11): ``--help`` under 0.3 s of CPU,
``check`` of the example under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

HEAVY = ("numba", "pandas", "dask", "distributed", "plotly", "scipy", "matplotlib", "sqlalchemy")
COMMANDS = (["--help"], ["check", "example"], ["check", "north-korea"])


def cpu_seconds(args: list[str]) -> float:
    """CPU seconds (user + system) of one fresh ``crossings ARGS`` process."""
    code = (
        "import sys; sys.argv = ['crossings', *sys.argv[1:]]\n"
        "from crossings.cli import main\nmain()"
    )
    before = os.times()
    subprocess.run([sys.executable, "-c", code, *args], check=False, capture_output=True)
    after = os.times()
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def heavy_imports(args: list[str]) -> tuple[list[str], list[tuple[str, float]]]:
    """The heavy libraries imported, and the slowest top-level imports (name, ms)."""
    code = (
        "import sys; sys.argv = ['crossings', *sys.argv[1:]]\n"
        "from crossings.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        check=False,
        capture_output=True,
        text=True,
    )
    lines = proc.stderr.strip().splitlines()
    marks = [line[len("HEAVY:") :] for line in lines if line.startswith("HEAVY:")]
    heavy = [m for m in marks[-1].split(",") if m] if marks else []
    top: list[tuple[str, float]] = []
    for line in lines:
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3 or parts[2].startswith("  "):
            continue  # nested import
        try:
            top.append((parts[2].strip(), int(parts[1]) / 1000))
        except ValueError:
            continue
    return heavy, sorted(top, key=lambda t: -t[1])[:10]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    for args in COMMANDS:
        times = [cpu_seconds(args) for _ in range(a.repeat)]
        heavy, top = heavy_imports(args)
        label = "crossings " + " ".join(args)
        print(
            f"{label:<28} CPU best {min(times):.3f} s, median {statistics.median(times):.3f} s"
            f" ({a.repeat} runs); heavy libraries imported: {', '.join(heavy) or 'none'}"
        )
        print("    slowest top-level imports: " + ", ".join(f"{n} {ms:.0f} ms" for n, ms in top))


if __name__ == "__main__":
    main()
