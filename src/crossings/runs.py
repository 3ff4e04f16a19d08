"""One entry point for every way of running a scenario.

:func:`execute` takes a loaded scenario and a :class:`RunPlan` whose typed
:class:`~crossings.results.bundle.RunMode` says how the numbers are made:

* ``AGENT`` — ``runs`` agent runs with seeds ``seed, seed + 1, …`` (local
  processes or any executor; each run may be split into id-range shards with
  bit-identical results);
* ``EXPECTED`` — the exact expected value of every tally (the expected-value
  mode), including the tallies by entry cohort (one parameter set per entry
  year; entry cohorts never interact and the tallies are linear in the
  entries, so the whole is exactly their sum);
* ``POSTERIOR`` — ``runs`` agent runs, run ``i`` with seed ``seed + i`` and
  its parameters drawn from a calibration's posterior (matched by unknown
  id, so a what-if variant takes the same draws as its base);
* ``POSTERIOR_EXPECTED`` — the same draws, each run as exact expected values
  (one batch of the expected-value mode: seconds where agent runs take
  minutes; the band holds the parameters' uncertainty only, and there are no
  tallies by entry cohort).

The command line, the web app and the Python API all call :func:`execute`;
they only parse options and print. The mode is recorded in the results
(``Results.mode``) and so in the bundle's ``run.json``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crossings.compile.compiler import CompileMemo, compile_scenario
from crossings.compile.model import CompiledModel
from crossings.executors import Executor, run_models, run_seeds
from crossings.results.bundle import PosteriorOrigin, RunMode
from crossings.results.results import Results
from crossings.scenario.load import LoadedScenario
from crossings.tallies import Tallies

ProgressFn = Callable[[float], None]

__all__ = ["RunMode", "RunPlan", "RunPlanError", "execute"]


EXPECTED_BATCH = 25
"""Parameter sets per batch of the expected-value mode in posterior-expected runs."""


class RunPlanError(ValueError):
    """A run plan that cannot be carried out (options that do not go together)."""


@dataclass(frozen=True)
class RunPlan:
    """How to run a scenario.

    Attributes:
        mode: Agent runs, expected values or posterior draws.
        runs: Number of runs (agent and posterior modes).
        seed: First seed (default: the scenario's ``seed``).
        workers: Worker processes (default: one per CPU; 1 = this process).
        shards: Split each agent run into this many id ranges (same results).
        posterior: A ``crossings calibrate`` folder (posterior mode).
        lump_days: Expected mode only: near-exact lumping of long stays
            (``None``: exact).
    """

    mode: RunMode = RunMode.AGENT
    runs: int = 1
    seed: int | None = None
    workers: int | None = None
    shards: int = 1
    posterior: Path | None = None
    lump_days: int | None = None

    def check(self) -> None:
        """Refuse options that do not go with the mode.

        Raises:
            RunPlanError: Naming the options to drop or add.
        """
        if self.runs < 1:
            raise RunPlanError(f"runs must be at least 1, not {self.runs}")
        if self.shards < 1:
            raise RunPlanError(f"shards must be at least 1, not {self.shards}")
        if self.mode is RunMode.EXPECTED:
            clash = [
                name
                for name, bad in (
                    ("--runs", self.runs != 1),
                    ("--posterior", self.posterior is not None),
                    ("--shards", self.shards != 1),
                )
                if bad
            ]
            if clash:
                raise RunPlanError(
                    "--expected computes expectations without agents; drop " + ", ".join(clash)
                )
        if self.mode.drawn:
            if self.posterior is None:
                raise RunPlanError("posterior runs need a calibration folder (--posterior DIR)")
            if self.shards != 1:
                raise RunPlanError("posterior runs are not split into shards; drop --shards")
        elif self.posterior is not None and self.mode is RunMode.AGENT:
            raise RunPlanError("a posterior folder was given for plain agent runs")
        if not self.mode.noiseless and self.lump_days is not None:
            raise RunPlanError("lumping of long stays applies to expected values only")


def execute(
    loaded: LoadedScenario,
    plan: RunPlan | None = None,
    *,
    executor: Executor | None = None,
    progress: ProgressFn | None = None,
) -> Results:
    """Run a loaded scenario as ``plan`` says.

    Args:
        loaded: The scenario (variant and overrides applied).
        plan: How to run it (default: one agent run).
        executor: Where agent runs execute (default: local processes). A given
            executor is left open.
        progress: Called with the fraction done.

    Returns:
        The results, their ``mode`` set.

    Raises:
        RunPlanError: For options that do not go together.
        CalibrationError: A posterior folder that does not fit the scenario.
        ExpectedModeError: A scenario the expected-value mode cannot represent.
        ScenarioError: If the scenario cannot be compiled.
    """
    plan = plan or RunPlan()
    plan.check()
    if plan.mode is RunMode.EXPECTED:
        return _expected(loaded, plan, progress)
    if plan.mode is RunMode.POSTERIOR:
        return _posterior(loaded, plan, executor, progress)
    if plan.mode is RunMode.POSTERIOR_EXPECTED:
        return _posterior_expected(loaded, plan, progress)
    return _agents(loaded, plan, executor, progress)


def _lump_steps(plan: RunPlan, model: CompiledModel) -> int | None:
    """The plan's lumping of long stays in steps (``None``: exact)."""
    return None if plan.lump_days is None else max(1, plan.lump_days // model.step_days)


def _without_dust(tallies: Tallies[np.float64]) -> Tallies[np.float64]:
    """Expected tallies with a billionth of a person (numerically nobody) set to zero.

    The arrays are new ones, so nothing refers back to a batch's memory.
    """
    clean: dict[str, Any] = {
        k: np.where(np.abs(v) < 1e-9, 0.0, v) for k, v in tallies.arrays().items()
    }
    return dataclasses.replace(tallies, **clean)


def _seeds(loaded: LoadedScenario, plan: RunPlan) -> list[int]:
    first = loaded.scenario.seed if plan.seed is None else plan.seed
    return [first + i for i in range(plan.runs)]


def _agents(
    loaded: LoadedScenario,
    plan: RunPlan,
    executor: Executor | None,
    progress: ProgressFn | None,
) -> Results:
    model = compile_scenario(loaded)
    seeds = _seeds(loaded, plan)
    t0 = time.perf_counter()
    parallel = plan.runs > 1 or plan.shards > 1
    raws = run_seeds(
        model,
        seeds,
        workers=plan.workers if parallel else 1,
        shards=plan.shards,
        progress=progress,
        executor=executor,
    )
    return Results(
        model=model,
        runs=list(raws),
        seeds=seeds,
        loaded=loaded,
        wall_seconds=time.perf_counter() - t0,
        mode=RunMode.AGENT,
    )


def _expected(loaded: LoadedScenario, plan: RunPlan, progress: ProgressFn | None) -> Results:
    """The exact expectations of every tally, cohort tables included (one "run")."""
    from crossings.expected import ExpectedModel  # noqa: PLC0415 - numba, loaded when used

    t0 = time.perf_counter()
    model = compile_scenario(loaded)
    ev = ExpectedModel(model, _lump_steps(plan, model))
    Y, T = len(model.years), model.n_steps
    weights = np.zeros((Y, T))
    weights[ev.year_index, np.arange(T)] = 1.0  # set y: the people who enter in year y
    # The expected tallies are linear in the entries and the cohorts' weights add up to one
    # on every step, so the whole is the sum of the cohorts (tested against one set of
    # everyone): no set for it.
    whole, per_cohort = ev.run_cohorts(ev.base_arrays(Y), weights)
    entered = float(whole.flows[:, -1].sum())  # moves from outside
    # every tally of the whole (family members counted once included), and the cohort tables
    tallies: Tallies[np.float64] = dataclasses.replace(
        whole,
        cohort_outcomes=per_cohort["final_stocks"],  # (Y, S, 2)
        cohort_flows=per_cohort["flows"].sum(axis=(1, 4)),
        hazard_counts_cohort=per_cohort["hazard_counts"].sum(axis=1),
        agents_created=entered,
    )
    if progress is not None:
        progress(1.0)
    return Results(
        model=model,
        runs=[_without_dust(tallies)],
        seeds=[model.seed],
        loaded=loaded,
        wall_seconds=time.perf_counter() - t0,
        mode=RunMode.EXPECTED,
        meta={"lumped_states": [model.state_ids[i] for i in np.flatnonzero(ev.lumped)]},
    )


@dataclass(frozen=True)
class _Draws:
    """A posterior run's draws: the models compiled from them, seeds and origin."""

    models: list[CompiledModel]
    seeds: list[int]
    origin: PosteriorOrigin
    estimates: Path | None


def _draws(loaded: LoadedScenario, plan: RunPlan) -> _Draws:
    """Draw ``plan.runs`` parameter sets from the calibration and compile each.

    Draw ``i`` depends on the first seed only (so a what-if variant takes the
    same draws as its base), and a draw's numbers that the variant removes (a
    policy it drops) do not apply.
    """
    from crossings.calibrate.outputs import posterior_record, posterior_thetas  # noqa: PLC0415
    from crossings.calibrate.params import ParamSpace  # noqa: PLC0415
    from crossings.calibrate.unknowns import (  # noqa: PLC0415
        CalibrationError,
        applies,
        apply_components,
    )

    folder = plan.posterior
    assert folder is not None  # RunPlan.check
    if not (folder / "posterior.parquet").exists():
        raise CalibrationError(
            f"{folder} holds no posterior.parquet; run `crossings calibrate --out DIR` first"
        )
    cal = loaded.scenario.calibration
    declared = list(cal.unknowns) if cal else []
    known = {c.name: c for c in ParamSpace(declared).components}
    seeds = _seeds(loaded, plan)
    names, theta = posterior_thetas(folder, plan.runs, seeds[0])
    missing = [n for n in names if n not in known]
    if missing:
        raise CalibrationError(
            f"the posterior's numbers {missing[:5]} are not set by this scenario's "
            "calibration unknowns (was it calibrated from another scenario?)"
        )
    keep = [j for j, n in enumerate(names) if applies(loaded.scenario, known[n].unknown)]
    comps = [known[names[j]] for j in keep]
    theta = theta[:, keep]
    memo = CompileMemo()
    models = [
        compile_scenario(
            apply_components(loaded.scenario, comps, th), sha256=loaded.sha256, memo=memo
        )
        for th in theta
    ]
    # the calibration's estimates describe the scenario as fitted, not a variant of it
    unchanged = loaded.variant is None and not loaded.overrides
    estimates = folder / "estimates.csv"
    origin = PosteriorOrigin(
        path=str(folder),
        scenario_sha256=posterior_record(folder).get("sha256", ""),
        draws=plan.runs,
        estimates_attached=unchanged and estimates.is_file(),
    )
    return _Draws(models, seeds, origin, estimates if origin.estimates_attached else None)


def _posterior(
    loaded: LoadedScenario,
    plan: RunPlan,
    executor: Executor | None,
    progress: ProgressFn | None,
) -> Results:
    """Agent runs, each with its own posterior draw; run ``i`` has seed ``seed + i``."""
    t0 = time.perf_counter()
    d = _draws(loaded, plan)
    # independent engine noise across draws, and the same (draw, seed) pairs for a
    # variant and its base
    raws = run_models(
        d.models, [[s] for s in d.seeds], executor=executor, workers=plan.workers, progress=progress
    )
    return Results(
        model=d.models[0],
        runs=[r[0] for r in raws],
        seeds=d.seeds,
        loaded=loaded,
        wall_seconds=time.perf_counter() - t0,
        mode=RunMode.POSTERIOR,
        posterior=d.origin,
        estimates=d.estimates,
    )


def _posterior_expected(
    loaded: LoadedScenario, plan: RunPlan, progress: ProgressFn | None
) -> Results:
    """The expected tallies of each posterior draw, in one batch of the expected-value mode.

    Draw ``i`` is the one the agent posterior mode gives run ``i``, so the
    numbers are what many agent runs at that draw would average to; the band
    over draws holds the parameters' uncertainty only. No tallies by entry
    cohort (they would cost one set per entry year and draw).
    """
    from crossings.expected import ExpectedModel, stacked_arrays  # noqa: PLC0415 - numba

    t0 = time.perf_counter()
    d = _draws(loaded, plan)
    model = d.models[0]
    ev = ExpectedModel(model, _lump_steps(plan, model))
    runs: list[Tallies[np.float64]] = []
    for lo in range(0, len(d.models), EXPECTED_BATCH):  # bounded memory: a batch at a time
        batch = ev.run(stacked_arrays(d.models[lo : lo + EXPECTED_BATCH]))
        for i in range(batch.stocks.shape[0]):
            entered = float(batch.flows[i, :, -1].sum())  # moves from outside
            runs.append(_without_dust(dataclasses.replace(batch.item(i), agents_created=entered)))
        del batch
        if progress is not None:
            progress(len(runs) / len(d.models))
    return Results(
        model=model,
        runs=runs,
        seeds=d.seeds,
        loaded=loaded,
        wall_seconds=time.perf_counter() - t0,
        mode=RunMode.POSTERIOR_EXPECTED,
        posterior=d.origin,
        estimates=d.estimates,
        meta={"lumped_states": [model.state_ids[i] for i in np.flatnonzero(ev.lumped)]},
    )
