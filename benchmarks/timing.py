"""Timing Crossings runs the same way in every benchmark."""

from __future__ import annotations

import time
from dataclasses import dataclass

from crossings.compile import CompiledModel
from crossings.engine.core import RawResults, Simulation


@dataclass(frozen=True)
class Timed:
    """Best-of-``repeat`` timing of ``Simulation.run()``.

    Attributes:
        best_s: The fastest run, in seconds.
        times_s: Every run's wall time, in seconds.
        raw: The results of the last run.
        memory_bytes: The engine's per-agent arrays (``Simulation.memory_bytes()``).
    """

    best_s: float
    times_s: list[float]
    raw: RawResults
    memory_bytes: int


def time_runs(model: CompiledModel, seed: int, repeat: int) -> Timed:
    """Run ``model`` ``repeat`` times (at least once), timing only ``run()``."""
    times: list[float] = []
    raw: RawResults | None = None
    memory = 0
    for _ in range(max(1, repeat)):
        sim = Simulation(model, seed=seed)
        r0 = time.perf_counter()
        raw = sim.run()
        times.append(time.perf_counter() - r0)
        memory = sim.memory_bytes()
        del sim
    assert raw is not None
    return Timed(best_s=min(times), times_s=times, raw=raw, memory_bytes=memory)
