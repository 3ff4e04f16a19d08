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

import numpy as np
from numpy.typing import NDArray

from crossings.compile.model import NEVER, CompiledModel, Targets
from crossings.engine import kernels
from crossings.engine.rng import KeyedRNG, stream_id
from crossings.tallies import EVENT_KINDS, JOURNEY_COLUMNS, JourneySample, Tallies

log = logging.getLogger(__name__)

BLOCK = 64
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

# journey record kinds: the codes of crossings.tallies.EVENT_KINDS (the kernels write
# 1, a hazard, and 2, the end of a duration, themselves)
KIND_ENTRY = EVENT_KINDS.index("entry")
KIND_FLAG = EVENT_KINDS.index("flag")
KIND_CLASSIFIED = EVENT_KINDS.index("classified")
KIND_WAVE = EVENT_KINDS.index("wave")
KIND_RECLASS = EVENT_KINDS.index("reclassified")

ProgressFn = Callable[[int, int], None]

TRACK_TIME_KINDS = frozenset(
    {
        "arrived",
        "detained",
        "interrogation",
        "sentence",
        "released",
        "dead",
        "exited",
        "transit",
        "home",
    }
)
"""State kinds on whose entry the time since entering the system is tallied."""


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
    counts = counts.astype(np.int64) + model.combo_fixed
    if counts.shape[0] and model.combo_initial.size:
        # the people present at the start come first in each combination of step 0
        counts[0] = np.maximum(counts[0], model.combo_initial)
    return counts


def _target_keys(t: Targets) -> NDArray[np.float64]:
    """Monotone search keys ``dist + cum`` for vectorised draws over many distributions."""
    dist = np.repeat(np.arange(t.n(), dtype=np.float64), np.diff(t.ptr))
    return dist + t.cum


def draw_targets(
    t: Targets, keys: NDArray[np.float64], which: NDArray[np.integer], u: NDArray[np.float64]
) -> NDArray[np.int32]:
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
            :meth:`Tallies.merge` gives exactly the whole run.
        plan: Precomputed :func:`entry_plan` (computed if omitted).

    Example:
        >>> from crossings import load_scenario, compile_scenario
        >>> sim = Simulation(compile_scenario(load_scenario("example")), seed=3)
        >>> raw = sim.run()
    """

    def __init__(
        self,
        model: CompiledModel,
        seed: int | None = None,
        id_range: tuple[int, int] | None = None,
        plan: NDArray[np.int64] | None = None,
    ) -> None:
        self.m = model
        self.seed = int(model.seed if seed is None else seed)
        self.rng = KeyedRNG(self.seed)
        self.plan = entry_plan(model, self.seed) if plan is None else plan
        flat = self.plan.reshape(-1)
        self._cum = np.concatenate([[0], np.cumsum(flat)])  # ids by (step, combo)
        total = int(self._cum[-1])
        lo, hi = id_range if id_range is not None else (0, total)
        self.lo, self.hi = max(0, lo), min(total, hi)
        n = max(0, self.hi - self.lo)
        m = model
        S, T = m.n_states, m.n_steps
        Y = len(m.years)
        self.S = S
        # --- agents: struct of arrays (29 bytes per agent + 4 per cohort milestone)
        self.state = np.zeros(n, np.int16)
        self.due = np.full(n, NEVER, np.int32)
        self.deadline = np.full(n, NEVER, np.int32)
        self.evno = np.zeros(n, np.uint32)
        self.pend = np.full(n, -2, np.int32)
        self.sex = np.zeros(n, np.int8)
        self.age = np.zeros(n, np.int8)
        self.origin = np.zeros(n, np.int8)
        self.household = np.zeros(n, np.int8)
        self.flags = np.zeros(n, np.uint32)
        self.cohort = np.zeros(n, np.int16)  # calendar-year index of entry
        self.sampled = np.zeros(n, np.bool_)
        self.ms_member = np.asarray(m.milestone_member, bool).reshape(-1, S)
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
        self.fam_affected = np.zeros((Y, S), np.int64)
        self.fam_affected_h = np.zeros((Y, S), np.int64)
        self.rule_counts = np.zeros((Y, max(len(m.rule_labels), 1), 2), np.int64)
        self.steps_in_system = np.zeros((Y, S), np.int64)
        H = m.hazards.target.size
        self.hazard_counts = np.zeros((Y, max(H, 1)), np.int64)
        self.hazard_counts_cohort = np.zeros((Y, max(H, 1)), np.int64)
        self.cohort_flows = np.zeros((Y, S + 1, S), np.int64)
        # first global id of each step's entries (to recover an agent's entry step)
        self._step_first_id = self._cum[:: max(self.plan.shape[1], 1)][: T + 1]
        # time since entering the system is tallied on entering outcome states
        self._track_time = np.array([k in TRACK_TIME_KINDS for k in m.state_kinds], np.bool_)
        self.events = 0
        self.agent_steps = 0
        # --- journeys
        self._j: list[tuple[NDArray[np.int64], ...]] = []
        self._jseq = 0
        expected = max(total, 1)
        self.sample_p = min(1.0, m.journey_sample / expected) if m.journey_sample else 0.0
        # --- precomputed lookups
        self.year_index = (m.step_year - m.years[0]).astype(np.int64)
        self.wave_keys = _target_keys(m.wave_targets)
        self.rc_keys = _target_keys(m.rc_targets)
        self._prepare_tables()
        self._bucket_counts = np.zeros(BLOCK, np.int64)
        self._k_time = self.rng.key(ST_TIME)
        self._k_choice = self.rng.key(ST_CHOICE)
        self._k_duration = self.rng.key(ST_DURATION)
        self._k_then = self.rng.key(ST_THEN)
        self._k_age = self.rng.key(ST_AGE)
        self._k_household = self.rng.key(ST_HOUSEHOLD)
        self._k_sample = self.rng.key(ST_SAMPLE)
        self._k_sentence = self.rng.key(ST_SENTENCE)
        self._k_detect = np.array(
            [self.rng.key(stream_id(f"detect:{f}")) for f in range(m.det_prob.shape[1])], np.uint64
        )
        n_others = max(1, m.household_cdf.size - 1)
        self._k_family = np.array(
            [
                [self.rng.key(stream_id(f"family:{c}:{j}")) for j in range(n_others)]
                for c in range(len(m.consequence_ids))
            ],
            np.uint64,
        ).reshape(-1, n_others)
        self._rules_of_set = [
            np.flatnonzero(m.rule_ruleset == r).astype(np.int64)
            for r in range(max(1, len(m.ruleset_ids)))
        ]
        self._fam_states = np.flatnonzero(m.family_share.sum(axis=1) > 0) if C else np.zeros(0)
        self._has_family = np.zeros(S, bool)
        self._has_family[self._fam_states.astype(np.int64)] = True
        self._ms_any = np.asarray(
            self.ms_member.any(axis=0) if self.ms_member.size else np.zeros(S, bool), dtype=np.bool_
        )
        self._moved_by_events = False
        # calendar
        self._block0 = -BLOCK
        self._buckets: list[list[NDArray[np.int64]]] = [[] for _ in range(BLOCK)]

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
        self._morigin_p = np.concatenate([hz.mult_origin, np.ones((1, hz.mult_origin.shape[1]))])
        self._mflag_p = np.concatenate([hz.mult_flag, np.ones((1, hz.mult_flag.shape[1]))])
        union = int(np.bitwise_or.reduce(hz.flag_mask)) if H else 0
        self._flags_used = [f for f in range(32) if union >> f & 1]
        self._flags_used_arr = np.array(self._flags_used, np.int64)
        comp_mod = (
            np.any(hz.mult_sex != 1, axis=1)
            | np.any(hz.mult_age != 1, axis=1)
            | np.any(hz.mult_origin != 1, axis=1)
            | (hz.flag_mask != 0)
        )
        self._has_mod = np.zeros(S, bool)
        for s in range(S):
            a, b = int(hz.ptr[s]), int(hz.ptr[s + 1])
            self._has_mod[s] = bool(comp_mod[a:b].any())

    # ------------------------------------------------------------------ run
    def run(self, progress: ProgressFn | None = None) -> Tallies[np.int64]:
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
            buf = np.empty(ids.size, np.int64)
            ids = buf[: kernels.due_now(ids, self.due, t, buf)]
            if ids.size:
                # a wave or re-arrest may have left a second calendar entry on this step
                ids = np.unique(ids) if self._moved_by_events else ids
                self._fire(ids, t)
        # 4. record
        self.stocks[t] = self.counts.reshape(self.S, 2)
        self.agent_steps += self.n_created

    # ------------------------------------------------------------ calendar
    def _new_block(self, t: int) -> None:
        b0 = t - (t % BLOCK)
        self._block0 = b0
        # stale duplicates can only share a step within the block where they were made
        self._moved_by_events = False
        self._buckets = [[] for _ in range(BLOCK)]
        n = self.n_created
        if n == 0:
            return
        self._calendar_add(np.arange(n, dtype=np.int64), self.due[:n])

    def _calendar_add(self, ids: NDArray[np.int64], due: NDArray[np.int32]) -> None:
        """Put agents whose event falls inside the current block into its step buckets."""
        grouped = kernels.bucket_sort(ids, due, self._block0, BLOCK, self._bucket_counts)
        if grouped.size == 0:
            return
        pos = 0
        counts = self._bucket_counts
        for r in np.flatnonzero(counts).tolist():
            c = int(counts[r])
            self._buckets[r].append(grouped[pos : pos + c])
            pos += c

    # ------------------------------------------------------------ entries
    def _entries(self, t: int) -> None:
        m = self.m
        K = self.plan.shape[1]
        g0, g1 = int(self._cum[t * K]), int(self._cum[(t + 1) * K])
        a, b = max(g0, self.lo), min(g1, self.hi)
        if b <= a:
            return
        combo = np.repeat(np.arange(K), self.plan[t])[a - g0 : b - g0]
        gid = np.arange(a, b, dtype=np.int64)
        idx = gid - self.lo
        self.n_created = int(idx[-1]) + 1
        self.cohort[idx] = self.year_index[t]
        self.sex[idx] = m.combo_sex[combo]
        self.origin[idx] = m.combo_origin[combo]
        age = np.empty(idx.size, np.int8)
        household = np.empty(idx.size, np.int8)
        sampled = np.empty(idx.size, np.bool_)
        kernels.attributes(
            gid,
            combo,
            m.combo_age_cdf,
            m.household_cdf,
            self._k_age,
            self._k_household,
            self._k_sample,
            self.sample_p,
            age,
            household,
            sampled,
        )
        self.age[idx] = age
        self.household[idx] = household
        self.sampled[idx] = sampled
        old = np.full(idx.size, self.S, np.int64)
        initial = None
        if t == 0 and m.combo_initial.any():
            # position of each new id inside its combination's block of step 0
            starts = np.concatenate([[0], np.cumsum(self.plan[0])[:-1]])
            pos = (gid - g0) - starts[combo]
            initial = pos < m.combo_initial[combo]
        self._enter(idx, m.combo_state[combo].astype(np.int64), old, t, KIND_ENTRY, initial=initial)

    # ------------------------------------------------------------ events
    def _fire(self, idx: NDArray[np.int64], t: int) -> None:
        m = self.m
        hz = m.hazards
        self.events += idx.size
        n = idx.size
        new = np.empty(n, np.int64)
        kind = np.empty(n, np.int64)
        kernels.resolve(
            idx,
            self.lo,
            self.pend,
            self.state,
            self.evno,
            hz.target,
            hz.set_flags,
            self.flags,
            m.then.ptr,
            m.then.state,
            m.then.cum,
            self._k_then,
            new,
            kind,
            self.cohort,
            self.hazard_counts[int(self.year_index[t])],
            self.hazard_counts_cohort,
        )
        old = self.state[idx].astype(np.int64)
        is_flag = kind == KIND_FLAG
        if is_flag.any():
            f_idx = idx[is_flag]
            fl = (-new[is_flag] - 1).astype(np.int64)
            self.flags[f_idx] |= np.uint32(1) << fl.astype(np.uint32)
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

    def _enter(
        self,
        idx: NDArray[np.int64],
        new: NDArray[np.int64],
        old: NDArray[np.int64],
        t: int,
        kind: int | NDArray[np.int64],
        initial: NDArray[np.bool_] | None = None,
    ) -> None:
        """Move agents ``idx`` from ``old`` (S = outside) into ``new`` at step ``t``.

        ``initial`` marks people present at the start: they entered their state
        before the simulation, so no family consequences are counted for them.
        """
        m = self.m
        S = self.S
        y = int(self.year_index[t])
        if self.sample_p > 0:
            self._journal(idx, t, old, new, kind, None)
        src = old
        cn = m.classify_node
        if cn >= 0:
            cls = new == cn
            if cls.any():
                # two moves on the same step: into the classification, then to a sentence
                c_idx = idx[cls]
                sex_c = self.sex[c_idx].astype(np.int64)
                self.flows[y] += np.bincount(
                    (old[cls] * S + cn) * 2 + sex_c, minlength=self.flows.shape[1]
                )
                np.add.at(self.cohort_flows, (self.cohort[c_idx], old[cls], cn), 1)
                sentence, detected = self._classify(c_idx, t)
                if self.sample_p > 0:
                    # the detail of a classification record: the flags interrogation found
                    self._journal(
                        c_idx, t, np.full(c_idx.size, cn), sentence, KIND_CLASSIFIED, detected
                    )
                new = new.copy()
                new[cls] = sentence
                old = old.copy()
                old[cls] = cn
        kernels.enter(
            idx,
            new,
            old,
            src,
            t,
            S,
            self.state,
            self.evno,
            self.sex,
            self.flags,
            m.set_on_enter,
            self.counts,
            self.flows[y],
            self.lo,
            self._step_first_id,
            self._track_time,
            self.steps_in_system[y],
            self.cohort,
            self.cohort_flows,
        )
        if self.ms_member.shape[0] and self._ms_any[new].any():
            for j in range(self.ms_member.shape[0]):
                hit = self.ms_member[j, new]
                if hit.any():
                    self.milestones[j, idx[hit]] = t
        if self._fam_states.size and self._has_family[new].any():
            if initial is None:
                self._families(idx, new, y)
            elif (~initial).any():
                self._families(idx[~initial], new[~initial], y)
        self._schedule(idx, t, fresh=True)

    # ------------------------------------------------------------ scheduling
    def _schedule(self, idx: NDArray[np.int64], t: int, *, fresh: bool) -> None:
        """Draw the next event of agents ``idx`` who (re)start their state at ``t``.

        One compiled pass over the batch (:func:`crossings.engine.kernels.schedule`):
        the duration deadline, the first step at which the cumulative hazard of
        the segments ahead reaches an Exp(1) draw, and which hazard fires.
        """
        if idx.size == 0:
            return
        m = self.m
        kernels.schedule(
            idx,
            t,
            fresh,
            self.lo,
            m.n_steps,
            self.state,
            self.evno,
            self.sex,
            self.age,
            self.origin,
            self.flags,
            self.deadline,
            self.due,
            self.pend,
            self._n_comp,
            self._comp_table,
            self._rate_p,
            self._msex_p,
            self._mage_p,
            self._morigin_p,
            self._mflag_p,
            self._flags_used_arr,
            self._has_mod,
            m.step_seg,
            m.seg_start,
            m.dur_ptr,
            m.dur_cdf,
            self._k_time,
            self._k_choice,
            self._k_duration,
        )
        self._calendar_add(idx, self.due[idx])

    # ------------------------------------------------------------ classification
    def _classify(
        self, idx: NDArray[np.int64], t: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Detect flags, apply the active rule set, draw a sentence (compiled).

        Returns:
            The sentence state of each agent and the bit mask of the flags detected.
        """
        m = self.m
        seg = int(m.step_seg[t])
        rules = self._rules_of_set[int(m.seg_ruleset[seg])]
        out = np.empty(idx.size, np.int64)
        detected = np.empty(idx.size, np.int64)
        y = int(self.year_index[t])
        kernels.classify(
            idx,
            self.lo,
            self.evno,
            self.flags,
            self.sex,
            m.det_prob[seg],
            self._k_detect,
            rules,
            m.rule_default,
            m.rule_any,
            m.rule_all,
            m.rule_none,
            m.rule_sex,
            m.rule_targets.ptr,
            m.rule_targets.state,
            m.rule_targets.cum,
            self._k_sentence,
            out,
            detected,
            self.rule_counts[y],
        )
        return out, detected

    # ------------------------------------------------------------ calendar events
    def _wave(self, w: int, t: int) -> None:
        m = self.m
        n = self.n_created
        members = np.flatnonzero(self.state[:n] == m.wave_state[w])
        if members.size == 0:
            return
        share = m.wave_share[w]
        if share < 1:
            u = self.rng.uniform(
                members + self.lo, self.evno[members], stream_id(f"wave:{m.wave_ids[w]}")
            )
            members = members[u < share]
        if members.size == 0:
            return
        u = self.rng.uniform(members + self.lo, self.evno[members], ST_THEN)
        new = draw_targets(m.wave_targets, self.wave_keys, np.full(members.size, w), u)
        self.wave_moved[w] += np.bincount(self.sex[members], minlength=2)
        old = self.state[members].astype(np.int64)
        self._moved_by_events = True
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
        old = self.state[sel].astype(np.int64)
        self._moved_by_events = True
        self._enter(sel, new.astype(np.int64), old, t, KIND_RECLASS)

    # ------------------------------------------------------------ families
    def _families(self, idx: NDArray[np.int64], new: NDArray[np.int64], y: int) -> None:
        kernels.families(
            idx,
            new,
            self.lo,
            self.evno,
            self.household,
            self.m.family_share,
            self._k_family,
            self.fam_members[y],
            self.fam_households[y],
            self.fam_affected[y],
            self.fam_affected_h[y],
        )

    # ------------------------------------------------------------ journeys
    def _journal(
        self,
        idx: NDArray[np.int64],
        t: int,
        old: NDArray[np.int64],
        new: NDArray[np.int64],
        kind: int | NDArray[np.int64],
        detail: NDArray[np.int64] | None,
    ) -> None:
        samp = self.sampled[idx]
        if not samp.any():
            return
        k = int(samp.sum())
        kinds = (
            np.full(k, kind, np.int64)
            if isinstance(kind, int)
            else np.asarray(kind, np.int64)[samp]
        )
        seq = np.arange(self._jseq, self._jseq + k, dtype=np.int64)
        self._jseq += k
        self._j.append(
            (
                idx[samp] + self.lo,
                np.full(k, t, np.int64),
                old[samp].astype(np.int64),
                new[samp].astype(np.int64),
                kinds,
                detail[samp].astype(np.int64) if detail is not None else np.full(k, -1, np.int64),
                self.evno[idx[samp]].astype(np.int64),
                seq,
            )
        )

    # ------------------------------------------------------------ results
    def results(self) -> Tallies[np.int64]:
        """The tallies so far (:class:`~crossings.tallies.Tallies` of counts)."""
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
            journeys = {nm: np.concatenate(c) for nm, c in zip(JOURNEY_COLUMNS, cols, strict=True)}
            order = np.lexsort((journeys["seq"], journeys["agent"]))
            journeys = {k: v[order] for k, v in journeys.items()}
            journeys["seq"] = np.arange(order.size, dtype=np.int64)
        else:
            journeys = JourneySample.empty().events
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
        return Tallies(
            stocks=self.stocks,
            flows=self.flows.reshape(Y, S + 1, S, 2),
            flag_flows=self.flag_flows.reshape(Y, max(m.n_flags, 1), S, 2),
            wave_moved=self.wave_moved,
            rc_moved=self.rc_moved,
            family_members=self.fam_members,
            family_households=self.fam_households,
            family_affected=self.fam_affected,
            family_affected_households=self.fam_affected_h,
            rule_counts=self.rule_counts,
            cohort_outcomes=cohort,
            steps_in_system=self.steps_in_system,
            hazard_counts=self.hazard_counts,
            hazard_counts_cohort=self.hazard_counts_cohort,
            cohort_flows=self.cohort_flows,
            journeys=JourneySample(journeys, agents),
            agents_created=n,
            agent_steps=self.agent_steps,
            events=self.events,
        )

    def memory_bytes(self) -> int:
        """Bytes held by the per-agent arrays."""
        arrays = (
            self.state,
            self.due,
            self.deadline,
            self.evno,
            self.pend,
            self.cohort,
            self.sex,
            self.age,
            self.origin,
            self.household,
            self.flags,
            self.sampled,
            self.milestones,
        )
        return int(sum(a.nbytes for a in arrays))
