"""Agent runs with parameters drawn from a calibration's posterior.

``crossings run --posterior DIR`` draws one parameter set per run from
``DIR/posterior.parquet``, sets the scenario's unknowns (matched by id, so a
what-if variant of the same scenario takes the same draws), compiles each set
and runs it once, run ``i`` with seed ``seed + i``. The spread over runs then
carries both the parameter uncertainty and the agent engine's own noise. The
same seed gives the same draws and the same runs, so a variant and its base
are compared on paired draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from crossings.calibrate.outputs import posterior_thetas
from crossings.calibrate.unknowns import CalibrationError, apply_unknowns
from crossings.compile.compiler import compile_scenario
from crossings.executors import Executor, run_models
from crossings.results.results import Results
from crossings.scenario.load import LoadedScenario


def simulate_posterior(
    loaded: LoadedScenario,
    posterior: Path,
    *,
    runs: int,
    seed: int,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[float], None] | None = None,
) -> Results:
    """Run ``runs`` agent simulations, each with its own posterior draw.

    Raises:
        CalibrationError: When the folder holds no posterior, or its unknowns
            are not declared by this scenario.
    """
    if not (posterior / "posterior.parquet").exists():
        raise CalibrationError(
            f"{posterior} holds no posterior.parquet; run `crossings calibrate --out DIR` first"
        )
    cal = loaded.scenario.calibration
    known = {u.id: u for u in (cal.unknowns if cal else [])}
    ids, theta = posterior_thetas(posterior, runs, seed)
    missing = [i for i in ids if i not in known]
    if missing:
        raise CalibrationError(
            f"the posterior's unknowns {missing} are not declared in this "
            "scenario's calibration section"
        )
    unknowns = [known[i] for i in ids]
    t0 = time.perf_counter()
    models = [compile_scenario(apply_unknowns(loaded.scenario, unknowns, th)) for th in theta]
    # run i uses seed + i: independent engine noise across draws, and the same pairs of
    # (draw, seed) for a variant and its base
    seeds = [seed + i for i in range(runs)]
    raws = run_models(
        models, [[sd] for sd in seeds], executor=executor, workers=workers, progress=progress
    )
    wall = time.perf_counter() - t0
    return Results(
        model=models[0],
        runs=[r[0] for r in raws],
        seeds=seeds,
        loaded=loaded,
        wall_seconds=wall,
        meta={
            "posterior": str(posterior),
            "posterior_draws": runs,
            # the calibration's estimates describe the scenario as fitted,
            # not a variant of it: only then do they travel with the runs
            "posterior_estimates": str(posterior / "estimates.csv")
            if loaded.variant is None and not loaded.overrides
            else None,
        },
    )
