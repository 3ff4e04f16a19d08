"""Compiled inner loops of the engine (numba), for the measured hot spots.

Profiling the vectorised numpy engine showed that scheduling (drawing the
next event of every agent that enters a state) and applying due events cost
about sixty array passes per batch; at small batch sizes the per-call
overhead dominated, at large ones the memory traffic. These kernels do the
same work in one pass per batch. They use the same keyed random numbers as
:mod:`crossings.engine.rng` (bit-identical uniforms), so results do not
depend on which process or in which order agents are handled.

Every kernel is a plain loop over the agents of one batch; the step order
itself stays in Python (:meth:`crossings.engine.core.Simulation.step`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from crossings.engine.rng import _C2, _GOLD, _INV53, _M1, _M2, _S11, _S27, _S30, _S31

NEVER = np.int64(np.iinfo(np.int32).max)


@nb.njit(cache=True, inline="always", error_model="numpy")
def _mix(x):  # pragma: no cover - compiled
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


@nb.njit(cache=True, inline="always", error_model="numpy")
def keyed_uniform(key, gid, ctr):  # pragma: no cover - compiled
    """The uniform of :meth:`KeyedRNG.uniform` for one agent (bit-identical)."""
    x = np.uint64(gid) * _GOLD + (np.uint64(ctr) & np.uint64(0xFFFFFFFF)) * _C2
    x ^= key
    x = _mix(x)
    x += key
    x = _mix(x)
    return (float(x >> _S11) + 0.5) * _INV53


@nb.njit(cache=True, inline="always", error_model="numpy")
def _pick(ptr, cum, d, u):  # pragma: no cover - compiled
    """Index of the entry of distribution ``d`` (CSR ``ptr``/``cum``) that ``u`` falls in."""
    p0 = ptr[d]
    p1 = ptr[d + 1]
    for p in range(p0, p1):
        if u < cum[p]:
            return p
    return p1 - 1


@nb.njit(cache=True, error_model="numpy")
def schedule(
    idx,
    t,
    fresh,
    lo,
    n_steps,
    state,
    evno,
    sex,
    age,
    origin,
    flags,
    deadline,
    due,
    pend,
    n_comp,
    comp_table,
    rate_p,
    msex_p,
    mage_p,
    morigin_p,
    mflag_p,
    flags_used,
    has_mod,
    step_seg,
    seg_start,
    dur_ptr,
    dur_cdf,
    key_time,
    key_choice,
    key_duration,
):  # pragma: no cover - compiled
    """Draw the next event of each agent in ``idx`` (entering or re-starting at ``t``).

    Writes ``deadline`` (when ``fresh``), ``due`` and ``pend`` (component
    index, -1 = end of duration, -2 = nothing). See
    :mod:`crossings.compile.model` for the semantics.
    """
    n = idx.shape[0]
    G = rate_p.shape[0]
    width = comp_table.shape[1]
    mult = np.empty(max(width, 1))
    for i in range(n):
        a = idx[i]
        s = state[a]
        gid = a + lo
        ev = np.int64(evno[a])
        if fresh:
            d0 = dur_ptr[s]
            d1 = dur_ptr[s + 1]
            if d1 > d0:
                if d1 - d0 == 1:
                    dl = t + 1
                else:
                    u = keyed_uniform(key_duration, gid, ev)
                    lo_i = d0
                    hi_i = d1 - 1
                    while lo_i < hi_i:  # first cdf entry > u
                        mid = (lo_i + hi_i) // 2
                        if dur_cdf[mid] > u:
                            hi_i = mid
                        else:
                            lo_i = mid + 1
                    dl = t + 1 + (lo_i - d0)
                dl = min(dl, NEVER)
            else:
                dl = NEVER
            deadline[a] = dl
        else:
            dl = np.int64(deadline[a])
        best = NEVER
        pc = -2
        nh = n_comp[s]
        if nh > 0 and t + 1 < n_steps:
            if has_mod[s]:
                fl = flags[a]
                for j in range(nh):
                    c = comp_table[s, j]
                    mlt = msex_p[c, sex[a]] * mage_p[c, age[a]] * morigin_p[c, origin[a]]
                    for f in flags_used:
                        if (fl >> np.uint32(f)) & np.uint32(1):
                            mlt *= mflag_p[c, f]
                    mult[j] = mlt
            else:
                for j in range(nh):
                    mult[j] = 1.0
            rem = -math.log(keyed_uniform(key_time, gid, ev))
            g = step_seg[t + 1]
            pos = t + 1
            hit = NEVER
            seg_hit = -1
            while g < G:
                end = seg_start[g + 1] if g + 1 < G else n_steps
                length = end - pos
                if length > 0:
                    h = 0.0
                    for j in range(nh):
                        h += rate_p[g, comp_table[s, j]] * mult[j]
                    if h > 0.0:
                        q = rem / h
                        if q <= length:  # ceil(q) <= length (compared as floats: no overflow)
                            hit = pos - 1 + max(np.int64(math.ceil(q)), 1)
                            seg_hit = g
                            break
                        rem -= h * length
                g += 1
                pos = end
            if hit < n_steps:
                if nh == 1:
                    pc = comp_table[s, 0]
                else:
                    tot = 0.0
                    for j in range(nh):
                        tot += rate_p[seg_hit, comp_table[s, j]] * mult[j]
                    u = keyed_uniform(key_choice, gid, ev) * tot
                    cum = 0.0
                    pick = nh - 1
                    for j in range(nh):
                        cum += rate_p[seg_hit, comp_table[s, j]] * mult[j]
                        if u < cum:
                            pick = j
                            break
                    pc = comp_table[s, pick]
                best = hit
        if dl < best:  # a duration ending before the hazard wins; a hazard wins a tie
            best = dl
            pc = -1
        if best >= n_steps:
            best = NEVER
        due[a] = best
        pend[a] = pc


@nb.njit(cache=True, error_model="numpy")
def resolve(
    idx,
    lo,
    pend,
    state,
    evno,
    hz_target,
    hz_set_flags,
    flags,
    then_ptr,
    then_state,
    then_cum,
    key_then,
    new,
    kind,
    cohort,
    hazard_counts_y,
    hazard_counts_cohort,
):  # pragma: no cover - compiled
    """What each due agent does: its target state (or ``-(1+flag)``) and the event kind.

    Kinds: 1 hazard, 2 end of duration, 3 flag. Applies ``set_flags`` of the
    hazard taken and counts it (by calendar year and by entry cohort).
    """
    for i in range(idx.shape[0]):
        a = idx[i]
        c = pend[a]
        if c < 0:
            s = state[a]
            u = keyed_uniform(key_then, a + lo, np.int64(evno[a]))
            new[i] = then_state[_pick(then_ptr, then_cum, s, u)]
            kind[i] = 2
        else:
            hazard_counts_y[c] += 1
            hazard_counts_cohort[cohort[a], c] += 1
            tg = hz_target[c]
            new[i] = tg
            kind[i] = 3 if tg < 0 else 1
            if hz_set_flags[c] != 0:
                flags[a] |= hz_set_flags[c]


@nb.njit(cache=True, error_model="numpy")
def enter(
    idx,
    new,
    old,
    src,
    t,
    n_states,
    state,
    evno,
    sex,
    flags,
    set_on_enter,
    counts,
    flows_y,
    lo,
    step_first_id,
    track_time,
    steps_in_system_y,
    cohort,
    cohort_flows,
):  # pragma: no cover - compiled
    """Move agents into their new states: tallies, state, event number, flags.

    ``old`` is the state recorded as the origin of the move (the classification
    node for people classified on this step); ``src`` is the state they are
    counted out of (``n_states`` = outside). For states with ``track_time``,
    ``steps_in_system_y[new]`` adds the steps since the person entered the
    system (``step_first_id[k]`` is the first global id created on step ``k``).
    """
    S = n_states
    n_first = step_first_id.shape[0]
    for i in range(idx.shape[0]):
        a = idx[i]
        if track_time[new[i]]:
            gid = a + lo
            lo_k = 0
            hi_k = n_first
            while lo_k < hi_k:  # number of steps whose first id is <= gid
                mid = (lo_k + hi_k) // 2
                if step_first_id[mid] <= gid:
                    lo_k = mid + 1
                else:
                    hi_k = mid
            steps_in_system_y[new[i]] += t - (lo_k - 1)
        sx = sex[a]
        o = old[i]
        nw = new[i]
        flows_y[(o * S + nw) * 2 + sx] += 1
        cohort_flows[cohort[a], o, nw] += 1
        if src[i] < S:
            counts[src[i] * 2 + sx] -= 1
        counts[nw * 2 + sx] += 1
        state[a] = nw
        evno[a] += 1
        soe = set_on_enter[nw]
        if soe != 0:
            flags[a] |= soe


@nb.njit(cache=True, error_model="numpy")
def bucket_sort(ids, due, block0, width, counts):  # pragma: no cover - compiled
    """Counting sort of ``ids`` by ``due - block0`` (only dues inside the block).

    Returns the selected ids grouped by step; ``counts`` receives the group sizes.
    """
    for k in range(width):
        counts[k] = 0
    m = 0
    for i in range(ids.shape[0]):
        d = due[i] - block0
        if 0 <= d < width:
            counts[d] += 1
            m += 1
    start = np.empty(width, np.int64)
    acc = 0
    for k in range(width):
        start[k] = acc
        acc += counts[k]
    out = np.empty(m, np.int64)
    for i in range(ids.shape[0]):
        d = due[i] - block0
        if 0 <= d < width:
            out[start[d]] = ids[i]
            start[d] += 1
    return out


@nb.njit(cache=True, error_model="numpy")
def due_now(ids, due, t, out):  # pragma: no cover - compiled
    """Keep the ids whose event is still due at ``t`` (drops stale calendar entries)."""
    m = 0
    for i in range(ids.shape[0]):
        if due[ids[i]] == t:
            out[m] = ids[i]
            m += 1
    return m


@nb.njit(cache=True, error_model="numpy")
def attributes(
    gid,
    combo,
    age_cdf,
    household_cdf,
    key_age,
    key_household,
    key_sample,
    sample_p,
    age_out,
    household_out,
    sampled_out,
):  # pragma: no cover - compiled
    """Draw age band, household size and journey sampling of newly created agents."""
    A = age_cdf.shape[1]
    K = household_cdf.shape[0]
    for i in range(gid.shape[0]):
        g = gid[i]
        if A > 1:
            u = keyed_uniform(key_age, g, 0)
            band = 0
            for k in range(A):
                if u >= age_cdf[combo[i], k]:
                    band = k + 1
            age_out[i] = min(band, A - 1)
        else:
            age_out[i] = 0
        if K > 1:
            u = keyed_uniform(key_household, g, 0)
            size = 1
            for k in range(K):
                if household_cdf[k] <= u:
                    size = k + 2
            household_out[i] = min(size, K)
        else:
            household_out[i] = 1
        sampled_out[i] = sample_p > 0 and keyed_uniform(key_sample, g, 0) < sample_p


@nb.njit(cache=True, error_model="numpy")
def families(
    idx, new, lo, evno, household, family_share, keys, members, households, affected, affected_h
):  # pragma: no cover - compiled
    """Family members affected when agents enter states with family consequences.

    Each of the ``household - 1`` members is affected with the consequence's
    share, independently (keyed draws per member); ``members[c, s]`` and
    ``households[c, s]`` are incremented, ``affected[s]`` once per member who
    suffers at least one consequence (each person counted once) and
    ``affected_h[s]`` once per household with at least one such member.
    """
    C = family_share.shape[1]
    J = keys.shape[1]
    for i in range(idx.shape[0]):
        a = idx[i]
        s = new[i]
        others = min(np.int64(household[a]) - 1, J)
        if others <= 0:
            continue
        ev = np.int64(evno[a])
        n_hit = 0
        for j in range(others):
            any_hit = False
            for c in range(C):
                p = family_share[s, c]
                if p > 0.0 and keyed_uniform(keys[c, j], a + lo, ev) < p:
                    members[c, s] += 1
                    any_hit = True
            if any_hit:
                n_hit += 1
        affected[s] += n_hit
        if n_hit > 0:
            affected_h[s] += 1
        for c in range(C):
            p = family_share[s, c]
            if p <= 0.0:
                continue
            for j in range(others):
                if keyed_uniform(keys[c, j], a + lo, ev) < p:
                    households[c, s] += 1
                    break


@nb.njit(cache=True, error_model="numpy")
def classify(
    idx,
    lo,
    evno,
    flags,
    sex,
    det_prob,
    det_keys,
    rules,
    rule_default,
    rule_any,
    rule_all,
    rule_none,
    rule_sex,
    t_ptr,
    t_state,
    t_cum,
    key_sentence,
    out,
    detected,
    rule_counts_y,
):  # pragma: no cover - compiled
    """Interrogation: detect flags, apply the first matching rule, draw the sentence.

    Each flag is detected with its probability (the detected flags of agent
    ``i`` go to ``detected[i]`` as a bit mask); ``rule_counts_y[rule, sex] += 1``.
    """
    F = det_prob.shape[0]
    for i in range(idx.shape[0]):
        a = idx[i]
        gid = a + lo
        ev = np.int64(evno[a])
        fl = flags[a]
        det = np.uint32(0)
        for f in range(F):
            p = det_prob[f]
            has = (fl >> np.uint32(f)) & np.uint32(1)
            if p > 0.0 and has and keyed_uniform(det_keys[f], gid, ev) < p:
                det |= np.uint32(1) << np.uint32(f)
        chosen = -1
        for r in rules:
            if rule_default[r]:
                chosen = r
                break
            ok = True
            if rule_any[r] != 0 and (det & rule_any[r]) == 0:
                ok = False
            if ok and rule_all[r] != 0 and (det & rule_all[r]) != rule_all[r]:
                ok = False
            if ok and rule_none[r] != 0 and (det & rule_none[r]) != 0:
                ok = False
            if ok and rule_sex[r] >= 0 and sex[a] != rule_sex[r]:
                ok = False
            if ok:
                chosen = r
                break
        if chosen < 0:
            chosen = rules[rules.shape[0] - 1]
        rule_counts_y[chosen, sex[a]] += 1
        u = keyed_uniform(key_sentence, gid, ev)
        out[i] = t_state[_pick(t_ptr, t_cum, chosen, u)]
        detected[i] = det
