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
by entry cohort are not kept per run; ``crossings run --expected``
(:func:`crossings.runs.execute`) gets them from one extra parameter set per entry
year (exact by linearity).
Times in the system are not computed (they are left at zero).

The mode is vectorised over parameter sets: :class:`ExpectedModel` prepares
the fixed tables once; :meth:`ExpectedModel.run` takes per-set copies of the
arrays that calibration changes (hazard rates, inflow rates, detection
probabilities, wave and reclassification shares, family shares) and runs the
sets in parallel threads.

Two propagations compute the same tallies (to rounding): ``fast``, the
default (:mod:`crossings.expected.fast`, planned by
:mod:`crossings.expected.plan` and :mod:`crossings.expected.fir`: only the
reachable (state, type) pairs, types projected onto what is read downstream,
identical states merged, durations by sliding sums and FFT stages), and
``daily`` (:mod:`crossings.expected.kernel`), the plain reference it is tested
against.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import numba as nb
import numpy as np
from numpy.typing import NDArray
from scipy import stats

from crossings.compile.model import CompiledModel, Targets
from crossings.expected import fast, kernel
from crossings.expected.fir import FirBank
from crossings.expected.plan import FastPlan, build_plan, choose_rule
from crossings.tallies import Tallies

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

METHODS = ("fast", "daily")
"""Propagation methods: ``fast`` (default) and ``daily`` (the reference)."""

VARYING = (
    "rate",
    "combo_rate",
    "det_prob",
    "wave_share",
    "rc_share",
    "family_share",
    "initial",
)
"""Compiled arrays that may differ between the parameter sets of one batch.

``initial`` is the people present at the start per entry combination
(``combo_initial``, as floats): a calibration may scale a start stock.
"""


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


@dataclasses.dataclass(frozen=True)
class _Schedule:
    """How the fast propagation splits its parameter sets over chunks and threads.

    Attributes:
        pick: (chunks, sets per chunk) the set each slot computes (a set may
            fill two slots of its chunk; both give the same figures).
        t_start: (chunks,) the first step each chunk computes.
        groups: (threads, chunks per thread) the chunks each thread computes in
            turn (``-1``: none).
    """

    pick: NDArray[np.intp]
    t_start: NDArray[np.int64]
    groups: NDArray[np.int64]


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
        method: ``"fast"`` (default): the propagation of
            :mod:`crossings.expected.fast`, over the reachable (state, type)
            pairs only, durations by sliding sums and FFT stages;
            ``"daily"``: the plain daily kernel of
            :mod:`crossings.expected.kernel`, the reference. Both give the same
            tallies (to rounding; the tests hold them to 10⁻⁹).
        project: (``fast``) Drop the attributes nothing downstream reads.
        merge: (``fast``) Propagate identical states with a duration once.
        stages: (``fast``) FFT stages for long durations (else direct sums).
        share_filters: (``fast``) One duration filter for all states with the
            same duration distribution.

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

    def __init__(
        self,
        model: CompiledModel,
        lump_steps: int | None = None,
        *,
        method: str = "fast",
        project: bool = True,
        merge: bool = True,
        stages: bool = True,
        share_filters: bool = True,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {method!r}")
        self.method = method
        self._fast_options = {
            "project": project,
            "merge": merge,
            "stages": stages,
            "share_filters": share_filters,
        }
        self._plans: dict[bool, tuple[FastPlan, tuple[I64, F64]]] = {}
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
    @staticmethod
    def varying(m: CompiledModel) -> dict[str, F64]:
        """The :data:`VARYING` arrays of a compiled model (as floats, no set axis)."""
        return {
            "rate": np.asarray(m.hazards.rate, np.float64),
            "combo_rate": np.asarray(m.combo_rate, np.float64),
            "det_prob": np.asarray(m.det_prob, np.float64),
            "wave_share": np.asarray(m.wave_share, np.float64),
            "rc_share": np.asarray(m.rc_share, np.float64),
            "family_share": np.asarray(m.family_share, np.float64),
            "initial": np.asarray(m.combo_initial, np.float64),
        }

    def base_arrays(self, n: int = 1) -> dict[str, F64]:
        """The compiled values of the varying arrays, repeated ``n`` times (leading axis)."""
        return {k: np.repeat(v[None], n, axis=0) for k, v in self.varying(self.model).items()}

    def _classification(
        self, det_prob: F64, flags: I64 | None = None, sex: I64 | None = None
    ) -> F64:
        """P(rule | segment, type) for each set: (P, G, types, rules).

        ``flags``/``sex`` give the types' full flag masks and sexes (default:
        the daily kernel's types).
        """
        m = self.model
        full = self.tau_flags if flags is None else flags
        tsex = self.tau_sex if sex is None else sex
        P, G, F = det_prob.shape
        n_rules = max(len(m.rule_labels), 1)
        out = np.zeros((P, G, full.size, n_rules))
        if m.classify_node < 0 or not len(m.rule_labels):
            return out
        sets = [np.flatnonzero(m.rule_ruleset == r) for r in range(max(1, len(m.ruleset_ids)))]
        seg_rs = np.asarray(m.seg_ruleset[:G], np.int64)
        g_idx = np.arange(G)
        chosen: dict[tuple[int, int, int], int] = {}
        by_seg: dict[tuple[int, int], I64] = {}

        def choose(rs: int, sx: int, det: int) -> int:
            """The rule applied to someone of sex ``sx`` with the flags ``det`` detected."""
            key = (rs, sx, det)
            if key not in chosen:
                chosen[key] = choose_rule(m, sets[rs], sx, det)
            return chosen[key]

        # enumerate the detected subsets of each distinct flag mask (vectorised over sets
        # and segments): P(detected = D) × [rule chosen for D]
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
                for sx in (0, 1):
                    tt = taus[tsex[taus] == sx]
                    if not tt.size:
                        continue
                    if (sx, det) not in by_seg:
                        by_seg[sx, det] = np.array(
                            [choose(int(rs), sx, det) for rs in seg_rs], np.int64
                        )
                    rule_g = by_seg[sx, det]
                    # distinct types: no index repeats within one assignment
                    out[:, g_idx[:, None], tt[None, :], rule_g[:, None]] += prob[:, :, None]
        return out

    def _entries(self, combo_rate: F64, initial: F64 | None = None) -> tuple[F64, F64]:
        """Expected non-initial entries (P, T, K) and initial people at step 0 (P, K).

        ``initial`` (P, K) gives each set's people present at the start (default:
        the compiled ``combo_initial``). The compiled fixed entries of step 0
        include the compiled initial people; a set's own start stock replaces
        them, and the others entering on step 0 are counted as compiled.
        """
        m = self.model
        ent = combo_rate + m.combo_fixed[None].astype(np.float64)
        P = ent.shape[0]
        init = np.zeros((P, ent.shape[2]))
        given = (
            np.broadcast_to(m.combo_initial.astype(np.float64), init.shape)
            if initial is None
            else np.asarray(initial, np.float64)
        )
        for k in np.flatnonzero((m.combo_initial > 0) | (given > 0).any(axis=0)):
            k0 = int(m.combo_initial[k])
            fixed = int(m.combo_fixed[0, k])
            lam = combo_rate[:, 0, k]
            # E[max(N, k0)] with N = fixed + Poisson(lam): k0 initial + E[(N − k0)+] others
            n = np.arange(0, max(k0 - fixed, 0) + 1)
            pm = stats.poisson.pmf(n[None, :], lam[:, None])
            below = ((k0 - fixed - n)[None, :] * pm).sum(axis=1)
            ent[:, 0, k] = (lam + fixed - k0) + below
            init[:, k] = given[:, k]
        return ent, init

    def _families(self, family_share: F64) -> tuple[F64, F64]:
        """Expected members and households affected per entrant: (P, S, C + 1) each.

        Column ``c < C`` is consequence ``c``; the last column counts each member
        once however many consequences they suffer (the agent engine draws each
        member's consequences independently: ``1 − Π_c (1 − p_c)``) and each
        household once if any member is affected.
        """
        P, S, C = family_share.shape
        fm = np.zeros((P, S, C + 1))
        fh = np.zeros((P, S, C + 1))
        J = self.n_others
        hit = 1.0 - np.prod(1.0 - family_share, axis=2)  # a member suffers at least one
        for j, pj in enumerate(self.size_pmf):
            others = min(j, J)  # size j + 1 → j others, at most J
            if pj <= 0 or others <= 0:
                continue
            fm[:, :, :C] += pj * others * family_share
            fh[:, :, :C] += pj * (1.0 - (1.0 - family_share) ** others)
            fm[:, :, C] += pj * others * hit
            fh[:, :, C] += pj * (1.0 - (1.0 - hit) ** others)
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
        return Tallies(**self._propagate(arrays, entry_weights, False), leading="set")

    def run_cohorts(
        self, arrays: dict[str, F64], entry_weights: F64
    ) -> tuple[Tallies[np.float64], dict[str, F64]]:
        """Expected tallies of sets that split the entries, added up, and what each keeps.

        For entry cohorts (``entry_weights`` that add up to one on every step):
        the tallies are linear in the entries, so the whole is the sum of the
        sets. Each thread adds up the per-step stocks of its sets instead of
        keeping every set's (North Korea: 16 MB instead of 232 MB).

        Args:
            arrays: As for :meth:`run`.
            entry_weights: (P, T) multipliers of each set's entries at each step.

        Returns:
            The whole (one :class:`~crossings.tallies.Tallies`, no leading axis)
            and each set's ``final_stocks`` (P, S, 2: people at the end),
            ``flows`` (P, Y, S + 1, S, 2) and ``hazard_counts`` (P, Y, H).
        """
        kw = self._propagate(arrays, entry_weights, True)
        if kw["stocks"].ndim == 4:  # the daily reference: every set's stocks, added here
            kw["final_stocks"] = kw["stocks"][:, -1]
            kw["stocks"] = kw["stocks"].sum(axis=0)
        per_set = {
            "final_stocks": kw.pop("final_stocks"),
            "flows": kw["flows"],
            "hazard_counts": kw["hazard_counts"],
        }
        whole = {k: (v if k == "stocks" else v.sum(axis=0)) for k, v in kw.items()}
        return Tallies(**whole), per_set

    def _propagate(
        self, arrays: dict[str, F64], entry_weights: F64 | None, sum_stocks: bool
    ) -> dict[str, Any]:
        """The tally arrays of :meth:`run` (``sum_stocks``: see :meth:`run_cohorts`)."""
        m = self.model
        P = next(iter(arrays.values())).shape[0] if arrays else 1
        base = self.base_arrays(P) if len(arrays) < len(VARYING) else {}
        a = {k: np.ascontiguousarray(arrays.get(k, base.get(k)), dtype=np.float64) for k in VARYING}
        S, T = self.S, self.T
        C = len(m.consequence_ids)
        cls = self._classification(a["det_prob"]) if self.method == "daily" else np.zeros(0)
        ent, init = self._entries(a["combo_rate"], a["initial"])
        if entry_weights is not None:
            wts = np.asarray(entry_weights, np.float64)
            if wts.shape != (P, T):
                raise ValueError(f"entry_weights must have shape {(P, T)}, not {wts.shape}")
            ent = ent * wts[:, :, None]
            init = init * wts[:, :1]
        fm, fh = (
            self._families(a["family_share"]) if C else (np.zeros((P, S, 0)), np.zeros((P, S, 0)))
        )
        if self.method == "daily":
            kw = self._run_daily(a, cls, ent, init, fm, fh, P)
        else:
            kw = self._run_fast(
                a, ent, init, fm, fh, P, self._first_steps(ent, init), sum_stocks=sum_stocks
            )
        if C:
            # the last family column counts each member (household) once
            kw["family_affected"] = np.ascontiguousarray(kw["family_members"][:, :, C])
            kw["family_affected_households"] = np.ascontiguousarray(
                kw["family_households"][:, :, C]
            )
            kw["family_members"] = np.ascontiguousarray(kw["family_members"][:, :, :C])
            kw["family_households"] = np.ascontiguousarray(kw["family_households"][:, :, :C])
        return kw

    # ------------------------------------------------------------------
    @property
    def plan(self) -> FastPlan:
        """The tables of the fast propagation (built on first use)."""
        return self._fast_plan(self._fast_options["merge"])[0]

    def _fast_plan(self, merge: bool) -> tuple[FastPlan, tuple[I64, F64]]:
        """The plan (merged twins or not) and its packed filter bank, built once."""
        if merge not in self._plans:
            o = self._fast_options
            plan = build_plan(
                self, project=o["project"], merge=merge, share_filters=o["share_filters"]
            )
            bank = FirBank.build(plan.pmfs, plan.fir_types, stages=o["stages"])
            self._plans[merge] = (plan, bank.pack())
        return self._plans[merge]

    def _twins_hold(self, plan: FastPlan, rate: F64) -> bool:
        """Whether every parameter set keeps the merged states' hazard rates identical."""
        for members in plan.info["merged_components"]:
            first = rate[:, :, members[0]]
            if any(not np.array_equal(rate[:, :, c], first) for c in members[1:]):
                return False
        return True

    def _outputs(self, n: int, Pc: int, n_stocks: int | None = None) -> dict[str, F64]:
        """Zeroed tallies with a leading chunk axis and sets last.

        ``n_stocks`` gives ``stocks`` another leading size (the threads, when each
        thread adds up its chunks' stocks).
        """
        m = self.model
        S, T, H = self.S, self.T, self.H
        Y = len(m.years)
        F = max(m.n_flags, 1)
        W, R = len(m.wave_ids), len(m.rc_ids)
        C = len(m.consequence_ids)
        C = C + 1 if C else 0  # the consequences and "any of them" (see _families)
        n_rules = max(len(m.rule_labels), 1)

        def zeros(*shape: int) -> F64:
            return np.zeros((n, *shape, Pc))

        return {
            "stocks": np.zeros((n if n_stocks is None else n_stocks, T, S, 2, Pc)),
            "flows": zeros(Y, S + 1, S, 2),
            "flag_flows": zeros(Y, F, S, 2),
            "wave_moved": zeros(W, 2),
            "rc_moved": zeros(R, 2),
            "family_members": zeros(Y, C, S),
            "family_households": zeros(Y, C, S),
            "rule_counts": zeros(Y, n_rules, 2),
            "hazard_counts": zeros(Y, max(H, 1)),
        }

    @staticmethod
    def _chunks(P: int) -> tuple[int, int, NDArray[np.intp]]:
        """Threads, sets per thread and the set each (thread, slot) computes."""
        n = max(1, min(nb.get_num_threads(), P))
        Pc = -(-P // n)
        pick = np.minimum(np.arange(n * Pc), P - 1).reshape(n, Pc)
        return n, Pc, pick

    @staticmethod
    def _schedule(starts: NDArray[np.int64], T: int, one_per_chunk: bool = False) -> _Schedule:
        """Chunks of sets, the step each starts at, and the chunks each thread computes.

        Sets that all start on step 0 (the usual case) are split evenly over the
        threads, one chunk each, as :meth:`_chunks`. Sets that start later (entry
        cohorts: nobody present before their first entry) get a chunk each, which
        starts at the set's first step; the chunks go to the threads longest
        first, each to the thread with the least work so far. Skipping the steps
        before a set's first entry is exact: they would add only zeros. The figures
        do not depend on the schedule beyond rounding: a set's arithmetic never
        involves another set. ``one_per_chunk`` asks for one set per chunk whatever
        the starts (as the sum of per-thread stocks needs).
        """
        P = int(starts.size)
        n_thr = max(1, min(nb.get_num_threads(), P))
        if not one_per_chunk and not np.any(starts > 0):
            n, _, pick = ExpectedModel._chunks(P)
            groups = np.arange(n, dtype=np.int64).reshape(n, 1)
            return _Schedule(pick, np.zeros(n, np.int64), groups)
        # one set per chunk (measured fastest: each set skips its own empty steps)
        order = np.argsort(starts, kind="stable")
        pick = order.reshape(P, 1).astype(np.intp)
        t_start = np.minimum(starts[order], T).astype(np.int64)
        load = np.zeros(n_thr)
        assigned: list[list[int]] = [[] for _ in range(n_thr)]
        for c in np.argsort(t_start, kind="stable"):  # the longest first
            i = int(np.argmin(load))
            assigned[i].append(int(c))
            load[i] += T - t_start[c]
        groups = np.full((n_thr, max(len(a) for a in assigned)), -1, np.int64)
        for i, a in enumerate(assigned):
            groups[i, : len(a)] = a
        return _Schedule(pick, t_start, groups)

    @staticmethod
    def _unpick(arr: F64, pick: NDArray[np.intp], P: int) -> F64:
        """(chunks, ..., sets of the chunk) → (P, ...): each set from its chunk's slot."""
        full = np.moveaxis(arr, -1, 1)  # (chunks, slot, ...)
        if pick.shape[1] == 1 and np.array_equal(pick[:, 0], np.arange(P)):
            # one set per chunk, in order (the entry cohorts): a view, no copy
            return full.reshape(P, *full.shape[2:])
        out = np.empty((P, *full.shape[2:]))
        out[pick.ravel()] = full.reshape(pick.size, *full.shape[2:])
        return out

    def _run_daily(
        self, a: dict[str, F64], cls: F64, ent: F64, init: F64, fm: F64, fh: F64, P: int
    ) -> dict[str, Any]:
        """The daily kernel (the reference)."""
        m = self.model
        S, T, NT = self.S, self.T, self.NT
        H = self.H
        n, Pc, pick = self._chunks(P)

        def chunk(arr: F64) -> F64:
            """(P, ...) → (chunks, ..., sets of the chunk): sets on the last axis."""
            return np.ascontiguousarray(np.moveaxis(np.asarray(arr)[pick], 1, -1))

        rate = a["rate"]
        if rate.shape[2] == 0:
            rate = np.zeros((P, rate.shape[1], 1))
        o = self._outputs(n, Pc)
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
        return {k: self._unpick(v, pick, P) for k, v in o.items()}

    def _first_steps(self, ent: F64, init: F64) -> NDArray[np.int64]:
        """Each set's first step with anyone in it: its first entry (``T``: none)."""
        T = self.T
        any_ent: NDArray[np.bool_] = np.any(ent > 0.0, axis=2)  # (P, T)
        first = np.where(np.any(any_ent, axis=1), np.argmax(any_ent, axis=1), T).astype(np.int64)
        first[np.any(init > 0.0, axis=1)] = 0
        return first

    def _run_fast(
        self,
        a: dict[str, F64],
        ent: F64,
        init: F64,
        fm: F64,
        fh: F64,
        P: int,
        starts: NDArray[np.int64] | None = None,
        sum_stocks: bool = False,
    ) -> dict[str, Any]:
        """The fast propagation (:mod:`crossings.expected.fast`).

        ``starts`` gives each set's first step with anyone in it (default: all
        step 0); sets that start later skip the empty steps before it. With
        ``sum_stocks``, ``stocks`` is the sum over the sets (T, S, 2), kept per
        thread instead of per set, and ``final_stocks`` (P, S, 2) each set's
        people at the end.
        """
        m = self.model
        plan, (fi, ff) = self._fast_plan(self._fast_options["merge"])
        if self._fast_options["merge"] and not self._twins_hold(plan, a["rate"]):
            # a set gives the twins different rates: propagate them apart
            plan, (fi, ff) = self._fast_plan(False)
        sched = self._schedule(
            np.zeros(P, np.int64) if starts is None else starts, self.T, one_per_chunk=sum_stocks
        )
        pick = sched.pick
        n, Pc = pick.shape

        def chunk(arr: F64) -> F64:
            return np.ascontiguousarray(np.moveaxis(np.asarray(arr)[pick], 1, -1))

        rate = a["rate"]
        if rate.shape[2] == 0:
            rate = np.zeros((P, rate.shape[1], 1))
        # classification of the node's arrival types, and where each rule sends them
        G = a["det_prob"].shape[1]
        types = plan.cls_rules
        daily = np.argsort(plan.types.perm)
        if plan.cn >= 0:
            cls = self._classification(
                a["det_prob"], self.tau_flags[daily[types]], plan.types.sex[types]
            )
            to_d = np.zeros((cls.shape[3], plan.cn_d.size))
            col = {int(d): j for j, d in enumerate(plan.cn_d)}
            for r in range(self.rt_ptr.size - 1):
                for j in range(int(self.rt_ptr[r]), int(self.rt_ptr[r + 1])):
                    to_d[r, col[int(self.rt_state[j])]] += self.rt_p[j]
            route = np.einsum("pgir,rj->pgji", cls, to_d)
        else:
            cls = np.zeros((P, G, 1, 1))
            route = np.zeros((P, G, 1, 1))
        cls_c = chunk(cls)  # (n, G, types, rules, Pc)
        route_c = chunk(route)  # (n, G, J, types, Pc)
        route_c = np.ascontiguousarray(route_c.reshape(route_c.shape[0], -1))
        o = self._outputs(n, Pc, n_stocks=sched.groups.shape[0] if sum_stocks else None)
        final = np.zeros((n if sum_stocks else 0, self.S, 2, Pc))
        i64 = np.int64
        fast.propagate_many(
            self.T,
            sched.t_start,
            sched.groups,
            sum_stocks,
            final,
            m.step_seg.astype(i64),
            self.year_index,
            plan.args(),
            fi,
            ff,
            chunk(rate),
            cls_c,
            route_c,
            m.wave_step.astype(i64),
            chunk(a["wave_share"]),
            m.wave_active.astype(np.bool_),
            m.rc_step.astype(i64),
            m.rc_from.astype(i64),
            m.rc_to.astype(i64),
            chunk(a["rc_share"]),
            chunk(ent),
            chunk(init),
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
        if sum_stocks:
            whole = o.pop("stocks").sum(axis=(0, 4))  # (T, S, 2): threads and slots
            out = {k: self._unpick(v, pick, P) for k, v in o.items()}
            out["stocks"] = whole
            out["final_stocks"] = self._unpick(final, pick, P)
        else:
            out = {k: self._unpick(v, pick, P) for k, v in o.items()}
        self._entry_flows(out["flows"], ent, init, plan.en_wsex)
        return out

    def _entry_flows(self, flows: F64, ent: F64, init: F64, wsex: F64) -> None:
        """Add the moves from outside (entries) to ``flows`` (P, Y, S + 1, S, 2).

        As the daily kernel counts them: on each step, each entry combination
        whose entries summed over the sets are positive; the initial people on
        step 0.
        """
        m = self.model
        S = self.S
        K = ent.shape[2]
        if K == 0:
            return
        Y = flows.shape[1]
        on = ent.sum(axis=0) > 0  # (T, K)
        e = np.where(on[None], ent, 0.0)  # (P, T, K)
        by_year = np.zeros((ent.shape[0], Y, K))
        for y in range(Y):
            by_year[:, y] = e[:, self.year_index == y].sum(axis=1)
        y0 = int(self.year_index[0])
        if init.sum() > 0:
            by_year[:, y0] += np.where(init.sum(axis=0) > 0, init, 0.0)
        for k in range(K):
            d = int(m.combo_state[k])
            for sx in (0, 1):
                if wsex[k, sx] > 0:
                    flows[:, :, S, d, sx] += by_year[:, :, k] * wsex[k, sx]


_PER_SET_FIELDS = frozenset(
    {
        "sha256",
        "hazards.rate",
        "combo_rate",
        "combo_fixed",
        "combo_initial",
        "det_prob",
        "wave_share",
        "rc_share",
        "family_share",
    }
)
"""Compiled fields a parameter set of a batch may change (the :data:`VARYING` arrays)."""


def _first_difference(a: object, b: object, path: str) -> str | None:
    """The first field (dotted path) where two compiled objects differ.

    Fields in :data:`_PER_SET_FIELDS` are skipped; ``None`` if they agree.
    """
    if path in _PER_SET_FIELDS:
        return None
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            sub = f"{path}.{f.name}" if path else f.name
            diff = _first_difference(getattr(a, f.name), getattr(b, f.name), sub)
            if diff is not None:
                return diff
        return None
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if len(a) != len(b):
            return path
        for j, (x, y) in enumerate(zip(a, b, strict=True)):
            diff = _first_difference(x, y, f"{path}[{j}]")
            if diff is not None:
                return diff
        return None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        same = (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and np.array_equal(a, b)
        )
        return None if same else path
    return None if a == b else path


def stacked_arrays(models: Sequence[CompiledModel]) -> dict[str, F64]:
    """The :data:`VARYING` arrays of several compilations of one scenario, one set each.

    An :class:`ExpectedModel` of ``models[0]`` run on these arrays gives, for
    each model, its own expected tallies (what :func:`expected_values` gives
    for it alone), provided the models differ in the varying arrays only:
    rates, inflow rates, detection probabilities, shares and start stocks.

    Raises:
        ExpectedModeError: If a model differs from the first elsewhere (a
            duration, a date, a state), naming the field.
    """
    if not models:
        raise ValueError("no models to stack")
    first = models[0]
    fixed0 = fixed_without_start(first)
    for i, m in enumerate(models[1:], start=1):
        diff = _first_difference(first, m, "")
        if diff is None and not np.array_equal(fixed_without_start(m), fixed0):
            diff = "combo_fixed"
        if diff is not None:
            raise ExpectedModeError(
                f"parameter set {i} changes the compiled model's {diff}, not only its rates, "
                "shares and inflows: its expected values cannot share a batch with the "
                "others; run it on its own (or use agent runs)"
            )
    arrays = [ExpectedModel.varying(m) for m in models]
    return {k: np.stack([a[k] for a in arrays]) for k in VARYING}


def fixed_without_start(m: CompiledModel) -> NDArray[np.int64]:
    """The compiled fixed entries, less the people present at the start."""
    fixed = np.array(m.combo_fixed, np.int64, copy=True)
    if fixed.shape[0]:
        fixed[0] -= m.combo_initial
    return fixed


def expected_values(model: CompiledModel, lump_steps: int | None = None) -> Tallies[np.float64]:
    """The expected tallies of ``model`` (floats, one set); exact by default.

    Example:
        >>> from crossings import load_scenario
        >>> from crossings.compile.compiler import compile_scenario
        >>> raw = expected_values(compile_scenario(load_scenario("example")))
    """
    return ExpectedModel(model, lump_steps).run({}).item(0)


__all__ = [
    "VARYING",
    "ExpectedModeError",
    "ExpectedModel",
    "expected_values",
    "fixed_without_start",
    "stacked_arrays",
]
