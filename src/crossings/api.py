"""The public Python API: load, compile, simulate.

:func:`simulate` and :class:`Simulation` are the short way to agent runs;
:func:`crossings.runs.execute` runs any mode (agent runs, expected values,
posterior draws).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from crossings.executors import Executor
from crossings.results.results import Results
from crossings.runs import RunMode, RunPlan, execute
from crossings.scenario.load import LoadedScenario, load_scenario


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
    plan = RunPlan(RunMode.AGENT, runs=runs, seed=seed, workers=workers, shards=shards)
    return execute(loaded, plan, executor=executor, progress=progress)


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
