"""Calibration speed: the full fit of a scenario, its model evaluations and their cost.

Usage:
    python benchmarks/bench_calibrate.py [--scenario north-korea] [--max-iter 8]
        [--lump-days D | --exact] [--json]

Prints the wall-clock time of the fit (excluding loading), the number of
parameter sets evaluated by the expected-value mode, the time per evaluation
(batches run on all cores), the numba threads used, and the target (≤ 60 s
on 2 cores for the North Korea scenario).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numba
import numpy as np

from crossings import load_scenario
from crossings.calibrate.fit import fit, prepare, start_z
from crossings.expected import ExpectedModel
from crossings.scenario.load import LoadedScenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="north-korea")
    ap.add_argument("--max-iter", type=int, default=8)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument(
        "--lump-days",
        type=int,
        default=None,
        help="as `crossings calibrate --lump-days` (default: the scenario's)",
    )
    ap.add_argument("--exact", action="store_true", help="as `crossings calibrate --exact`")
    ap.add_argument(
        "--lump-error",
        action="store_true",
        help="only measure the lumping error: observed rows and estimates at the "
        "starting point, lumped against exact",
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    loaded = load_scenario(args.scenario)
    if args.lump_error:
        lump_error(loaded, args.lump_days)
        return
    t0 = time.perf_counter()
    prob = prepare(loaded, lump_days=args.lump_days, exact=args.exact)
    t_prep = time.perf_counter() - t0
    ev: ExpectedModel = prob.ev
    ev.run(ev.base_arrays(1))  # compile the kernels (cached on disk after the first time)
    t1 = time.perf_counter()
    ev.run(ev.base_arrays(1))
    t_one = time.perf_counter() - t1
    post = fit(prob, seed=1, draws=args.draws, max_iter=args.max_iter)
    res = {
        "scenario": loaded.scenario.name,
        "unknowns": prob.dim,
        "rows": len(prob.rows),
        "steps": prob.model.n_steps,
        "person_types": ev.NT,
        "prepare_s": round(t_prep, 2),
        "one_evaluation_s": round(t_one, 3),
        "fit_s": round(post.seconds, 2),
        "evaluations": post.evaluations,
        "s_per_evaluation_batched": round(post.seconds / max(post.evaluations, 1), 3),
        "iterations": post.iterations,
        "threads": numba.get_num_threads(),
        "lumped_states": [prob.model.state_ids[i] for i in ev.lumped.nonzero()[0]],
        "cpus": os.cpu_count(),
        "target_s": 60.0,
    }
    if args.json:
        print(json.dumps(res))
        return
    for k, v in res.items():
        print(f"{k:>26}: {v}")
    verdict = "meets" if post.seconds + t_prep <= 60 else "misses"
    print(f"fit + preparation {post.seconds + t_prep:.1f} s: {verdict} the 60 s target")


def lump_error(loaded: LoadedScenario, lump_days: int | None) -> None:
    """Print the largest relative differences between lumped and exact values."""
    exact = prepare(loaded, exact=True)
    lumped = prepare(loaded, lump_days=lump_days)
    z = start_z(exact)
    lumped.ev.run(lumped.ev.base_arrays(1))  # compile the kernels before timing
    t0 = time.perf_counter()
    v_x, e_x = exact.values(z[None])
    t1 = time.perf_counter()
    v_l, e_l = lumped.values(z[None])
    t2 = time.perf_counter()
    print(f"lumped states: {[lumped.model.state_ids[i] for i in lumped.ev.lumped.nonzero()[0]]}")
    print(f"one evaluation: exact {t1 - t0:.1f} s, lumped {t2 - t1:.1f} s")
    for name, a, b, rows in (
        ("observed rows", v_x[0], v_l[0], exact.rows),
        ("estimates", e_x[0], e_l[0], exact.estimate_rows),
    ):
        big = np.abs(a) >= 1.0  # relative differences of counts of at least one person
        rel = np.where(big, np.abs(b - a) / np.maximum(np.abs(a), 1e-300), 0.0)
        i = int(np.argmax(rel))
        r = rows[i]
        print(
            f"{name}: largest relative difference {rel[i]:.3%} "
            f"({r.series} {r.label} {r.sex}: exact {a[i]:.1f}, lumped {b[i]:.1f}); "
            f"{int(big.sum())} values of at least 1"
        )


if __name__ == "__main__":
    main()
