"""The public Python API: load, compile, simulate."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from crossings.compile.compiler import compile_scenario
from crossings.executors import Executor, run_seeds
from crossings.results.results import Results
from crossings.scenario.load import LoadedScenario, load_scenario


def run_seed_list(seed: int, runs: int) -> list[int]:
    """The seeds of ``runs`` runs starting at ``seed``."""
    return [seed + i for i in range(runs)]


def simulate(
    scenario: str | Path | LoadedScenario = "example",
    *,
    seed: int | None = None,
    runs: int = 1,
    workers: int | None = None,
    shards: int = 1,
    overrides: Sequence[str] = (),
    variant: str | None = None,
    progress: Callable[[float], None] | None = None,
    executor: Executor | None = None,
) -> Results:
    """Load (if needed), compile and run a scenario.

    Args:
        scenario: A built-in name, a path, or an already loaded scenario.
        seed: First seed (default: the scenario's ``seed``); run ``i`` uses ``seed + i``.
        runs: Number of runs (seeds); results report the median and 5–95% band.
        workers: Worker processes (default: one per CPU; 1 = this process).
        shards: Split each run into this many id ranges (same results).
        overrides: ``path=value`` overrides (when a name or path is given).
        variant: A named variant of the scenario.
        progress: Called with the fraction done.
        executor: Where runs execute (default: local processes); see
            :func:`crossings.executors.get_executor`. A given executor is left open.

    Returns:
        The results.

    Raises:
        ScenarioError: If the scenario is invalid.
    """
    loaded = (
        scenario
        if isinstance(scenario, LoadedScenario)
        else load_scenario(scenario, overrides=overrides, variant=variant)
    )
    model = compile_scenario(loaded)
    first = model.seed if seed is None else seed
    seeds = run_seed_list(first, runs)
    t0 = time.perf_counter()
    raws = run_seeds(
        model,
        seeds,
        workers=workers if runs > 1 or shards > 1 else 1,
        shards=shards,
        progress=progress,
        executor=executor,
    )
    wall = time.perf_counter() - t0
    return Results(model=model, runs=raws, seeds=seeds, loaded=loaded, wall_seconds=wall)


class Simulation:
    """Object-style access: ``Simulation("example", seed=2).run()``.

    Args:
        scenario: A built-in name, a path, or a loaded scenario.
        seed: First seed.
        runs: Number of runs.
        overrides: ``path=value`` overrides.
        variant: Named variant.
    """

    def __init__(
        self,
        scenario: str | Path | LoadedScenario = "example",
        *,
        seed: int | None = None,
        runs: int = 1,
        overrides: Sequence[str] = (),
        variant: str | None = None,
    ) -> None:
        self.loaded = (
            scenario
            if isinstance(scenario, LoadedScenario)
            else load_scenario(scenario, overrides=overrides, variant=variant)
        )
        self.model = compile_scenario(self.loaded)
        self.seed = seed
        self.runs = runs

    def run(
        self,
        *,
        workers: int | None = None,
        shards: int = 1,
        progress: Callable[[float], None] | None = None,
    ) -> Results:
        """Run and return :class:`Results`."""
        return simulate(
            self.loaded,
            seed=self.seed,
            runs=self.runs,
            workers=workers,
            shards=shards,
            progress=progress,
        )
