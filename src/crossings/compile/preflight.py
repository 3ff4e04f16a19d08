"""What ``run`` would refuse, found before anything is allocated: memory and engine limits.

:func:`preflight` is what ``crossings check`` calls after loading, so that
``check`` refuses whatever ``run`` would: it estimates the memory a run
needs from the scenario alone (without compiling it), refuses a run that would
not fit, then compiles the scenario (cheap once the size is known to be
sane) so that any problem the compiler finds is reported the same way.
:func:`compile_scenario <crossings.compile.compile_scenario>` makes the same
memory check (for one run) before it builds anything.

The estimate follows the arrays the engine allocates (the tallies of
:class:`crossings.tallies.Tallies` and the agents of the engine): stocks of
shape (steps, states, 2) and yearly flows (years, states + 1, states, 2) of
64-bit integers per run, about 29 bytes per simulated person plus 4 per cohort
milestone, the entry plan (steps × entry combinations) and the compiled
inflow tables. Results of all runs are kept together and summarised across
runs, so the tallies count twice.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crossings.scenario.errors import Issue, Location, ScenarioError
from crossings.scenario.limits import (
    MAX_FLAGS,
    MEMORY_FALLBACK_BYTES,
    MEMORY_SHARE,
    format_bytes,
)
from crossings.scenario.load import LoadedScenario
from crossings.scenario.schema import Rate, Scenario

if TYPE_CHECKING:
    from crossings.compile.model import CompiledModel

DAYS_PER_YEAR = 365.25
INT64 = 8
AGENT_BYTES = 29
"""Bytes the engine keeps per person (state, due, deadline, event number, flags, …)."""
MILESTONE_BYTES = 4
"""Bytes per person and cohort milestone (one per distinct reclassification selection)."""
RESULT_COPIES = 2
"""The tallies of each run are held once as produced and once when summarised across runs."""

CGROUP_LIMIT_FILES = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)


@dataclass(frozen=True)
class MemoryEstimate:
    """Memory a run of a scenario needs, in bytes, and what drives it.

    Attributes:
        total: Everything, for all runs.
        results: The tallies (stocks, flows, …) of all runs.
        people: The simulated people of all runs.
        inputs: The compiled inflow tables and entry plans.
        steps: Time steps of the span.
        states: States of all sections together.
        years: Calendar years of the span.
        persons: Expected number of people entering in one run.
        runs: Runs the estimate is for.
    """

    total: int
    results: int
    people: int
    inputs: int
    steps: int
    states: int
    years: int
    persons: float
    runs: int

    def describe(self) -> str:
        """The main parts of the estimate, in one line."""
        return (
            f"{self.steps:,} steps × {self.states} states of results "
            f"({format_bytes(self.results)}), about {_people(self.persons)} people per run "
            f"({format_bytes(self.people)}), inflow tables ({format_bytes(self.inputs)})"
        )


def _people(n: float) -> str:
    """A number of people in words: ``380,000``, ``12.8 million``, ``10 billion``."""
    if n >= 1e9:
        return f"{n / 1e9:,.3g} billion"
    if n >= 1e6:
        return f"{n / 1e6:.3g} million"
    return f"{n:,.0f}"


def estimate_memory(sc: Scenario, *, runs: int = 1) -> MemoryEstimate:
    """Estimate the memory ``runs`` runs of a validated scenario need, without compiling it.

    Args:
        sc: The scenario.
        runs: Runs held at once (``crossings run --runs N`` keeps all N).

    Returns:
        The estimate. It ignores policies that scale inflows.
    """
    runs = max(1, runs)
    t = sc.time
    steps = ((t.end - t.start).days + 1 + t.step - 1) // t.step
    years = t.end.year - t.start.year + 1
    n_states = (
        len(sc.states)
        + len(sc.routes)
        + len(sc.detention)
        + len(sc.sentences)
        + len(sc.delegations)
        + (1 if sc.classification is not None else 0)
    )
    flags = max(len(sc.people.flags), 1)
    hazards = max(_hazard_count(sc), 1)
    rules = 1
    if sc.classification is not None and sc.classification.rulesets is not None:
        rules = max(sum(len(r) for r in sc.classification.rulesets.values()), 1)
    consequences = len(
        {c for o in (sc.families.outcomes if sc.families else []) for c in o.consequences.values}
    )
    combos = _combo_count(sc)
    milestones = len({tuple(sorted(rc.select.entered)) for rc in sc.reclassifications})
    S, Y = n_states, years
    per_run = INT64 * (
        steps * S * 2  # stocks
        + Y * (S + 1) * S * 2  # flows
        + Y * flags * S * 2  # flag_flows
        + 2 * Y * consequences * S  # family members and households
        + Y * rules * 2  # rule_counts
        + Y * S  # steps_in_system
        + 2 * Y * hazards  # hazard counts by year and by cohort
        + Y * (S + 1) * S  # cohort_flows
        + Y * S * 2  # cohort_outcomes
    )
    persons = expected_people(sc)
    people = int(persons * (AGENT_BYTES + MILESTONE_BYTES * milestones))
    plan = 3 * INT64 * steps * combos  # counts, Poisson draws, cumulative ids
    model = 4 * INT64 * steps * combos + 16 * steps  # rate and fixed tables (+ build copies)
    results = RESULT_COPIES * runs * per_run
    total = results + runs * (people + plan) + model
    return MemoryEstimate(
        total=int(total),
        results=int(results),
        people=int(runs * people),
        inputs=int(runs * plan + model),
        steps=steps,
        states=S,
        years=Y,
        persons=persons,
        runs=runs,
    )


def _hazard_count(sc: Scenario) -> int:
    """Hazard components of the compiled model (one per hazard target)."""
    from crossings.scenario.validate import iter_hazards, target_ids  # noqa: PLC0415

    n = sum(len(target_ids(h.to)) for _, h, _ in iter_hazards(sc))
    n += sum(len(target_ids(q.to)) for q in sc.detention if q.rate is not None)
    n += sum(len(a.in_) for f in sc.people.flags for a in f.acquire)
    n += sum(len(target_ids(d.defect_to)) for d in sc.delegations)
    return n


def _combo_count(sc: Scenario) -> int:
    """Entry combinations (inflow × sex × origin, two per delegation)."""
    n = 0
    for inf in sc.inflows:
        origins = len(inf.origins.values) if inf.origins else 1
        sexes = len(inf.rate_by_sex) if inf.rate_by_sex is not None else 2
        n += sexes * origins
    return n + 2 * len(sc.delegations)


def expected_people(sc: Scenario) -> float:
    """Expected number of people entering in one run (inflows, initial stocks, delegations).

    Policies that scale inflows are not applied.
    """
    t = sc.time
    total = 0.0
    for inf in sc.inflows:
        rates = [inf.rate] if inf.rate is not None else list((inf.rate_by_sex or {}).values())
        for r in rates:
            total += _integral(r, t.start, t.end)
        if inf.initial is not None:
            total += inf.initial.value
    for d in sc.delegations:
        if t.start <= d.depart <= t.end:
            total += d.size.value
    return total


def _integral(r: Rate, start: dt.date, end: dt.date) -> float:
    """People an inflow rate brings from ``start`` to ``end`` (inclusive)."""
    days = (end - start).days + 1
    if r.per_year is not None:
        return r.per_year * days / DAYS_PER_YEAR
    if r.per_day is not None:
        return r.per_day * days
    points: list[tuple[dt.date, float]] = []
    before = 0.0
    if r.by_year:
        points = [
            (dt.date(y, 1, 1), v) for y, v in sorted(r.by_year.items()) if dt.MINYEAR <= y <= 9999
        ]
    elif r.schedule:
        points = sorted((p.from_, p.per_year) for p in r.schedule)
        before = points[0][1] if points else 0.0
    if not points:
        return 0.0
    total = 0.0
    value = before
    cursor = start
    for d, v in points:
        if d > end:
            break
        if d > cursor:
            total += value * (d - cursor).days / DAYS_PER_YEAR
            cursor = d
        value = v
    total += value * ((end - cursor).days + 1) / DAYS_PER_YEAR
    return total


def memory_limit() -> tuple[int, str]:
    """The memory one command may plan to use, and where the figure comes from.

    Half (:data:`MEMORY_SHARE`) of the physical memory, or of a smaller
    container (cgroup) limit; :data:`MEMORY_FALLBACK_BYTES` where neither can
    be read.
    """
    phys = 0
    try:
        phys = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        phys = 0
    cap = _cgroup_limit()
    if cap is not None and (phys <= 0 or cap < phys):
        return int(cap * MEMORY_SHARE), f"half of the {format_bytes(cap)} this container may use"
    if phys > 0:
        return int(phys * MEMORY_SHARE), f"half of this machine's {format_bytes(phys)}"
    return MEMORY_FALLBACK_BYTES, "the default where the machine's memory cannot be read"


def _cgroup_limit() -> int | None:
    for f in CGROUP_LIMIT_FILES:
        try:
            text = f.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit() and 0 < int(text) < 2**60:
            return int(text)
    return None


def check_memory(
    loaded: LoadedScenario | Scenario, *, runs: int = 1, limit: int | None = None
) -> MemoryEstimate:
    """Refuse a scenario whose runs would not fit in memory.

    Args:
        loaded: The scenario.
        runs: Runs held at once.
        limit: Bytes allowed (default: :func:`memory_limit`).

    Returns:
        The estimate, when it fits.

    Raises:
        ScenarioError: If the estimate exceeds the limit (with both figures).
    """
    sc = loaded.scenario if isinstance(loaded, LoadedScenario) else loaded
    est = estimate_memory(sc, runs=runs)
    where = "machine's memory"
    if limit is None:
        limit, where = memory_limit()
    if est.total <= limit:
        return est
    who = "a run" if est.runs == 1 else f"{est.runs} runs"
    raise ScenarioError(
        [
            Issue(
                f"{who} of this scenario would need about {format_bytes(est.total)} of memory",
                ("time",),
                _locate(loaded, ("time",)),
                expected=f"at most {format_bytes(limit)} ({where})",
                found=est.describe(),
                hint="shorten the span ('time.start', 'time.end'), use a longer 'time.step', "
                "or lower the inflows",
            )
        ]
    )


def check_limits(loaded: LoadedScenario | Scenario, *, runs: int = 1) -> MemoryEstimate:
    """The checks made before compiling: engine limits the validation also makes, and memory.

    Raises:
        ScenarioError: If the scenario exceeds a limit.
    """
    sc = loaded.scenario if isinstance(loaded, LoadedScenario) else loaded
    if len(sc.people.flags) > MAX_FLAGS:
        path = ("people", "flags", MAX_FLAGS, "id")
        raise ScenarioError(
            [
                Issue(
                    f"more flags than the engine holds: {len(sc.people.flags)}, "
                    f"the limit is {MAX_FLAGS}",
                    path,
                    _locate(loaded, path),
                    expected=f"at most {MAX_FLAGS} flags",
                )
            ]
        )
    return check_memory(loaded, runs=runs)


def finite_issues(model: CompiledModel, loaded: LoadedScenario | Scenario) -> list[Issue]:
    """Compiled numbers that are not finite (rates multiplied past what a float holds).

    Args:
        model: The compiled model.
        loaded: The scenario it came from (for locations).

    Returns:
        One issue per non-finite table, empty when all are finite.
    """
    import numpy as np  # noqa: PLC0415

    issues: list[Issue] = []
    hz = model.hazards
    bad_h = np.flatnonzero(~np.isfinite(hz.rate).all(axis=0)) if hz.rate.size else np.zeros(0)
    mult_ok = (
        np.isfinite(hz.mult_sex).all(axis=1)
        & np.isfinite(hz.mult_age).all(axis=1)
        & np.isfinite(hz.mult_origin).all(axis=1)
        & np.isfinite(hz.mult_flag).all(axis=1)
    )
    bad = sorted({int(h) for h in bad_h} | {int(h) for h in np.flatnonzero(~mult_ok)})
    for h in bad[:5]:
        issues.append(
            Issue(
                f"hazard {hz.label[h]} is too large to compute once its factors multiply it",
                (),
                _locate(loaded, ()),
                expected="a finite rate per step",
                found="infinity",
                hint="lower the rate, the modifiers or the policy factors that scale it",
            )
        )
    if model.combo_rate.size and not np.isfinite(model.combo_rate).all():
        issues.append(
            Issue(
                "an inflow is too large to compute once the policies that scale it multiply it",
                ("inflows",),
                _locate(loaded, ("inflows",)),
                expected="a finite number of people per step",
                found="infinity",
                hint="lower the inflow or the policy factors that scale it",
            )
        )
    if model.dur_cdf.size and not np.isfinite(model.dur_cdf).all():
        issues.append(
            Issue(
                "a duration cannot be computed from its parameters",
                (),
                _locate(loaded, ()),
                expected="duration parameters of ordinary size",
                found="a distribution that is not finite",
                hint="check the mean, sd, median and sigma of the durations",
            )
        )
    return issues


def _locate(loaded: LoadedScenario | Scenario, path: tuple[str | int, ...]) -> Location:
    if isinstance(loaded, LoadedScenario):
        return loaded.source_map.locate(path)
    return Location("<scenario>")


__all__ = [
    "MemoryEstimate",
    "check_limits",
    "check_memory",
    "estimate_memory",
    "expected_people",
    "finite_issues",
    "memory_limit",
]
