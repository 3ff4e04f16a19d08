"""The expected-value mode against the agent engine on a full scenario: agreement and speed.

Usage:
    python benchmarks/bench_expected.py [--scenario north-korea] [--runs 40] [--json]

Runs the agent engine ``--runs`` times (seeds 1..N, all cores) and the exact
expected-value mode once, then prints:

* agreement on every observed row (by sex) and on the total of every tally:
  the largest ``|mean of runs − expected| / standard error`` and how many
  exceed 3 and 4 standard errors (about 0.3% and 0.006% of normal draws);
* the wall-clock time of both, and of ``crossings run --expected`` (the
  expected values plus one set per entry cohort).

The tests check the same on the small example scenario; this is the check on
the scenarios people rely on (flags, waves, reclassifications, families).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np

from crossings import load_scenario
from crossings.compile.compiler import compile_scenario
from crossings.executors import run_seeds
from crossings.expected import ExpectedModel
from crossings.measure import build_rows, row_values
from crossings.runs import RunMode, RunPlan, execute
from crossings.tallies import stack

TALLIES = (
    "stocks",
    "flows",
    "flag_flows",
    "wave_moved",
    "rc_moved",
    "family_members",
    "family_households",
    "rule_counts",
    "hazard_counts",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="north-korea")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    loaded = load_scenario(args.scenario)
    model = compile_scenario(loaded)
    ev = ExpectedModel(model)
    ev.run(ev.base_arrays(1))  # compile (cached on disk after the first time)
    t0 = time.perf_counter()
    batch = ev.run(ev.base_arrays(1))
    t_ev = time.perf_counter() - t0
    t0 = time.perf_counter()
    raws = run_seeds(model, list(range(1, args.runs + 1)), workers=None)
    t_agents = time.perf_counter() - t0
    t0 = time.perf_counter()
    execute(loaded, RunPlan(RunMode.EXPECTED))
    t_cohorts = time.perf_counter() - t0
    n = len(raws)
    rows = build_rows(loaded.scenario, model)
    sims = row_values(stack(raws), model, rows)
    exp = row_values(batch, model, rows)[0]
    z_rows: list[tuple[float, str]] = []
    for j, r in enumerate(rows):
        se = sims[:, j].std(ddof=1) / math.sqrt(n)
        if se == 0.0:
            continue
        z_rows.append((abs(sims[:, j].mean() - exp[j]) / se, f"{r.series} {r.label} {r.sex}"))
    z_tally: list[tuple[float, str]] = []
    for name in TALLIES:
        per_run = np.array([getattr(r, name).sum() for r in raws], dtype=float)
        e = float(getattr(batch, name)[0].sum())
        se = per_run.std(ddof=1) / math.sqrt(n)
        if se > 0:
            z_tally.append((abs(per_run.mean() - e) / se, name))
    zr = np.array([z for z, _ in z_rows])
    zt = np.array([z for z, _ in z_tally])
    worst = max(z_rows + z_tally)
    res: dict[str, Any] = {
        "scenario": loaded.scenario.name,
        "agent_runs": n,
        "rows_compared": len(z_rows),
        "rows_over_3_se": int((zr > 3).sum()),
        "rows_over_4_se": int((zr > 4).sum()),
        "tallies_compared": len(z_tally),
        "tallies_over_4_se": int((zt > 4).sum()),
        "largest_z": round(worst[0], 2),
        "largest_z_at": worst[1],
        "expected_one_set_s": round(t_ev, 2),
        "agent_runs_s": round(t_agents, 2),
        "run_expected_with_cohorts_s": round(t_cohorts, 2),
    }
    if args.json:
        print(json.dumps(res))
        return
    for k, v in res.items():
        print(f"{k:>28}: {v}")


if __name__ == "__main__":
    main()
