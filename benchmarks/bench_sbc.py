"""Simulation-based calibration of a scenario's own unknowns, and under misspecification.

Usage:
    python benchmarks/bench_sbc.py [--scenario north-korea] [--n 40] [--method laplace]
        [--target-ess 400] [--misspecified VARIANT] [--seed 7] [--json]

Each replication draws every unknown from its prior (``z ~ N(0, I)`` on the
calibration's coordinates), computes the expected observations with the
expected-value mode, draws data from the observation model, and fits them
as real data. When the method is calibrated, the truth lies inside the
central 50% and 90% posterior intervals at those rates (within binomial
error, printed as ±2 standard errors).

``--misspecified VARIANT`` simulates the data from a structural alternative
of the scenario (another way the system may work) with the same unknowns,
and fits them with the scenario itself: what the intervals do when the model
is wrong in that way.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np

from crossings import load_scenario
from crossings.calibrate.fit import _synthetic_row, fit, prepare
from crossings.calibrate.observe import Likelihood
from crossings.calibrate.unknowns import InertUnknownError


def _figures(
    a: argparse.Namespace, prob: Any, inside50: np.ndarray, inside90: np.ndarray, seconds: float
) -> dict[str, Any]:
    """Coverage figures of the replications so far.

    The binomial errors treat every (replication, coordinate) as independent; the
    between-replication error (the spread of each replication's own coverage) allows
    for the coordinates of one replication sharing its fit, and is the one to read
    when the replications are few.
    """
    n = inside50.size
    reps = inside50.shape[0]
    per50, per90 = inside50.mean(axis=1), inside90.mean(axis=1)
    names = [n.split(":")[0] for n in prob.space.coordinate_names()]
    by_unknown = {
        u: round(float(inside90[:, [k for k, x in enumerate(names) if x == u]].mean()), 3)
        for u in dict.fromkeys(names)
    }
    return {
        "scenario": a.scenario,
        "misspecified": a.misspecified,
        "method": a.method,
        "replications": reps,
        "coordinates": prob.dim,
        "coverage50": round(float(inside50.mean()), 3),
        "coverage90": round(float(inside90.mean()), 3),
        "binomial_2se_50": round(2 * math.sqrt(0.25 / n), 3),
        "binomial_2se_90": round(2 * math.sqrt(0.09 / n), 3),
        "replication_2se_50": round(2 * float(per50.std(ddof=1)) / math.sqrt(reps), 3)
        if reps > 1
        else None,
        "replication_2se_90": round(2 * float(per90.std(ddof=1)) / math.sqrt(reps), 3)
        if reps > 1
        else None,
        "worst_coordinate_coverage90": round(float(inside90.mean(axis=0).min()), 3),
        "coverage90_by_unknown": by_unknown,
        "seconds": round(seconds, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="north-korea")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--method", default="laplace")
    ap.add_argument("--target-ess", type=float, default=400.0)
    ap.add_argument("--misspecified", default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--out",
        default=None,
        help="write the figures so far to this JSON file after each replication",
    )
    a = ap.parse_args()
    prob = prepare(load_scenario(a.scenario))
    try:
        gen = prepare(load_scenario(a.scenario, variant=a.misspecified)) if a.misspecified else prob
    except InertUnknownError as err:
        raise SystemExit(
            f"the variant {a.misspecified!r} cannot generate data for the scenario's unknowns: "
            f"{err}. Choose a variant that keeps every unknown in use."
        ) from None
    if a.misspecified and [c.name for c in gen.space.components] != [
        c.name for c in prob.space.components
    ]:
        raise SystemExit("the variant must keep every unknown of the scenario")
    rng = np.random.default_rng([a.seed, 99])
    z_true = rng.standard_normal((a.n, prob.dim))
    mu, _ = gen.values(z_true)
    data = gen.likelihood.sample(mu, rng)
    rows0 = prob.rows
    inside50 = np.zeros((a.n, prob.dim), bool)
    inside90 = np.zeros((a.n, prob.dim), bool)
    t0 = time.perf_counter()
    for i in range(a.n):
        prob.rows = [
            _synthetic_row(r, float(v), float(m), gen.likelihood, rng)
            for r, v, m in zip(rows0, data[i], mu[i], strict=True)
        ]
        prob.likelihood = Likelihood(prob.rows, gen.likelihood.om)
        post = fit(
            prob,
            method=a.method,
            seed=a.seed + i,
            draws=400,
            target_ess=a.target_ess,
            from_prior=True,
        )
        q = np.quantile(post.z, [0.05, 0.25, 0.75, 0.95], axis=0)
        inside50[i] = (z_true[i] >= q[1]) & (z_true[i] <= q[2])
        inside90[i] = (z_true[i] >= q[0]) & (z_true[i] <= q[3])
        print(
            f"replication {i + 1}/{a.n}: {time.perf_counter() - t0:.0f} s "
            f"(coverage 50% {inside50[i].mean():.2f}, 90% {inside90[i].mean():.2f}; mode "
            f"{post.mode.stopped_by}, {post.mode.iterations} Jacobians)",
            flush=True,
        )
        if a.out:
            res = _figures(a, prob, inside50[: i + 1], inside90[: i + 1], time.perf_counter() - t0)
            with open(a.out, "w", encoding="utf-8") as fh:
                json.dump(res, fh, indent=1)
    res = _figures(a, prob, inside50, inside90, time.perf_counter() - t0)
    if a.json:
        print(json.dumps(res))
        return
    for k, v in res.items():
        print(f"{k:>28}: {v}")


if __name__ == "__main__":
    main()
