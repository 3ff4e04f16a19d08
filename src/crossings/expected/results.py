"""Exact expected values of a scenario as a results folder (``crossings run --expected``).

The expectations of every tally the agent engine keeps, without agents and
without noise. Entry cohorts never interact, so the tallies by year of entry
(where each cohort ends up, its moves, which hazards moved it) come from one
extra parameter set per entry year whose entries are limited to that year —
exact by linearity in the exact mode. Times in the system and individual
journeys are not computed.
"""

from __future__ import annotations

import time
from typing import cast

import numpy as np
from numpy.typing import NDArray

from crossings.compile.compiler import compile_scenario
from crossings.engine.core import RawResults
from crossings.expected import ExpectedModel
from crossings.results.results import Results
from crossings.scenario.load import LoadedScenario

MODE = "expected"
"""The value of ``meta["mode"]`` (and ``run.json``'s ``mode``) for these results."""


def expected_results(loaded: LoadedScenario, *, lump_days: int | None = None) -> Results:
    """The scenario's exact expected tallies as :class:`Results` with one "run".

    Args:
        loaded: The scenario (with any variant and overrides applied).
        lump_days: As ``crossings calibrate --lump-days``: faster, near-exact
            for states whose stays can exceed this many days; the cohort
            tallies are then sums of near-exact parts. ``None``: exact.

    Returns:
        Results whose counts are expectations (floats). ``meta`` records the
        mode; steps in the system are zero (not computed) and there are no
        journeys.

    Example:
        >>> from crossings import load_scenario
        >>> res = expected_results(load_scenario("example"))
        >>> res.meta["mode"]
        'expected'
    """
    t0 = time.perf_counter()
    model = compile_scenario(loaded)
    lump = None if lump_days is None else max(1, lump_days // model.step_days)
    ev = ExpectedModel(model, lump)
    Y, T = len(model.years), model.n_steps
    weights = np.zeros((Y + 1, T))
    weights[0] = 1.0  # set 0: everyone
    weights[1 + ev.year_index, np.arange(T)] = 1.0  # set 1 + y: people who enter in year y
    batch = ev.run(ev.base_arrays(Y + 1), entry_weights=weights)
    full = batch.raw(0)
    cohort = slice(1, Y + 1)
    entered = float(batch.flows[0, :, -1].sum())  # moves from outside
    raw = RawResults(
        stocks=full.stocks,
        flows=full.flows,
        flag_flows=full.flag_flows,
        wave_moved=full.wave_moved,
        rc_moved=full.rc_moved,
        family_members=full.family_members,
        family_households=full.family_households,
        rule_counts=full.rule_counts,
        # expectations are floats where the agent engine counts integers
        cohort_outcomes=cast("NDArray[np.int64]", batch.stocks[cohort, -1]),  # (Y, S, 2)
        steps_in_system=np.zeros((Y, model.n_states), np.int64),  # not computed
        hazard_counts=full.hazard_counts,
        hazard_counts_cohort=batch.hazard_counts[cohort].sum(axis=1),
        cohort_flows=batch.flows[cohort].sum(axis=(1, 4)),
        agents_created=round(entered),
    )
    for name in RawResults.COUNTS:  # a billionth of a person is numerically nobody
        arr = getattr(raw, name)
        arr[np.abs(arr) < 1e-9] = 0
    meta = {"mode": MODE, "lumped_states": [model.state_ids[i] for i in np.flatnonzero(ev.lumped)]}
    return Results(
        model=model,
        runs=[raw],
        seeds=[model.seed],
        loaded=loaded,
        wall_seconds=time.perf_counter() - t0,
        meta=meta,
    )
