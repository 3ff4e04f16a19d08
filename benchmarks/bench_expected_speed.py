"""Speed and exactness of the expected-value mode: the fast propagation against the daily kernel.

Usage:
    python benchmarks/bench_expected_speed.py [--scenario north-korea] [--repeat 3]
        [--batch 8] [--lump-days 3650] [--json]

Prints, in one run, for the scenario (default North Korea):

* the daily kernel's time (``ExpectedModel(..., method="daily")``, the
  reference) for one parameter set and per set in a batch, the fast
  propagation's (the default) and the ratios, both exact (no lumping) and with
  the lumping of stays longer than ``--lump-days`` (the scenario's calibration
  setting for North Korea);
* the largest relative difference of any tally between the two (elements of at
  least one person; below that the absolute difference), the largest fraction
  of the tests' tolerance (1e-9 relative + 1e-9 absolute) any element uses and
  how many elements exceed it (must be 0), on the compiled values and on a
  batch whose sets have different hazard rates;
* the time of one agent run (``Simulation(model, seed=1).run()``).

Times are the best of ``--repeat`` runs after a warm-up (numba compiles on
first use and caches on disk). The batch runs on all numba threads (2 here).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numba
import numpy as np

from crossings import load_scenario
from crossings.compile.compiler import compile_scenario
from crossings.engine.core import Simulation
from crossings.expected import ExpectedModel
from crossings.tallies import Tallies


def best(fn: Any, repeat: int) -> float:
    """Fastest of ``repeat`` calls of ``fn()`` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def differences(a: Tallies[np.float64], b: Tallies[np.float64]) -> dict[str, float]:
    """How far ``b`` is from the reference ``a`` over every element of every tally.

    ``max_rel``: the largest relative difference among elements of at least one
    person; ``max_abs_small``: the largest absolute difference among smaller
    ones; ``tolerance_used``: the largest ``|a − b| / (1e-9 + 1e-9 |a|)`` (the
    tests' tolerance; must stay below 1); ``elements_off``: elements beyond it.
    """
    rel = 0.0
    small = 0.0
    used = 0.0
    off = 0
    for name, x in a.arrays().items():
        y = getattr(b, name)
        d = np.abs(x - y)
        big = np.abs(x) >= 1.0
        if big.any():
            rel = max(rel, float(np.max(d[big] / np.abs(x[big]))))
        if (~big).any():
            small = max(small, float(np.max(d[~big])))
        tol = 1e-9 + 1e-9 * np.abs(x)
        if d.size:
            used = max(used, float(np.max(d / tol)))
        off += int(np.sum(d > tol))
    return {"max_rel": rel, "max_abs_small": small, "tolerance_used": used, "elements_off": off}


def varied(ev: ExpectedModel, P: int) -> dict[str, Any]:
    """``P`` sets whose hazard rates are scaled by set and component (0.7–1.3)."""
    arrays = ev.base_arrays(P)
    rng = np.random.default_rng(7)
    H = arrays["rate"].shape[2]
    arrays["rate"] = arrays["rate"] * rng.uniform(0.7, 1.3, size=(P, 1, H))
    return arrays


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="north-korea")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lump-days", type=int, default=3650)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    model = compile_scenario(load_scenario(args.scenario))
    out: dict[str, Any] = {
        "scenario": args.scenario,
        "steps": model.n_steps,
        "states": model.n_states,
        "threads": numba.get_num_threads(),
        "batch": args.batch,
    }
    lump = max(1, args.lump_days // model.step_days)
    for label, lump_steps in (("exact", None), (f"lumped {args.lump_days} days", lump)):
        daily = ExpectedModel(model, lump_steps, method="daily")
        fast = ExpectedModel(model, lump_steps)
        one = daily.base_arrays(1)
        many = daily.base_arrays(args.batch)
        row: dict[str, Any] = {
            "daily_1_s": best(lambda d=daily, a=one: d.run(a), args.repeat),
            "fast_1_s": best(lambda f=fast, a=one: f.run(a), args.repeat),
            "daily_batch_per_set_s": best(lambda d=daily, a=many: d.run(a), args.repeat)
            / args.batch,
            "fast_batch_per_set_s": best(lambda f=fast, a=many: f.run(a), args.repeat) / args.batch,
        }
        row["ratio_1"] = row["daily_1_s"] / row["fast_1_s"]
        row["ratio_batch"] = row["daily_batch_per_set_s"] / row["fast_batch_per_set_s"]
        row["diff_compiled"] = differences(daily.run(one), fast.run(one))
        var = varied(daily, 3)
        row["diff_varied_rates"] = differences(daily.run(var), fast.run(var))
        row["pairs"] = {"daily": int(daily.NT * model.n_states), "fast": fast.plan.n_pairs}
        out[label] = row
    Simulation(model, seed=1).run()  # compile
    t0 = time.perf_counter()
    Simulation(model, seed=1).run()
    out["agent_run_s"] = time.perf_counter() - t0
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        f"{args.scenario}: {model.n_steps} steps, {model.n_states} states, {out['threads']} threads"
    )
    print(f"{'':24s} {'daily':>9s} {'fast':>9s} {'ratio':>7s}")
    for label in ("exact", f"lumped {args.lump_days} days"):
        r = out[label]
        print(label)
        print(f"  {'1 set':22s} {r['daily_1_s']:8.3f}s {r['fast_1_s']:8.3f}s {r['ratio_1']:6.1f}×")
        print(
            f"  {'per set, batch of ' + str(args.batch):22s} {r['daily_batch_per_set_s']:8.3f}s "
            f"{r['fast_batch_per_set_s']:8.3f}s {r['ratio_batch']:6.1f}×"
        )
        for what in ("diff_compiled", "diff_varied_rates"):
            d = r[what]
            print(
                f"  {what.replace('diff_', 'difference, ').replace('_', ' '):22s} max rel "
                f"{d['max_rel']:.1e} (≥ 1 person), max abs {d['max_abs_small']:.1e} (< 1), "
                f"tolerance used {d['tolerance_used']:.2f}, elements beyond: {d['elements_off']}"
            )
        print(
            f"  (state, type) pairs: the daily grid {r['pairs']['daily']} (it skips empty ones), "
            f"fast {r['pairs']['fast']}"
        )
    print(f"one agent run (Simulation(model, seed=1).run()): {out['agent_run_s']:.2f} s")


if __name__ == "__main__":
    main()
