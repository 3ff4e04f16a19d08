"""Compiled propagation of the expected state distribution (numba).

One call advances the expected number of people in every (state, type) — and,
for states with a duration, every step since entry — through all steps, in
the agent engine's order: waves, reclassifications, entries, due events. See
:mod:`crossings.expected` for the semantics; every quantity here is the
expectation of the matching agent-engine tally.

The step loop is written out in one function: moves go to an inbox per
(destination, type) and are settled once per step (flags set on entry, cohort
bits, families, the classification node), and arrays are indexed element by
element rather than through views, so the hot loops make no calls and touch
no reference counts.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

RESCALE = 1e-150
"""When a ring's survival factor falls below this, its entries are rescaled (exactly)."""

BLOCK = 8
"""Steps per block of entries folded into the pending exits at once (see :func:`_flush`)."""


@nb.njit(cache=True, error_model="numpy")
def _rebase(pend, blk, fb, L, xb, B, kc):  # pragma: no cover - compiled
    """Fold a small survival factor into the stored numbers of one ring row, per set."""
    P = kc.shape[0]
    for p in range(P):
        f = kc[p]
        if f < RESCALE:
            for k in range(L):
                pend[p, fb + k] *= f
            for k in range(B):
                blk[p, xb + k] *= f
            kc[p] = 1.0


@nb.njit(cache=True, error_model="numpy")
def _flush(pend, blk, fb, L, xb, B, t, pmf, o):  # pragma: no cover - compiled
    """Fold the block of entries that ends on step ``t`` into the pending exits.

    The entry of step ``t0 + i`` leaves at age ``a`` on step ``t0 + i + a``;
    ages up to ``B - 1 - i`` fall inside the block and were summed directly
    (step 3 of :func:`propagate`). The rest start on step ``t + 1`` for every
    ``i``, so each entry adds a contiguous run of the pmf (which starts at
    ``pmf[o]``) to the row's circular buffer ``pend[:, fb:fb + L]``.
    """
    P = pend.shape[0]
    start = (t + 1) % L
    for p in range(P):
        row = pend[p, fb : fb + L]  # slices, so that the loops below index from 0 (vectorised)
        xs = blk[p, xb : xb + B]
        for i in range(B):
            xi = xs[i]
            if xi == 0.0:
                continue
            xs[i] = 0.0
            a_lo = B - i
            if a_lo > L:
                continue
            n = L - a_lo + 1
            run = min(n, L - start)
            src = pmf[o + a_lo - 1 : o + L]
            dst = row[start : start + run]
            for k in range(run):
                dst[k] += xi * src[k]
            src = src[run:]
            for k in range(n - run):
                row[k] += xi * src[k]


@nb.njit(cache=True, error_model="numpy")
def propagate(
    T,
    S,
    NT,
    cn,
    step_seg,
    year_index,
    tau_sex,
    # hazards
    rate,
    hz_ptr,
    hz_target,
    hz_setbits,
    hz_flagbit,
    mult,
    # durations
    is_dur,
    lumped,
    ring_off,
    ring_len,
    dur_pmf,
    then_ptr,
    then_state,
    then_p,
    # classification
    cls_prob,
    rt_ptr,
    rt_state,
    rt_p,
    # flags and milestones
    soe,
    ms_member,
    rc_milestone,
    rc_from,
    rc_to,
    rc_bit,
    # waves and reclassifications
    wave_step,
    wave_state,
    wave_share,
    wave_active,
    wt_ptr,
    wt_state,
    wt_p,
    rc_step,
    rc_share,
    rc_eligible,
    rct_ptr,
    rct_state,
    rct_p,
    # entries
    ent,
    ent_init,
    combo_state,
    combo_tau_p,
    # families
    fm,
    fh,
    # outputs
    stocks,
    flows,
    flag_flows,
    wave_moved,
    rc_moved,
    fam_m,
    fam_h,
    rule_counts,
    hazard_counts,
):  # pragma: no cover - compiled
    """Advance the expected distribution of ``P`` parameter sets through every step.

    Every array that differs between parameter sets has them on its last axis,
    so the work for one (state, type) is done for all sets in one inner loop.

    States with a duration keep, per type (per sex when lumped), the people who
    entered on each step divided by the probability of surviving the state's
    hazards since the row's start (``kc``). People whose duration ends on step
    ``t`` are then ``kc(t) × Σ_a stored(t − a) × P(D = a)``. Entries are kept
    for one block of :data:`BLOCK` steps; at the block's end each one's exits
    at later ages are added to a circular buffer of pending exits (``pend``,
    one slot per step ahead), so a step reads one slot plus the block per row,
    and the convolution runs as contiguous multiply-adds once per block.
    Hazard probabilities are tabulated once per time segment.
    """
    P = rate.shape[2]
    G = rate.shape[0]
    H = hz_target.shape[0]
    R = rc_bit.shape[0]
    C = fm.shape[1]
    NR = cls_prob.shape[2]
    mass = np.zeros((S, NT, P))  # people exposed to events (entered before this step)
    newmass = np.zeros((S, NT, P))  # people who entered on this step
    inbox = np.zeros((2, S, NT, P))  # moved this step, not yet settled ([1]: initial people)
    B = BLOCK
    n_rows = np.zeros(S, np.int64)  # ring rows of each state: per type, or per sex when lumped
    fbase = np.zeros(S, np.int64)
    xbase = np.zeros(S, np.int64)
    nf = 0
    nx = 0
    for s in range(S):
        if is_dur[s]:
            n_rows[s] = 2 if lumped[s] else NT
        fbase[s] = nf
        xbase[s] = nx
        nf += n_rows[s] * ring_len[s]
        nx += n_rows[s] * B
    pend = np.zeros((P, max(nf, 1)))  # exits due on each of the next L steps, per row
    blk = np.zeros((P, max(nx, 1)))  # entries of the current block, per row
    live = np.zeros((S, NT), np.bool_)  # rows that have held entries
    kc = np.ones((S, NT, P))  # survival factor of each ring row (row = sex when lumped)
    K = ent.shape[1]
    qtab = np.zeros((S, NT, P))  # probability that some hazard fires this step
    keeptab = np.ones((S, NT, P))  # exp(-total hazard)
    share = np.zeros((max(H, 1), NT, P))  # share of each component among those who leave
    dshare = np.zeros((2, P))
    xm = np.zeros(P)
    xh = np.zeros(P)
    xt = np.zeros(P)
    xc = np.zeros(P)
    f = np.zeros(P)
    has_fam = np.zeros((S, max(C, 1)), np.bool_)
    for s in range(S):
        for c in range(C):
            for p in range(P):
                if fm[s, c, p] > 0.0 or fh[s, c, p] > 0.0:
                    has_fam[s, c] = True
    active = np.zeros((S, NT), np.bool_)  # (state, type) pairs with people
    g_prev = -1
    for t in range(T):
        g = step_seg[t]  # the time segment (classification tables)
        gr = min(g, G - 1)  # and of the hazard rates
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
                            h += rate[gr, c, p] * mult[c, tau]
                        qtab[s, tau, p] = 1.0 - math.exp(-h) if h > 0.0 else 0.0
                        keeptab[s, tau, p] = math.exp(-h)
                        for c in range(a0, a1):
                            share[c, tau, p] = rate[gr, c, p] * mult[c, tau] / h if h > 0.0 else 0.0
        # 1. waves
        for w in range(wave_step.shape[0]):
            if wave_step[w] != t or not wave_active[w]:
                continue
            s = wave_state[w]
            for p in range(P):
                f[p] = 1.0 - wave_share[w, p]
            if is_dur[s]:
                for row in range(n_rows[s]):
                    for p in range(P):
                        kc[s, row, p] *= f[p]
                    _rebase(
                        pend,
                        blk,
                        fbase[s] + row * ring_len[s],
                        ring_len[s],
                        xbase[s] + row * B,
                        B,
                        kc[s, row],
                    )
            for tau in range(NT):
                if not active[s, tau]:
                    continue
                sx = tau_sex[tau]
                for p in range(P):
                    xm[p] = mass[s, tau, p] * wave_share[w, p]
                    mass[s, tau, p] -= xm[p]
                    wave_moved[w, sx, p] += xm[p]
                for j in range(wt_ptr[w], wt_ptr[w + 1]):
                    wj = wt_p[j]
                    if wj > 0.0:
                        d = wt_state[j]
                        for p in range(P):
                            v = xm[p] * wj
                            flows[y, s, d, sx, p] += v
                            inbox[0, d, tau, p] += v
        # 1b. reclassifications of a cohort (members carry the cohort's bit)
        for r in range(rc_step.shape[0]):
            if rc_step[r] != t:
                continue
            bit = rc_bit[r]
            for s in range(S):
                if not rc_eligible[r, s]:
                    continue
                for tau in range(NT):
                    if (tau & bit) == 0 or not active[s, tau]:
                        continue
                    sx = tau_sex[tau]
                    for p in range(P):
                        xm[p] = mass[s, tau, p] * rc_share[r, p]
                        rc_moved[r, sx, p] += xm[p]
                    if is_dur[s]:
                        if lumped[s]:  # the sex's ring loses the moved share of its people
                            row = sx
                            for p in range(P):
                                tot = 0.0
                                for t3 in range(NT):
                                    if tau_sex[t3] == row:
                                        tot += mass[s, t3, p]
                                f[p] = 1.0 - (xm[p] / tot if tot > 0.0 else 0.0)
                        else:
                            row = tau
                            for p in range(P):
                                f[p] = 1.0 - rc_share[r, p]
                        for p in range(P):
                            kc[s, row, p] *= f[p]
                        _rebase(
                            pend,
                            blk,
                            fbase[s] + row * ring_len[s],
                            ring_len[s],
                            xbase[s] + row * B,
                            B,
                            kc[s, row],
                        )
                    for p in range(P):
                        mass[s, tau, p] -= xm[p]
                    for j in range(rct_ptr[r], rct_ptr[r + 1]):
                        wj = rct_p[j]
                        if wj > 0.0:
                            d = rct_state[j]
                            for p in range(P):
                                v = xm[p] * wj
                                flows[y, s, d, sx, p] += v
                                inbox[0, d, tau, p] += v
        # 2. entries
        for k in range(K):
            d = combo_state[k]
            for init in range(2):
                if init == 1 and t != 0:
                    continue
                tot = 0.0
                for p in range(P):
                    tot += ent[t, k, p] if init == 0 else ent_init[k, p]
                if tot <= 0.0:
                    continue
                for tau in range(NT):
                    wk = combo_tau_p[k, tau]
                    if wk > 0.0:
                        sx = tau_sex[tau]
                        for p in range(P):
                            v = (ent[t, k, p] if init == 0 else ent_init[k, p]) * wk
                            flows[y, S, d, sx, p] += v
                            inbox[init, d, tau, p] += v
        # 3. due events of the people exposed on this step
        for s in range(S):
            a0 = hz_ptr[s]
            a1 = hz_ptr[s + 1]
            dur = is_dur[s]
            lump = lumped[s]
            o = ring_off[s]
            L = ring_len[s]
            t0 = t - t % B
            nblk = t - t0  # entries of the current block stored before this step
            if dur and lump:
                # one ring per sex; duration exits shared in proportion to each type's people
                for sx in range(2):
                    rep = -1
                    for p in range(P):
                        xm[p] = 0.0  # the sex's people
                    for tau in range(NT):
                        if tau_sex[tau] == sx and active[s, tau]:
                            for p in range(P):
                                xm[p] += mass[s, tau, p]
                            rep = tau
                    if rep < 0:
                        continue
                    fb = fbase[s] + sx * L
                    xb = xbase[s] + sx * B
                    for p in range(P):
                        kc[s, sx, p] *= keeptab[s, rep, p]
                        v = pend[p, fb + t % L]
                        for i in range(nblk):
                            a = nblk - i
                            if a <= L:
                                v += dur_pmf[o + a - 1] * blk[p, xb + i]
                        den = xm[p] * keeptab[s, rep, p]
                        dshare[sx, p] = v * kc[s, sx, p] / den if den > 0.0 else 0.0
            for tau in range(NT):
                if not active[s, tau]:
                    continue
                sx = tau_sex[tau]
                if dur and lump:
                    for p in range(P):
                        mp = mass[s, tau, p]
                        xh[p] = mp * qtab[s, tau, p]
                        xt[p] = (mp - xh[p]) * dshare[sx, p]
                        mass[s, tau, p] = mp - (xh[p] + xt[p])
                elif dur:
                    fb = fbase[s] + tau * L
                    xb = xbase[s] + tau * B
                    for p in range(P):
                        kc[s, tau, p] *= keeptab[s, tau, p]
                        v = pend[p, fb + t % L]
                        for i in range(nblk):
                            a = nblk - i
                            if a <= L:
                                v += dur_pmf[o + a - 1] * blk[p, xb + i]
                        mp = mass[s, tau, p]
                        xh[p] = mp * qtab[s, tau, p]
                        xt[p] = min(v * kc[s, tau, p], mp - xh[p])
                        mass[s, tau, p] = mp - (xh[p] + xt[p])
                else:
                    for p in range(P):
                        xh[p] = mass[s, tau, p] * qtab[s, tau, p]
                        mass[s, tau, p] -= xh[p]
                for c in range(a0, a1):
                    anyc = False
                    for p in range(P):
                        xc[p] = xh[p] * share[c, tau, p]
                        if xc[p] > 0.0:
                            anyc = True
                    if not anyc:
                        continue
                    for p in range(P):
                        hazard_counts[y, c, p] += xc[p]
                    tg = hz_target[c]
                    t2 = tau | hz_setbits[c]
                    if tg < 0:
                        # the person stays (same state, same deadline), with the flag
                        t3 = t2 | hz_flagbit[c]
                        for p in range(P):
                            flag_flows[y, -tg - 1, s, sx, p] += xc[p]
                            newmass[s, t3, p] += xc[p]
                    else:
                        for p in range(P):
                            flows[y, s, tg, sx, p] += xc[p]
                            inbox[0, tg, t2, p] += xc[p]
                if dur:
                    anyt = False
                    for p in range(P):
                        if xt[p] > 0.0:
                            anyt = True
                    if anyt:
                        for j in range(then_ptr[s], then_ptr[s + 1]):
                            wj = then_p[j]
                            if wj > 0.0:
                                d = then_state[j]
                                for p in range(P):
                                    v = xt[p] * wj
                                    flows[y, s, d, sx, p] += v
                                    inbox[0, d, tau, p] += v
            if dur:
                # the exits due on this step have been read (or had nobody to leave)
                for row in range(n_rows[s]):
                    if live[s, row]:
                        slot = fbase[s] + row * L + t % L
                        for p in range(P):
                            pend[p, slot] = 0.0
        # 3b. settle the moves: the classification node routes its entrants first
        for init in range(2 if t == 0 else 1):
            if cn >= 0:
                for tau in range(NT):
                    tot = 0.0
                    for p in range(P):
                        tot += inbox[init, cn, tau, p]
                    if tot == 0.0:
                        continue
                    sx = tau_sex[tau]
                    for r in range(NR):
                        anyp = False
                        for p in range(P):
                            if cls_prob[g, tau, r, p] > 0.0:
                                anyp = True
                        if not anyp:
                            continue
                        for p in range(P):
                            rule_counts[y, r, sx, p] += (
                                inbox[init, cn, tau, p] * cls_prob[g, tau, r, p]
                            )
                        for j in range(rt_ptr[r], rt_ptr[r + 1]):
                            wj = rt_p[j]
                            if wj > 0.0:
                                d = rt_state[j]
                                for p in range(P):
                                    v = inbox[init, cn, tau, p] * cls_prob[g, tau, r, p] * wj
                                    flows[y, cn, d, sx, p] += v
                                    inbox[init, d, tau, p] += v
                    for p in range(P):
                        inbox[init, cn, tau, p] = 0.0
            for d in range(S):
                if d == cn:
                    continue
                for tau in range(NT):
                    tot = 0.0
                    for p in range(P):
                        tot += inbox[init, d, tau, p]
                    if tot == 0.0:
                        continue
                    t2 = tau | soe[d]
                    for r in range(R):
                        if ms_member[rc_milestone[r], d]:
                            if rc_from[r] <= t <= rc_to[r]:
                                t2 |= rc_bit[r]
                            else:
                                t2 &= ~rc_bit[r]
                    for p in range(P):
                        newmass[d, t2, p] += inbox[init, d, tau, p]
                    if init == 0:
                        for c in range(C):
                            if has_fam[d, c]:
                                for p in range(P):
                                    fam_m[y, c, d, p] += inbox[0, d, tau, p] * fm[d, c, p]
                                    fam_h[y, c, d, p] += inbox[0, d, tau, p] * fh[d, c, p]
                    for p in range(P):
                        inbox[init, d, tau, p] = 0.0
        # 4. the entrants join; record the stocks
        for s in range(S):
            dur = is_dur[s]
            L = ring_len[s]
            for tau in range(NT):
                tot = 0.0
                for p in range(P):
                    tot += abs(newmass[s, tau, p])
                if tot != 0.0:
                    active[s, tau] = True
                    if dur:
                        row = tau_sex[tau] if lumped[s] else tau
                        xb = xbase[s] + row * B
                        low = False
                        for p in range(P):
                            if kc[s, row, p] < RESCALE:
                                low = True
                        if low:
                            _rebase(pend, blk, fbase[s] + row * L, L, xb, B, kc[s, row])
                        live[s, row] = True
                        for p in range(P):
                            blk[p, xb + t % B] += newmass[s, tau, p] / kc[s, row, p]
                    for p in range(P):
                        mass[s, tau, p] += newmass[s, tau, p]
                        newmass[s, tau, p] = 0.0
                if active[s, tau]:
                    sx = tau_sex[tau]
                    for p in range(P):
                        stocks[t, s, sx, p] += mass[s, tau, p]
            if dur and t % B == B - 1:
                for row in range(n_rows[s]):
                    if live[s, row]:
                        _flush(
                            pend,
                            blk,
                            fbase[s] + row * L,
                            L,
                            xbase[s] + row * B,
                            B,
                            t,
                            dur_pmf,
                            ring_off[s],
                        )


@nb.njit(cache=True, parallel=True, error_model="numpy")
def propagate_many(
    T,
    S,
    NT,
    cn,
    step_seg,
    year_index,
    tau_sex,
    rate,
    hz_ptr,
    hz_target,
    hz_setbits,
    hz_flagbit,
    mult,
    is_dur,
    lumped,
    ring_off,
    ring_len,
    dur_pmf,
    then_ptr,
    then_state,
    then_p,
    cls_prob,
    rt_ptr,
    rt_state,
    rt_p,
    soe,
    ms_member,
    rc_milestone,
    rc_from,
    rc_to,
    rc_bit,
    wave_step,
    wave_state,
    wave_share,
    wave_active,
    wt_ptr,
    wt_state,
    wt_p,
    rc_step,
    rc_share,
    rc_eligible,
    rct_ptr,
    rct_state,
    rct_p,
    ent,
    ent_init,
    combo_state,
    combo_tau_p,
    fm,
    fh,
    stocks,
    flows,
    flag_flows,
    wave_moved,
    rc_moved,
    fam_m,
    fam_h,
    rule_counts,
    hazard_counts,
):  # pragma: no cover - compiled
    """:func:`propagate` for chunks of parameter sets in parallel threads.

    Every per-set array has a leading chunk axis; chunk ``i`` holds its sets on
    the last axis.
    """
    n = rate.shape[0]
    for i in nb.prange(n):
        propagate(
            T,
            S,
            NT,
            cn,
            step_seg,
            year_index,
            tau_sex,
            rate[i],
            hz_ptr,
            hz_target,
            hz_setbits,
            hz_flagbit,
            mult,
            is_dur,
            lumped,
            ring_off,
            ring_len,
            dur_pmf,
            then_ptr,
            then_state,
            then_p,
            cls_prob[i],
            rt_ptr,
            rt_state,
            rt_p,
            soe,
            ms_member,
            rc_milestone,
            rc_from,
            rc_to,
            rc_bit,
            wave_step,
            wave_state,
            wave_share[i],
            wave_active,
            wt_ptr,
            wt_state,
            wt_p,
            rc_step,
            rc_share[i],
            rc_eligible,
            rct_ptr,
            rct_state,
            rct_p,
            ent[i],
            ent_init[i],
            combo_state,
            combo_tau_p,
            fm[i],
            fh[i],
            stocks[i],
            flows[i],
            flag_flows[i],
            wave_moved[i],
            rc_moved[i],
            fam_m[i],
            fam_h[i],
            rule_counts[i],
            hazard_counts[i],
        )
