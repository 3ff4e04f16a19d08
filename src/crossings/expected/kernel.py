"""Compiled propagation of the expected state distribution (numba).

One call advances the expected number of people in every (state, type) — and,
for states with a duration, every step since entry — through all steps, in
the agent engine's order: waves, reclassifications, entries, due events. See
:mod:`crossings.expected` for the semantics; every quantity here is the
expectation of the matching agent-engine tally.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, error_model="numpy")
def _put(dest, tau, xv, old, t, y, init, tau_sex, soe, ms_member, rc_milestone, rc_from,
         rc_to, rc_bit, fm, fh, flows, fam_m, fam_h, newmass):  # pragma: no cover
    """Move expected people ``xv`` (one per parameter set) of type ``tau`` into ``dest``."""
    P = xv.shape[0]
    sx = tau_sex[tau]
    t2 = tau | soe[dest]
    for r in range(rc_bit.shape[0]):
        if ms_member[rc_milestone[r], dest]:
            if rc_from[r] <= t <= rc_to[r]:
                t2 |= rc_bit[r]
            else:
                t2 &= ~rc_bit[r]
    fl = flows[y, old, dest, sx]
    nm = newmass[dest, t2]
    for p in range(P):
        fl[p] += xv[p]
        nm[p] += xv[p]
    if not init:
        for c in range(fm.shape[1]):
            fmc = fm[dest, c]
            fhc = fh[dest, c]
            hit = False
            for p in range(P):
                if fmc[p] > 0.0:
                    hit = True
                    break
            if hit:
                a = fam_m[y, c, dest]
                b = fam_h[y, c, dest]
                for p in range(P):
                    a[p] += xv[p] * fmc[p]
                    b[p] += xv[p] * fhc[p]


@nb.njit(cache=True, error_model="numpy")
def _enter(dest, tau, xv, old, t, y, g, init, cn, tau_sex, soe, ms_member, rc_milestone,
           rc_from, rc_to, rc_bit, fm, fh, cls_prob, rt_ptr, rt_state, rt_p, flows,
           rule_counts, fam_m, fam_h, newmass, xr):  # pragma: no cover
    """Enter ``dest``; through the classification node when ``dest`` is it."""
    if dest != cn:
        _put(dest, tau, xv, old, t, y, init, tau_sex, soe, ms_member, rc_milestone, rc_from,
             rc_to, rc_bit, fm, fh, flows, fam_m, fam_h, newmass)
        return
    P = xv.shape[0]
    sx = tau_sex[tau]
    fl = flows[y, old, cn, sx]
    for p in range(P):
        fl[p] += xv[p]
    for r in range(cls_prob.shape[2]):
        pr = cls_prob[g, tau, r]
        anyp = False
        for p in range(P):
            if pr[p] > 0.0:
                anyp = True
                break
        if not anyp:
            continue
        rc = rule_counts[y, r, sx]
        for p in range(P):
            rc[p] += xv[p] * pr[p]
        for j in range(rt_ptr[r], rt_ptr[r + 1]):
            w = rt_p[j]
            if w > 0.0:
                for p in range(P):
                    xr[p] = xv[p] * pr[p] * w
                _put(rt_state[j], tau, xr, cn, t, y, init, tau_sex, soe, ms_member,
                     rc_milestone, rc_from, rc_to, rc_bit, fm, fh, flows, fam_m, fam_h,
                     newmass)


@nb.njit(cache=True, error_model="numpy")
def _enter_dist(j0, j1, d_state, d_p, tau, x, old, t, y, g, cn, tau_sex, soe, ms_member,
                rc_milestone, rc_from, rc_to, rc_bit, fm, fh, cls_prob, rt_ptr, rt_state, rt_p,
                flows, rule_counts, fam_m, fam_h, newmass, xr, xv):  # pragma: no cover
    """Send ``x`` people of type ``tau`` to the target distribution ``j0:j1`` (CSR)."""
    P = x.shape[0]
    for j in range(j0, j1):
        w = d_p[j]
        if w > 0.0:
            for p in range(P):
                xv[p] = x[p] * w
            _enter(d_state[j], tau, xv, old, t, y, g, False, cn, tau_sex, soe, ms_member,
                   rc_milestone, rc_from, rc_to, rc_bit, fm, fh, cls_prob, rt_ptr, rt_state,
                   rt_p, flows, rule_counts, fam_m, fam_h, newmass, xr)


RESCALE = 1e-150
"""When a ring's survival factor falls below this, its entries are rescaled (exactly)."""


@nb.njit(cache=True, error_model="numpy")
def _rebase(ring, row, o, L, kc):  # pragma: no cover - compiled
    """Fold a small survival factor into the stored entries of one ring row."""
    P = kc.shape[0]
    low = False
    for p in range(P):
        if kc[p] < RESCALE:
            low = True
    if not low:
        return
    for k in range(L):
        for p in range(P):
            ring[row, o + k, p] *= kc[p]
    for p in range(P):
        kc[p] = 1.0


@nb.njit(cache=True, error_model="numpy")
def _ring_exits(ring, row, o, L, t, pmf, acc):  # pragma: no cover - compiled
    """Σ over ages 1..min(L, t) of stored entries × P(duration = age), per set."""
    P = acc.shape[0]
    for p in range(P):
        acc[p] = 0.0
    cur = t % L  # the slot of age L (and of this step's entrants)
    amax = min(L, t)
    # ages 1..amax live in slots (t - a) mod L: two runs without a modulo
    for part in range(2):
        if part == 0:
            a_lo = 1
            a_hi = min(amax, cur)
        else:
            a_lo = cur + 1
            a_hi = amax
        for a in range(a_lo, a_hi + 1):
            slot = o + cur - a + (0 if part == 0 else L)
            w = pmf[o + a - 1]
            if w == 0.0:
                continue
            rv = ring[row, slot]
            for p in range(P):
                acc[p] += rv[p] * w


@nb.njit(cache=True, error_model="numpy")
def propagate(T, S, NT, cn, step_seg, year_index, tau_sex,
              # hazards
              rate, hz_ptr, hz_target, hz_setbits, hz_flagbit, mult,
              # durations
              is_dur, lumped, ring_off, ring_len, dur_pmf, then_ptr, then_state, then_p,
              # classification
              cls_prob, rt_ptr, rt_state, rt_p,
              # flags and milestones
              soe, ms_member, rc_milestone, rc_from, rc_to, rc_bit,
              # waves and reclassifications
              wave_step, wave_state, wave_share, wave_active, wt_ptr, wt_state, wt_p,
              rc_step, rc_share, rc_eligible, rct_ptr, rct_state, rct_p,
              # entries
              ent, ent_init, combo_state, combo_tau_p,
              # families
              fm, fh,
              # outputs
              stocks, flows, flag_flows, wave_moved, rc_moved, fam_m, fam_h, rule_counts,
              hazard_counts):  # pragma: no cover - compiled
    """Advance the expected distribution of ``P`` parameter sets through every step.

    Every array that differs between parameter sets has them on its last axis,
    so the work for one (state, type) is done for all sets in one inner loop.

    States with a duration keep, per type (per sex when lumped), the people who
    entered on each of the last ``L`` steps, divided by the probability of
    surviving the state's hazards since the ring's start (``kc``). People whose
    duration ends on step ``t`` are then ``kc(t) × Σ_a stored(t − a) × P(D = a)``:
    the stored numbers never change, so a step reads each ring once and writes
    nothing. Hazard probabilities are tabulated once per time segment.
    """
    P = rate.shape[2]
    G = rate.shape[0]
    H = hz_target.shape[0]
    mass = np.zeros((S, NT, P))  # people exposed to events (entered before this step)
    newmass = np.zeros((S, NT, P))  # people who entered on this step
    total_ring = 0
    for s in range(S):
        total_ring += ring_len[s]
    ring = np.zeros((NT, max(total_ring, 1), P))
    kc = np.ones((S, NT, P))  # survival factor of each ring row (row = sex when lumped)
    K = ent.shape[1]
    qtab = np.zeros((S, NT, P))  # probability that some hazard fires this step
    keeptab = np.ones((S, NT, P))  # exp(-total hazard)
    share = np.zeros((max(H, 1), NT, P))  # share of each component among those who leave
    dshare = np.zeros((2, P))
    xv = np.zeros(P)
    xm = np.zeros(P)
    xh = np.zeros(P)
    xt = np.zeros(P)
    xc = np.zeros(P)
    xr = np.zeros(P)
    acc = np.zeros(P)
    f = np.zeros(P)
    g_prev = -1
    for t in range(T):
        g = step_seg[t]
        y = year_index[t]
        if g != g_prev:
            g_prev = g
            for s in range(S):
                a0 = hz_ptr[s]
                a1 = hz_ptr[s + 1]
                for tau in range(NT):
                    for p in range(P):
                        h = 0.0
                        for c in range(a0, a1):
                            h += rate[min(g, G - 1), c, p] * mult[c, tau]
                        qtab[s, tau, p] = 1.0 - math.exp(-h) if h > 0.0 else 0.0
                        keeptab[s, tau, p] = math.exp(-h)
                        for c in range(a0, a1):
                            share[c, tau, p] = (rate[g, c, p] * mult[c, tau] / h
                                                if h > 0.0 else 0.0)
        # 1. waves
        for w in range(wave_step.shape[0]):
            if wave_step[w] != t or not wave_active[w]:
                continue
            s = wave_state[w]
            sh = wave_share[w]
            for p in range(P):
                f[p] = 1.0 - sh[p]
            if is_dur[s]:
                for row in range(2 if lumped[s] else NT):
                    for p in range(P):
                        kc[s, row, p] *= f[p]
                    _rebase(ring, row, ring_off[s], ring_len[s], kc[s, row])
            for tau in range(NT):
                ms = mass[s, tau]
                tot = 0.0
                for p in range(P):
                    tot += ms[p]
                if tot <= 0.0:
                    continue
                wm = wave_moved[w, tau_sex[tau]]
                for p in range(P):
                    xm[p] = ms[p] * sh[p]
                    ms[p] -= xm[p]
                    wm[p] += xm[p]
                _enter_dist(wt_ptr[w], wt_ptr[w + 1], wt_state, wt_p, tau, xm, s, t, y, g, cn,
                            tau_sex, soe, ms_member, rc_milestone, rc_from, rc_to, rc_bit, fm,
                            fh, cls_prob, rt_ptr, rt_state, rt_p, flows, rule_counts, fam_m,
                            fam_h, newmass, xr, xv)
        # 1b. reclassifications of a cohort (members carry the cohort's bit)
        for r in range(rc_step.shape[0]):
            if rc_step[r] != t:
                continue
            sh = rc_share[r]
            bit = rc_bit[r]
            for s in range(S):
                if not rc_eligible[r, s]:
                    continue
                for tau in range(NT):
                    if (tau & bit) == 0:
                        continue
                    ms = mass[s, tau]
                    tot = 0.0
                    for p in range(P):
                        tot += ms[p]
                    if tot <= 0.0:
                        continue
                    rm = rc_moved[r, tau_sex[tau]]
                    for p in range(P):
                        xm[p] = ms[p] * sh[p]
                        rm[p] += xm[p]
                    if is_dur[s]:
                        if lumped[s]:  # the sex's ring loses the moved share of its people
                            row = tau_sex[tau]
                            for p in range(P):
                                tot = 0.0
                                for t3 in range(NT):
                                    if tau_sex[t3] == row:
                                        tot += mass[s, t3, p]
                                f[p] = 1.0 - (xm[p] / tot if tot > 0.0 else 0.0)
                        else:
                            row = tau
                            for p in range(P):
                                f[p] = 1.0 - sh[p]
                        for p in range(P):
                            kc[s, row, p] *= f[p]
                        _rebase(ring, row, ring_off[s], ring_len[s], kc[s, row])
                    for p in range(P):
                        ms[p] -= xm[p]
                    _enter_dist(rct_ptr[r], rct_ptr[r + 1], rct_state, rct_p, tau, xm, s, t, y,
                                g, cn, tau_sex, soe, ms_member, rc_milestone, rc_from, rc_to,
                                rc_bit, fm, fh, cls_prob, rt_ptr, rt_state, rt_p, flows,
                                rule_counts, fam_m, fam_h, newmass, xr, xv)
        # 2. entries
        for k in range(K):
            for init in range(2):
                if init == 1 and t != 0:
                    continue
                src = ent[t, k] if init == 0 else ent_init[k]
                tot = 0.0
                for p in range(P):
                    tot += src[p]
                if tot <= 0.0:
                    continue
                for tau in range(NT):
                    w = combo_tau_p[k, tau]
                    if w > 0.0:
                        for p in range(P):
                            xv[p] = src[p] * w
                        _enter(combo_state[k], tau, xv, S, t, y, g, init == 1, cn, tau_sex,
                               soe, ms_member, rc_milestone, rc_from, rc_to, rc_bit, fm, fh,
                               cls_prob, rt_ptr, rt_state, rt_p, flows, rule_counts, fam_m,
                               fam_h, newmass, xr)
        # 3. due events of the people exposed on this step
        for s in range(S):
            a0 = hz_ptr[s]
            a1 = hz_ptr[s + 1]
            dur = is_dur[s]
            o = ring_off[s]
            L = ring_len[s]
            if dur and lumped[s]:
                # one ring per sex; duration exits shared in proportion to each type's people
                for sx in range(2):
                    rep = -1
                    for p in range(P):
                        xm[p] = 0.0  # the sex's people
                    for tau in range(NT):
                        if tau_sex[tau] == sx:
                            ms = mass[s, tau]
                            for p in range(P):
                                xm[p] += ms[p]
                                if ms[p] > 0.0:
                                    rep = tau
                    if rep < 0:
                        continue
                    kk = kc[s, sx]
                    for p in range(P):
                        kk[p] *= keeptab[s, rep, p]
                    _ring_exits(ring, sx, o, L, t, dur_pmf, acc)
                    for p in range(P):
                        den = xm[p] * keeptab[s, rep, p]
                        dshare[sx, p] = acc[p] * kk[p] / den if den > 0.0 else 0.0
            for tau in range(NT):
                ms = mass[s, tau]
                tot = 0.0
                for p in range(P):
                    tot += ms[p]
                if tot <= 0.0:
                    continue
                q = qtab[s, tau]
                if dur and lumped[s]:
                    ds = dshare[tau_sex[tau]]
                    for p in range(P):
                        xh[p] = ms[p] * q[p]
                        xt[p] = (ms[p] - xh[p]) * ds[p]
                        ms[p] -= xh[p] + xt[p]
                elif dur:
                    kk = kc[s, tau]
                    for p in range(P):
                        kk[p] *= keeptab[s, tau, p]
                    _ring_exits(ring, tau, o, L, t, dur_pmf, acc)
                    for p in range(P):
                        xh[p] = ms[p] * q[p]
                        xt[p] = min(acc[p] * kk[p], ms[p] - xh[p])
                        ms[p] -= xh[p] + xt[p]
                else:
                    for p in range(P):
                        xh[p] = ms[p] * q[p]
                        ms[p] -= xh[p]
                sx = tau_sex[tau]
                for c in range(a0, a1):
                    anyc = False
                    sc = share[c, tau]
                    for p in range(P):
                        xc[p] = xh[p] * sc[p]
                        if xc[p] > 0.0:
                            anyc = True
                    if not anyc:
                        continue
                    hcy = hazard_counts[y, c]
                    for p in range(P):
                        hcy[p] += xc[p]
                    tg = hz_target[c]
                    t2 = tau | hz_setbits[c]
                    if tg < 0:
                        ff = flag_flows[y, -tg - 1, s, sx]
                        # the person stays (same state, same deadline), with the flag
                        nm = newmass[s, t2 | hz_flagbit[c]]
                        for p in range(P):
                            ff[p] += xc[p]
                            nm[p] += xc[p]
                    else:
                        _enter(tg, t2, xc, s, t, y, g, False, cn, tau_sex, soe, ms_member,
                               rc_milestone, rc_from, rc_to, rc_bit, fm, fh, cls_prob, rt_ptr,
                               rt_state, rt_p, flows, rule_counts, fam_m, fam_h, newmass, xr)
                if dur:
                    anyt = False
                    for p in range(P):
                        if xt[p] > 0.0:
                            anyt = True
                    if anyt:
                        _enter_dist(then_ptr[s], then_ptr[s + 1], then_state, then_p, tau, xt, s,
                                    t, y, g, cn, tau_sex, soe, ms_member, rc_milestone, rc_from,
                                    rc_to, rc_bit, fm, fh, cls_prob, rt_ptr, rt_state, rt_p,
                                    flows, rule_counts, fam_m, fam_h, newmass, xr, xv)
            if dur:
                # the slot of age L has left; it takes this step's entrants
                slot = o + t % L
                for row in range(2 if lumped[s] else NT):
                    rv = ring[row, slot]
                    for p in range(P):
                        rv[p] = 0.0
        # 4. the entrants join; record the stocks
        for s in range(S):
            dur = is_dur[s]
            for tau in range(NT):
                nm = newmass[s, tau]
                ms = mass[s, tau]
                tot = 0.0
                for p in range(P):
                    tot += abs(nm[p])
                if tot != 0.0:
                    if dur:
                        row = tau_sex[tau] if lumped[s] else tau
                        kk = kc[s, row]
                        _rebase(ring, row, ring_off[s], ring_len[s], kk)
                        rv = ring[row, ring_off[s] + t % ring_len[s]]
                        for p in range(P):
                            rv[p] += nm[p] / kk[p]
                    for p in range(P):
                        ms[p] += nm[p]
                        nm[p] = 0.0
                st = stocks[t, s, tau_sex[tau]]
                for p in range(P):
                    st[p] += ms[p]


@nb.njit(cache=True, parallel=True, error_model="numpy")
def propagate_many(T, S, NT, cn, step_seg, year_index, tau_sex, rate, hz_ptr, hz_target,
                   hz_setbits, hz_flagbit, mult, is_dur, lumped, ring_off, ring_len, dur_pmf,
                   then_ptr, then_state, then_p, cls_prob, rt_ptr, rt_state, rt_p, soe, ms_member,
                   rc_milestone, rc_from, rc_to, rc_bit, wave_step, wave_state, wave_share,
                   wave_active, wt_ptr, wt_state, wt_p, rc_step, rc_share, rc_eligible,
                   rct_ptr, rct_state, rct_p, ent, ent_init, combo_state, combo_tau_p, fm, fh,
                   stocks, flows, flag_flows, wave_moved, rc_moved, fam_m, fam_h, rule_counts,
                   hazard_counts):  # pragma: no cover - compiled
    """:func:`propagate` for chunks of parameter sets in parallel threads.

    Every per-set array has a leading chunk axis; chunk ``i`` holds its sets on
    the last axis.
    """
    n = rate.shape[0]
    for i in nb.prange(n):
        propagate(T, S, NT, cn, step_seg, year_index, tau_sex, rate[i], hz_ptr, hz_target,
                  hz_setbits, hz_flagbit, mult, is_dur, lumped, ring_off, ring_len, dur_pmf,
                  then_ptr, then_state, then_p, cls_prob[i], rt_ptr, rt_state, rt_p, soe,
                  ms_member, rc_milestone, rc_from, rc_to, rc_bit, wave_step, wave_state,
                  wave_share[i], wave_active, wt_ptr, wt_state, wt_p, rc_step, rc_share[i],
                  rc_eligible, rct_ptr, rct_state, rct_p, ent[i], ent_init[i], combo_state,
                  combo_tau_p, fm[i], fh[i], stocks[i], flows[i], flag_flows[i], wave_moved[i],
                  rc_moved[i], fam_m[i], fam_h[i], rule_counts[i], hazard_counts[i])
