"""Calibration speed against the agent engine, in one run (issue 15's figures).

Usage:
    python benchmarks/bench_calibrate.py [--scenario north-korea] [--target-ess 1000]
        [--method importance|laplace] [--max-iter 20] [--lump-days D | --exact]
        [--skip-fit] [--json]

Prints, measured in this process on this machine:

* the time of one agent run of the scenario (load and compile apart);
* the time of ``crossings run --expected`` (the exact expected value of every
  tally, cohort tables included) and its ratio to one agent run (target ≤ 2);
* the default calibration (``crossings calibrate``): preparation, the mode
  search, the posterior sampling, its model evaluations, effective sample
  size and Pareto k̂, the wall time against the target (≤ 60 s on 2 cores);
* one expected-value evaluation alone and per set in a batch.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numba
import numpy as np

from crossings import load_scenario
from crossings.calibrate.fit import fit, prepare
from crossings.compile.compiler import compile_scenario
from crossings.engine.core import Simulation
from crossings.runs import RunMode, RunPlan, execute


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="north-korea")
    ap.add_argument("--method", default="importance", help="importance, hmc or laplace")
    ap.add_argument("--target-ess", type=float, default=1000.0)
    ap.add_argument("--max-iter", type=int, default=20)
    ap.add_argument("--lump-days", type=int, default=None)
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--skip-fit", action="store_true", help="only the run figures")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res: dict[str, Any] = {
        "scenario": a.scenario,
        "cores": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
    }
    loaded = load_scenario(a.scenario)
    model = compile_scenario(loaded)
    Simulation(model, seed=1).run()  # compile the engine's kernels (cached on disk)
    t0 = time.perf_counter()
    Simulation(model, seed=2).run()
    res["agent_run_s"] = round(time.perf_counter() - t0, 2)
    execute(loaded, RunPlan(RunMode.EXPECTED))  # compile the expected-value kernels
    t0 = time.perf_counter()
    execute(loaded, RunPlan(RunMode.EXPECTED))
    res["run_expected_s"] = round(time.perf_counter() - t0, 2)
    res["run_expected_vs_agent_run"] = round(res["run_expected_s"] / res["agent_run_s"], 2)
    if not a.skip_fit:
        t0 = time.perf_counter()
        prob = prepare(loaded, lump_days=a.lump_days, exact=a.exact)
        z = np.zeros((1, prob.dim))
        prob.evaluate(z)  # compile with these shapes
        res["prepare_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        prob.evaluate(z)
        res["one_set_s"] = round(time.perf_counter() - t0, 3)
        zs = np.random.default_rng(1).standard_normal((32, prob.dim)) * 0.1
        t0 = time.perf_counter()
        prob.evaluate(zs)
        res["per_set_in_batch_of_32_s"] = round((time.perf_counter() - t0) / 32, 4)
        prob.evaluations = 0
        t0 = time.perf_counter()
        post = fit(prob, method=a.method, target_ess=a.target_ess, max_iter=a.max_iter)
        res["fit_s"] = round(time.perf_counter() - t0, 1)
        res.update(
            coordinates=prob.dim,
            rows=len(prob.rows),
            method=post.method,
            iterations=post.mode.iterations,
            converged=post.mode.converged,
            evaluations=post.evaluations,
            ess=round(post.ess, 1),
            khat=None if post.khat is None else round(post.khat, 3),
            failed_sampler=None
            if post.importance_failed is None
            else post.importance_failed.sampler,
            chains_rhat_max=None if post.chains is None else round(post.chains.rhat_max, 3),
            chains_ess_min=None if post.chains is None else round(post.chains.ess_min, 1),
            calibrate_wall_s=round(res["prepare_s"] + res["fit_s"], 1),
            target_s=60,
        )
    if a.json:
        print(json.dumps(res))
        return
    for k, v in res.items():
        print(f"{k:>28}: {v}")


if __name__ == "__main__":
    main()
