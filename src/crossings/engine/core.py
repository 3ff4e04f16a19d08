"""The agent engine: struct-of-arrays agents, an event calendar, one step order.

Agents exist only once they enter the system. When an agent enters a state,
the step of its next event and which event it is are drawn at once from the
competing hazards of the time segments ahead (inverse of the cumulative
hazard) and from the state's duration; the agent is put in the calendar and
not touched again until that step (or until a wave or reclassification moves
it). Each step therefore costs work proportional to the events that fall due,
not to the number of agents.

The step order, written here once and nowhere else (see :meth:`Simulation.step`):

1. **calendar events** of the step: repatriation waves, then reclassifications
   (they move current members, whose pending events become stale);
2. **entries**: people entering through inflows and delegations are created
   with their attributes and enter their first state;
3. **due events**: agents whose next event falls on this step make it (a move,
   or acquiring a flag) and get their next event scheduled;
4. **record**: the stock of every state by sex at the end of the step.

Every random draw is keyed by (seed, agent id, event number, stream), so a
run split into id ranges across processes gives bit-identical results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from crossings.compile.model import NEVER, CompiledModel, Targets
from crossings.engine.rng import KeyedRNG, stream_id

log = logging.getLogger(__name__)

BLOCK = 32
"""Calendar block length in steps (agents due within a block are bucketed by step)."""

ST_TIME = stream_id("time")
ST_CHOICE = stream_id("choice")
ST_DURATION = stream_id("duration")
ST_THEN = stream_id("then")
ST_AGE = stream_id("age")
ST_HOUSEHOLD = stream_id("household")
ST_SAMPLE = stream_id("journey-sample")
ST_SENTENCE = stream_id("sentence")
ST_ENTRIES = stream_id("entries")

KIND_ENTRY = 0
KIND_HAZARD = 1
KIND_DURATION = 2
KIND_FLAG = 3
KIND_CLASSIFIED = 4
KIND_WAVE = 5
KIND_RECLASS = 6
EVENT_KINDS = ("entry", "hazard", "duration", "flag", "classified", "wave", "reclassified")

ProgressFn = Callable[[int, int], None]


def entry_plan(model: CompiledModel, seed: int) -> NDArray[np.int64]:
    """Number of people entering per step and entry combination.

    Poisson draws around the inflow rates (plus fixed delegation sizes), from
    a generator keyed by the seed alone, so every process computes the same
    plan and agent ids are global.

    Returns:
        Integer array of shape (n_steps, n_combos).
    """
    rng = KeyedRNG(seed).generator(ST_ENTRIES)
    lam = model.combo_rate
    counts = rng.poisson(lam) if lam.size else np.zeros(lam.shape, np.int64)
    return counts.astype(np.int64) + model.combo_fixed


@dataclass
class RawResults:
    """Integer tallies of one run (or one id range of a run); shards add up.

    Attributes:
        stocks: People in each state by sex at the end of each step (T, S, 2).
        flows: Moves per calendar year from state (S = outside) to state by sex
            (Y, S+1, S, 2).
        flag_flows: Flags acquired per year in each state by sex (Y, F, S, 2).
        wave_moved: People moved by each wave, by sex (W, 2).
        rc_moved: People moved by each reclassification, by sex (R, 2).
        family_members: Family members affected per year (Y, C, S).
        family_households: Households affected per year (Y, C, S).
        rule_counts: Classification decisions per year by rule and sex (Y, R, 2).
        cohort_outcomes: State at the end by entry year and sex (Y, S, 2).
        journeys: Event records of the sampled agents.
        agents: Attributes of the sampled agents.
        agents_created: Number of agents created.
        agent_steps: Sum over steps of agents in the system.
        events: Number of events processed.
    """

    stocks: NDArray[np.int64]
    flows: NDArray[np.int64]
    flag_flows: NDArray[np.int64]
    wave_moved: NDArray[np.int64]
    rc_moved: NDArray[np.int64]
    family_members: NDArray[np.int64]
    family_households: NDArray[np.int64]
    rule_counts: NDArray[np.int64]
    cohort_outcomes: NDArray[np.int64]
    journeys: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    agents: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    agents_created: int = 0
    agent_steps: int = 0
    events: int = 0

    COUNTS = ("stocks", "flows", "flag_flows", "wave_moved", "rc_moved", "family_members",
              "family_households", "rule_counts", "cohort_outcomes")

    @classmethod
    def merge(cls, parts: list[RawResults]) -> RawResults:
        """Add the tallies of id-range shards of one run (exact integer sums)."""
        first = parts[0]
        kw: dict[str, object] = {}
        for name in cls.COUNTS:
            total = getattr(first, name).copy()
            for p in parts[1:]:
                total += getattr(p, name)
            kw[name] = total
        for name in ("journeys", "agents"):
            keys = getattr(first, name).keys()
            merged = {k: np.concatenate([getattr(p, name)[k] for p in parts]) for k in keys}
            key = "agent"
            if merged and key in merged:
                order = np.lexsort(tuple(merged[k] for k in reversed(_sort_keys(name))))
                merged = {k: v[order] for k, v in merged.items()}
                if "seq" in merged:
                    merged["seq"] = np.arange(order.size, dtype=np.int64)
            kw[name] = merged
        kw["agents_created"] = sum(p.agents_created for p in parts)
        kw["agent_steps"] = sum(p.agent_steps for p in parts)
        kw["events"] = sum(p.events for p in parts)
        return cls(**kw)  # type: ignore[arg-type]


def _sort_keys(name: str) -> tuple[str, ...]:
    return ("agent", "seq") if name == "journeys" else ("agent",)


def _target_keys(t: Targets) -> NDArray[np.float64]:
    """Monotone search keys ``dist + cum`` for vectorised draws over many distributions."""
    dist = np.repeat(np.arange(t.n(), dtype=np.float64), np.diff(t.ptr))
    return dist + t.cum


def draw_targets(t: Targets, keys: NDArray[np.float64], which: NDArray[np.integer],
                 u: NDArray[np.float64]) -> NDArray[np.int32]:
    """Draw one target per agent from distribution ``which[i]`` with uniform ``u[i]``."""
    pos = np.searchsorted(keys, which.astype(np.float64) + u, side="right")
    pos = np.minimum(pos, t.ptr[which.astype(np.int64) + 1] - 1)
    return t.state[pos]


class Simulation:
    """One stochastic run of a compiled model (optionally one id range of it).

    Args:
        model: The compiled scenario.
        seed: Run seed (default: the scenario's seed).
        id_range: ``(lo, hi)`` global agent ids to simulate; ``None`` for all.
            Splitting a run into ranges and merging their results with
            :meth:`RawResults.merge` gives exactly the whole run.
        plan: Precomputed :func:`entry_plan` (computed if omitted).

    Example:
        >>> from crossings import load_scenario, compile_scenario
        >>> sim = Simulation(compile_scenario(load_scenario("example")), seed=3)
        >>> raw = sim.run()
    """

    def __init__(self, model: CompiledModel, seed: int | None = None,
                 id_range: tuple[int, int] | None = None,
                 plan: NDArray[np.int64] | None = None) -> None:
        self.m = model
        self.seed = int(model.seed if seed is None else seed)
        self.rng = KeyedRNG(self.seed)
        self.plan = entry_plan(model, self.seed) if plan is None else plan
        flat = self.plan.reshape(-1)
        self._cum = np.concatenate([[0], np.cumsum(flat)])  # ids by (step, combo)
        total = int(self._cum[-1])
        lo, hi = id_range if id_range is not None else (0, total)
        self.lo, self.hi = max(0, lo), min(total, hi)
        self.total_ids = total
        n = max(0, self.hi - self.lo)
        m = model
        S, T = m.n_states, m.n_steps
        Y = len(m.years)
        self.S = S
        # --- agents: struct of arrays (≈ 31 bytes per agent + 4 per milestone)
        self.state = np.zeros(n, np.int16)
        self.due = np.full(n, NEVER, np.int32)
        self.deadline = np.full(n, NEVER, np.int32)
        self.entered = np.zeros(n, np.int32)
        self.evno = np.zeros(n, np.uint32)
        self.pend = np.full(n, -2, np.int32)
        self.sex = np.zeros(n, np.int8)
        self.age = np.zeros(n, np.int8)
        self.origin = np.zeros(n, np.int8)
        self.household = np.zeros(n, np.int8)
        self.flags = np.zeros(n, np.uint32)
        self.sampled = np.zeros(n, np.bool_)
        ms_member = m.extras.get("milestone_member")
        self.ms_member = (np.asarray(ms_member, bool) if ms_member is not None
                          else np.zeros((0, S), bool))
        self.milestones = np.full((self.ms_member.shape[0], n), -1, np.int32)
        self.n_created = 0
        # --- tallies
        self.counts = np.zeros(S * 2, np.int64)
        self.stocks = np.zeros((T, S, 2), np.int64)
        self.flows = np.zeros((Y, (S + 1) * S * 2), np.int64)
        self.flag_flows = np.zeros((Y, max(m.n_flags, 1) * S * 2), np.int64)
        self.wave_moved = np.zeros((len(m.wave_ids), 2), np.int64)
        self.rc_moved = np.zeros((len(m.rc_ids), 2), np.int64)
        C = len(m.consequence_ids)
        self.fam_members = np.zeros((Y, C, S), np.int64)
        self.fam_households = np.zeros((Y, C, S), np.int64)
        self.rule_counts = np.zeros((Y, max(len(m.rule_labels), 1), 2), np.int64)
        self.events = 0
        self.agent_steps = 0
        # --- journeys
        self._j: list[tuple[NDArray[np.int64], ...]] = []
        self._jseq = 0
        expected = max(total, 1)
        self.sample_p = min(1.0, m.journey_sample / expected) if m.journey_sample else 0.0
        # --- precomputed lookups
        self.year_index = (m.step_year - m.years[0]).astype(np.int64)
        self.then_keys = _target_keys(m.then)
        self.rule_keys = _target_keys(m.rule_targets)
        self.wave_keys = _target_keys(m.wave_targets)
        self.rc_keys = _target_keys(m.rc_targets)
        self._prepare_tables()
        self._fam_states = np.flatnonzero(m.family_share.sum(axis=1) > 0) if C else np.zeros(0)
        self._has_family = np.zeros(S, bool)
        self._has_family[self._fam_states.astype(np.int64)] = True
        self._ms_any = self.ms_member.any(axis=0) if self.ms_member.size else np.zeros(S, bool)
        # calendar
        self._block0 = -BLOCK
        self._buckets: list[list[NDArray[np.int64]]] = [[] for _ in range(BLOCK)]
        self._dirty = False
        self._t = 0

    def _prepare_tables(self) -> None:
        """Padded per-state component table and padded hazard arrays.

        Component ``H`` (one past the last) is a dummy with rate 0 and
        multipliers 1, used to pad states with fewer components than the widest.
        """
        m = self.m
        hz = m.hazards
        S = self.S
        H = hz.target.size
        n_comp = np.diff(hz.ptr).astype(np.int64)
        width = max(1, int(n_comp.max(initial=0)))
        table = np.full((S, width), H, np.int64)
        for s in range(S):
            a, b = int(hz.ptr[s]), int(hz.ptr[s + 1])
            table[s, : b - a] = np.arange(a, b)
        self._n_comp = n_comp
        self._comp_table = table
        G = hz.rate.shape[0]
        self._rate_p = np.concatenate([hz.rate, np.zeros((G, 1))], axis=1)
        self._msex_p = np.concatenate([hz.mult_sex, np.ones((1, 2))])
        self._mage_p = np.concatenate([hz.mult_age, np.ones((1, hz.mult_age.shape[1]))])
        self._morigin_p = np.concatenate([hz.mult_origin,
                                          np.ones((1, hz.mult_origin.shape[1]))])
        self._mflag_p = np.concatenate([hz.mult_flag, np.ones((1, hz.mult_flag.shape[1]))])
        self._age_used = bool(np.any(hz.mult_age != 1))
        self._origin_used = bool(np.any(hz.mult_origin != 1))
        union = int(np.bitwise_or.reduce(hz.flag_mask)) if H else 0
        self._flags_used = [f for f in range(32) if union >> f & 1]
        comp_mod = (np.any(hz.mult_sex != 1, axis=1) | np.any(hz.mult_age != 1, axis=1)
                    | np.any(hz.mult_origin != 1, axis=1) | (hz.flag_mask != 0))
        self._has_mod = np.zeros(S, bool)
        for s in range(S):
            a, b = int(hz.ptr[s]), int(hz.ptr[s + 1])
            self._has_mod[s] = bool(comp_mod[a:b].any())
        # first segment from which each component's rate stays constant
        const_from = np.zeros(H + 1, np.int64)
        for h in range(H):
            col = hz.rate[:, h]
            changes = np.flatnonzero(col[1:] != col[:-1])
            const_from[h] = int(changes[-1]) + 1 if changes.size else 0
        self._const_from = const_from
        dur_len = np.diff(m.dur_ptr).astype(np.int64)
        self._dur_len = dur_len
        self._dur_keys = np.repeat(np.arange(S, dtype=np.float64), dur_len) + m.dur_cdf

    # ------------------------------------------------------------------ run
    def run(self, progress: ProgressFn | None = None) -> RawResults:
        """Run every step and return the tallies.

        Args:
            progress: Called as ``progress(steps_done, n_steps)`` now and then.
        """
        T = self.m.n_steps
        every = max(1, T // 200)
        for t in range(T):
            self.step(t)
            if progress is not None and (t % every == 0 or t == T - 1):
                progress(t + 1, T)
        return self.results()

    def step(self, t: int) -> None:
        """Advance one step, in the documented order."""
        if t % BLOCK == 0 or t >= self._block0 + BLOCK:
            self._new_block(t)
        self._t = t
        # 1. calendar events
        m = self.m
        for w in np.flatnonzero(m.wave_step == t):
            if m.wave_active[w]:
                self._wave(int(w), t)
        for r in np.flatnonzero(m.rc_step == t):
            self._reclassify(int(r), t)
        # 2. entries
        self._entries(t)
        # 3. due events
        parts = self._buckets[t - self._block0]
        if parts:
            ids = parts[0] if len(parts) == 1 else np.concatenate(parts)
            self._buckets[t - self._block0] = []
            ids = ids[self.due[ids] == t]
            if self._dirty and ids.size:
                ids = np.unique(ids)
            if ids.size:
                self._fire(ids, t)
        # 4. record
        self.stocks[t] = self.counts.reshape(self.S, 2)
        self.agent_steps += self.n_created

    # ------------------------------------------------------------ calendar
    def _new_block(self, t: int) -> None:
        b0 = t - (t % BLOCK)
        self._block0 = b0
        self._dirty = False
        self._buckets = [[] for _ in range(BLOCK)]
        if self.n_created == 0:
            return
        due = self.due[: self.n_created]
        cand = np.flatnonzero((due >= b0) & (due < b0 + BLOCK))
        if cand.size:
            self._insert(cand, due[cand] - b0)

    def _insert(self, ids: NDArray[np.int64], rel: NDArray[np.int32]) -> None:
        rel8 = rel.astype(np.int8)
        order = np.argsort(rel8, kind="stable")
        counts = np.bincount(rel8, minlength=BLOCK)
        ids = ids[order]
        pos = 0
        for r in np.flatnonzero(counts):
            c = int(counts[r])
            self._buckets[int(r)].append(ids[pos:pos + c])
            pos += c

    def _calendar_add(self, ids: NDArray[np.int64], due: NDArray[np.int32], t: int) -> None:
        near = due < self._block0 + BLOCK
        if near.all():
            self._insert(ids, due - self._block0)
        elif near.any():
            self._insert(ids[near], due[near] - self._block0)

    # ------------------------------------------------------------ entries
    def _entries(self, t: int) -> None:
        m = self.m
        K = self.plan.shape[1]
        g0, g1 = int(self._cum[t * K]), int(self._cum[(t + 1) * K])
        a, b = max(g0, self.lo), min(g1, self.hi)
        if b <= a:
            return
        combo = np.repeat(np.arange(K), self.plan[t])[a - g0:b - g0]
        gid = np.arange(a, b, dtype=np.int64)
        idx = gid - self.lo
        self.n_created = int(idx[-1]) + 1
        sex = m.combo_sex[combo]
        self.sex[idx] = sex
        self.origin[idx] = m.combo_origin[combo]
        u = self.rng.uniform(gid, 0, ST_AGE)
        cdf = m.combo_age_cdf[combo]
        self.age[idx] = (u[:, None] >= cdf).sum(axis=1).clip(0, cdf.shape[1] - 1)
        u = self.rng.uniform(gid, 0, ST_HOUSEHOLD)
        self.household[idx] = np.searchsorted(m.household_cdf, u, side="right") + 1
        if self.sample_p > 0:
            self.sampled[idx] = self.rng.uniform(gid, 0, ST_SAMPLE) < self.sample_p
        old = np.full(idx.size, self.S, np.int64)
        self._enter(idx, m.combo_state[combo].astype(np.int64), old, t, KIND_ENTRY)

    # ------------------------------------------------------------ events
    def _fire(self, idx: NDArray[np.int64], t: int) -> None:
        m = self.m
        hz = m.hazards
        self.events += idx.size
        comp = self.pend[idx]
        old = self.state[idx].astype(np.int64)
        is_dur = comp < 0
        new = np.empty(idx.size, np.int64)
        kind = np.full(idx.size, KIND_HAZARD, np.int64)
        if is_dur.any():
            d_idx = idx[is_dur]
            u = self.rng.uniform(d_idx + self.lo, self.evno[d_idx], ST_THEN)
            new[is_dur] = draw_targets(m.then, self.then_keys, old[is_dur], u)
            kind[is_dur] = KIND_DURATION
        if not is_dur.all():
            hc = comp[~is_dur]
            new[~is_dur] = hz.target[hc]
            sf = hz.set_flags[hc]
            if sf.any():
                self.flags[idx[~is_dur]] |= sf
        is_flag = new < 0
        if is_flag.any():
            f_idx = idx[is_flag]
            fl = (-new[is_flag] - 1).astype(np.int64)
            self.flags[f_idx] |= (np.uint32(1) << fl.astype(np.uint32))
            self.evno[f_idx] += 1
            y = self.year_index[t]
            code = (fl * self.S + old[is_flag]) * 2 + self.sex[f_idx]
            self.flag_flows[y] += np.bincount(code, minlength=self.flag_flows.shape[1])
            if self.sample_p > 0:
                self._journal(f_idx, t, old[is_flag], old[is_flag], KIND_FLAG, fl)
            self._schedule(f_idx, t, fresh=False)
            keep = ~is_flag
            idx, new, old, kind = idx[keep], new[keep], old[keep], kind[keep]
        if idx.size:
            self._enter(idx, new, old, t, kind)

    def _enter(self, idx: NDArray[np.int64], new: NDArray[np.int64], old: NDArray[np.int64],
               t: int, kind: int | NDArray[np.int64]) -> None:
        """Move agents ``idx`` from ``old`` (S = outside) into ``new`` at step ``t``."""
        m = self.m
        S = self.S
        y = self.year_index[t]
        sex = self.sex[idx].astype(np.int64)
        nf = self.flows.shape[1]
        self.flows[y] += np.bincount((old * S + new) * 2 + sex, minlength=nf)
        if self.sample_p > 0:
            self._journal(idx, t, old, new, kind, None)
        cls = new == m.classify_node
        if m.classify_node >= 0 and cls.any():
            c_idx = idx[cls]
            sentence = self._classify(c_idx, t)
            self.flows[y] += np.bincount((m.classify_node * S + sentence) * 2 + sex[cls],
                                         minlength=nf)
            if self.sample_p > 0:
                self._journal(c_idx, t, np.full(c_idx.size, m.classify_node), sentence,
                              KIND_CLASSIFIED, None)
            new = new.copy()
            new[cls] = sentence
        inside = old < S
        if inside.all():
            self.counts -= np.bincount(old * 2 + sex, minlength=2 * S)
        elif inside.any():
            self.counts -= np.bincount(old[inside] * 2 + sex[inside], minlength=2 * S)
        self.counts += np.bincount(new * 2 + sex, minlength=2 * S)
        self.state[idx] = new
        self.entered[idx] = t
        self.evno[idx] += 1
        soe = m.set_on_enter[new]
        if soe.any():
            self.flags[idx] |= soe
        if self.ms_member.shape[0] and self._ms_any[new].any():
            for j in range(self.ms_member.shape[0]):
                hit = self.ms_member[j, new]
                if hit.any():
                    self.milestones[j, idx[hit]] = t
        if self._has_family[new].any():
            self._families(idx, new, y)
        self._schedule(idx, t, fresh=True)

    # ------------------------------------------------------------ scheduling
    def _schedule(self, idx: NDArray[np.int64], t: int, *, fresh: bool) -> None:
        """Draw the next event of agents ``idx`` who (re)start their state at ``t``.

        All agents of the batch are handled together whatever their state: each
        state's competing hazards are a padded row of the component table, so
        there is no loop over states (only over the time segments ahead).
        """
        n = idx.size
        if n == 0:
            return
        m = self.m
        T = m.n_steps
        st = self.state[idx].astype(np.int64)
        gid = idx + self.lo
        ev = self.evno[idx]
        # --- duration deadline (drawn on entering a state; kept on re-draws)
        if fresh:
            dlen = self._dur_len[st]
            dl = np.full(n, NEVER, np.int64)
            has = dlen > 0
            if has.any():
                one = dlen == 1
                dl[one] = t + 1
                var = has & ~one
                if var.any():
                    sv = st[var]
                    u = self.rng.uniform(gid[var], ev[var], ST_DURATION)
                    pos = np.searchsorted(self._dur_keys, sv + u, side="right")
                    pos = np.minimum(pos, m.dur_ptr[sv + 1] - 1)
                    dl[var] = t + 1 + (pos - m.dur_ptr[sv])
            dl = np.minimum(dl, NEVER)
            self.deadline[idx] = dl.astype(np.int32)
        else:
            dl = self.deadline[idx].astype(np.int64)
        due = np.full(n, NEVER, np.int64)
        pend = np.full(n, -2, np.int32)
        # --- competing hazards
        nh = self._n_comp[st]
        with_h = nh > 0
        if t + 1 < T and with_h.any():
            sub = np.flatnonzero(with_h) if not with_h.all() else None
            s_sub = st if sub is None else st[sub]
            comp = self._comp_table[s_sub]  # (k, Hmax), padding → dummy zero-rate column
            width = int(nh.max())
            comp = comp[:, :width]
            mult = self._multipliers(idx if sub is None else idx[sub], comp, s_sub)
            g_sub = gid if sub is None else gid[sub]
            e_sub = ev if sub is None else ev[sub]
            E = self.rng.exponential(g_sub, e_sub, ST_TIME)
            hit, seg_hit = self._invert(E, comp, mult, t + 1)
            ok = hit < T
            k_ok = np.flatnonzero(ok)
            pick = np.zeros(k_ok.size, np.int64)
            if width > 1 and k_ok.size:
                r = self._rate_p[seg_hit[k_ok][:, None], comp[k_ok]]
                if mult is not None:
                    r = r * mult[k_ok]
                cum = np.cumsum(r, axis=1)
                u = self.rng.uniform(g_sub[k_ok], e_sub[k_ok], ST_CHOICE) * cum[:, -1]
                pick = (u[:, None] >= cum).sum(axis=1)
                np.minimum(pick, self._n_comp[s_sub[k_ok]] - 1, out=pick)
            chosen = comp[k_ok, pick]
            tgt = k_ok if sub is None else sub[k_ok]
            due[tgt] = hit[k_ok]
            pend[tgt] = chosen
        # --- a duration ending before the hazard wins; a hazard wins a tie
        by_dur = dl < due
        due[by_dur] = dl[by_dur]
        pend[by_dur] = -1
        due[due >= T] = NEVER
        due32 = due.astype(np.int32)
        self.due[idx] = due32
        self.pend[idx] = pend
        live = due32 != NEVER
        if live.all():
            self._calendar_add(idx, due32, t)
        elif live.any():
            self._calendar_add(idx[live], due32[live], t)

    def _multipliers(self, idx: NDArray[np.int64], comp: NDArray[np.int64],
                     st: NDArray[np.int64]) -> NDArray[np.float64] | None:
        """Per-agent multipliers of each component (``None`` when all are 1)."""
        if not self._has_mod[st].any():
            return None
        mult = self._msex_p[comp, self.sex[idx].astype(np.int64)[:, None]]
        if self._age_used:
            mult = mult * self._mage_p[comp, self.age[idx].astype(np.int64)[:, None]]
        if self._origin_used:
            mult = mult * self._morigin_p[comp, self.origin[idx].astype(np.int64)[:, None]]
        if self._flags_used:
            fl = self.flags[idx]
            for f in self._flags_used:
                has = ((fl >> np.uint32(f)) & np.uint32(1)).astype(bool)
                if has.any():
                    mult = np.where(has[:, None], mult * self._mflag_p[comp, f], mult)
        return np.asarray(mult, np.float64)

    def _invert(self, E: NDArray[np.float64], comp: NDArray[np.int64],
                mult: NDArray[np.float64] | None,
                first: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """First step ``u ≥ first`` where the cumulative hazard reaches ``E``.

        Hazards are constant within segments, so this walks the segments ahead
        (a loop over segments, vectorised over agents); most batches face
        constant hazards and take one pass.
        """
        m = self.m
        T = m.n_steps
        G = self._rate_p.shape[0]
        n = E.size
        hit = np.full(n, NEVER, np.int64)
        seg_hit = np.zeros(n, np.int64)
        g = int(m.step_seg[first])
        # constant from here on for every component of the batch?
        if int(self._const_from[comp].max()) <= g:
            r = self._rate_p[g][comp]
            h = (r * mult).sum(axis=1) if mult is not None else r.sum(axis=1)
            pos = h > 0
            with np.errstate(divide="ignore"):
                k = np.ceil(E / h)
            k = np.where(pos, np.maximum(k, 1), T + 1)
            steps = first - 1 + np.minimum(k, T + 1).astype(np.int64)
            hit[pos] = steps[pos]
            seg_hit[:] = np.minimum(m.step_seg[np.minimum(steps, T - 1)], G - 1)
            seg_hit[pos & (steps >= first)] = np.maximum(seg_hit[pos & (steps >= first)], g)
            return hit, seg_hit
        pending = np.arange(n)
        rem = E.copy()
        pos_step = first
        while pending.size and g < G:
            end = int(m.seg_start[g + 1]) if g + 1 < G else T
            length = end - pos_step
            if length > 0:
                r = self._rate_p[g][comp[pending]]
                h = (r * mult[pending]).sum(axis=1) if mult is not None else r.sum(axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    k = np.ceil(rem[pending] / h)
                k = np.where(h > 0, np.maximum(k, 1), np.inf)
                done = k <= length
                if done.any():
                    p = pending[done]
                    hit[p] = pos_step - 1 + k[done].astype(np.int64)
                    seg_hit[p] = g
                rem[pending] -= h * length
                pending = pending[~done]
            g += 1
            pos_step = end
        return hit, seg_hit

    # ------------------------------------------------------------ classification
    def _classify(self, idx: NDArray[np.int64], t: int) -> NDArray[np.int64]:
        """Detect flags, apply the active rule set, draw a sentence."""
        m = self.m
        seg = int(m.step_seg[t])
        gid = idx + self.lo
        ev = self.evno[idx]
        fl = self.flags[idx]
        det = np.zeros(idx.size, np.uint32)
        for f in range(m.n_flags):
            p = m.det_prob[seg, f]
            if p <= 0:
                continue
            has = ((fl >> np.uint32(f)) & np.uint32(1)).astype(bool)
            if not has.any():
                continue
            u = self.rng.uniform(gid, ev, stream_id(f"detect:{f}"))
            found = has & (u < p)
            det[found] |= np.uint32(1 << f)
        rs = int(m.seg_ruleset[seg])
        rules = np.flatnonzero(m.rule_ruleset == rs)
        rule_of = np.full(idx.size, -1, np.int64)
        sex = self.sex[idx]
        for r in rules:
            open_ = rule_of < 0
            if not open_.any():
                break
            if m.rule_default[r]:
                ok = open_
            else:
                any_m, all_m, none_m = m.rule_any[r], m.rule_all[r], m.rule_none[r]
                ok = open_.copy()
                if any_m:
                    ok &= (det & any_m) != 0
                if all_m:
                    ok &= (det & all_m) == all_m
                if none_m:
                    ok &= (det & none_m) == 0
                if m.rule_sex[r] >= 0:
                    ok &= sex == m.rule_sex[r]
            rule_of[ok] = r
        if (rule_of < 0).any():  # pragma: no cover - validation requires a default rule
            raise RuntimeError("classification reached no rule; the rule set lacks a default")
        y = self.year_index[t]
        self.rule_counts[y] += np.bincount(
            rule_of * 2 + sex, minlength=self.rule_counts.shape[1] * 2).reshape(-1, 2)
        u = self.rng.uniform(gid, ev, ST_SENTENCE)
        return draw_targets(m.rule_targets, self.rule_keys, rule_of, u).astype(np.int64)

    # ------------------------------------------------------------ calendar events
    def _wave(self, w: int, t: int) -> None:
        m = self.m
        n = self.n_created
        members = np.flatnonzero(self.state[:n] == m.wave_state[w])
        if members.size == 0:
            return
        share = m.wave_share[w]
        if share < 1:
            u = self.rng.uniform(members + self.lo, self.evno[members],
                                 stream_id(f"wave:{m.wave_ids[w]}"))
            members = members[u < share]
        if members.size == 0:
            return
        u = self.rng.uniform(members + self.lo, self.evno[members], ST_THEN)
        new = draw_targets(m.wave_targets, self.wave_keys, np.full(members.size, w), u)
        self.wave_moved[w] += np.bincount(self.sex[members], minlength=2)
        self._dirty = True
        old = self.state[members].astype(np.int64)
        self._enter(members, new.astype(np.int64), old, t, KIND_WAVE)

    def _reclassify(self, r: int, t: int) -> None:
        m = self.m
        n = self.n_created
        col = self.milestones[int(m.rc_milestone[r]), :n]
        sel = np.flatnonzero((col >= m.rc_from[r]) & (col <= m.rc_to[r]))
        if sel.size == 0:
            return
        sel = sel[m.rc_eligible[r, self.state[sel]]]
        share = m.rc_share[r]
        if share < 1 and sel.size:
            u = self.rng.uniform(sel + self.lo, self.evno[sel], stream_id(f"rc:{m.rc_ids[r]}"))
            sel = sel[u < share]
        if sel.size == 0:
            return
        u = self.rng.uniform(sel + self.lo, self.evno[sel], ST_THEN)
        new = draw_targets(m.rc_targets, self.rc_keys, np.full(sel.size, r), u)
        self.rc_moved[r] += np.bincount(self.sex[sel], minlength=2)
        self._dirty = True
        old = self.state[sel].astype(np.int64)
        self._enter(sel, new.astype(np.int64), old, t, KIND_RECLASS)

    # ------------------------------------------------------------ families
    def _families(self, idx: NDArray[np.int64], new: NDArray[np.int64], y: int) -> None:
        m = self.m
        hit = self._has_family[new]
        f_idx = idx[hit]
        f_new = new[hit]
        others = self.household[f_idx].astype(np.int64) - 1
        gid = f_idx + self.lo
        ev = self.evno[f_idx]
        S = self.S
        for c in range(len(m.consequence_ids)):
            p = m.family_share[f_new, c]
            if not (p > 0).any():
                continue
            affected = np.zeros(f_idx.size, np.int64)
            for j in range(int(others.max(initial=0))):
                u = self.rng.uniform(gid, ev, stream_id(f"family:{c}:{j}"))
                affected += (j < others) & (u < p)
            self.fam_members[y, c] += np.bincount(f_new, weights=affected, minlength=S
                                                  ).astype(np.int64)
            self.fam_households[y, c] += np.bincount(f_new[affected > 0], minlength=S)

    # ------------------------------------------------------------ journeys
    def _journal(self, idx: NDArray[np.int64], t: int, old: NDArray[np.int64],
                 new: NDArray[np.int64], kind: int | NDArray[np.int64],
                 detail: NDArray[np.int64] | None) -> None:
        samp = self.sampled[idx]
        if not samp.any():
            return
        k = int(samp.sum())
        kinds = (np.full(k, kind, np.int64) if isinstance(kind, int)
                 else np.asarray(kind, np.int64)[samp])
        seq = np.arange(self._jseq, self._jseq + k, dtype=np.int64)
        self._jseq += k
        self._j.append((
            idx[samp] + self.lo, np.full(k, t, np.int64), old[samp].astype(np.int64),
            new[samp].astype(np.int64), kinds,
            detail[samp].astype(np.int64) if detail is not None else np.full(k, -1, np.int64),
            self.evno[idx[samp]].astype(np.int64), seq))

    # ------------------------------------------------------------ results
    def results(self) -> RawResults:
        """The tallies so far as a :class:`RawResults`."""
        m = self.m
        S, Y = self.S, len(m.years)
        n = self.n_created
        K = self.plan.shape[1]
        gid = np.arange(self.lo, self.lo + n, dtype=np.int64)
        step_of = (np.searchsorted(self._cum, gid, side="right") - 1) // max(K, 1)
        cohort_year = self.year_index[np.clip(step_of, 0, m.n_steps - 1)]
        code = (cohort_year * S + self.state[:n].astype(np.int64)) * 2 + self.sex[:n]
        cohort = np.bincount(code, minlength=Y * S * 2).reshape(Y, S, 2)
        if self._j:
            cols = list(zip(*self._j, strict=True))
            names = ("agent", "step", "from_state", "to_state", "kind", "detail", "event", "seq")
            journeys = {nm: np.concatenate(c) for nm, c in zip(names, cols, strict=True)}
            order = np.lexsort((journeys["seq"], journeys["agent"]))
            journeys = {k: v[order] for k, v in journeys.items()}
            journeys["seq"] = np.arange(order.size, dtype=np.int64)
        else:
            journeys = {nm: np.zeros(0, np.int64) for nm in (
                "agent", "step", "from_state", "to_state", "kind", "detail", "event", "seq")}
        samp = np.flatnonzero(self.sampled[:n])
        agents = {
            "agent": samp + self.lo,
            "entry_step": step_of[samp].astype(np.int64),
            "sex": self.sex[samp].astype(np.int64),
            "age_band": self.age[samp].astype(np.int64),
            "origin": self.origin[samp].astype(np.int64),
            "household": self.household[samp].astype(np.int64),
            "flags": self.flags[samp].astype(np.int64),
            "final_state": self.state[samp].astype(np.int64),
        }
        return RawResults(
            stocks=self.stocks, flows=self.flows.reshape(Y, S + 1, S, 2),
            flag_flows=self.flag_flows.reshape(Y, max(m.n_flags, 1), S, 2),
            wave_moved=self.wave_moved, rc_moved=self.rc_moved,
            family_members=self.fam_members, family_households=self.fam_households,
            rule_counts=self.rule_counts, cohort_outcomes=cohort, journeys=journeys,
            agents=agents, agents_created=n, agent_steps=self.agent_steps, events=self.events)

    def memory_bytes(self) -> int:
        """Bytes held by the per-agent arrays."""
        arrays = (self.state, self.due, self.deadline, self.entered, self.evno, self.pend,
                  self.sex, self.age, self.origin, self.household, self.flags, self.sampled,
                  self.milestones)
        return int(sum(a.nbytes for a in arrays))
