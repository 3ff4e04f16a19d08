"""Local execution of many runs (seeds) and of one run split into id ranges.

A run is a pure function of (compiled model, seed, id range), so runs can go
to any process in any order; merging id-range shards adds integer tallies,
which makes the result bit-identical to the unsplit run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from crossings.compile.model import CompiledModel
from crossings.engine.core import RawResults, Simulation, entry_plan

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]


def _run_shard(model: CompiledModel, seed: int, lo: int, hi: int) -> RawResults:
    return Simulation(model, seed=seed, id_range=(lo, hi)).run()


def shard_ranges(total: int, shards: int) -> list[tuple[int, int]]:
    """Split ids ``[0, total)`` into ``shards`` contiguous ranges."""
    shards = max(1, min(shards, max(total, 1)))
    cuts = [round(i * total / shards) for i in range(shards + 1)]
    return [(cuts[i], cuts[i + 1]) for i in range(shards)]


def run_seeds(model: CompiledModel, seeds: list[int], *, workers: int | None = None,
              shards: int = 1, progress: ProgressFn | None = None) -> list[RawResults]:
    """Run ``model`` once per seed; each run may be split into ``shards`` id ranges.

    Args:
        model: The compiled scenario.
        seeds: One seed per run.
        workers: Worker processes (default: number of CPUs, at most the tasks);
            1 runs everything in this process.
        shards: Id ranges per run (results are identical for any value).
        progress: Called with the fraction done (0–1).

    Returns:
        One :class:`RawResults` per seed, in the order of ``seeds``.
    """
    tasks: list[tuple[int, int, int, int]] = []  # run index, seed, lo, hi
    for i, seed in enumerate(seeds):
        total = int(entry_plan(model, seed).sum())
        for lo, hi in shard_ranges(total, shards):
            tasks.append((i, seed, lo, hi))
    n_workers = min(workers or os.cpu_count() or 1, len(tasks))
    parts: dict[int, list[tuple[int, RawResults]]] = {i: [] for i in range(len(seeds))}
    if n_workers <= 1:
        for k, (i, seed, lo, hi) in enumerate(tasks):
            if len(tasks) == 1 and progress is not None:
                sim = Simulation(model, seed=seed, id_range=(lo, hi))
                raw = sim.run(progress=lambda d, n: progress(d / n))
            else:
                raw = _run_shard(model, seed, lo, hi)
            parts[i].append((lo, raw))
            if progress is not None:
                progress((k + 1) / len(tasks))
    else:
        log.info("running %d task(s) on %d worker processes", len(tasks), n_workers)
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            futs = {pool.submit(_run_shard, model, seed, lo, hi): (i, lo)
                    for i, seed, lo, hi in tasks}
            for done, fut in enumerate(as_completed(futs), start=1):
                i, lo = futs[fut]
                parts[i].append((lo, fut.result()))
                if progress is not None:
                    progress(done / len(tasks))
    out = []
    for i in range(len(seeds)):
        ordered = [raw for _, raw in sorted(parts[i], key=lambda p: p[0])]
        out.append(ordered[0] if len(ordered) == 1 else RawResults.merge(ordered))
    return out
