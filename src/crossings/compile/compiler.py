"""Scenario → :class:`CompiledModel`: dates to steps, rates to per-step hazards.

This is the only place where the file's units (dates, per-year rates,
durations in days/weeks/months/years) meet the engine's (integer steps,
per-step hazards). Policy intervals cut time into segments with constant
hazards; each segment's hazard table already includes every policy factor.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from crossings.compile.model import CompiledModel, HazardTable, Targets
from crossings.compile.preflight import check_limits, finite_issues
from crossings.scenario.errors import Issue, ScenarioError
from crossings.scenario.load import LoadedScenario
from crossings.scenario.schema import (
    SEXES,
    Duration,
    Hazard,
    Modifiers,
    Rate,
    Scenario,
    Shares,
    Target,
)

log = logging.getLogger(__name__)

DAYS_PER_YEAR = 365.25
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": DAYS_PER_YEAR / 12, "years": DAYS_PER_YEAR}
MAX_DURATION_YEARS = 150.0
CDF_TAIL = 1e-10


@dataclass
class _Component:
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
    fixed_per_step: float | None = None
    hid: str = ""


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


def duration_cdf(d: Duration, step_days: int) -> np.ndarray | None:
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


def compile_scenario(loaded: LoadedScenario | Scenario, *, sha256: str = "") -> CompiledModel:
    """Compile a validated scenario into flat arrays.

    Args:
        loaded: A scenario from :func:`crossings.load_scenario` (or a bare,
            already validated :class:`Scenario`).
        sha256: Hash to record when a bare scenario is given.

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
        model = _Compiler(sc, sha256).build()
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


class _Compiler:
    def __init__(self, sc: Scenario, sha256: str) -> None:
        self.sc = sc
        self.sha = sha256
        t = sc.time
        self.dt = t.step
        self.n_steps = ((t.end - t.start).days + 1 + t.step - 1) // t.step

    def step_of(self, d: dt.date) -> int:
        return (d - self.sc.time.start).days // self.dt

    def step_after(self, d: dt.date) -> int:
        """The step of the day after ``d`` (without computing that date, which may not exist)."""
        return ((d - self.sc.time.start).days + 1) // self.dt

    def date_of(self, k: int) -> dt.date:
        return self.sc.time.start + dt.timedelta(days=k * self.dt)

    def build(self) -> CompiledModel:
        sc = self.sc
        n = self.n_steps
        step_year = np.array([self.date_of(k).year for k in range(n)], dtype=np.int32)
        years = tuple(range(int(step_year[0]), int(step_year[-1]) + 1))

        # ---- places
        place_ids = tuple(p.id for p in sc.places)
        pidx = {p: i for i, p in enumerate(place_ids)}

        # ---- states (one namespace)
        rows: list[tuple[str, str, str, str, str | None]] = []  # id, name, kind, section, place
        for s in sc.states:
            rows.append((s.id, s.name or s.id, s.kind, "states", s.place))
        from_place = {s.id: s.place for s in sc.states}
        for r in sc.routes:
            rows.append(
                (r.id, r.name or r.id, "travel", "routes", r.place or from_place.get(r.from_))
            )
        for q in sc.detention:
            rows.append((q.id, q.name or q.id, "detained", "detention", q.place))
        for se in sc.sentences:
            rows.append((se.id, se.name or se.id, "sentence", "sentences", se.place))
        for de in sc.delegations:
            rows.append((de.id, de.name or de.id, "delegation", "delegations", de.place))
        classify_node = -1
        if sc.classification is not None:
            classify_node = len(rows)
            rows.append(
                (
                    sc.classification.id,
                    sc.classification.name or "classification",
                    "classification",
                    "classification",
                    None,
                )
            )
        state_ids = tuple(r[0] for r in rows)
        sidx = {s: i for i, s in enumerate(state_ids)}
        S = len(state_ids)
        state_place = np.array([pidx.get(r[4], -1) if r[4] else -1 for r in rows], np.int32)

        # ---- flags, ages, origins
        flag_ids = tuple(f.id for f in sc.people.flags)
        fidx = {f: i for i, f in enumerate(flag_ids)}
        ab = sc.people.age_bands
        if ab is None:
            age_ids: tuple[str, ...] = ("all",)
        elif ab.shares is not None:
            age_ids = tuple(ab.shares)
        else:
            assert ab.by_sex is not None
            age_ids = tuple(next(iter(ab.by_sex.values())))
        aidx = {a: i for i, a in enumerate(age_ids)}
        origin_list: list[str] = []
        for inf in sc.inflows:
            for o in inf.origins.values if inf.origins else {}:
                if o not in origin_list:
                    origin_list.append(o)
        for de in sc.delegations:
            if de.place not in origin_list:
                origin_list.append(de.place)
        if not origin_list:
            origin_list.append("unknown")
        origin_ids = tuple(origin_list)
        oidx = {o: i for i, o in enumerate(origin_ids)}

        # ---- segments
        cuts: set[int] = set()
        for p in sc.policies:
            cuts.add(self.step_of(p.from_))
            if p.to is not None:
                cuts.add(self.step_after(p.to))
        comps = self._components(sidx, fidx)
        for c in comps:
            cuts.update(self.step_of(d) for d in rate_change_dates(c.rate))
        seg_steps = sorted({0} | {k for k in cuts if 0 < k < n})
        seg_start = np.asarray(seg_steps, np.int32)
        G = len(seg_steps)
        step_seg = np.zeros(n, np.int32)
        for g, s0 in enumerate(seg_steps):
            step_seg[s0:] = g
        seg_dates = [self.date_of(s0) for s0 in seg_steps]

        def active(p_from: dt.date, p_to: dt.date | None, g: int) -> bool:
            s0 = seg_steps[g]
            return self.step_of(p_from) <= s0 and (p_to is None or s0 < self.step_after(p_to))

        # ---- hazard table
        comps.sort(key=lambda c: c.state)
        H = len(comps)
        rate = np.zeros((G, H))
        for h, c in enumerate(comps):
            for g in range(G):
                if c.fixed_per_step is not None:
                    base = c.fixed_per_step
                else:
                    base = rate_per_day_at(c.rate, seg_dates[g]) * self.dt
                factor = c.scale
                for p in sc.policies:
                    if not active(p.from_, p.to, g):
                        continue
                    for e in p.effects:
                        if e.scale is not None and e.factor is not None and c.names & set(e.scale):
                            factor *= e.factor.value
                        if e.close_border is not None and c.border == e.close_border:
                            factor = 0.0
                        if e.close_route is not None and c.route_target == e.close_route:
                            factor = 0.0
                rate[g, h] = base * factor
        F = len(flag_ids)
        A = len(age_ids)
        O = len(origin_ids)  # noqa: E741
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
                    mult_age[h, aidx[a]] = v
                for o, v in m.origin.items():
                    if o in oidx:
                        mult_origin[h, oidx[o]] = v
                for f, v in m.flags.items():
                    mult_flag[h, fidx[f]] = v
            if c.own_flag >= 0:
                mult_flag[h, c.own_flag] = 0.0
            mask = 0
            for fi in range(F):
                if mult_flag[h, fi] != 1.0:
                    mask |= 1 << fi
            flag_mask[h] = mask
            set_flags[h] = c.set_flags
        ptr = np.zeros(S + 1, np.int64)
        for c in comps:
            ptr[c.state + 1] += 1
        ptr = np.cumsum(ptr)
        hazards = HazardTable(
            state=np.array([c.state for c in comps], np.int32),
            target=np.array([c.target for c in comps], np.int32),
            rate=rate,
            mult_sex=mult_sex,
            mult_age=mult_age,
            mult_origin=mult_origin,
            mult_flag=mult_flag,
            flag_mask=flag_mask,
            set_flags=set_flags,
            ptr=ptr,
            label=tuple(c.label for c in comps),
            names=tuple(tuple(sorted(c.names)) for c in comps),
            ids=tuple(c.hid for c in comps),
        )

        # ---- durations and 'then'
        cdfs: list[np.ndarray | None] = [None] * S
        thens: list[list[tuple[int, float]]] = [[] for _ in range(S)]

        def set_dur(sid: str, d: Duration | None, then: Target | None) -> None:
            i = sidx[sid]
            cdfs[i] = duration_cdf(d, self.dt) if d is not None else None
            if then is not None:
                thens[i] = [(sidx[t], w) for t, w in _split_target(then)]

        for s in sc.states:
            set_dur(s.id, s.duration, s.then)
        for r in sc.routes:
            set_dur(r.id, r.travel_time, r.to)
        for se in sc.sentences:
            set_dur(se.id, se.duration, se.then)
        for de in sc.delegations:
            trip = max(1, self.step_of(de.return_) - self.step_of(de.depart))
            cdf = np.zeros(trip)
            cdf[-1] = 1.0
            cdfs[sidx[de.id]] = cdf
            thens[sidx[de.id]] = [(sidx[t], w) for t, w in _split_target(de.on_return)]
        dur_ptr = np.zeros(S + 1, np.int64)
        for i, c2 in enumerate(cdfs):
            dur_ptr[i + 1] = dur_ptr[i] + (0 if c2 is None else len(c2))
        dur_cdf = (
            np.concatenate([c2 for c2 in cdfs if c2 is not None])
            if any(c2 is not None for c2 in cdfs)
            else np.zeros(0)
        )
        then = _targets_csr(thens)

        has_exit = np.zeros(S, bool)
        has_exit[hazards.state[(rate > 0).any(axis=0)] if H else []] = True
        for i in range(S):
            if cdfs[i] is not None:
                has_exit[i] = True
        if classify_node >= 0:
            has_exit[classify_node] = True
        terminal = ~has_exit

        set_on_enter = np.zeros(S, np.uint32)
        for flag in sc.people.flags:
            for s_id in flag.set_on_enter:
                set_on_enter[sidx[s_id]] |= np.uint32(1 << fidx[flag.id])

        # ---- entries
        combo_inflow: list[str] = []
        combo_sex: list[int] = []
        combo_origin: list[int] = []
        combo_state: list[int] = []
        combo_age: list[np.ndarray] = []
        rate_cols: list[np.ndarray] = []
        fixed_cols: list[np.ndarray] = []
        step_dates = [self.date_of(k) for k in range(n)]
        initial_counts: dict[int, int] = {}
        for inf in sc.inflows:
            origins = inf.origins.values if inf.origins else {origin_ids[0]: 1.0}
            first_col = len(rate_cols)
            scale = self._policy_factors({inf.id, *inf.tags})
            for si, sx in enumerate(SEXES):
                if inf.rate_by_sex is not None:
                    sex_rate = inf.rate_by_sex.get(sx)
                    if sex_rate is None:
                        continue
                    per_step = self._rate_series(sex_rate, step_dates) * scale
                else:
                    assert inf.rate is not None and inf.sex is not None
                    share = inf.sex.values.get(sx, 0.0)
                    if share == 0:
                        continue
                    per_step = self._rate_series(inf.rate, step_dates) * share * scale
                for o, osh in origins.items():
                    if osh == 0:
                        continue
                    enter = (
                        inf.enter
                        if isinstance(inf.enter, str)
                        else inf.enter.get(o, inf.enter.get("default", ""))
                    )
                    combo_inflow.append(inf.id)
                    combo_sex.append(si)
                    combo_origin.append(oidx[o])
                    combo_state.append(sidx[enter])
                    combo_age.append(
                        self._age_cdf(inf.age_bands or sc.people.age_bands, sx, age_ids)
                    )
                    rate_cols.append(per_step * osh)
                    fixed_cols.append(np.zeros(n, np.int64))
                    initial_counts[len(rate_cols) - 1] = 0
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
                    initial_counts[first_col + j] += int(a)
        for de in sc.delegations:
            size = int(de.size.value)
            n_f = round(size * de.female_share.value)
            k0 = self.step_of(de.depart)
            for si, cnt in ((0, n_f), (1, size - n_f)):
                col = np.zeros(n, np.int64)
                if 0 <= k0 < n:
                    col[k0] = cnt
                combo_inflow.append(de.id)
                combo_sex.append(si)
                combo_origin.append(oidx[de.place])
                combo_state.append(sidx[de.id])
                ages = np.zeros(A)
                ages[aidx.get(de.age_band, 0) if de.age_band else 0 :] = 1.0
                combo_age.append(
                    ages if de.age_band else self._age_cdf(sc.people.age_bands, SEXES[si], age_ids)
                )
                rate_cols.append(np.zeros(n))
                fixed_cols.append(col)
        K = len(combo_state)
        combo_rate = np.stack(rate_cols, axis=1) if K else np.zeros((n, 0))
        combo_fixed = np.stack(fixed_cols, axis=1) if K else np.zeros((n, 0), np.int64)

        # ---- classification
        det_prob = np.zeros((G, max(F, 1)))
        seg_ruleset = np.zeros(G, np.int32)
        ruleset_ids: tuple[str, ...] = ()
        r_rs: list[int] = []
        r_any: list[int] = []
        r_all: list[int] = []
        r_none: list[int] = []
        r_sex: list[int] = []
        r_def: list[bool] = []
        r_tg: list[list[tuple[int, float]]] = []
        r_lab: list[str] = []
        cl = sc.classification
        if cl is not None:
            assert cl.rulesets is not None
            for f, prob in cl.detection.values.items():
                det_prob[:, fidx[f]] = prob
            ruleset_ids = tuple(cl.rulesets)
            default_rs = ruleset_ids.index(cl.default_ruleset)
            for g in range(G):
                seg_ruleset[g] = default_rs
                for p2 in sc.policies:
                    if active(p2.from_, p2.to, g):
                        for e in p2.effects:
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
                    r_tg.append([(sidx[t], wt) for t, wt in _split_target(rule.sentence)])
                    r_lab.append(f"{rs_name}: {rule.name or ('default' if rule.default else j)}")

        # ---- waves
        w_ids: list[str] = []
        w_step: list[int] = []
        w_state: list[int] = []
        w_share: list[float] = []
        w_act: list[bool] = []
        w_tg: list[list[tuple[int, float]]] = []
        for q in sc.detention:
            for j, wv in enumerate(q.waves):
                k = self.step_of(wv.date)
                closed = any(
                    q.border is not None
                    and e.close_border == q.border
                    and self.step_of(p3.from_) <= k
                    and (p3.to is None or k < self.step_after(p3.to))
                    for p3 in sc.policies
                    for e in p3.effects
                )
                if closed:
                    log.warning(
                        "wave %s of queue %s falls while border %s is closed; skipped",
                        wv.id or j,
                        q.id,
                        q.border,
                    )
                w_ids.append(wv.id or f"{q.id}:{wv.date.isoformat()}")
                w_step.append(k)
                w_state.append(sidx[q.id])
                w_share.append(wv.share)
                w_act.append(not closed)
                w_tg.append([(sidx[t], wt) for t, wt in _split_target(wv.to or q.to)])

        # ---- reclassifications and milestones
        groups: list[tuple[int, ...]] = []
        rc_ms: list[int] = []
        for rc in sc.reclassifications:
            grp = tuple(sorted(sidx[s] for s in rc.select.entered))
            if grp not in groups:
                groups.append(grp)
            rc_ms.append(groups.index(grp))
        R = len(sc.reclassifications)
        rc_elig = np.zeros((R, S), bool)
        dead_like = np.array([k in ("dead",) for k in (r[2] for r in rows)])
        for i, rc in enumerate(sc.reclassifications):
            sel = rc.select
            if sel.currently_in is not None:
                rc_elig[i, [sidx[s] for s in sel.currently_in]] = True
            else:
                rc_elig[i, :] = True
            rc_elig[i, [sidx[s] for s in sel.not_in]] = False
            rc_elig[i, dead_like] = False
            # people already in (one of) the target states are not moved again
            rc_elig[i, [sidx[s] for s, _ in _split_target(rc.to)]] = False
            if classify_node >= 0:
                rc_elig[i, classify_node] = False
        ms_member = np.zeros((len(groups), S), bool)
        for gi, grp in enumerate(groups):
            ms_member[gi, list(grp)] = True

        # ---- families
        fam = sc.families
        if fam is not None:
            sizes = {int(k): v for k, v in fam.household_size.values.items()}
            kmax = max(sizes)
            pmf = np.array([sizes.get(k, 0.0) for k in range(1, kmax + 1)])
            household_cdf = np.cumsum(pmf / pmf.sum())
            household_cdf[-1] = 1.0
            cons: list[str] = []
            for o2 in fam.outcomes:
                for c3 in o2.consequences.values:
                    if c3 not in cons:
                        cons.append(c3)
            family_share = np.zeros((S, len(cons)))
            for o2 in fam.outcomes:
                for s_id in o2.on_enter:
                    for c3, v in o2.consequences.values.items():
                        family_share[sidx[s_id], cons.index(c3)] = v
        else:
            household_cdf = np.ones(1)
            cons = []
            family_share = np.zeros((S, 0))

        spans = tuple(
            (
                p4.id,
                p4.name or p4.id,
                max(0, self.step_of(p4.from_)),
                min(n, self.step_after(p4.to)) if p4.to else n,
            )
            for p4 in sc.policies
        )

        return CompiledModel(
            name=sc.name,
            sha256=self.sha,
            seed=sc.seed,
            start=sc.time.start,
            end=sc.time.end,
            step_days=self.dt,
            n_steps=n,
            step_year=step_year,
            years=years,
            place_ids=place_ids,
            place_names=tuple(p.name or p.id for p in sc.places),
            place_kinds=tuple(p.kind for p in sc.places),
            place_lat=np.array([p.lat if p.lat is not None else np.nan for p in sc.places]),
            place_lon=np.array([p.lon if p.lon is not None else np.nan for p in sc.places]),
            state_ids=state_ids,
            state_names=tuple(r[1] for r in rows),
            state_kinds=tuple(r[2] for r in rows),
            state_section=tuple(r[3] for r in rows),
            state_place=state_place,
            terminal=terminal,
            classify_node=classify_node,
            seg_start=seg_start,
            step_seg=step_seg,
            hazards=hazards,
            dur_ptr=dur_ptr,
            dur_cdf=dur_cdf,
            then=then,
            flag_ids=flag_ids,
            flag_names=tuple(f.name or f.id for f in sc.people.flags),
            set_on_enter=set_on_enter,
            sex_ids=SEXES,
            age_ids=age_ids,
            origin_ids=origin_ids,
            combo_inflow=tuple(combo_inflow),
            combo_sex=np.array(combo_sex, np.int8),
            combo_origin=np.array(combo_origin, np.int8),
            combo_state=np.array(combo_state, np.int32),
            combo_age_cdf=np.stack(combo_age) if K else np.zeros((0, A)),
            combo_rate=combo_rate,
            combo_fixed=combo_fixed,
            combo_initial=np.array([initial_counts.get(k, 0) for k in range(K)], np.int64),
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
            wave_ids=tuple(w_ids),
            wave_step=np.array(w_step, np.int32),
            wave_state=np.array(w_state, np.int32),
            wave_share=np.array(w_share),
            wave_active=np.array(w_act, bool),
            wave_targets=_targets_csr(w_tg),
            rc_ids=tuple(rc.id for rc in sc.reclassifications),
            rc_step=np.array([self.step_of(rc.date) for rc in sc.reclassifications], np.int32),
            rc_milestone=np.array(rc_ms, np.int32),
            rc_from=np.array(
                [self.step_of(rc.select.from_) for rc in sc.reclassifications], np.int32
            ),
            rc_to=np.array([self.step_of(rc.select.to) for rc in sc.reclassifications], np.int32),
            rc_eligible=rc_elig,
            rc_share=np.array([rc.share for rc in sc.reclassifications]),
            rc_targets=_targets_csr(
                [[(sidx[t], w) for t, w in _split_target(rc.to)] for rc in sc.reclassifications]
            ),
            milestone_states=np.array([g for grp in groups for g in grp], np.int32),
            state_milestone=np.full(S, -1, np.int32),
            household_cdf=household_cdf,
            consequence_ids=tuple(cons),
            family_share=family_share,
            policy_spans=spans,
            journey_sample=sc.journeys.sample,
            extras={"milestone_member": ms_member},
        )

    def _policy_factors(self, names: set[str]) -> np.ndarray:
        """Per-step product of the policy factors that scale any of ``names``."""
        out = np.ones(self.n_steps)
        for p in self.sc.policies:
            a = max(0, self.step_of(p.from_))
            b = self.n_steps if p.to is None else min(self.n_steps, self.step_after(p.to))
            if b <= a:
                continue
            for e in p.effects:
                if e.scale is not None and e.factor is not None and names & set(e.scale):
                    out[a:b] *= e.factor.value
        return out

    def _rate_series(self, rate: Rate, step_dates: list[dt.date]) -> np.ndarray:
        out = np.empty(len(step_dates))
        changes = sorted(set(rate_change_dates(rate)))
        if not changes:
            out[:] = rate_per_day_at(rate, step_dates[0]) * self.dt
            return out
        for k, d in enumerate(step_dates):
            out[k] = rate_per_day_at(rate, d) * self.dt
        if rate.by_year is not None:
            first = dt.date(min(rate.by_year), 1, 1)
            for k, d in enumerate(step_dates):
                if d < first:
                    out[k] = 0.0
        return out

    @staticmethod
    def _age_cdf(ab: object, sex: str, age_ids: tuple[str, ...]) -> np.ndarray:
        from crossings.scenario.schema import AgeBands  # noqa: PLC0415

        if not isinstance(ab, AgeBands):
            out = np.zeros(len(age_ids))
            out[-1] = 1.0
            return np.cumsum(np.eye(len(age_ids))[0]) if len(age_ids) else out
        shares = ab.shares if ab.shares is not None else (ab.by_sex or {}).get(sex, {})  # type: ignore[call-overload]
        pmf = np.array([shares.get(a, 0.0) for a in age_ids], float)
        cdf = np.cumsum(pmf / pmf.sum())
        cdf[-1] = 1.0
        return cdf

    def _components(self, sidx: dict[str, int], fidx: dict[str, int]) -> list[_Component]:
        sc = self.sc
        out: list[_Component] = []
        routes = {r.id for r in sc.routes}

        def add_hazard(
            src: str, h: Hazard, extra_names: set[str] | None = None, border: str | None = None
        ) -> None:
            sf = 0
            for f in h.set_flags:
                sf |= 1 << fidx[f]
            for tgt, share in _split_target(h.to):
                names = set(h.tags) | ({h.id} if h.id else set()) | (extra_names or set())
                out.append(
                    _Component(
                        state=sidx[src],
                        target=sidx[tgt],
                        rate=h.rate,
                        scale=share,
                        names=names,
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
                add_hazard(
                    q.id,
                    Hazard(id=q.id, to=q.to, rate=q.rate, tags=q.tags, border=q.border),
                    border=q.border,
                )
        for f in sc.people.flags:
            for a in f.acquire:
                for s_id in a.in_:
                    out.append(
                        _Component(
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
            trip = max(1, self.step_of(de.return_) - self.step_of(de.depart))
            p = de.defection_probability.value * (1 - de.surveillance.value)
            h_step = -math.log1p(-min(p, 1 - 1e-12)) / trip
            for tgt, share in _split_target(de.defect_to):
                out.append(
                    _Component(
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
                        fixed_per_step=h_step,
                        hid=f"defection:{de.id}",
                    )
                )
        return out


def _mask(flags: Sequence[str], fidx: dict[str, int]) -> int:
    m = 0
    for f in flags:
        m |= 1 << fidx[f]
    return m


def shares_of(t: Target) -> dict[str, float]:
    """A target as ``{state: share}``."""
    if isinstance(t, Shares):
        return dict(t.values)
    return {t: 1.0}


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
