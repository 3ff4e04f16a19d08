"""Scenario → :class:`CompiledModel`: dates to steps, rates to per-step hazards.

This is the only place where the file's units (dates, per-year rates,
durations in days/weeks/months/years) meet the engine's (integer steps,
per-step hazards). Policy intervals cut time into segments with constant
hazards; each segment's hazard table already includes every policy factor.

The compiler is one function per scenario section. Each returns a small
typed record, and :func:`build_model` calls them in this order and assembles
the model from the records (each step reads only the records named):

1. :func:`compile_time` (``time``) → :class:`Clock`: steps and years;
2. :func:`compile_states` (``places``; the states of every section: states,
   routes, detention queues, sentences, delegations, the classification
   node) → :class:`StateTable`;
3. :func:`compile_sentences` (``sentences``; reads the states) → the kind of
   each sentence state (their durations and hazards are compiled with the
   others, in 6 and 8);
4. :func:`compile_populations` (``populations``; reads the states) →
   :class:`PopulationTable`;
5. :func:`compile_people` (``people``, inflow origins) → :class:`PeopleAxes`:
   flags, age bands, origins;
6. :func:`compile_components` (hazards of states, routes, transitions,
   detention and sentences; flag acquisition; defection; reads clock,
   states, people) → the hazard components;
7. :func:`compile_segments` (``policies`` and rate changes cut time; reads
   the clock and the components) → :class:`Segments`;
8. :func:`compile_hazards` (policy factors and closures applied per
   segment; reads clock, segments, components, states, people) →
   :class:`HazardTable`;
9. :func:`compile_durations` (durations and ``then``; reads clock, states)
   → :class:`Durations`;
10. :func:`compile_flags` (flags set on entry; reads states, people);
11. :func:`compile_entries` (``inflows`` and ``delegations`` → entry
    combinations; reads clock, states, people) → :class:`Entries`;
12. :func:`compile_waves` (``detention`` waves and closures; reads clock,
    states) → :class:`Waves`;
13. :func:`compile_classification` (``classification``; rule sets switched
    by policies per segment; reads clock, segments, states, people) →
    :class:`ClassificationTable`;
14. :func:`compile_reclassifications` (``reclassifications`` and the cohort
    milestones they select on; reads clock, states) → :class:`Reclassifications`;
15. :func:`compile_families` (``families``; reads states) → :class:`FamilyTable`;
16. :func:`compile_policy_spans` (``policies``, for reports; reads the clock).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special

from crossings.compile.model import CompiledModel, HazardTable, Targets
from crossings.compile.preflight import check_limits, finite_issues
from crossings.scenario.errors import Issue, ScenarioError
from crossings.scenario.load import LoadedScenario
from crossings.scenario.populations import resolve_populations
from crossings.scenario.schema import (
    SEXES,
    AgeBands,
    Duration,
    Hazard,
    Modifiers,
    Policy,
    Rate,
    Scenario,
    Target,
)

log = logging.getLogger(__name__)

DAYS_PER_YEAR = 365.25
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": DAYS_PER_YEAR / 12, "years": DAYS_PER_YEAR}
MAX_DURATION_YEARS = 150.0
CDF_TAIL = 1e-10

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
U32 = NDArray[np.uint32]
B = NDArray[np.bool_]
Dist = list[tuple[int, float]]
"""A target distribution as (state index, weight) pairs."""


# ------------------------------------------------------------------ helpers


def _split_target(t: Target) -> list[tuple[str, float]]:
    if isinstance(t, str):
        return [(t, 1.0)]
    return list(t.values.items())


def _targets_csr(dists: Sequence[Sequence[tuple[int, float]]]) -> Targets:
    ptr = [0]
    states: list[int] = []
    cums: list[float] = []
    for d in dists:
        total = sum(w for _, w in d)
        acc = 0.0
        for s, w in d:
            acc += w / total if total > 0 else 0.0
            states.append(s)
            cums.append(acc)
        if d:
            cums[-1] = 1.0
        ptr.append(len(states))
    return Targets(
        np.asarray(ptr, np.int64), np.asarray(states, np.int32), np.asarray(cums, np.float64)
    )


def _mask(flags: Sequence[str], fidx: Mapping[str, int]) -> int:
    m = 0
    for f in flags:
        m |= 1 << fidx[f]
    return m


def rate_per_day_at(rate: Rate, d: dt.date) -> float:
    """The rate in force on date ``d``, per day."""
    if rate.per_year is not None:
        return rate.per_year / DAYS_PER_YEAR
    if rate.per_day is not None:
        return rate.per_day
    if rate.mean_days is not None:
        return 1.0 / rate.mean_days
    if rate.probability is not None:
        assert rate.within_days is not None
        return -math.log1p(-rate.probability) / rate.within_days
    if rate.by_year is not None:
        years = sorted(rate.by_year)
        value = rate.by_year[years[0]]
        for y in years:
            if d.year >= y:
                value = rate.by_year[y]
        return value / DAYS_PER_YEAR
    assert rate.schedule is not None
    value = rate.schedule[0].per_year
    for p in rate.schedule:
        if d >= p.from_:
            value = p.per_year
    return value / DAYS_PER_YEAR


def rate_change_dates(rate: Rate) -> list[dt.date]:
    """Dates at which a rate changes value."""
    if rate.by_year is not None:
        return [dt.date(y, 1, 1) for y in rate.by_year]
    if rate.schedule is not None:
        return [p.from_ for p in rate.schedule]
    return []


def duration_cdf(d: Duration, step_days: int) -> F64 | None:
    """Discretised duration: ``cdf[k-1] = P(steps ≤ k)``, k ≥ 1; ``None`` for life.

    A continuous duration ``X`` days becomes ``max(1, ceil(X / step))`` steps.
    """
    if d.distribution == "life":
        return None
    f = UNIT_DAYS[d.unit]
    kmax = max(1, math.ceil(MAX_DURATION_YEARS * DAYS_PER_YEAR / step_days))
    if d.distribution == "fixed":
        assert d.value is not None
        k = max(1, math.ceil(d.value * f / step_days - 1e-9))
        cdf = np.zeros(min(k, kmax))
        cdf[-1] = 1.0
        return cdf
    if d.distribution == "table":
        assert d.values is not None and d.weights is not None
        ks = [max(1, math.ceil(v * f / step_days - 1e-9)) for v in d.values]
        pmf = np.zeros(min(max(ks), kmax))
        w = np.asarray(d.weights, float)
        for k, wi in zip(ks, w / w.sum(), strict=True):
            pmf[min(k, kmax) - 1] += wi
        cdf = np.cumsum(pmf)
        cdf[-1] = 1.0
        return cdf
    x = np.arange(1, kmax + 1, dtype=np.float64) * step_days  # days
    if d.distribution == "uniform":
        assert d.min is not None and d.max is not None
        a, b = d.min * f, d.max * f
        full = np.clip((x - a) / (b - a), 0, 1) if b > a else (x >= a).astype(float)
    elif d.distribution == "exponential":
        assert d.mean is not None
        full = -np.expm1(-x / (d.mean * f))
    elif d.distribution == "lognormal":
        if d.median is not None and d.sigma is not None:
            mu, s = math.log(d.median * f), d.sigma
        else:
            assert d.mean is not None and d.sd is not None
            s2 = math.log1p((d.sd / d.mean) ** 2)
            mu, s = math.log(d.mean * f) - s2 / 2, math.sqrt(s2)
        full = special.ndtr((np.log(x) - mu) / s)
    else:  # gamma
        assert d.mean is not None and d.sd is not None
        shape = (d.mean / d.sd) ** 2
        scale = d.sd**2 / d.mean * f
        full = special.gammainc(shape, x / scale)
    full = np.maximum.accumulate(np.asarray(full, np.float64))
    over = np.nonzero(full >= 1 - CDF_TAIL)[0]
    k = int(over[0]) + 1 if over.size else kmax
    cdf = full[:k].copy()
    cdf[-1] = 1.0
    return cdf


# ------------------------------------------------------------------ 1. time


@dataclass(frozen=True)
class Clock:
    """The simulated span in steps.

    Attributes:
        start: First simulated day.
        step: Days per step.
        n_steps: Number of steps.
        step_year: Calendar year of each step.
        years: The calendar years of the span.
    """

    start: dt.date
    step: int
    n_steps: int
    step_year: I32
    years: tuple[int, ...]

    def step_of(self, d: dt.date) -> int:
        """The step containing ``d`` (negative before the start)."""
        return (d - self.start).days // self.step

    def step_after(self, d: dt.date) -> int:
        """The step of the day after ``d`` (without computing that date, which may not exist)."""
        return ((d - self.start).days + 1) // self.step

    def date_of(self, k: int) -> dt.date:
        """The first day of step ``k``."""
        return self.start + dt.timedelta(days=k * self.step)

    def span_of(self, p: Policy) -> tuple[int, int]:
        """First step of a policy and the step after its last (clipped to the span)."""
        a = max(0, self.step_of(p.from_))
        b = self.n_steps if p.to is None else min(self.n_steps, self.step_after(p.to))
        return a, b


def compile_time(sc: Scenario) -> Clock:
    """The ``time`` section: the span cut into whole steps."""
    t = sc.time
    n = ((t.end - t.start).days + 1 + t.step - 1) // t.step
    first_days = np.datetime64(t.start, "D") + np.arange(n, dtype=np.int64) * t.step
    step_year = (first_days.astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int32)
    years = tuple(range(int(step_year[0]), int(step_year[-1]) + 1))
    return Clock(start=t.start, step=t.step, n_steps=n, step_year=step_year, years=years)


# ------------------------------------------------------------------ 2. places and states


@dataclass(frozen=True)
class StateTable:
    """Every state of every section, numbered once.

    Attributes:
        place_ids: Place ids.
        ids: State ids (states, routes, detention, sentences, delegations,
            then the classification node).
        names: Readable names.
        kinds: Kinds.
        sections: The section defining each.
        place: Place index of each (-1 if none).
        stories: The ``story`` of each (``""`` if none).
        classify_node: Index of the classification node (-1 if none).
        index: State id → index.
    """

    place_ids: tuple[str, ...]
    ids: tuple[str, ...]
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    sections: tuple[str, ...]
    place: I32
    stories: tuple[str, ...]
    classify_node: int
    index: Mapping[str, int]

    @property
    def n(self) -> int:
        """Number of states."""
        return len(self.ids)


def compile_states(sc: Scenario) -> StateTable:
    """The ``places`` and the states of every section (one namespace)."""
    place_ids = tuple(p.id for p in sc.places)
    pidx = {p: i for i, p in enumerate(place_ids)}
    # id, name, kind, section, place, story
    rows: list[tuple[str, str, str, str, str | None, str | None]] = []
    for s in sc.states:
        rows.append((s.id, s.name or s.id, s.kind, "states", s.place, s.story))
    from_place = {s.id: s.place for s in sc.states}
    for r in sc.routes:
        place = r.place or from_place.get(r.from_)
        rows.append((r.id, r.name or r.id, "travel", "routes", place, r.story))
    for q in sc.detention:
        rows.append((q.id, q.name or q.id, "detained", "detention", q.place, q.story))
    for se in sc.sentences:
        rows.append((se.id, se.name or se.id, "sentence", "sentences", se.place, se.story))
    for de in sc.delegations:
        rows.append((de.id, de.name or de.id, "delegation", "delegations", de.place, de.story))
    classify_node = -1
    cl = sc.classification
    if cl is not None:
        classify_node = len(rows)
        name = cl.name or "classification"
        rows.append((cl.id, name, "classification", "classification", None, cl.story))
    ids = tuple(r[0] for r in rows)
    return StateTable(
        place_ids=place_ids,
        ids=ids,
        names=tuple(r[1] for r in rows),
        kinds=tuple(r[2] for r in rows),
        sections=tuple(r[3] for r in rows),
        place=np.array([pidx.get(r[4], -1) if r[4] else -1 for r in rows], np.int32),
        stories=tuple(r[5] or "" for r in rows),
        classify_node=classify_node,
        index={s: i for i, s in enumerate(ids)},
    )


# ------------------------------------------------------------------ 3. sentences


def compile_sentences(sc: Scenario, st: StateTable) -> tuple[str, ...]:
    """The ``sentences`` section: the kind of each sentence state (``""`` for others).

    A sentence is otherwise a state like any other: its place and name are in
    the state table, its term in the durations, its hazards in the hazard table.
    """
    kinds = [""] * st.n
    for se in sc.sentences:
        kinds[st.index[se.id]] = se.kind
    return tuple(kinds)


# ------------------------------------------------------------------ 4. populations


@dataclass(frozen=True)
class PopulationTable:
    """The populations and which states belong to them (see :class:`CompiledModel`)."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    descriptions: tuple[str, ...]
    headline: B
    context: B
    parent: I32
    member: B
    state_population: I32


def compile_populations(sc: Scenario, st: StateTable) -> PopulationTable:
    """The ``populations`` section (or the implicit ``everyone``)."""
    pops = resolve_populations(sc)
    ids = tuple(p.id for p in pops)
    member = np.zeros((len(pops), st.n), bool)
    for i, p in enumerate(pops):
        member[i, [st.index[s] for s in p.states if s in st.index]] = True
    parent = np.array([ids.index(p.parent) if p.parent else -1 for p in pops], np.int32)
    state_population = np.full(st.n, -1, np.int32)
    for i in np.flatnonzero(parent < 0)[::-1]:
        state_population[member[i]] = i
    return PopulationTable(
        ids=ids,
        names=tuple(p.name for p in pops),
        descriptions=tuple(p.description for p in pops),
        headline=np.array([p.headline for p in pops], bool),
        context=np.array([p.context for p in pops], bool),
        parent=parent,
        member=member,
        state_population=state_population,
    )


# ------------------------------------------------------------------ 5. people


@dataclass(frozen=True)
class PeopleAxes:
    """Flags, age bands and origins: the attributes a person carries.

    Attributes:
        flag_ids: Flag ids (bit ``i`` is flag ``i``).
        flag_names: Readable names.
        age_ids: Age bands (``("all",)`` when none are declared).
        origin_ids: Origins: inflow origins, then delegation places
            (``("unknown",)`` when none).
        flag_index: Flag id → bit.
        age_index: Age band → index.
        origin_index: Origin → index.
    """

    flag_ids: tuple[str, ...]
    flag_names: tuple[str, ...]
    age_ids: tuple[str, ...]
    origin_ids: tuple[str, ...]
    flag_index: Mapping[str, int]
    age_index: Mapping[str, int]
    origin_index: Mapping[str, int]


def compile_people(sc: Scenario) -> PeopleAxes:
    """The ``people`` section (flags, age bands) and the origins of entries."""
    flag_ids = tuple(f.id for f in sc.people.flags)
    ab = sc.people.age_bands
    if ab is None:
        age_ids: tuple[str, ...] = ("all",)
    elif ab.shares is not None:
        age_ids = tuple(ab.shares)
    else:
        assert ab.by_sex is not None
        age_ids = tuple(next(iter(ab.by_sex.values())))
    origins: list[str] = []
    for inf in sc.inflows:
        for o in inf.origins.values if inf.origins else {}:
            if o not in origins:
                origins.append(o)
    for de in sc.delegations:
        if de.place not in origins:
            origins.append(de.place)
    if not origins:
        origins.append("unknown")
    return PeopleAxes(
        flag_ids=flag_ids,
        flag_names=tuple(f.name or f.id for f in sc.people.flags),
        age_ids=age_ids,
        origin_ids=tuple(origins),
        flag_index={f: i for i, f in enumerate(flag_ids)},
        age_index={a: i for i, a in enumerate(age_ids)},
        origin_index={o: i for i, o in enumerate(origins)},
    )


# ------------------------------------------------------------------ 6. hazard components


@dataclass
class Component:
    """One competing hazard with one target, before policies and segments.

    Attributes:
        state: Source state.
        target: Target state, or ``-(1 + flag)`` for a flag acquisition.
        rate: Its rate as written.
        scale: Its share of the hazard (for a hazard with target shares).
        names: Hazard id and tags (what policies scale).
        border: Border whose closure stops it.
        route_target: The route it leads to, if any (route closures).
        modifiers: Multipliers by attribute and flag.
        own_flag: The flag it gives (a flag acquisition), else -1.
        set_flags: Bit mask of flags set on taking it.
        label: Readable name.
        hid: Hazard id (``from→to`` when unnamed).
        fixed_per_step: A per-step hazard given directly (defection), which
            replaces ``rate``.
    """

    state: int
    target: int
    rate: Rate
    scale: float
    names: set[str]
    border: str | None
    route_target: str | None
    modifiers: Modifiers | None
    own_flag: int
    set_flags: int
    label: str
    hid: str
    fixed_per_step: float | None = None


def compile_components(
    sc: Scenario, clock: Clock, st: StateTable, people: PeopleAxes
) -> list[Component]:
    """Every hazard out of every state, one component per target, in written order.

    The order (states, routes, transitions, sentences, detention, flag
    acquisition, defection) fixes the order of components of one state in
    the hazard table.
    """
    sidx, fidx = st.index, people.flag_index
    out: list[Component] = []
    routes = {r.id for r in sc.routes}

    def add_hazard(src: str, h: Hazard, border: str | None = None) -> None:
        sf = _mask(h.set_flags, fidx)
        for tgt, share in _split_target(h.to):
            out.append(
                Component(
                    state=sidx[src],
                    target=sidx[tgt],
                    rate=h.rate,
                    scale=share,
                    names=set(h.tags) | ({h.id} if h.id else set()),
                    border=h.border or border,
                    route_target=tgt if tgt in routes else None,
                    modifiers=h.modifiers,
                    own_flag=-1,
                    set_flags=sf,
                    label=f"{src} → {tgt}" + (f" ({h.id})" if h.id else ""),
                    hid=h.id or f"{src}→{tgt}",
                )
            )

    for s in sc.states:
        for h in s.hazards:
            add_hazard(s.id, h)
    for r in sc.routes:
        for h in r.hazards:
            add_hazard(r.id, h)
    for src, hs in sc.transitions.items():
        for h in hs:
            add_hazard(src, h)
    for se in sc.sentences:
        for h in se.hazards:
            add_hazard(se.id, h)
    for q in sc.detention:
        for h in q.hazards:
            add_hazard(q.id, h, border=q.border)
        if q.rate is not None:
            release = Hazard(id=q.id, to=q.to, rate=q.rate, tags=q.tags, border=q.border)
            add_hazard(q.id, release, border=q.border)
    for f in sc.people.flags:
        for a in f.acquire:
            for s_id in a.in_:
                out.append(
                    Component(
                        state=sidx[s_id],
                        target=-(1 + fidx[f.id]),
                        rate=a.rate,
                        scale=1.0,
                        names=set(a.tags) | {f"flag:{f.id}"},
                        border=None,
                        route_target=None,
                        modifiers=a.modifiers,
                        own_flag=fidx[f.id],
                        set_flags=0,
                        label=f"{s_id}: acquires {f.id}",
                        hid=f"flag:{f.id}",
                    )
                )
    for de in sc.delegations:
        trip = max(1, clock.step_of(de.return_) - clock.step_of(de.depart))
        p = de.defection_probability.value * (1 - de.surveillance.value)
        h_step = -math.log1p(-min(p, 1 - 1e-12)) / trip
        for tgt, share in _split_target(de.defect_to):
            out.append(
                Component(
                    state=sidx[de.id],
                    target=sidx[tgt],
                    rate=Rate(per_day=0.0, assumption="-"),
                    scale=share,
                    names={f"defection:{de.id}"},
                    border=None,
                    route_target=None,
                    modifiers=None,
                    own_flag=-1,
                    set_flags=0,
                    label=f"{de.id} → {tgt} (defection)",
                    hid=f"defection:{de.id}",
                    fixed_per_step=h_step,
                )
            )
    return out


# ------------------------------------------------------------------ 7. segments


@dataclass(frozen=True)
class Segments:
    """Time cut where any policy starts or ends or any rate changes value.

    Attributes:
        steps: First step of each segment.
        start: The same, as an array.
        step_seg: Segment of each step.
        dates: First day of each segment.
    """

    steps: tuple[int, ...]
    start: I32
    step_seg: I32
    dates: tuple[dt.date, ...]

    @property
    def n(self) -> int:
        """Number of segments."""
        return len(self.steps)

    def active(self, clock: Clock, p: Policy, g: int) -> bool:
        """Whether policy ``p`` is in force throughout segment ``g``."""
        s0 = self.steps[g]
        return clock.step_of(p.from_) <= s0 and (p.to is None or s0 < clock.step_after(p.to))


def compile_segments(sc: Scenario, clock: Clock, comps: Sequence[Component]) -> Segments:
    """Segments from the ``policies`` and the dates at which hazard rates change."""
    n = clock.n_steps
    cuts: set[int] = set()
    for p in sc.policies:
        cuts.add(clock.step_of(p.from_))
        if p.to is not None:
            cuts.add(clock.step_after(p.to))
    for c in comps:
        cuts.update(clock.step_of(d) for d in rate_change_dates(c.rate))
    steps = tuple(sorted({0} | {k for k in cuts if 0 < k < n}))
    step_seg = np.zeros(n, np.int32)
    for g, s0 in enumerate(steps):
        step_seg[s0:] = g
    return Segments(
        steps=steps,
        start=np.asarray(steps, np.int32),
        step_seg=step_seg,
        dates=tuple(clock.date_of(s0) for s0 in steps),
    )


# ------------------------------------------------------------------ 8. hazard table


def compile_hazards(
    sc: Scenario,
    clock: Clock,
    seg: Segments,
    comps: list[Component],
    st: StateTable,
    people: PeopleAxes,
) -> HazardTable:
    """Per-segment hazards with every policy factor and closure applied; the multipliers.

    Components are grouped by source state (a stable sort keeps their
    written order within a state).
    """
    comps = sorted(comps, key=lambda c: c.state)
    H, G = len(comps), seg.n
    rate = np.zeros((G, H))
    in_force = [[seg.active(clock, p, g) for p in sc.policies] for g in range(G)]
    for h, c in enumerate(comps):
        for g in range(G):
            if c.fixed_per_step is not None:
                base = c.fixed_per_step
            else:
                base = rate_per_day_at(c.rate, seg.dates[g]) * clock.step
            factor = c.scale
            for p, active in zip(sc.policies, in_force[g], strict=True):
                if not active:
                    continue
                for e in p.effects:
                    if e.scale is not None and e.factor is not None and c.names & set(e.scale):
                        factor *= e.factor.value
                    if e.close_border is not None and c.border == e.close_border:
                        factor = 0.0
                    if e.close_route is not None and c.route_target == e.close_route:
                        factor = 0.0
            rate[g, h] = base * factor
    F, A, O = len(people.flag_ids), len(people.age_ids), len(people.origin_ids)  # noqa: E741
    mult_sex = np.ones((H, 2))
    mult_age = np.ones((H, A))
    mult_origin = np.ones((H, O))
    mult_flag = np.ones((H, max(F, 1)))
    flag_mask = np.zeros(H, np.uint32)
    set_flags = np.zeros(H, np.uint32)
    for h, c in enumerate(comps):
        m = c.modifiers
        if m is not None:
            for sx, v in m.sex.items():
                mult_sex[h, SEXES.index(sx)] = v
            for a, v in m.age_band.items():
                mult_age[h, people.age_index[a]] = v
            for o, v in m.origin.items():
                if o in people.origin_index:
                    mult_origin[h, people.origin_index[o]] = v
            for f, v in m.flags.items():
                mult_flag[h, people.flag_index[f]] = v
        if c.own_flag >= 0:
            mult_flag[h, c.own_flag] = 0.0
        mask = 0
        for fi in range(F):
            if mult_flag[h, fi] != 1.0:
                mask |= 1 << fi
        flag_mask[h] = mask
        set_flags[h] = c.set_flags
    ptr = np.zeros(st.n + 1, np.int64)
    for c in comps:
        ptr[c.state + 1] += 1
    return HazardTable(
        state=np.array([c.state for c in comps], np.int32),
        target=np.array([c.target for c in comps], np.int32),
        rate=rate,
        mult_sex=mult_sex,
        mult_age=mult_age,
        mult_origin=mult_origin,
        mult_flag=mult_flag,
        flag_mask=flag_mask,
        set_flags=set_flags,
        ptr=np.cumsum(ptr),
        label=tuple(c.label for c in comps),
        names=tuple(tuple(sorted(c.names)) for c in comps),
        ids=tuple(c.hid for c in comps),
    )


# ------------------------------------------------------------------ 9. durations


@dataclass(frozen=True)
class Durations:
    """How long people stay in each state, and where they go when the time is up.

    Attributes:
        ptr: CSR pointer into ``cdf`` per state (an empty range: no duration).
        cdf: Concatenated duration CDFs over whole steps.
        then: Where each state's duration ends.
    """

    ptr: I64
    cdf: F64
    then: Targets


@dataclass
class CompileMemo:
    """What several compilations of one scenario may share (posterior draws, say).

    Attributes:
        durations: Discretised durations by their written form and step length.
    """

    durations: dict[tuple[str, int], F64 | None] = field(default_factory=dict)

    def duration(self, d: Duration, step_days: int) -> F64 | None:
        """:func:`duration_cdf` of ``d``, computed once per distinct duration."""
        key = (d.model_dump_json(), step_days)
        if key not in self.durations:
            self.durations[key] = duration_cdf(d, step_days)
        cdf = self.durations[key]
        return None if cdf is None else cdf.copy()


def compile_durations(
    sc: Scenario, clock: Clock, st: StateTable, memo: CompileMemo | None = None
) -> Durations:
    """Durations and ``then`` of states, routes (travel time) and sentences; delegation trips."""
    sidx = st.index
    cdfs: list[F64 | None] = [None] * st.n
    thens: list[Dist] = [[] for _ in range(st.n)]
    cdf_of = memo.duration if memo is not None else duration_cdf

    def set_dur(sid: str, d: Duration | None, then: Target | None) -> None:
        i = sidx[sid]
        cdfs[i] = cdf_of(d, clock.step) if d is not None else None
        if then is not None:
            thens[i] = [(sidx[t], w) for t, w in _split_target(then)]

    for s in sc.states:
        set_dur(s.id, s.duration, s.then)
    for r in sc.routes:
        set_dur(r.id, r.travel_time, r.to)
    for se in sc.sentences:
        set_dur(se.id, se.duration, se.then)
    for de in sc.delegations:
        trip = max(1, clock.step_of(de.return_) - clock.step_of(de.depart))
        cdf = np.zeros(trip)
        cdf[-1] = 1.0
        cdfs[sidx[de.id]] = cdf
        thens[sidx[de.id]] = [(sidx[t], w) for t, w in _split_target(de.on_return)]
    ptr = np.zeros(st.n + 1, np.int64)
    for i, c in enumerate(cdfs):
        ptr[i + 1] = ptr[i] + (0 if c is None else len(c))
    present = [c for c in cdfs if c is not None]
    return Durations(
        ptr=ptr,
        cdf=np.concatenate(present) if present else np.zeros(0),
        then=_targets_csr(thens),
    )


# ------------------------------------------------------------------ 10. flags


def compile_flags(sc: Scenario, st: StateTable, people: PeopleAxes) -> U32:
    """Flags set on entering each state (a bit mask per state)."""
    set_on_enter = np.zeros(st.n, np.uint32)
    for flag in sc.people.flags:
        for s_id in flag.set_on_enter:
            set_on_enter[st.index[s_id]] |= np.uint32(1 << people.flag_index[flag.id])
    return set_on_enter


# ------------------------------------------------------------------ 11. entries


@dataclass(frozen=True)
class Entries:
    """Entry combinations (inflow or delegation × sex × origin) and their entries per step.

    Attributes:
        inflow: Inflow or delegation id of each combination.
        sex: Sex (0 female, 1 male).
        origin: Origin index.
        state: Entry state.
        age_cdf: Age-band CDF, shape (K, A).
        rate: Expected entries per step, shape (n_steps, K).
        fixed: Fixed entry counts per step, shape (n_steps, K).
        initial: Of which present at the start, shape (K,).
    """

    inflow: tuple[str, ...]
    sex: NDArray[np.int8]
    origin: NDArray[np.int8]
    state: I32
    age_cdf: F64
    rate: F64
    fixed: I64
    initial: I64


def _policy_factors(sc: Scenario, clock: Clock, names: set[str]) -> F64:
    """Per-step product of the policy factors that scale any of ``names``."""
    out = np.ones(clock.n_steps)
    for p in sc.policies:
        a, b = clock.span_of(p)
        if b <= a:
            continue
        for e in p.effects:
            if e.scale is not None and e.factor is not None and names & set(e.scale):
                out[a:b] *= e.factor.value
    return out


@dataclass(frozen=True)
class StepDates:
    """The first day of every step, as arrays (for rates that change on dates)."""

    start: dt.date
    day: I64  # days since the start
    year: I64  # calendar year

    @classmethod
    def of(cls, clock: Clock) -> StepDates:
        """The step dates of ``clock``."""
        day = np.arange(clock.n_steps, dtype=np.int64) * clock.step
        return cls(clock.start, day, clock.step_year.astype(np.int64))


def _rate_series(rate: Rate, dates: StepDates, step: int) -> F64:
    """People per step of an inflow rate (none before the first year of a ``by_year`` table).

    The value on each step is :func:`rate_per_day_at` on its first day, computed
    for all steps at once.
    """
    n = dates.day.size
    if rate.by_year is not None:
        years = sorted(rate.by_year)
        per_year = np.full(n, float(rate.by_year[years[0]]))
        for y in years:
            per_year[dates.year >= y] = rate.by_year[y]
        out = per_year / DAYS_PER_YEAR * step
        out[dates.year < years[0]] = 0.0
        return out
    if rate.schedule is not None:
        per_year = np.full(n, float(rate.schedule[0].per_year))
        for p in rate.schedule:
            per_year[dates.day >= (p.from_ - dates.start).days] = p.per_year
        return per_year / DAYS_PER_YEAR * step
    return np.full(n, rate_per_day_at(rate, dates.start) * step)


def _age_cdf(ab: AgeBands | None, sex: str, age_ids: tuple[str, ...]) -> F64:
    """CDF over the age bands of people entering (all in the first band without bands)."""
    if ab is None:
        return np.ones(len(age_ids))
    shares: Mapping[str, float] = {}
    if ab.shares is not None:
        shares = ab.shares
    elif ab.by_sex is not None:
        shares = {str(k): v for k, v in ab.by_sex.items()}.get(sex, {})
    pmf = np.array([shares.get(a, 0.0) for a in age_ids], float)
    cdf = np.cumsum(pmf / pmf.sum())
    cdf[-1] = 1.0
    return cdf


def compile_entries(sc: Scenario, clock: Clock, st: StateTable, people: PeopleAxes) -> Entries:
    """The ``inflows`` and ``delegations``: who enters, where, when, how many."""
    n, A = clock.n_steps, len(people.age_ids)
    oidx, aidx = people.origin_index, people.age_index
    inflow: list[str] = []
    sex: list[int] = []
    origin: list[int] = []
    state: list[int] = []
    ages: list[F64] = []
    rate_cols: list[F64] = []
    fixed_cols: list[I64] = []
    initial: dict[int, int] = {}
    step_dates = StepDates.of(clock)
    for inf in sc.inflows:
        origins = inf.origins.values if inf.origins else {people.origin_ids[0]: 1.0}
        first_col = len(rate_cols)
        scale = _policy_factors(sc, clock, {inf.id, *inf.tags})
        for si, sx in enumerate(SEXES):
            if inf.rate_by_sex is not None:
                sex_rate = inf.rate_by_sex.get(sx)
                if sex_rate is None:
                    continue
                per_step = _rate_series(sex_rate, step_dates, clock.step) * scale
            else:
                assert inf.rate is not None and inf.sex is not None
                share = inf.sex.values.get(sx, 0.0)
                if share == 0:
                    continue
                per_step = _rate_series(inf.rate, step_dates, clock.step) * share * scale
            for o, osh in origins.items():
                if osh == 0:
                    continue
                enter = (
                    inf.enter
                    if isinstance(inf.enter, str)
                    else inf.enter.get(o, inf.enter.get("default", ""))
                )
                inflow.append(inf.id)
                sex.append(si)
                origin.append(oidx[o])
                state.append(st.index[enter])
                ages.append(_age_cdf(inf.age_bands or sc.people.age_bands, sx, people.age_ids))
                rate_cols.append(per_step * osh)
                fixed_cols.append(np.zeros(n, np.int64))
                initial[len(rate_cols) - 1] = 0
        if inf.initial is not None and len(rate_cols) > first_col:
            # split the initial count like the first step's rates (largest remainder)
            w = np.array([c[0] for c in rate_cols[first_col:]], float)
            if w.sum() <= 0:
                w = np.ones_like(w)
            total = int(inf.initial.value)
            exact = total * w / w.sum()
            alloc = np.floor(exact).astype(np.int64)
            rest = total - int(alloc.sum())
            if rest:
                alloc[np.argsort(-(exact - alloc), kind="stable")[:rest]] += 1
            for j, a in enumerate(alloc):
                fixed_cols[first_col + j][0] += int(a)
                initial[first_col + j] += int(a)
    for de in sc.delegations:
        size = int(de.size.value)
        n_f = round(size * de.female_share.value)
        k0 = clock.step_of(de.depart)
        for si, cnt in ((0, n_f), (1, size - n_f)):
            col = np.zeros(n, np.int64)
            if 0 <= k0 < n:
                col[k0] = cnt
            inflow.append(de.id)
            sex.append(si)
            origin.append(oidx[de.place])
            state.append(st.index[de.id])
            if de.age_band:
                band = np.zeros(A)
                band[aidx.get(de.age_band, 0) :] = 1.0
                ages.append(band)
            else:
                ages.append(_age_cdf(sc.people.age_bands, SEXES[si], people.age_ids))
            rate_cols.append(np.zeros(n))
            fixed_cols.append(col)
    K = len(state)
    return Entries(
        inflow=tuple(inflow),
        sex=np.array(sex, np.int8),
        origin=np.array(origin, np.int8),
        state=np.array(state, np.int32),
        age_cdf=np.stack(ages) if K else np.zeros((0, A)),
        rate=np.stack(rate_cols, axis=1) if K else np.zeros((n, 0)),
        fixed=np.stack(fixed_cols, axis=1) if K else np.zeros((n, 0), np.int64),
        initial=np.array([initial.get(k, 0) for k in range(K)], np.int64),
    )


# ------------------------------------------------------------------ 12. detention waves


@dataclass(frozen=True)
class Waves:
    """Dated waves, one per queue and wave (see :class:`CompiledModel`)."""

    ids: tuple[str, ...]
    step: I32
    state: I32
    share: F64
    active: B
    targets: Targets


def compile_waves(sc: Scenario, clock: Clock, st: StateTable) -> Waves:
    """The waves of the ``detention`` queues (skipped while the queue's border is closed)."""
    ids: list[str] = []
    steps: list[int] = []
    states: list[int] = []
    shares: list[float] = []
    active: list[bool] = []
    targets: list[Dist] = []
    for q in sc.detention:
        for j, wv in enumerate(q.waves):
            k = clock.step_of(wv.date)
            closed = any(
                q.border is not None
                and e.close_border == q.border
                and clock.step_of(p.from_) <= k
                and (p.to is None or k < clock.step_after(p.to))
                for p in sc.policies
                for e in p.effects
            )
            if closed:
                log.warning(
                    "wave %s of queue %s falls while border %s is closed; skipped",
                    wv.id or j,
                    q.id,
                    q.border,
                )
            ids.append(wv.id or f"{q.id}:{wv.date.isoformat()}")
            steps.append(k)
            states.append(st.index[q.id])
            shares.append(wv.share)
            active.append(not closed)
            targets.append([(st.index[t], w) for t, w in _split_target(wv.to or q.to)])
    return Waves(
        ids=tuple(ids),
        step=np.array(steps, np.int32),
        state=np.array(states, np.int32),
        share=np.array(shares),
        active=np.array(active, bool),
        targets=_targets_csr(targets),
    )


# ------------------------------------------------------------------ 13. classification


@dataclass(frozen=True)
class ClassificationTable:
    """Detection probabilities and rules (see :class:`CompiledModel`)."""

    det_prob: F64
    seg_ruleset: I32
    ruleset_ids: tuple[str, ...]
    rule_ruleset: I32
    rule_any: U32
    rule_all: U32
    rule_none: U32
    rule_sex: NDArray[np.int8]
    rule_default: B
    rule_targets: Targets
    rule_labels: tuple[str, ...]


def compile_classification(
    sc: Scenario, clock: Clock, seg: Segments, st: StateTable, people: PeopleAxes
) -> ClassificationTable:
    """The ``classification``: detection per flag and the rule set in force in each segment."""
    fidx = people.flag_index
    det_prob = np.zeros((seg.n, max(len(people.flag_ids), 1)))
    seg_ruleset = np.zeros(seg.n, np.int32)
    ruleset_ids: tuple[str, ...] = ()
    r_rs: list[int] = []
    r_any: list[int] = []
    r_all: list[int] = []
    r_none: list[int] = []
    r_sex: list[int] = []
    r_def: list[bool] = []
    r_tg: list[Dist] = []
    r_lab: list[str] = []
    cl = sc.classification
    if cl is not None:
        assert cl.rulesets is not None
        for f, prob in cl.detection.values.items():
            det_prob[:, fidx[f]] = prob
        ruleset_ids = tuple(cl.rulesets)
        default_rs = ruleset_ids.index(cl.default_ruleset)
        for g in range(seg.n):
            seg_ruleset[g] = default_rs
            for p in sc.policies:
                if seg.active(clock, p, g):
                    for e in p.effects:
                        if e.ruleset is not None:
                            seg_ruleset[g] = ruleset_ids.index(e.ruleset)
        for ri, (rs_name, rules) in enumerate(cl.rulesets.items()):
            for j, rule in enumerate(rules):
                cond = rule.when
                r_rs.append(ri)
                r_any.append(_mask(cond.detected_any if cond else [], fidx))
                r_all.append(_mask(cond.detected_all if cond else [], fidx))
                r_none.append(_mask(cond.detected_none if cond else [], fidx))
                r_sex.append(SEXES.index(cond.sex) if cond and cond.sex else -1)
                r_def.append(rule.default)
                r_tg.append([(st.index[t], w) for t, w in _split_target(rule.sentence)])
                r_lab.append(f"{rs_name}: {rule.name or ('default' if rule.default else j)}")
    return ClassificationTable(
        det_prob=det_prob,
        seg_ruleset=seg_ruleset,
        ruleset_ids=ruleset_ids,
        rule_ruleset=np.array(r_rs, np.int32),
        rule_any=np.array(r_any, np.uint32),
        rule_all=np.array(r_all, np.uint32),
        rule_none=np.array(r_none, np.uint32),
        rule_sex=np.array(r_sex, np.int8),
        rule_default=np.array(r_def, bool),
        rule_targets=_targets_csr(r_tg),
        rule_labels=tuple(r_lab),
    )


# ------------------------------------------------------------------ 14. reclassifications


@dataclass(frozen=True)
class Reclassifications:
    """Dated cohort moves and the cohort milestones they select on (see :class:`CompiledModel`)."""

    ids: tuple[str, ...]
    step: I32
    milestone: I32
    from_step: I32
    to_step: I32
    eligible: B
    share: F64
    targets: Targets
    milestone_member: B


def compile_reclassifications(sc: Scenario, clock: Clock, st: StateTable) -> Reclassifications:
    """The ``reclassifications``; one milestone per distinct group of ``entered`` states."""
    sidx = st.index
    groups: list[tuple[int, ...]] = []
    milestone: list[int] = []
    for rc in sc.reclassifications:
        grp = tuple(sorted(sidx[s] for s in rc.select.entered))
        if grp not in groups:
            groups.append(grp)
        milestone.append(groups.index(grp))
    eligible = np.zeros((len(sc.reclassifications), st.n), bool)
    dead = np.array([k == "dead" for k in st.kinds], bool)
    for i, rc in enumerate(sc.reclassifications):
        sel = rc.select
        if sel.currently_in is not None:
            eligible[i, [sidx[s] for s in sel.currently_in]] = True
        else:
            eligible[i, :] = True
        eligible[i, [sidx[s] for s in sel.not_in]] = False
        eligible[i, dead] = False
        # people already in (one of) the target states are not moved again
        eligible[i, [sidx[s] for s, _ in _split_target(rc.to)]] = False
        if st.classify_node >= 0:
            eligible[i, st.classify_node] = False
    member = np.zeros((len(groups), st.n), bool)
    for gi, grp in enumerate(groups):
        member[gi, list(grp)] = True
    rcs = sc.reclassifications
    return Reclassifications(
        ids=tuple(rc.id for rc in rcs),
        step=np.array([clock.step_of(rc.date) for rc in rcs], np.int32),
        milestone=np.array(milestone, np.int32),
        from_step=np.array([clock.step_of(rc.select.from_) for rc in rcs], np.int32),
        to_step=np.array([clock.step_of(rc.select.to) for rc in rcs], np.int32),
        eligible=eligible,
        share=np.array([rc.share for rc in rcs]),
        targets=_targets_csr([[(sidx[t], w) for t, w in _split_target(rc.to)] for rc in rcs]),
        milestone_member=member,
    )


# ------------------------------------------------------------------ 15. families


@dataclass(frozen=True)
class FamilyTable:
    """Household sizes and the family consequences of entering states.

    Attributes:
        household_cdf: ``P(size ≤ k)`` for k = 1..K.
        consequence_ids: Consequence ids.
        family_share: Share of family members affected, shape (S, C).
    """

    household_cdf: F64
    consequence_ids: tuple[str, ...]
    family_share: F64


def compile_families(sc: Scenario, st: StateTable) -> FamilyTable:
    """The ``families`` section."""
    fam = sc.families
    if fam is None:
        return FamilyTable(np.ones(1), (), np.zeros((st.n, 0)))
    sizes = {int(k): v for k, v in fam.household_size.values.items()}
    pmf = np.array([sizes.get(k, 0.0) for k in range(1, max(sizes) + 1)])
    household_cdf = np.cumsum(pmf / pmf.sum())
    household_cdf[-1] = 1.0
    cons: list[str] = []
    for o in fam.outcomes:
        for c in o.consequences.values:
            if c not in cons:
                cons.append(c)
    family_share = np.zeros((st.n, len(cons)))
    for o in fam.outcomes:
        for s_id in o.on_enter:
            for c, v in o.consequences.values.items():
                family_share[st.index[s_id], cons.index(c)] = v
    return FamilyTable(household_cdf, tuple(cons), family_share)


# ------------------------------------------------------------------ 16. policy spans


def compile_policy_spans(sc: Scenario, clock: Clock) -> tuple[tuple[str, str, int, int], ...]:
    """Per policy: id, name, first step and the step after its last (for reports)."""
    n = clock.n_steps
    return tuple(
        (
            p.id,
            p.name or p.id,
            max(0, clock.step_of(p.from_)),
            min(n, clock.step_after(p.to)) if p.to else n,
        )
        for p in sc.policies
    )


# ------------------------------------------------------------------ assembly


def build_model(sc: Scenario, sha256: str = "", memo: CompileMemo | None = None) -> CompiledModel:
    """Compile a validated scenario, section by section (see the module docstring).

    Raises:
        ArithmeticError, ValueError, IndexError, KeyError: On numbers that
            cannot be compiled (:func:`compile_scenario` turns them into a
            located :class:`ScenarioError`).
    """
    clock = compile_time(sc)
    st = compile_states(sc)
    sentence_kind = compile_sentences(sc, st)
    pops = compile_populations(sc, st)
    people = compile_people(sc)
    comps = compile_components(sc, clock, st, people)
    seg = compile_segments(sc, clock, comps)
    hazards = compile_hazards(sc, clock, seg, comps, st, people)
    dur = compile_durations(sc, clock, st, memo)
    set_on_enter = compile_flags(sc, st, people)
    ent = compile_entries(sc, clock, st, people)
    waves = compile_waves(sc, clock, st)
    cls = compile_classification(sc, clock, seg, st, people)
    rc = compile_reclassifications(sc, clock, st)
    fam = compile_families(sc, st)
    return CompiledModel(
        name=sc.name,
        sha256=sha256,
        seed=sc.seed,
        start=sc.time.start,
        end=sc.time.end,
        step_days=clock.step,
        n_steps=clock.n_steps,
        step_year=clock.step_year,
        years=clock.years,
        place_ids=st.place_ids,
        state_ids=st.ids,
        state_names=st.names,
        state_kinds=st.kinds,
        state_section=st.sections,
        state_place=st.place,
        state_stories=st.stories,
        classify_node=st.classify_node,
        state_sentence_kind=sentence_kind,
        population_ids=pops.ids,
        population_names=pops.names,
        population_descriptions=pops.descriptions,
        population_headline=pops.headline,
        population_context=pops.context,
        population_parent=pops.parent,
        population_member=pops.member,
        state_population=pops.state_population,
        seg_start=seg.start,
        step_seg=seg.step_seg,
        hazards=hazards,
        dur_ptr=dur.ptr,
        dur_cdf=dur.cdf,
        then=dur.then,
        flag_ids=people.flag_ids,
        flag_names=people.flag_names,
        set_on_enter=set_on_enter,
        age_ids=people.age_ids,
        origin_ids=people.origin_ids,
        combo_inflow=ent.inflow,
        combo_sex=ent.sex,
        combo_origin=ent.origin,
        combo_state=ent.state,
        combo_age_cdf=ent.age_cdf,
        combo_rate=ent.rate,
        combo_fixed=ent.fixed,
        combo_initial=ent.initial,
        wave_ids=waves.ids,
        wave_step=waves.step,
        wave_state=waves.state,
        wave_share=waves.share,
        wave_active=waves.active,
        wave_targets=waves.targets,
        det_prob=cls.det_prob,
        seg_ruleset=cls.seg_ruleset,
        ruleset_ids=cls.ruleset_ids,
        rule_ruleset=cls.rule_ruleset,
        rule_any=cls.rule_any,
        rule_all=cls.rule_all,
        rule_none=cls.rule_none,
        rule_sex=cls.rule_sex,
        rule_default=cls.rule_default,
        rule_targets=cls.rule_targets,
        rule_labels=cls.rule_labels,
        rc_ids=rc.ids,
        rc_step=rc.step,
        rc_milestone=rc.milestone,
        rc_from=rc.from_step,
        rc_to=rc.to_step,
        rc_eligible=rc.eligible,
        rc_share=rc.share,
        rc_targets=rc.targets,
        milestone_member=rc.milestone_member,
        household_cdf=fam.household_cdf,
        consequence_ids=fam.consequence_ids,
        family_share=fam.family_share,
        policy_spans=compile_policy_spans(sc, clock),
        journey_sample=sc.journeys.sample,
    )


def compile_scenario(
    loaded: LoadedScenario | Scenario, *, sha256: str = "", memo: CompileMemo | None = None
) -> CompiledModel:
    """Compile a validated scenario into flat arrays.

    Args:
        loaded: A scenario from :func:`crossings.load_scenario` (or a bare,
            already validated :class:`Scenario`).
        sha256: Hash to record when a bare scenario is given.
        memo: Shared by compilations of one scenario with different numbers
            (posterior draws): what they have in common is computed once.

    Returns:
        The compiled model.

    Raises:
        ScenarioError: If the scenario exceeds a limit of the engine (memory
            for one run, flags), or its numbers cannot be compiled (a rate
            multiplied past what a float holds, say).
    """
    if isinstance(loaded, LoadedScenario):
        sc, sha256 = loaded.scenario, loaded.sha256
    else:
        sc = loaded
    check_limits(loaded)
    try:
        model = build_model(sc, sha256, memo)
    except (ArithmeticError, ValueError, IndexError, KeyError) as exc:
        raise ScenarioError(
            [
                Issue(
                    "the scenario passed validation but cannot be compiled",
                    (),
                    loaded.source_map.locate(()) if isinstance(loaded, LoadedScenario) else None,
                    expected="numbers the compiler can turn into per-step rates",
                    found=f"{type(exc).__name__}: {str(exc)[:200]}",
                    hint="look for extreme values (very large or very small durations, rates "
                    "or factors); if the scenario looks right, please report this as a bug",
                )
            ]
        ) from exc
    problems = finite_issues(model, loaded)
    if problems:
        raise ScenarioError(problems)
    return model


def preflight(loaded: LoadedScenario, *, runs: int = 1) -> CompiledModel:
    """Everything ``run`` checks after loading, so that ``check`` refuses the same scenarios.

    Estimates the memory of ``runs`` runs (refusing one that would not fit),
    then compiles the scenario.

    Args:
        loaded: A scenario from :func:`crossings.scenario.load_scenario`.
        runs: Runs that will be held at once (``check`` uses 1).

    Returns:
        The compiled model.

    Raises:
        ScenarioError: With the problem, located in the scenario.
    """
    check_limits(loaded, runs=runs)
    return compile_scenario(loaded)
