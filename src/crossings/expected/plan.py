"""The tables of the fast propagation (:mod:`crossings.expected.fast`), built once per model.

The fast propagation keeps the daily kernel's order of events, step for step,
but visits far fewer numbers. Each trick here is exact and can be switched off
(the tests compare each with the daily kernel):

* **Reachable types only.** A state holds only the person types that can
  reach it (found by following every move of every type from the entries:
  hazards, flags acquired, durations, classification, waves,
  reclassifications, flags set on entry and cohort bits), listed in the
  order of the type index, whose highest bits are the reclassification
  cohorts: until someone enters a cohort the propagation runs over the lower
  part of each list only.
* **Projection** (``project``). A type keeps only the attributes that some
  event reachable from the state reads: the flags and age bands and origins
  that a hazard multiplier or the classification rules use downstream, and
  the cohort bits where a reclassification can still pick people up. Where
  nothing downstream reads a flag (people on their way to South Korea, in a
  camp for life, the dead), types that differ only in it are one type, by
  linearity exactly.
* **Merged twins** (``merge``). States with a duration whose dynamics are
  identical — same duration, hazards, targets, flags, cohorts, no wave —
  (North Korea's five SSD holding centres) are propagated once for all of
  them (the *representative* receives the sum of their entrants and moves
  people on); each keeps a *shadow* with only the attributes its own events
  read (sex, its cohort bits), which receives its own entrants and keeps its
  tallies but moves nobody. By linearity the sum is exact.

* **Shared filters** (``share_filters``). States with the same duration
  distribution (a representative and its shadows) share one filter of
  :mod:`crossings.expected.fir`: one call per step over all their rows.
* **Straight to the residents.** Moves into a state that sets no flag or
  cohort bit on entry and counts no families skip the settling pass.

Moves between states are *edges*: the people of each type of the source go
to one type of the target (its arrival list), through a map of indices,
contiguous where the lists line up (then the kernel adds whole rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from crossings.expected.fast import ARGS

if TYPE_CHECKING:
    from crossings.expected import ExpectedModel

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass
class Types:
    """The person types in the fast kernel's order.

    ``ι = origin + NO (age + A (flags + F (sex + 2 cohorts)))`` with ``F = 2**n_flag_bits``:
    sorted by index, a state's types come in blocks of one cohort combination
    and one sex (so sums by sex are sums of contiguous blocks), and the people
    of a reclassification cohort after everyone else (so the propagation runs
    over the first part of each list until the cohort's window opens).
    ``perm[τ]`` is the index ``ι`` of the daily kernel's type ``τ``.
    """

    NT: int
    A: int
    NO: int  # origins
    n_flag_bits: int
    n_rc: int
    sex: I64
    age: I64
    origin: I64
    bits: I64  # flags (low) and cohort bits (high), as the daily kernel's ``bits``
    perm: I64

    def index(self, sex: int, origin: int, age: int, bits: int) -> int:
        """The type index of these attributes."""
        F = 1 << self.n_flag_bits
        flags = bits & (F - 1)
        rc = bits >> self.n_flag_bits
        return int(origin + self.NO * (age + self.A * (flags + F * (sex + 2 * rc))))

    def with_bits(self, i: int, set_bits: int = 0, clear_bits: int = 0) -> int:
        """Type ``i`` with ``set_bits`` set and ``clear_bits`` cleared."""
        b = (int(self.bits[i]) | set_bits) & ~clear_bits
        return self.index(int(self.sex[i]), int(self.origin[i]), int(self.age[i]), b)

    def project(self, i: int, keep: tuple[bool, bool, int]) -> int:
        """Type ``i`` with the attributes not kept zeroed (``keep = (age, origin, bit mask)``)."""
        a, o, bm = keep
        return self.index(
            int(self.sex[i]),
            int(self.origin[i]) if o else 0,
            int(self.age[i]) if a else 0,
            int(self.bits[i]) & bm,
        )

    def block(self, i: int) -> int:
        """The (cohorts, sex) block of type ``i``."""
        return int(self.sex[i] + 2 * (int(self.bits[i]) >> self.n_flag_bits))


def types_of(ev: ExpectedModel) -> Types:
    """The types of ``ev`` in the fast order, with the map from the daily order."""
    A, NO, NB = ev.A, ev.O, ev.NB
    NT = ev.NT
    nbf = ev.n_bits - len(ev.model.rc_ids)
    F = 1 << nbf
    i = np.arange(NT)
    origin = i % NO
    rest = i // NO
    age = rest % A
    rest //= A
    flags = rest % F
    rest //= F
    sex = rest % 2
    rc = rest // 2
    bits = flags + F * rc
    perm = (
        ev.tau_origin
        + NO
        * (ev.tau_age + A * ((ev.tau_bits & (F - 1)) + F * (ev.tau_sex + 2 * (ev.tau_bits >> nbf))))
    ).astype(np.int64)
    assert np.array_equal(np.sort(perm), np.arange(NT))
    assert 1 << ev.n_bits == NB
    return Types(
        NT=NT,
        A=A,
        NO=NO,
        n_flag_bits=nbf,
        n_rc=len(ev.model.rc_ids),
        sex=sex.astype(np.int64),
        age=age.astype(np.int64),
        origin=origin.astype(np.int64),
        bits=bits.astype(np.int64),
        perm=perm,
    )


@dataclass
class _Int:
    """One state of the fast propagation (see :class:`FastPlan`)."""

    src: int  # original state whose dynamics it has
    tally: int  # original state whose tallies it keeps, or -1
    prop: bool  # moves its people on
    keep: tuple[bool, bool, int]  # projection (age, origin, bit mask)
    members: tuple[int, ...] = ()  # original states whose entrants it receives
    resident: list[int] = field(default_factory=list)  # its types (ι, sorted)
    arrival: list[int] = field(default_factory=list)  # types of its entrants before settling


class _Edges:
    """Index maps from one state's types to another's, deduplicated.

    An edge adds people to its target's arrivals (settled on entry) or, for a
    flag acquired by hazard, to its own residents (``res``).
    """

    def __init__(self) -> None:
        self.tgt: list[int] = []
        self.res: list[int] = []
        self.kind: list[int] = []  # 0 contiguous (target = off + i), 1 map, 2 block sums
        self.off: list[int] = []  # offset (contiguous) or start in maps (map)
        self.maps: list[int] = []
        self.pmax: list[int] = []  # 1 + max(map[:i + 1]), aligned with maps
        self._memo: dict[tuple[int, bool, tuple[int, ...], tuple[tuple[int, int], ...]], int] = {}

    def add(
        self, tgt: int, m: list[int], res: bool = False, blocks: tuple[tuple[int, int], ...] = ()
    ) -> int:
        """The edge moving source type ``i`` to index ``m[i]`` of ``tgt``.

        ``blocks`` are the source's runs of residents of one sex and cohort
        combination: where the map is constant on each, the edge adds block
        sums (kind 2).
        """
        key = (tgt, res, tuple(m), blocks)
        if key in self._memo:
            return self._memo[key]
        e = len(self.tgt)
        self.tgt.append(tgt)
        self.res.append(int(res))
        if all(m[i] == m[0] + i for i in range(len(m))):
            self.kind.append(0)
            self.off.append(m[0] if m else 0)
        elif blocks and all(len({m[i] for i in range(lo, hi)}) == 1 for lo, hi in blocks):
            # [number of blocks, (first, past the last, target) per block]
            self.kind.append(2)
            self.off.append(len(self.maps))
            self.maps.append(len(blocks))
            self.pmax.append(0)
            for lo, hi in blocks:
                self.maps.extend([lo, hi, m[lo]])
                self.pmax.extend([0, 0, 0])
        else:
            self.kind.append(1)
            self.off.append(len(self.maps))
            self.maps.extend(m)
            best = -1
            for v in m:
                best = max(best, v)
                self.pmax.append(best + 1)
        self._memo[key] = e
        return e


def _fill(m: list[int | None], n_target: int, blocks: tuple[tuple[int, int], ...]) -> list[int]:
    """A map with its don't-care entries (``None``: nobody moves) filled in bounds.

    Filled to keep the map contiguous where the known entries are, else
    constant on the source's blocks, else with any valid index.
    """
    known = [(i, v) for i, v in enumerate(m) if v is not None]
    if not known:
        return [0] * len(m)
    i0, v0 = known[0]
    off = v0 - i0
    if all(v == off + i for i, v in known) and off >= 0 and off + len(m) <= n_target:
        return [off + i for i in range(len(m))]
    out = list(m)
    for lo, hi in blocks:
        vals = {v for v in out[lo:hi] if v is not None}
        if len(vals) == 1:
            v = vals.pop()
            for i in range(lo, hi):
                out[i] = v
    return [v if v is not None else v0 for v in out]


def _csr(groups: list[list[int]]) -> tuple[I64, I64]:
    ptr = np.zeros(len(groups) + 1, np.int64)
    for i, g in enumerate(groups):
        ptr[i + 1] = ptr[i] + len(g)
    flat = np.asarray([x for g in groups for x in g], np.int64)
    return ptr, flat if flat.size else np.zeros(1, np.int64)


@dataclass
class FastPlan:
    """Everything the fast kernel reads that does not change between parameter sets.

    Built by :func:`build_plan`; :meth:`args` gives the arrays in the
    kernel's order. Sizes: ``n`` internal states, ``n_pairs`` (state, type)
    pairs, ``n_ic`` hazard components of internal states.
    """

    types: Types
    n: int
    src: I64
    tally: I64
    prop: NDArray[np.bool_]
    n_res: I64
    res_off: I64
    res_sex: I64
    res_type: I64
    seg_ptr: I64  # per internal state: its blocks of residents of one sex (and cohorts)
    seg_lo: I64
    seg_hi: I64
    seg_sex: I64
    n_arr: I64
    arr_off: I64
    arr_sex: I64
    arr_type: I64
    dur: I64  # 0 none, 1 per type, 2 lumped (one filter row per sex)
    fir_of: I64
    fir_row: I64  # first row (per set) of the state in its filter
    fir_mem_ptr: I64  # per filter: the states sharing it
    fir_mem: I64
    lump_rep: I64  # (n, 2): a resident index of each sex (lumped states)
    ic_ptr: I64
    ic_c: I64
    ic_flag: I64  # flag number for a flag acquired by hazard, else -1
    ic_tg: I64
    ic_off: I64  # offset of the component's per-type tables (one per resident type)
    ic_mult: F64
    ic_e_ptr: I64
    ic_e: I64
    th_ptr: I64  # per internal state: its then-targets
    th_d: I64
    th_p: F64
    th_e_ptr: I64
    th_e: I64
    cn: int  # internal index of the classification node (−1: none)
    cn_d: I64  # original targets of the classification node
    cn_e_ptr: I64
    cn_e: I64
    wv_int: I64  # per wave: the internal state it empties (−1: none)
    wv_j_ptr: I64  # per wave: its targets
    wv_d: I64
    wv_p: F64
    wv_e_ptr: I64
    wv_e: I64
    rc_s_ptr: I64  # per reclassification: the internal states it applies to
    rc_s: I64
    rc_bitloc: I64  # per (rc, state) entry: CSR of resident indices with the cohort bit
    rc_bit_ptr: I64
    rc_j_ptr: I64  # per reclassification: its targets
    rc_d: I64
    rc_p: F64
    rc_e_ptr: I64  # per ((rc, state) entry, target)
    rc_e: I64
    en_ptr: I64  # per combo: arrivals (internal state, arrival index, weight)
    en_int: I64
    en_res: I64  # 1: straight to the residents (the state settles nobody)
    en_loc: I64
    en_w: F64
    en_wsex: F64  # per combo: weight of each sex (flows tally)
    combo_state: I64
    st_kind: I64  # per internal state: 0 identity settle, 1 by maps
    st_map_ptr: I64  # per internal state: start of its 2**n_rc maps (arrival → resident)
    st_maps: I64
    st_pmax: I64
    has_fam: NDArray[np.bool_]
    e_tgt: I64
    e_res: I64
    e_kind: I64
    e_off: I64
    e_maps: I64
    e_pmax: I64
    cls_rules: I64  # per arrival type of the classification node: ι (to index P(rule))
    pmfs: list[F64]
    fir_types: list[int]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_pairs(self) -> int:
        """Resident (state, type) pairs."""
        return int(self.res_off[-1])

    @property
    def n_arrivals(self) -> int:
        """Arrival (state, type) pairs."""
        return int(self.arr_off[-1])

    def args(self) -> tuple[Any, ...]:
        """The static arrays in the order :func:`crossings.expected.fast.propagate` takes them."""
        return tuple(getattr(self, n) for n in ARGS)


def _reads(ev: ExpectedModel, ty: Types) -> list[tuple[bool, bool, int]]:
    """What the events of each original state read: (age, origin, bit mask)."""
    m = ev.model
    hz = m.hazards
    S = m.n_states
    nbf = ty.n_flag_bits
    flag_bit = {}
    used = 0
    for arr in (hz.flag_mask, m.rule_any, m.rule_all, m.rule_none):
        if arr.size:
            used |= int(np.bitwise_or.reduce(arr.astype(np.int64)))
    for i, f in enumerate(f for f in range(m.n_flags) if used >> f & 1):
        flag_bit[f] = 1 << i
    assert len(flag_bit) == nbf

    def compact(mask: int) -> int:
        return sum(b for f, b in flag_bit.items() if mask >> f & 1)

    out = []
    for s in range(S):
        a0, a1 = int(hz.ptr[s]), int(hz.ptr[s + 1])
        age = bool(np.any(hz.mult_age[a0:a1] != hz.mult_age[a0:a1, :1]))
        orig = bool(np.any(hz.mult_origin[a0:a1] != hz.mult_origin[a0:a1, :1]))
        bm = 0
        for c in range(a0, a1):
            bm |= compact(int(hz.flag_mask[c]))
        if s == m.classify_node:
            for arr in (m.rule_any, m.rule_all, m.rule_none):
                for v in arr:
                    bm |= compact(int(v))
        for r in range(ty.n_rc):
            if m.rc_eligible[r, s] and 0 <= int(m.rc_step[r]) < m.n_steps:
                bm |= 1 << (nbf + r)
        out.append((age and ty.A > 1, orig and ty.NO > 1, bm))
    return out


def _successors(ev: ExpectedModel) -> list[set[int]]:
    """The original states each state can send people to (any move)."""
    m = ev.model
    S = m.n_states
    nxt: list[set[int]] = [set() for _ in range(S)]
    hz = m.hazards
    for s in range(S):
        for c in range(int(hz.ptr[s]), int(hz.ptr[s + 1])):
            tg = int(hz.target[c])
            nxt[s].add(s if tg < 0 else tg)
        for j in range(int(m.then.ptr[s]), int(m.then.ptr[s + 1])):
            nxt[s].add(int(m.then.state[j]))
    for w in range(len(m.wave_ids)):
        s = int(m.wave_state[w])
        for j in range(int(m.wave_targets.ptr[w]), int(m.wave_targets.ptr[w + 1])):
            nxt[s].add(int(m.wave_targets.state[j]))
    for r in range(len(m.rc_ids)):
        for s_ in np.flatnonzero(m.rc_eligible[r]):
            for j in range(int(m.rc_targets.ptr[r]), int(m.rc_targets.ptr[r + 1])):
                nxt[int(s_)].add(int(m.rc_targets.state[j]))
    cn = m.classify_node
    if cn >= 0:
        for j in range(len(m.rule_targets.state)):
            nxt[cn].add(int(m.rule_targets.state[j]))
    return nxt


def _closure(nxt: list[set[int]]) -> list[set[int]]:
    S = len(nxt)
    out = []
    for s in range(S):
        seen = {s}
        stack = [s]
        while stack:
            u = stack.pop()
            for v in nxt[u]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        out.append(seen)
    return out


def _possible_rules(ev: ExpectedModel, ty: Types, daily: I64) -> Any:
    """For a type ``ι``: the rules the classification node can apply to it.

    Any subset of its flags may be detected (detection probabilities are
    calibrated), in any segment's rule set.
    """
    m = ev.model
    if m.classify_node < 0 or not len(m.rule_labels):
        return lambda i: ()
    sets = [np.flatnonzero(m.rule_ruleset == r) for r in range(max(1, len(m.ruleset_ids)))]
    used_sets = sorted({int(x) for x in m.seg_ruleset})
    memo: dict[int, tuple[int, ...]] = {}

    def rules(i: int) -> tuple[int, ...]:
        if i in memo:
            return memo[i]
        full = int(ev.tau_flags[daily[i]])
        sx = int(ty.sex[i])
        fl = [f for f in range(m.n_flags) if full >> f & 1]
        out: set[int] = set()
        for rs in used_sets:
            for sub in range(1 << len(fl)):
                det = sum(1 << f for k, f in enumerate(fl) if sub >> k & 1)
                out.add(choose_rule(m, sets[rs], sx, det))
        memo[i] = tuple(sorted(out))
        return memo[i]

    return rules


def choose_rule(m: Any, rules: I64, sx: int, det: int) -> int:
    """The rule (of one rule set, in order) applied to sex ``sx`` with flags ``det`` detected."""
    pick = int(rules[-1]) if rules.size else 0
    for r_ in rules:
        r = int(r_)
        if m.rule_default[r]:
            return r
        ok = not (m.rule_any[r] and not det & int(m.rule_any[r]))
        ok = ok and not (m.rule_all[r] and det & int(m.rule_all[r]) != int(m.rule_all[r]))
        ok = ok and not (m.rule_none[r] and det & int(m.rule_none[r]))
        ok = ok and not (m.rule_sex[r] >= 0 and sx != m.rule_sex[r])
        if ok:
            return r
    return pick


def build_plan(
    ev: ExpectedModel,
    *,
    project: bool = True,
    merge: bool = True,
    share_filters: bool = True,
) -> FastPlan:
    """The fast kernel's tables for ``ev`` (see the module docstring for the options).

    Args:
        ev: The expected-value model (its daily tables).
        project: Keep only the attributes read downstream.
        merge: Propagate identical states with a duration once.
        share_filters: One filter for all states with the same duration.
    """
    m = ev.model
    ty = types_of(ev)
    S = m.n_states
    hz = m.hazards
    nbf = ty.n_flag_bits
    full_keep = (ty.A > 1, ty.NO > 1, (1 << (nbf + ty.n_rc)) - 1)
    reads = _reads(ev, ty)
    nxt = _successors(ev)
    reach = _closure(nxt)

    def union(states: set[int]) -> tuple[bool, bool, int]:
        a = o = False
        bm = 0
        for d in states:
            ra, ro, rb = reads[d]
            a, o, bm = a or ra, o or ro, bm | rb
        return a, o, bm

    keep_of = [union(reach[s]) if project else full_keep for s in range(S)]
    cn = int(m.classify_node)
    # ---- settle: flags set on entry and cohort bits (both outcomes of a window)
    R = ty.n_rc
    rc_bits = [1 << (nbf + r) for r in range(R)]

    def settle(d: int, i: int, mask: int) -> int:
        """Type ``i`` entering ``d`` while the windows in ``mask`` are open."""
        s_bits = int(ev.soe[d])
        c_bits = 0
        for r in range(R):
            if ev.ms_member[int(m.rc_milestone[r]), d]:
                if mask >> r & 1:
                    s_bits |= rc_bits[r]
                else:
                    c_bits |= rc_bits[r]
        return ty.with_bits(i, s_bits, c_bits)

    masks = range(1 << R)
    # ---- reachable (state, full type) pairs and arrivals
    perm = ty.perm
    combo_types: list[list[tuple[int, float]]] = []
    for k in range(len(m.combo_inflow)):
        combo_types.append(
            [(int(perm[t]), float(ev.combo_tau_p[k, t])) for t in np.flatnonzero(ev.combo_tau_p[k])]
        )
    resident: list[set[int]] = [set() for _ in range(S)]
    arrival: list[set[int]] = [set() for _ in range(S)]
    stack: list[tuple[int, int]] = []

    daily = np.argsort(perm)  # ι → τ
    rules_of = _possible_rules(ev, ty, daily)

    def arrive(d: int, i: int) -> None:
        if i in arrival[d]:
            return
        arrival[d].add(i)
        if d == cn:
            for r in rules_of(i):
                for j in range(int(m.rule_targets.ptr[r]), int(m.rule_targets.ptr[r + 1])):
                    if ev.rt_p[j] > 0:
                        arrive(int(m.rule_targets.state[j]), i)
            return
        for mk in masks:
            reside(d, settle(d, i, mk))

    def reside(s: int, i: int) -> None:
        if i not in resident[s]:
            resident[s].add(i)
            stack.append((s, i))

    hz_set = ev.hz_setbits
    hz_fb = ev.hz_flagbit
    for k, lst in enumerate(combo_types):
        for i, _w in lst:
            arrive(int(m.combo_state[k]), i)
    while stack:
        s, i = stack.pop()
        for c in range(int(hz.ptr[s]), int(hz.ptr[s + 1])):
            if ev.mult[c, daily[i]] == 0:  # (multipliers are fixed: nobody of type i takes it)
                continue
            tg = int(hz.target[c])
            i2 = ty.with_bits(i, int(hz_set[c]))
            if tg < 0:
                reside(s, ty.with_bits(i2, int(hz_fb[c])))
            else:
                arrive(tg, i2)
        for j in range(int(m.then.ptr[s]), int(m.then.ptr[s + 1])):
            arrive(int(m.then.state[j]), i)
        for w in range(len(m.wave_ids)):
            if int(m.wave_state[w]) == s:
                for j in range(int(m.wave_targets.ptr[w]), int(m.wave_targets.ptr[w + 1])):
                    arrive(int(m.wave_targets.state[j]), i)
        for r in range(R):
            if m.rc_eligible[r, s] and int(ty.bits[i]) & rc_bits[r]:
                for j in range(int(m.rc_targets.ptr[r]), int(m.rc_targets.ptr[r + 1])):
                    arrive(int(m.rc_targets.state[j]), i)
    # ---- groups of identical states with a duration
    dur_len = np.diff(m.dur_ptr)
    waved = {int(s) for s in m.wave_state}
    groups: dict[Any, list[int]] = {}
    if merge:
        for s in range(S):
            if not ev.is_dur[s] or ev.lumped[s] or s == cn or s in waved:
                continue
            a0, a1 = int(hz.ptr[s]), int(hz.ptr[s + 1])
            cdf = m.dur_cdf[int(m.dur_ptr[s]) : int(m.dur_ptr[s + 1])]
            key = (
                cdf.tobytes(),
                int(dur_len[s]),
                tuple(
                    (int(m.then.state[j]), float(ev.then_p[j]))
                    for j in range(int(m.then.ptr[s]), int(m.then.ptr[s + 1]))
                ),
                tuple(
                    (
                        int(hz.target[c]),
                        hz.rate[:, c].tobytes(),
                        ev.mult[c].tobytes(),
                        int(hz_set[c]),
                        int(hz_fb[c]),
                    )
                    for c in range(a0, a1)
                ),
                int(ev.soe[s]),
                tuple(bool(ev.ms_member[int(m.rc_milestone[r]), s]) for r in range(R)),
                tuple(bool(m.rc_eligible[r, s]) for r in range(R)),
            )
            groups.setdefault(key, []).append(s)
    merged = [g for g in groups.values() if len(g) > 1]
    in_group = {s for g in merged for s in g}
    # ---- internal states
    ints: list[_Int] = []
    for s in range(S):
        if s not in in_group:
            ints.append(_Int(src=s, tally=s, prop=True, keep=keep_of[s], members=(s,)))
    for g in merged:
        ints.append(_Int(src=g[0], tally=-1, prop=True, keep=keep_of[g[0]], members=tuple(g)))
        for s in g:
            keep = reads[s] if project else full_keep
            ints.append(_Int(src=s, tally=s, prop=False, keep=keep, members=(s,)))
    targets_of: list[list[int]] = [[] for _ in range(S)]  # internal states receiving d's entrants
    for u, it in enumerate(ints):
        for d in it.members:
            targets_of[d].append(u)
    for it in ints:
        res: set[int] = set()
        arrs: set[int] = set()
        for d in it.members:
            res |= {ty.project(i, it.keep) for i in resident[d]}
            arrs |= {ty.project(i, it.keep) for i in arrival[d]}
        it.resident = sorted(res)
        it.arrival = sorted(arrs)
    # settle: the identity where no kept bit changes on entry (arrivals then use
    # the resident list, so that moves into the state add whole rows)
    settle_id = []
    for it in ints:
        ident = it.src != cn and all(
            ty.project(settle(it.src, i, mk), it.keep) == i for i in it.arrival for mk in masks
        )
        if ident:
            assert set(it.arrival) <= set(it.resident)
            it.arrival = it.resident
        settle_id.append(ident)
    n_int = len(ints)
    C = len(m.consequence_ids)
    has_fam = np.zeros(n_int, np.bool_)
    for u, it in enumerate(ints):
        if it.tally >= 0 and C:
            has_fam[u] = bool(np.any(m.family_share[it.tally] > 0))
    direct = [settle_id[u] and not has_fam[u] and ints[u].src != cn for u in range(len(ints))]
    res_index = [{t: i for i, t in enumerate(it.resident)} for it in ints]
    arr_index = [{t: i for i, t in enumerate(it.arrival)} for it in ints]
    E = _Edges()

    def blocks_of(types: list[int]) -> tuple[tuple[int, int], ...]:
        """Runs of ``types`` (sorted) in one (cohorts, sex) block."""
        out: list[tuple[int, int]] = []
        for i, t in enumerate(types):
            if out and ty.block(types[out[-1][0]]) == ty.block(t):
                out[-1] = (out[-1][0], i + 1)
            else:
                out.append((i, i + 1))
        return tuple(out)

    res_blocks = [blocks_of(it.resident) for it in ints]
    arr_blocks = [blocks_of(it.arrival) for it in ints]

    def edges_to(
        u_src: int, d: int, bits: int, from_arrivals: bool = False, c: int = -1
    ) -> list[int]:
        """Edges from internal state ``u_src``'s residents (or arrivals) into original state ``d``.

        Into a state whose settling is the identity and which counts no
        families, people go straight to its residents (no settling pass). For
        hazard component ``c``, types it cannot move (multiplier 0) may go anywhere.
        """
        out = []
        src_types = ints[u_src].arrival if from_arrivals else ints[u_src].resident
        blocks = arr_blocks[u_src] if from_arrivals else res_blocks[u_src]
        for v in targets_of[d]:
            kv = ints[v].keep
            # a type missing from the target's list is one nobody moves there (its
            # hazard multiplier is 0, or no rule sends it there)
            mp: list[int | None] = [
                None
                if c >= 0 and ev.mult[c, daily[i]] == 0
                else arr_index[v].get(ty.project(ty.with_bits(i, bits), kv))
                for i in src_types
            ]
            filled = _fill(mp, len(ints[v].arrival), blocks)
            out.append(E.add(v, filled, res=direct[v], blocks=blocks))
        return out

    # ---- hazard components
    ic_groups: list[list[int]] = []
    ic_c: list[int] = []
    ic_flag: list[int] = []
    ic_tg: list[int] = []
    ic_off: list[int] = []
    ic_mult: list[float] = []
    ic_ptr = [0]
    for u, it in enumerate(ints):
        s = it.src  # a shadow has its own member's components (the rates are the same)
        for c in range(int(hz.ptr[s]), int(hz.ptr[s + 1])):
            tg = int(hz.target[c])
            ic_c.append(c)
            ic_tg.append(tg)
            ic_flag.append(-tg - 1 if tg < 0 else -1)
            ic_off.append(len(ic_mult))
            # the multiplier of a projected type is that of any type it stands for
            ic_mult.extend(float(ev.mult[c, daily[i]]) for i in it.resident)
            bits = int(hz_set[c])
            if tg < 0:
                i_to: list[int | None] = [
                    None
                    if ev.mult[c, daily[i]] == 0
                    else res_index[u][ty.project(ty.with_bits(i, bits | int(hz_fb[c])), it.keep)]
                    for i in it.resident
                ]
                filled = _fill(i_to, len(it.resident), res_blocks[u])
                ic_groups.append([E.add(u, filled, res=True, blocks=res_blocks[u])])
            elif it.prop:
                ic_groups.append(edges_to(u, tg, bits, c=c))
            else:
                ic_groups.append([])
        ic_ptr.append(len(ic_c))
    # ---- then-targets
    th_ptr = [0]
    th_d: list[int] = []
    th_p: list[float] = []
    th_groups: list[list[int]] = []
    for u, it in enumerate(ints):
        s = it.src
        if ev.is_dur[s]:
            for j in range(int(m.then.ptr[s]), int(m.then.ptr[s + 1])):
                if ev.then_p[j] <= 0:
                    continue
                d = int(m.then.state[j])
                th_d.append(d)
                th_p.append(float(ev.then_p[j]))
                th_groups.append(edges_to(u, d, 0) if it.prop else [])
        th_ptr.append(len(th_d))
    # ---- classification node
    cn_int = -1
    cn_d: list[int] = []
    cn_groups: list[list[int]] = []
    if cn >= 0:
        cn_int = next(u for u, it in enumerate(ints) if it.src == cn)
        cn_d = sorted({int(x) for x in m.rule_targets.state})
        for d in cn_d:
            cn_groups.append(edges_to(cn_int, d, 0, from_arrivals=True))
    # ---- waves
    W = len(m.wave_ids)
    wv_int = []
    wv_j_ptr = [0]
    wv_d: list[int] = []
    wv_p: list[float] = []
    wv_groups: list[list[int]] = []
    for w in range(W):
        s = int(m.wave_state[w])
        u = targets_of[s][0] if targets_of[s] else -1
        assert len(targets_of[s]) == 1  # waved states are never merged
        wv_int.append(u)
        for j in range(int(m.wave_targets.ptr[w]), int(m.wave_targets.ptr[w + 1])):
            d = int(m.wave_targets.state[j])
            wv_d.append(d)
            wv_p.append(float(ev.wt_p[j]))
            wv_groups.append(edges_to(u, d, 0))
        wv_j_ptr.append(len(wv_d))
    # ---- reclassifications
    rc_s_ptr = [0]
    rc_s: list[int] = []
    rc_bitlists: list[list[int]] = []
    rc_j_ptr = [0]
    rc_d: list[int] = []
    rc_p: list[float] = []
    rc_groups: list[list[int]] = []
    for r in range(R):
        for j in range(int(m.rc_targets.ptr[r]), int(m.rc_targets.ptr[r + 1])):
            rc_d.append(int(m.rc_targets.state[j]))
            rc_p.append(float(ev.rct_p[j]))
        rc_j_ptr.append(len(rc_d))
        for u, it in enumerate(ints):
            if not m.rc_eligible[r, it.src]:
                continue
            rc_s.append(u)
            rc_bitlists.append(
                [i for i, t in enumerate(it.resident) if int(ty.bits[t]) & rc_bits[r]]
            )
            for j in range(rc_j_ptr[r], rc_j_ptr[r + 1]):
                rc_groups.append(edges_to(u, rc_d[j], 0) if it.prop else [])
        rc_s_ptr.append(len(rc_s))
    # ---- entries
    en_ptr = [0]
    en_int: list[int] = []
    en_res: list[int] = []
    en_loc: list[int] = []
    en_w: list[float] = []
    K = len(m.combo_inflow)
    en_wsex = np.zeros((max(K, 1), 2))
    for k in range(K):
        d = int(m.combo_state[k])
        for i, wt in combo_types[k]:
            en_wsex[k, int(ty.sex[i])] += wt
        for v in targets_of[d]:
            acc: dict[int, float] = {}
            for i, wt in combo_types[k]:
                li = arr_index[v][ty.project(i, ints[v].keep)]
                acc[li] = acc.get(li, 0.0) + wt
            for li, wt in sorted(acc.items()):
                en_int.append(v)
                en_res.append(int(direct[v]))
                en_loc.append(li)
                en_w.append(wt)
        en_ptr.append(len(en_int))
    # ---- settle maps (arrival → resident) per window mask
    st_kind = []
    st_map_ptr = [0]
    st_maps: list[int] = []
    st_pmax: list[int] = []
    for u, it in enumerate(ints):
        if settle_id[u] or it.src == cn:
            st_kind.append(0)
        else:
            st_kind.append(1)
            for mk in masks:
                best = -1
                for i in it.arrival:
                    v = res_index[u][ty.project(settle(it.src, i, mk), it.keep)]
                    st_maps.append(v)
                    best = max(best, v)
                    st_pmax.append(best + 1)
        st_map_ptr.append(len(st_maps))
    # ---- durations: one filter per distinct duration distribution, shared by the
    # states that have it (their rows side by side, the largest state last, so that
    # rows not yet in use sit at the end)
    dur = []
    rows_of = []  # filter rows per parameter set of each state
    lump_rep = np.zeros((n_int, 2), np.int64)
    by_pmf: dict[bytes, list[int]] = {}
    for u, it in enumerate(ints):
        s = it.src
        if not ev.is_dur[s]:
            dur.append(0)
            rows_of.append(0)
            continue
        o, L = int(ev.ring_off[s]), int(ev.ring_len[s])
        by_pmf.setdefault(ev.dur_pmf[o : o + L].tobytes(), []).append(u)
        if ev.lumped[s]:
            dur.append(2)
            rows_of.append(2)
            # the survival of a sex's row is that of one of its types (the lumped
            # state's hazards are the same for the whole sex); the daily kernel
            # takes the highest type index present: so does this
            for sx in (0, 1):
                idx = [i for i, t in enumerate(it.resident) if ty.sex[t] == sx]
                lump_rep[u, sx] = max(idx, key=lambda i: int(daily[it.resident[i]])) if idx else 0
        else:
            dur.append(1)
            rows_of.append(max(len(it.resident), 1))
    fir_of = [-1] * n_int
    fir_row = [0] * n_int  # first row of each state in its filter (per set)
    pmfs: list[F64] = []
    fir_types: list[int] = []
    fir_members: list[list[int]] = []
    for pmf_key, us in by_pmf.items():
        if not share_filters:
            groups_f = [[u] for u in us]
        else:
            groups_f = [sorted(us, key=lambda u: rows_of[u])]
        for g_ in groups_f:
            f = len(pmfs)
            pmfs.append(np.frombuffer(pmf_key, np.float64).copy())
            row = 0
            for u in g_:
                fir_of[u] = f
                fir_row[u] = row
                row += rows_of[u]
            fir_types.append(row)
            fir_members.append(g_)

    def arr(x: Any, dt: Any = np.int64) -> NDArray[Any]:
        a = np.asarray(x, dt)
        return a if a.size else np.zeros(1, dt)

    ic_e_ptr, ic_e_flat = _csr(ic_groups)
    th_e_ptr, th_e = _csr(th_groups)
    cn_e_ptr, cn_e = _csr(cn_groups)
    wv_e_ptr, wv_e = _csr(wv_groups)
    rc_e_ptr, rc_e = _csr(rc_groups)
    rc_bit_ptr, rc_bitloc = _csr(rc_bitlists)
    n_res = arr([len(it.resident) for it in ints])
    n_arr = arr([len(it.arrival) for it in ints])
    res_off = np.concatenate([[0], np.cumsum(n_res[:n_int])]).astype(np.int64)
    arr_off = np.concatenate([[0], np.cumsum(n_arr[:n_int])]).astype(np.int64)
    res_type = arr([t for it in ints for t in it.resident])
    segs: list[list[tuple[int, int, int]]] = []
    for it in ints:
        sg: list[tuple[int, int, int]] = []
        for i, t in enumerate(it.resident):
            if sg and ty.block(sg[-1][2]) == ty.block(t):
                sg[-1] = (sg[-1][0], i + 1, sg[-1][2])
            else:
                sg.append((i, i + 1, t))
        segs.append(sg)
    seg_ptr = np.concatenate([[0], np.cumsum([len(sg) for sg in segs])]).astype(np.int64)
    arr_type = arr([t for it in ints for t in it.arrival])
    plan = FastPlan(
        types=ty,
        n=n_int,
        src=arr([it.src for it in ints]),
        tally=arr([it.tally for it in ints]),
        prop=np.asarray([it.prop for it in ints], np.bool_),
        n_res=n_res,
        res_off=res_off,
        res_sex=ty.sex[res_type] if res_type.size else np.zeros(1, np.int64),
        res_type=res_type,
        seg_ptr=seg_ptr,
        seg_lo=arr([a for sg in segs for a, _, _ in sg]),
        seg_hi=arr([b for sg in segs for _, b, _ in sg]),
        seg_sex=arr([int(ty.sex[t]) for sg in segs for _, _, t in sg]),
        n_arr=n_arr,
        arr_off=arr_off,
        arr_sex=ty.sex[arr_type] if arr_type.size else np.zeros(1, np.int64),
        arr_type=arr_type,
        dur=arr(dur),
        fir_of=arr(fir_of),
        fir_row=arr(fir_row),
        fir_mem_ptr=_csr(fir_members)[0],
        fir_mem=_csr(fir_members)[1],
        lump_rep=lump_rep,
        ic_ptr=arr(ic_ptr),
        ic_c=arr(ic_c),
        ic_flag=arr(ic_flag),
        ic_tg=arr(ic_tg),
        ic_off=arr(ic_off),
        ic_mult=arr(ic_mult, np.float64),
        ic_e_ptr=ic_e_ptr,
        ic_e=ic_e_flat,
        th_ptr=arr(th_ptr),
        th_d=arr(th_d),
        th_p=arr(th_p, np.float64),
        th_e_ptr=th_e_ptr,
        th_e=th_e,
        cn=cn_int,
        cn_d=arr(cn_d),
        cn_e_ptr=cn_e_ptr,
        cn_e=cn_e,
        wv_int=arr(wv_int),
        wv_j_ptr=arr(wv_j_ptr),
        wv_d=arr(wv_d),
        wv_p=arr(wv_p, np.float64),
        wv_e_ptr=wv_e_ptr,
        wv_e=wv_e,
        rc_s_ptr=arr(rc_s_ptr),
        rc_s=arr(rc_s),
        rc_bitloc=rc_bitloc,
        rc_bit_ptr=rc_bit_ptr,
        rc_j_ptr=arr(rc_j_ptr),
        rc_d=arr(rc_d),
        rc_p=arr(rc_p, np.float64),
        rc_e_ptr=rc_e_ptr,
        rc_e=rc_e,
        en_ptr=arr(en_ptr),
        en_int=arr(en_int),
        en_res=arr(en_res),
        en_loc=arr(en_loc),
        en_w=arr(en_w, np.float64),
        en_wsex=en_wsex,
        combo_state=arr(m.combo_state),
        st_kind=arr(st_kind),
        st_map_ptr=arr(st_map_ptr),
        st_maps=arr(st_maps),
        st_pmax=arr(st_pmax),
        has_fam=has_fam,
        e_tgt=arr(E.tgt),
        e_res=arr(E.res),
        e_kind=arr(E.kind),
        e_off=arr(E.off),
        e_maps=arr(E.maps),
        e_pmax=arr(E.pmax),
        cls_rules=arr(ints[cn_int].arrival if cn_int >= 0 else []),
        pmfs=pmfs,
        fir_types=fir_types,
        info={
            "merged": [[m.state_ids[s] for s in g] for g in merged],
            # per group, per member: its hazard components (their rates must stay equal)
            "merged_components": [
                [list(range(int(hz.ptr[s]), int(hz.ptr[s + 1]))) for s in g] for g in merged
            ],
            "pairs": int(res_off[-1]),
        },
    )
    return plan
