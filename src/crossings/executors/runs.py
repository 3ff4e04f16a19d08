"""Many runs (seeds, models) and one run split into id ranges, on any executor.

A run is a pure function of (compiled model, seed, id range), so its pieces
can go to any process or machine in any order; merging id-range shards adds
integer tallies, which makes the result bit-identical to the unsplit run
whatever the executor, the number of workers and the number of shards.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from crossings.compile.model import CompiledModel
from crossings.engine.core import Simulation, entry_plan
from crossings.executors.base import Executor, ProgressFn
from crossings.executors.process import LocalExecutor
from crossings.tallies import Tallies

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ShardTask:
    """One piece of work: the agents ``[lo, hi)`` of the run with ``seed``.

    Attributes:
        seed: Run seed.
        lo: First global agent id.
        hi: One past the last global agent id.
    """

    seed: int
    lo: int
    hi: int


def run_shard(model: CompiledModel, task: ShardTask) -> Tallies[np.int64]:
    """Simulate one id range of one run (the task every executor runs).

    Args:
        model: The compiled scenario.
        task: Seed and id range.

    Returns:
        The tallies of that id range.
    """
    return Simulation(model, seed=task.seed, id_range=(task.lo, task.hi)).run()


def shard_ranges(total: int, shards: int) -> list[tuple[int, int]]:
    """Split ids ``[0, total)`` into ``shards`` contiguous ranges.

    Args:
        total: Number of ids.
        shards: Number of ranges wanted (at most ``total``, at least 1).

    Returns:
        ``(lo, hi)`` ranges in increasing order, covering ``[0, total)``.
    """
    shards = max(1, min(shards, max(total, 1)))
    cuts = [round(i * total / shards) for i in range(shards + 1)]
    return [(cuts[i], cuts[i + 1]) for i in range(shards)]


def run_models(
    models: Sequence[CompiledModel],
    seeds: Sequence[int] | Sequence[Sequence[int]],
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    shards: int = 1,
    progress: ProgressFn | None = None,
) -> list[list[Tallies[np.int64]]]:
    """Run every model once per seed, all as one batch (calibration candidates, sweeps).

    Every (model, seed) run is split into ``shards`` id ranges and all pieces
    go to the executor together; each model is sent to a worker once.

    Args:
        models: The compiled scenarios.
        seeds: The seeds, the same for every model; or one list of seeds per model.
        executor: Where to run (default: a :class:`LocalExecutor` with
            ``workers``, closed afterwards; a given executor is left open).
        workers: Worker processes of the default executor (default: one per
            CPU, at most the tasks; 1 runs everything in this process).
        shards: Id ranges per run (results are identical for any value).
        progress: Called with the fraction done (0–1).

    Returns:
        ``out[m][s]``: the results of model ``m`` with its ``s``-th seed.

    Raises:
        ValueError: If ``shards`` is less than 1.
    """
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    tasks: list[tuple[int, ShardTask]] = []
    owner: list[tuple[int, int]] = []  # (model, seed index) of every task, ids increasing
    per_model: list[Sequence[int]]
    if seeds and not isinstance(seeds[0], int):
        per_model = [list(cast("Sequence[int]", x)) for x in seeds]
    else:
        per_model = [cast("Sequence[int]", seeds)] * len(models)
    if len(per_model) != len(models):
        raise ValueError(f"{len(per_model)} seed lists for {len(models)} models")
    for m, model in enumerate(models):
        for s, seed in enumerate(per_model[m]):
            total = int(entry_plan(model, seed).sum())
            for lo, hi in shard_ranges(total, shards):
                tasks.append((m, ShardTask(int(seed), lo, hi)))
                owner.append((m, s))
    ex = executor if executor is not None else LocalExecutor(workers)
    try:
        log.info(
            "%d model(s) × %d seed(s) × %d shard(s): %d task(s) on %r",
            len(models),
            len(seeds),
            shards,
            len(tasks),
            ex,
        )
        if len(tasks) == 1 and progress is not None and ex.in_process(1):
            m, task = tasks[0]
            sim = Simulation(models[m], seed=task.seed, id_range=(task.lo, task.hi))
            raws = [sim.run(progress=lambda done, n: progress(done / n))]
            progress(1.0)
        else:
            raws = ex.map_shared(run_shard, models, tasks, progress=progress)
    finally:
        if executor is None:
            ex.close()
    parts: list[list[list[Tallies[np.int64]]]] = [[[] for _ in ms] for ms in per_model]
    for (m, s), raw in zip(owner, raws, strict=True):
        parts[m][s].append(raw)
    return [
        [p[0] if len(p) == 1 else Tallies.merge(p) for p in model_parts] for model_parts in parts
    ]


def run_seeds(
    model: CompiledModel,
    seeds: Sequence[int],
    *,
    workers: int | None = None,
    shards: int = 1,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
) -> list[Tallies[np.int64]]:
    """Run ``model`` once per seed; each run may be split into ``shards`` id ranges.

    Args:
        model: The compiled scenario.
        seeds: One seed per run.
        workers: Worker processes of the default executor (default: number of
            CPUs, at most the tasks); 1 runs everything in this process.
        shards: Id ranges per run (results are identical for any value).
        progress: Called with the fraction done (0–1).
        executor: Where to run (default: a :class:`LocalExecutor` with
            ``workers``); the results are identical on any executor.

    Returns:
        One :class:`Tallies[np.int64]` per seed, in the order of ``seeds``.
    """
    return run_models(
        [model], seeds, executor=executor, workers=workers, shards=shards, progress=progress
    )[0]
