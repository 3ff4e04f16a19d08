"""Exact expected-value mode: the agent engine's expectations, without agents.

Agents never interact, so the expected number of people in every state, and
of every move, follows from propagating the *distribution* of people over
(state × type × steps since entry) through the same compiled hazards the agent
engine samples from. A *type* is the combination of the attributes that
change what happens next: sex, age band and origin when some hazard depends on
them, the flags that some hazard or classification rule reads, and one bit per
reclassification cohort. States with a duration keep, per type, the people
who entered on each step of the current block of steps plus, for each step
ahead, the people whose stay is due to end then (a circular buffer as long as
the longest duration within the horizon), so durations of any distribution
are exact; states without one keep a single number per type.

The semantics are those of :mod:`crossings.compile.model`, step for step:
people who enter on a step are first exposed on the next; a hazard fires in a
step with probability ``1 − exp(−H)`` split in proportion to the hazards; a
duration of ``D`` steps ends on the ``D``-th step unless a hazard fires then;
the classification node is crossed on the step of entry; waves and
reclassifications move their share of the members at the start of a step.
The results are the expectations of the agent engine's tallies: stocks,
yearly flows, flags acquired, wave and reclassification moves, classification
decisions, family members and households affected, hazard counts. Tallies
by entry cohort are not kept per run; :func:`crossings.expected.results.expected_results`
gets them from one extra parameter set per entry year (exact by linearity).
Times in the system are not computed (they are left at zero).

The mode is vectorised over parameter sets: :class:`ExpectedModel` prepares
the fixed tables once; :meth:`ExpectedModel.run` takes per-set copies of the
arrays that calibration changes (hazard rates, inflow rates, detection
probabilities, wave and reclassification shares, family shares) and runs the
sets in parallel threads.
"""

from __future__ import annotations

import logging
from typing import Any

import numba as nb
import numpy as np
from numpy.typing import NDArray
from scipy import stats

from crossings.compile.model import CompiledModel, Targets
from crossings.expected import kernel
from crossings.tallies import Tallies

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]

VARYING = ("rate", "combo_rate", "det_prob", "wave_share", "rc_share", "family_share")
"""Compiled arrays that may differ between the parameter sets of one batch."""


class ExpectedModeError(ValueError):
    """The scenario uses a feature the expected-value mode cannot represent exactly."""


def _pmf(t: Targets) -> F64:
    """Probabilities of a CSR target table (its cumulative ``cum`` differenced)."""
    p = np.array(t.cum, dtype=np.float64)
    for d in range(t.n()):
        a, b = int(t.ptr[d]), int(t.ptr[d + 1])
        if b > a:
            p[a:b] = np.diff(np.concatenate([[0.0], t.cum[a:b]]))
            p[b - 1] = 1.0 - (float(t.cum[b - 2]) if b - a > 1 else 0.0)  # takes the rest
    return np.clip(p, 0.0, 1.0)


class ExpectedModel:
    """The fixed tables of the expected-value mode for one compiled model.

    Args:
        model: The compiled scenario.
        lump_steps: When given, states whose duration can last longer than this
            many steps keep one ring per sex instead of per type, and share the
            people whose duration ends among types in proportion to the types'
            current numbers (only where the state's hazards do not depend on
            the type within a sex). Much faster for long sentences; no longer
            exact where the type mix of a long state changes while people stay
            in it. ``None`` (default) is exact.

    Raises:
        ExpectedModeError: For a flag acquired by hazard in a state that has a
            duration (the person would keep the deadline while changing type;
            not represented).

    Example:
        >>> from crossings import load_scenario
        >>> from crossings.compile.compiler import compile_scenario
        >>> ev = ExpectedModel(compile_scenario(load_scenario("example")))
        >>> tallies = ev.run(ev.base_arrays())
    """

    def __init__(self, model: CompiledModel, lump_steps: int | None = None) -> None:
        self.model = m = model
        hz = m.hazards
        S, T = m.n_states, m.n_steps
        self.S, self.T = S, T
        H = int(hz.target.size)
        self.H = H
        F = m.n_flags
        # ---- which attributes matter
        age_used = bool(np.any(hz.mult_age != 1))
        origin_used = bool(np.any(hz.mult_origin != 1))
        A = len(m.age_ids) if age_used else 1
        n_orig = len(m.origin_ids) if origin_used else 1
        used = 0
        for arr in (hz.flag_mask, m.rule_any, m.rule_all, m.rule_none):
            if arr.size:
                used |= int(np.bitwise_or.reduce(arr.astype(np.int64)))
        flags_used = [f for f in range(F) if used >> f & 1]
        bit_of_flag = {f: i for i, f in enumerate(flags_used)}
        nb_flags = len(flags_used)
        R = len(m.rc_ids)
        self.n_bits = nb_flags + R
        NB = 1 << self.n_bits
        NT = 2 * A * n_orig * NB
        self.NT = NT
        if NT > 1 << 14:
            raise ExpectedModeError(
                f"{NT} person types (2 sexes × {A} age bands × {n_orig} origins × 2^{self.n_bits} "
                "flag combinations) is too many for the expected-value mode"
            )
        self.A, self.O, self.NB = A, n_orig, NB
        tau = np.arange(NT)
        bits = tau % NB
        rest = tau // NB
        origin = rest % n_orig
        rest //= n_orig
        age = rest % A
        sex = rest // A
        self.tau_sex = sex.astype(np.int64)
        self.tau_age, self.tau_origin, self.tau_bits = age, origin, bits

        def compact(mask: int) -> int:
            out = 0
            for f, i in bit_of_flag.items():
                if mask >> f & 1:
                    out |= 1 << i
            return out

        # full flag mask of each type (for multipliers and rules)
        full = np.zeros(NT, np.int64)
        for f, i in bit_of_flag.items():
            full |= ((bits >> i) & 1) << f
        self.tau_flags = full
        # ---- hazards
        mult = np.ones((H, NT))
        for c in range(H):
            mult[c] = (
                hz.mult_sex[c, sex]
                * hz.mult_age[c, age if age_used else 0]
                * hz.mult_origin[c, origin if origin_used else 0]
            )
            for f in range(F):
                if hz.mult_flag[c, f] != 1:
                    mult[c] *= np.where((full >> f) & 1, hz.mult_flag[c, f], 1.0)
        self.mult = mult
        self.hz_setbits = np.array([compact(int(v)) for v in hz.set_flags], np.int64)
        self.hz_flagbit = np.zeros(H, np.int64)
        dur_len = np.diff(m.dur_ptr).astype(np.int64)
        for c in range(H):
            tg = int(hz.target[c])
            if tg < 0:
                f = -tg - 1
                self.hz_flagbit[c] = (1 << bit_of_flag[f]) if f in bit_of_flag else 0
                if dur_len[int(hz.state[c])] > 0:
                    raise ExpectedModeError(
                        f"hazard {hz.label[c]!r} gives a flag in state "
                        f"{m.state_ids[int(hz.state[c])]!r}, which has a duration; the "
                        "expected-value mode cannot keep that deadline per type. Move the "
                        "flag to a state without a duration."
                    )
        self.hz_ptr = hz.ptr.astype(np.int64)
        self.hz_target = hz.target.astype(np.int64)
        # ---- durations: discrete hazard of ending at each step since entry
        self.is_dur = dur_len > 0
        self.lumped = np.zeros(S, np.bool_)
        if lump_steps is not None:
            for s in np.flatnonzero(self.is_dur & (dur_len > lump_steps)):
                a, b = int(hz.ptr[s]), int(hz.ptr[s + 1])
                same = all(
                    np.allclose(mult[a:b, sex == x], mult[a:b, sex == x][:, :1]) for x in (0, 1)
                )
                self.lumped[s] = same
        ring_len = np.where(self.is_dur, np.minimum(dur_len, T + 1), 0).astype(np.int64)
        self.ring_len = ring_len
        self.ring_off = np.concatenate([[0], np.cumsum(ring_len)[:-1]]).astype(np.int64)
        dur_pmf = np.zeros(max(int(ring_len.sum()), 1))
        for s in np.flatnonzero(self.is_dur):
            cdf = m.dur_cdf[int(m.dur_ptr[s]) : int(m.dur_ptr[s + 1])]
            pmf = np.diff(np.concatenate([[0.0], cdf]))
            pmf[-1] = max(0.0, 1.0 - (float(cdf[-2]) if cdf.size > 1 else 0.0))
            L = int(ring_len[s])
            o = int(self.ring_off[s])
            dur_pmf[o : o + L] = np.clip(pmf[:L], 0.0, 1.0)  # P(duration = 1..L steps)
        self.dur_pmf = dur_pmf
        self.then_ptr = m.then.ptr.astype(np.int64)
        self.then_state = m.then.state.astype(np.int64)
        self.then_p = _pmf(m.then)
        # ---- classification tables
        self.rt_ptr = m.rule_targets.ptr.astype(np.int64)
        self.rt_state = m.rule_targets.state.astype(np.int64)
        self.rt_p = _pmf(m.rule_targets)
        # ---- flags set on entry, cohort bits
        self.soe = np.array([compact(int(v)) for v in m.set_on_enter], np.int64)
        ms = m.extras.get("milestone_member")
        self.ms_member = np.asarray(ms, np.bool_) if ms is not None else np.zeros((1, S), np.bool_)
        if self.ms_member.shape[0] == 0:
            self.ms_member = np.zeros((1, S), np.bool_)
        self.rc_bit = np.array([1 << (nb_flags + r) for r in range(R)], np.int64)
        # ---- waves, reclassifications
        self.wt_p = _pmf(m.wave_targets)
        self.rct_p = _pmf(m.rc_targets)
        # ---- entries: type distribution of each entry combination
        K = len(m.combo_inflow)
        ctp = np.zeros((max(K, 1), NT))
        for k in range(K):
            soe0 = 0  # flags set on entering the first state are applied by _put
            if age_used:
                cdf = m.combo_age_cdf[k]
                pa = np.diff(np.concatenate([[0.0], cdf]))
                pa[-1] += max(0.0, 1.0 - float(cdf[-1]))
            else:
                pa = np.ones(1)
            o_k = int(m.combo_origin[k]) if origin_used else 0
            for a_i in range(A):
                t_i = ((int(m.combo_sex[k]) * A + a_i) * n_orig + o_k) * NB + soe0
                ctp[k, t_i] += pa[a_i]
        self.combo_tau_p = ctp
        self.combo_state = m.combo_state.astype(np.int64)
        # ---- families: household size pmf → expected others affected
        hcdf = m.household_cdf
        self.size_pmf = np.diff(np.concatenate([[0.0], hcdf]))
        self.n_others = max(1, hcdf.size - 1)
        self.year_index = (m.step_year - m.years[0]).astype(np.int64)

    # ------------------------------------------------------------------
    def base_arrays(self, n: int = 1) -> dict[str, F64]:
        """The compiled values of the varying arrays, repeated ``n`` times (leading axis)."""
        m = self.model
        base = {
            "rate": m.hazards.rate,
            "combo_rate": m.combo_rate,
            "det_prob": m.det_prob,
            "wave_share": m.wave_share,
            "rc_share": m.rc_share,
            "family_share": m.family_share,
        }
        return {k: np.repeat(np.asarray(v, np.float64)[None], n, axis=0) for k, v in base.items()}

    def _classification(self, det_prob: F64) -> F64:
        """P(rule | segment, type) for each set: (P, G, NT, rules)."""
        m = self.model
        P, G, F = det_prob.shape
        n_rules = max(len(m.rule_labels), 1)
        out = np.zeros((P, G, self.NT, n_rules))
        if m.classify_node < 0 or not len(m.rule_labels):
            return out
        full = self.tau_flags
        sets = [np.flatnonzero(m.rule_ruleset == r) for r in range(max(1, len(m.ruleset_ids)))]
        # enumerate detected subsets of each distinct flag mask
        for mask in np.unique(full):
            fl = [f for f in range(F) if int(mask) >> f & 1]
            taus = np.flatnonzero(full == mask)
            for sub in range(1 << len(fl)):
                det = 0
                prob = np.ones((P, G))
                for i, f in enumerate(fl):
                    pf = det_prob[:, :, f]
                    if sub >> i & 1:
                        det |= 1 << f
                        prob = prob * pf
                    else:
                        prob = prob * (1.0 - pf)
                for g in range(G):
                    rules = sets[int(m.seg_ruleset[g])]
                    for sx in (0, 1):
                        chosen = int(rules[-1]) if rules.size else 0
                        for r_ in rules:
                            r = int(r_)
                            if m.rule_default[r]:
                                chosen = r
                                break
                            ok = not (m.rule_any[r] and not det & int(m.rule_any[r]))
                            ok = ok and not (
                                m.rule_all[r] and det & int(m.rule_all[r]) != int(m.rule_all[r])
                            )
                            ok = ok and not (m.rule_none[r] and det & int(m.rule_none[r]))
                            ok = ok and not (m.rule_sex[r] >= 0 and sx != m.rule_sex[r])
                            if ok:
                                chosen = r
                                break
                        tt = taus[self.tau_sex[taus] == sx]
                        out[:, g, tt, chosen] += prob[:, g][:, None]
        return out

    def _entries(self, combo_rate: F64) -> tuple[F64, F64]:
        """Expected non-initial entries (P, T, K) and initial people at step 0 (P, K)."""
        m = self.model
        ent = combo_rate + m.combo_fixed[None].astype(np.float64)
        init = np.zeros((ent.shape[0], ent.shape[2]))
        for k in np.flatnonzero(m.combo_initial > 0):
            k0 = int(m.combo_initial[k])
            fixed = int(m.combo_fixed[0, k])
            lam = combo_rate[:, 0, k]
            # E[max(N, k0)] with N = fixed + Poisson(lam): k0 initial + E[(N − k0)+] others
            n = np.arange(0, max(k0 - fixed, 0) + 1)
            pm = stats.poisson.pmf(n[None, :], lam[:, None])
            below = ((k0 - fixed - n)[None, :] * pm).sum(axis=1)
            ent[:, 0, k] = (lam + fixed - k0) + below
            init[:, k] = k0
        return ent, init

    def _families(self, family_share: F64) -> tuple[F64, F64]:
        """Expected members and households affected per entrant: (P, S, C) each."""
        P, S, C = family_share.shape
        fm = np.zeros((P, S, C))
        fh = np.zeros((P, S, C))
        J = self.n_others
        for j, pj in enumerate(self.size_pmf):
            others = min(j, J)  # size j + 1 → j others, at most J
            if pj <= 0 or others <= 0:
                continue
            fm += pj * others * family_share
            fh += pj * (1.0 - (1.0 - family_share) ** others)
        return fm, fh

    def run(self, arrays: dict[str, F64], entry_weights: F64 | None = None) -> Tallies[np.float64]:
        """Expected tallies for each parameter set in ``arrays``.

        Args:
            arrays: The :data:`VARYING` arrays with a leading parameter-set axis
                (see :meth:`base_arrays`); missing ones take the compiled values.
            entry_weights: Optional (P, T) multipliers of each set's entries at
                each step (the initial people count as entries on step 0); for
                example one set per entry cohort.

        Returns:
            A stack of expected :class:`~crossings.tallies.Tallies` (leading axis
            ``set``, one per parameter set), without the tallies by entry cohort
            and without time in the system.
        """
        m = self.model
        P = next(iter(arrays.values())).shape[0] if arrays else 1
        base = self.base_arrays(P) if len(arrays) < len(VARYING) else {}
        a = {k: np.ascontiguousarray(arrays.get(k, base.get(k)), dtype=np.float64) for k in VARYING}
        S, T, H, NT = self.S, self.T, self.H, self.NT
        Y = len(m.years)
        F = max(m.n_flags, 1)
        W, R = len(m.wave_ids), len(m.rc_ids)
        C = len(m.consequence_ids)
        n_rules = max(len(m.rule_labels), 1)
        cls = self._classification(a["det_prob"])
        ent, init = self._entries(a["combo_rate"])
        if entry_weights is not None:
            wts = np.asarray(entry_weights, np.float64)
            if wts.shape != (P, T):
                raise ValueError(f"entry_weights must have shape {(P, T)}, not {wts.shape}")
            ent = ent * wts[:, :, None]
            init = init * wts[:, :1]
        fm, fh = (
            self._families(a["family_share"]) if C else (np.zeros((P, S, 0)), np.zeros((P, S, 0)))
        )
        n = max(1, min(nb.get_num_threads(), P))
        Pc = -(-P // n)
        pick = np.minimum(np.arange(n * Pc), P - 1).reshape(n, Pc)

        def chunk(arr: F64) -> F64:
            """(P, ...) → (chunks, ..., sets of the chunk): sets on the last axis."""
            return np.ascontiguousarray(np.moveaxis(np.asarray(arr)[pick], 1, -1))

        def zeros(*shape: int) -> F64:
            return np.zeros((n, *shape, Pc))

        rate = a["rate"]
        if rate.shape[2] == 0:
            rate = np.zeros((P, rate.shape[1], 1))
        o = {
            "stocks": zeros(T, S, 2),
            "flows": zeros(Y, S + 1, S, 2),
            "flag_flows": zeros(Y, F, S, 2),
            "wave_moved": zeros(W, 2),
            "rc_moved": zeros(R, 2),
            "family_members": zeros(Y, C, S),
            "family_households": zeros(Y, C, S),
            "rule_counts": zeros(Y, n_rules, 2),
            "hazard_counts": zeros(Y, max(H, 1)),
        }
        i64 = np.int64
        kernel.propagate_many(
            T,
            S,
            NT,
            int(m.classify_node),
            m.step_seg.astype(i64),
            self.year_index,
            self.tau_sex,
            chunk(rate),
            self.hz_ptr,
            self.hz_target,
            self.hz_setbits,
            self.hz_flagbit,
            self.mult if H else np.ones((1, NT)),
            self.is_dur,
            self.lumped,
            self.ring_off,
            self.ring_len,
            self.dur_pmf,
            self.then_ptr,
            self.then_state,
            self.then_p,
            chunk(cls),
            self.rt_ptr,
            self.rt_state,
            self.rt_p,
            self.soe,
            self.ms_member,
            m.rc_milestone.astype(i64),
            m.rc_from.astype(i64),
            m.rc_to.astype(i64),
            self.rc_bit,
            m.wave_step.astype(i64),
            m.wave_state.astype(i64),
            chunk(a["wave_share"]),
            m.wave_active.astype(np.bool_),
            m.wave_targets.ptr.astype(i64),
            m.wave_targets.state.astype(i64),
            self.wt_p,
            m.rc_step.astype(i64),
            chunk(a["rc_share"]),
            m.rc_eligible.astype(np.bool_),
            m.rc_targets.ptr.astype(i64),
            m.rc_targets.state.astype(i64),
            self.rct_p,
            chunk(ent),
            chunk(init),
            self.combo_state,
            self.combo_tau_p,
            chunk(fm),
            chunk(fh),
            o["stocks"],
            o["flows"],
            o["flag_flows"],
            o["wave_moved"],
            o["rc_moved"],
            o["family_members"],
            o["family_households"],
            o["rule_counts"],
            o["hazard_counts"],
        )

        def unchunk(arr: F64) -> F64:
            full = np.moveaxis(arr, -1, 1)
            return np.ascontiguousarray(full.reshape(n * Pc, *full.shape[2:])[:P])

        kw: dict[str, Any] = {k: unchunk(v) for k, v in o.items()}
        return Tallies(**kw, leading="set")


def expected_values(model: CompiledModel, lump_steps: int | None = None) -> Tallies[np.float64]:
    """The expected tallies of ``model`` (floats, one set); exact by default.

    Example:
        >>> from crossings import load_scenario
        >>> from crossings.compile.compiler import compile_scenario
        >>> raw = expected_values(compile_scenario(load_scenario("example")))
    """
    return ExpectedModel(model, lump_steps).run({}).item(0)


__all__ = ["VARYING", "ExpectedModeError", "ExpectedModel", "expected_values"]
