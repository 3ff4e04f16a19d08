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
def _put(dest, tau, x, old, t, y, init, S, tau_sex, soe, ms_member, rc_milestone, rc_from,
         rc_to, rc_bit, fm, fh, flows, fam_m, fam_h, newmass):  # pragma: no cover
    """Move expected mass ``x`` of type ``tau`` into ``dest`` (not the classification)."""
    sx = tau_sex[tau]
    flows[y, old, dest, sx] += x
    t2 = tau | soe[dest]
    for r in range(rc_bit.shape[0]):
        if ms_member[rc_milestone[r], dest]:
            if rc_from[r] <= t <= rc_to[r]:
                t2 |= rc_bit[r]
            else:
                t2 &= ~rc_bit[r]
    if not init:
        for c in range(fm.shape[1]):
            if fm[dest, c] > 0.0:
                fam_m[y, c, dest] += x * fm[dest, c]
                fam_h[y, c, dest] += x * fh[dest, c]
    newmass[dest, t2] += x


@nb.njit(cache=True, error_model="numpy")
def _enter(dest, tau, x, old, t, y, g, init, S, cn, tau_sex, soe, ms_member, rc_milestone,
           rc_from, rc_to, rc_bit, fm, fh, cls_prob, rt_ptr, rt_state, rt_p, flows,
           rule_counts, fam_m, fam_h, newmass):  # pragma: no cover
    """Enter ``dest``; through the classification node when ``dest`` is it."""
    if dest != cn:
        _put(dest, tau, x, old, t, y, init, S, tau_sex, soe, ms_member, rc_milestone, rc_from,
             rc_to, rc_bit, fm, fh, flows, fam_m, fam_h, newmass)
        return
    sx = tau_sex[tau]
    flows[y, old, cn, sx] += x
    for r in range(cls_prob.shape[2]):
        p = cls_prob[g, tau, r]
        if p <= 0.0:
            continue
        xr = x * p
        rule_counts[y, r, sx] += xr
        for j in range(rt_ptr[r], rt_ptr[r + 1]):
            if rt_p[j] > 0.0:
                _put(rt_state[j], tau, xr * rt_p[j], cn, t, y, init, S, tau_sex, soe,
                     ms_member, rc_milestone, rc_from, rc_to, rc_bit, fm, fh, flows, fam_m,
                     fam_h, newmass)


@nb.njit(cache=True, error_model="numpy")
def propagate(T, S, NT, cn, step_seg, year_index, tau_sex,
              # hazards
              rate, hz_ptr, hz_target, hz_setbits, hz_flagbit, mult,
              # durations
              is_dur, lumped, ring_off, ring_len, hd, then_ptr, then_state, then_p,
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
    """Advance the expected distribution through every step (one parameter set)."""
    mass = np.zeros((S, NT))  # people exposed to events (entered before this step)
    newmass = np.zeros((S, NT))  # people who entered on this step
    total_ring = 0
    for s in range(S):
        total_ring += ring_len[s]
    ring = np.zeros((NT, max(total_ring, 1)))
    K = ent.shape[1]
    H = hz_target.shape[0]
    hsum = np.zeros(max(H, 1))
    dshare = np.zeros(2)
    for t in range(T):
        g = step_seg[t]
        y = year_index[t]
        # 1. waves
        for w in range(wave_step.shape[0]):
            if wave_step[w] != t or not wave_active[w]:
                continue
            s = wave_state[w]
            sh = wave_share[w]
            if is_dur[s] and lumped[s]:
                o = ring_off[s]
                for sx in range(2):
                    for k in range(ring_len[s]):
                        ring[sx, o + k] *= 1.0 - sh
            for tau in range(NT):
                x = mass[s, tau]
                if x <= 0.0:
                    continue
                xm = x * sh
                mass[s, tau] = x - xm
                if is_dur[s] and not lumped[s]:
                    o = ring_off[s]
                    for k in range(ring_len[s]):
                        ring[tau, o + k] *= 1.0 - sh
                wave_moved[w, tau_sex[tau]] += xm
                for j in range(wt_ptr[w], wt_ptr[w + 1]):
                    if wt_p[j] > 0.0:
                        _enter(wt_state[j], tau, xm * wt_p[j], s, t, y, g, False, S, cn,
                               tau_sex, soe, ms_member, rc_milestone, rc_from, rc_to, rc_bit,
                               fm, fh, cls_prob, rt_ptr, rt_state, rt_p, flows, rule_counts,
                               fam_m, fam_h, newmass)
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
                    x = mass[s, tau]
                    if x <= 0.0:
                        continue
                    xm = x * sh
                    mass[s, tau] = x - xm
                    if is_dur[s]:
                        o = ring_off[s]
                        if lumped[s]:  # the sex's ring loses the moved share of its people
                            sx = tau_sex[tau]
                            tot = 0.0
                            for t3 in range(NT):
                                if tau_sex[t3] == sx:
                                    tot += mass[s, t3]
                            f = xm / (tot + xm) if tot + xm > 0.0 else 0.0
                            for k in range(ring_len[s]):
                                ring[sx, o + k] *= 1.0 - f
                        else:
                            for k in range(ring_len[s]):
                                ring[tau, o + k] *= 1.0 - sh
                    rc_moved[r, tau_sex[tau]] += xm
                    for j in range(rct_ptr[r], rct_ptr[r + 1]):
                        if rct_p[j] > 0.0:
                            _enter(rct_state[j], tau, xm * rct_p[j], s, t, y, g, False, S, cn,
                                   tau_sex, soe, ms_member, rc_milestone, rc_from, rc_to,
                                   rc_bit, fm, fh, cls_prob, rt_ptr, rt_state, rt_p, flows,
                                   rule_counts, fam_m, fam_h, newmass)
        # 2. entries
        for k in range(K):
            for init in range(2):
                x = ent[t, k] if init == 0 else (ent_init[k] if t == 0 else 0.0)
                if x <= 0.0:
                    continue
                for tau in range(NT):
                    p = combo_tau_p[k, tau]
                    if p > 0.0:
                        _enter(combo_state[k], tau, x * p, S, t, y, g, init == 1, S, cn,
                               tau_sex, soe, ms_member, rc_milestone, rc_from, rc_to, rc_bit,
                               fm, fh, cls_prob, rt_ptr, rt_state, rt_p, flows, rule_counts,
                               fam_m, fam_h, newmass)
        # 3. due events of the people exposed on this step
        for s in range(S):
            a0 = hz_ptr[s]
            a1 = hz_ptr[s + 1]
            dur = is_dur[s]
            if dur and lumped[s]:
                # one ring per sex; duration exits shared in proportion to each type's people
                o = ring_off[s]
                L = ring_len[s]
                cur = t % L
                amax = min(L, t)
                for sx in range(2):
                    stock = 0.0
                    rep = -1
                    for tau in range(NT):
                        if tau_sex[tau] == sx and mass[s, tau] > 0.0:
                            stock += mass[s, tau]
                            rep = tau
                    if stock <= 0.0:
                        continue
                    htot = 0.0
                    for c in range(a0, a1):
                        htot += rate[g, c] * mult[c, rep]
                    keep = math.exp(-htot)
                    x_dur = 0.0
                    for part in range(2):
                        if part == 0:
                            a_lo = 1
                            a_hi = min(amax, cur)
                        else:
                            a_lo = cur + 1
                            a_hi = amax
                        for a in range(a_lo, a_hi + 1):
                            slot = o + cur - a + (0 if part == 0 else L)
                            v = ring[sx, slot]
                            if v == 0.0:
                                continue
                            vs = v * keep
                            vd = vs * hd[o + a - 1]
                            x_dur += vd
                            ring[sx, slot] = vs - vd
                    dshare[sx] = x_dur / (stock * keep) if stock * keep > 0.0 else 0.0
            for tau in range(NT):
                x = mass[s, tau]
                if x <= 0.0:
                    continue
                htot = 0.0
                for c in range(a0, a1):
                    hsum[c] = rate[g, c] * mult[c, tau]
                    htot += hsum[c]
                q = 1.0 - math.exp(-htot) if htot > 0.0 else 0.0
                x_haz = 0.0
                x_then = 0.0
                if dur and lumped[s]:
                    x_haz = x * q
                    x_then = (x - x_haz) * dshare[tau_sex[tau]]
                    mass[s, tau] = x - x_haz - x_then
                elif dur:
                    o = ring_off[s]
                    L = ring_len[s]
                    amax = min(L, t)
                    stay = 0.0
                    keep = 1.0 - q
                    # ages 1..amax live in slots (t - a) mod L: two runs without a modulo
                    cur = t % L  # the slot of age L (or of this step's entrants)
                    for part in range(2):
                        if part == 0:
                            a_lo = 1
                            a_hi = min(amax, cur)  # slots cur-1 .. 0
                        else:
                            a_lo = cur + 1
                            a_hi = amax  # slots L-1 .. cur
                        for a in range(a_lo, a_hi + 1):
                            slot = o + cur - a + (0 if part == 0 else L)
                            v = ring[tau, slot]
                            if v == 0.0:
                                continue
                            vs = v * keep
                            vd = vs * hd[o + a - 1]
                            x_then += vd
                            ring[tau, slot] = vs - vd
                            stay += vs - vd
                    x_haz = x * q
                    mass[s, tau] = stay
                else:
                    x_haz = x * q
                    mass[s, tau] = x - x_haz
                if x_haz > 0.0:
                    sx = tau_sex[tau]
                    for c in range(a0, a1):
                        xc = x_haz * hsum[c] / htot
                        if xc <= 0.0:
                            continue
                        hazard_counts[y, c] += xc
                        tg = hz_target[c]
                        t2 = tau | hz_setbits[c]
                        if tg < 0:
                            f = -tg - 1
                            flag_flows[y, f, s, sx] += xc
                            fb = hz_flagbit[c]
                            # the person stays (same state, same deadline), with the flag
                            newmass[s, t2 | fb] += xc
                        else:
                            _enter(tg, t2, xc, s, t, y, g, False, S, cn, tau_sex, soe,
                                   ms_member, rc_milestone, rc_from, rc_to, rc_bit, fm, fh,
                                   cls_prob, rt_ptr, rt_state, rt_p, flows, rule_counts,
                                   fam_m, fam_h, newmass)
                if x_then > 0.0:
                    for j in range(then_ptr[s], then_ptr[s + 1]):
                        if then_p[j] > 0.0:
                            _enter(then_state[j], tau, x_then * then_p[j], s, t, y, g, False,
                                   S, cn, tau_sex, soe, ms_member, rc_milestone, rc_from, rc_to,
                                   rc_bit, fm, fh, cls_prob, rt_ptr, rt_state, rt_p, flows,
                                   rule_counts, fam_m, fam_h, newmass)
        # 4. the entrants join; record the stocks
        for s in range(S):
            dur = is_dur[s]
            for tau in range(NT):
                v = newmass[s, tau]
                if v != 0.0:
                    if dur:
                        row = tau_sex[tau] if lumped[s] else tau
                        ring[row, ring_off[s] + t % ring_len[s]] += v
                    mass[s, tau] += v
                    newmass[s, tau] = 0.0
                if mass[s, tau] != 0.0:
                    stocks[t, s, tau_sex[tau]] += mass[s, tau]


@nb.njit(cache=True, parallel=True, error_model="numpy")
def propagate_many(T, S, NT, cn, step_seg, year_index, tau_sex, rate, hz_ptr, hz_target,
                   hz_setbits, hz_flagbit, mult, is_dur, lumped, ring_off, ring_len, hd,
                   then_ptr, then_state, then_p, cls_prob, rt_ptr, rt_state, rt_p, soe, ms_member,
                   rc_milestone, rc_from, rc_to, rc_bit, wave_step, wave_state, wave_share,
                   wave_active, wt_ptr, wt_state, wt_p, rc_step, rc_share, rc_eligible,
                   rct_ptr, rct_state, rct_p, ent, ent_init, combo_state, combo_tau_p, fm, fh,
                   stocks, flows, flag_flows, wave_moved, rc_moved, fam_m, fam_h, rule_counts,
                   hazard_counts):  # pragma: no cover - compiled
    """:func:`propagate` for ``P`` parameter sets in parallel (leading axis ``P``)."""
    P = rate.shape[0]
    for p in nb.prange(P):
        propagate(T, S, NT, cn, step_seg, year_index, tau_sex, rate[p], hz_ptr, hz_target,
                  hz_setbits, hz_flagbit, mult, is_dur, lumped, ring_off, ring_len, hd,
                  then_ptr, then_state, then_p, cls_prob[p], rt_ptr, rt_state, rt_p, soe, ms_member,
                  rc_milestone, rc_from, rc_to, rc_bit, wave_step, wave_state, wave_share[p],
                  wave_active, wt_ptr, wt_state, wt_p, rc_step, rc_share[p], rc_eligible,
                  rct_ptr, rct_state, rct_p, ent[p], ent_init[p], combo_state, combo_tau_p,
                  fm[p], fh[p], stocks[p], flows[p], flag_flows[p], wave_moved[p], rc_moved[p],
                  fam_m[p], fam_h[p], rule_counts[p], hazard_counts[p])
