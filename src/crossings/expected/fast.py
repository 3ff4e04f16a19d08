"""The fast propagation of the expected state distribution (numba).

Same steps, in the same order, as the daily kernel
(:mod:`crossings.expected.kernel`): waves, reclassifications, entries, the
events due to the people present (hazards, then durations), the settling of
moves (classification node first, flags set on entry, cohort bits, families)
and the joining of entrants. What differs is how much is visited:

* only the (state, type) pairs that can be reached, as planned by
  :func:`crossings.expected.plan.build_plan` (projected types, merged twins),
  each state's types in one row (types × parameter sets, sets innermost), so
  that every operation is a loop over contiguous numbers;
* durations through online filters planned by :mod:`crossings.expected.fir`
  (sliding sums for runs, FFT stages for long pmfs; their compiled functions
  are here, below) instead of a sum over the whole stay;
* tallies by year, state and sex accumulated per *piece* (steps with the same
  year and time segment): the people who leave by a hazard are summed per
  type over the piece and split among the hazard's components once, since
  the shares are constant within a segment.

Everything is linear in the entrants except the lumped states, whose
semantics (one filter row per sex, exits shared in proportion to the types
present) are those of the daily kernel.

All the compiled code of the method is in this one module on purpose: numba
caches a function together with the code it inlines from other modules but
checks only its own file for changes, so code split across files could run
stale after an edit of one of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba as nb
import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

_F = TypeVar("_F", bound=Callable[..., Any])


def jit(**options: Any) -> Callable[[_F], _F]:
    """``numba.njit`` with a type that keeps the decorated function's signature."""
    return cast(Callable[[_F], _F], nb.njit(**options))


ARGS = (
    "src",
    "tally",
    "prop",
    "n_res",
    "res_off",
    "res_sex",
    "seg_ptr",
    "seg_lo",
    "seg_hi",
    "seg_sex",
    "n_arr",
    "arr_off",
    "arr_sex",
    "dur",
    "fir_of",
    "fir_row",
    "fir_mem_ptr",
    "fir_mem",
    "lump_rep",
    "ic_ptr",
    "ic_c",
    "ic_flag",
    "ic_tg",
    "ic_off",
    "ic_mult",
    "ic_e_ptr",
    "ic_e",
    "th_ptr",
    "th_d",
    "th_p",
    "th_e_ptr",
    "th_e",
    "cn",
    "cn_d",
    "cn_e_ptr",
    "cn_e",
    "wv_int",
    "wv_j_ptr",
    "wv_d",
    "wv_p",
    "wv_e_ptr",
    "wv_e",
    "rc_s_ptr",
    "rc_s",
    "rc_bit_ptr",
    "rc_bitloc",
    "rc_j_ptr",
    "rc_d",
    "rc_p",
    "rc_e_ptr",
    "rc_e",
    "en_ptr",
    "en_int",
    "en_res",
    "en_loc",
    "en_w",
    "st_kind",
    "st_map_ptr",
    "st_maps",
    "st_pmax",
    "has_fam",
    "e_tgt",
    "e_res",
    "e_kind",
    "e_off",
    "e_maps",
    "e_pmax",
)
"""The fields of :class:`~crossings.expected.plan.FastPlan` the kernel reads, in order."""

# positions of the plan arrays that :func:`propagate` reads itself (numba constants)
_N_RES = ARGS.index("n_res")
_RES_OFF = ARGS.index("res_off")
_N_ARR = ARGS.index("n_arr")
_ARR_OFF = ARGS.index("arr_off")
_IC_MULT = ARGS.index("ic_mult")
_CN = ARGS.index("cn")


INT_SECTIONS = (
    "kind", "types", "ring_len", "n_taps", "tap_off", "run_ptr", "run_lo", "run_hi",
    "st_ptr", "st_block", "st_k0", "st_k1", "st_h", "tw_off",
)  # fmt: skip
"""The integer arrays of a packed bank, in order."""

FLOAT_SECTIONS = ("taps", "run_c", "h_re", "h_im", "tw_re", "tw_im")
"""The float arrays of a packed bank, in order."""

# where each section starts: fi[I_*] (integers), fi[F_*] (floats, in ff)
I_KIND, I_TYPES, I_RING, I_NTAP, I_TAPOFF, I_RUNPTR, I_RUNLO, I_RUNHI = range(8)
I_STPTR, I_STB, I_STK0, I_STK1, I_STH, I_TWOFF = range(8, 14)
F_TAPS, F_RUNC, F_HRE, F_HIM, F_TWRE, F_TWIM = range(14, 20)

# buffers: bo[B_*] is where each table of offsets starts in bo
B_RING, B_SUM, B_BLK, B_DL = range(4)

FirBuffers = tuple[I64, F64, F64, F64, F64, F64, F64, F64, F64, F64]
"""What :func:`fir_alloc` returns: ``(bo, ring, sums, blk, dre, dim, zr, zi, yr, yi)``."""


# ---------------------------------------------------------------------------- buffers
@jit(cache=True)
def fir_alloc(fi: I64, P: int) -> FirBuffers:
    """Offsets and zeroed buffers of every filter of a packed bank for ``P`` parameter sets.

    Filter ``f`` has ``Rs = types[f] × P`` rows. Its ring of past entries is laid
    out ``[slot, row]`` in ``ring`` from ``bo[bo[B_RING] + f]``, the sliding sums
    of its runs ``[run, row]`` in ``sums`` (``B_SUM``). Stage ``s`` keeps the
    entries of its current block and the exits due in it as ``[2B, row]`` in
    ``blk`` (``B_BLK``; entries in the first ``B`` slots) and the spectra of its
    last ``k1`` blocks as ``[slot, B + 1, row]`` in ``dre``/``dim`` (``B_DL``).
    ``zr``/``zi``/``yr``/``yi`` are scratch for the FFTs. Separate arrays (rather than one
    pool) let the compiler vectorise the loops.
    """
    nf = fi[I_TYPES] - fi[I_KIND]
    ns = fi[I_STK0] - fi[I_STB]
    head = 4
    bo = np.zeros(head + 2 * (nf + 1) + 2 * (ns + 1), np.int64)
    bo[B_RING] = head
    bo[B_SUM] = head + nf + 1
    bo[B_BLK] = head + 2 * (nf + 1)
    bo[B_DL] = head + 2 * (nf + 1) + ns + 1
    scratch = 1
    for f in range(nf):
        Rs = fi[fi[I_TYPES] + f] * P
        bo[bo[B_RING] + f + 1] = bo[bo[B_RING] + f] + fi[fi[I_RING] + f] * Rs
        nr = fi[fi[I_RUNPTR] + f + 1] - fi[fi[I_RUNPTR] + f]
        bo[bo[B_SUM] + f + 1] = bo[bo[B_SUM] + f] + nr * Rs
        for s in range(fi[fi[I_STPTR] + f], fi[fi[I_STPTR] + f + 1]):
            B = fi[fi[I_STB] + s]
            bo[bo[B_BLK] + s + 1] = bo[bo[B_BLK] + s] + 2 * B * Rs
            bo[bo[B_DL] + s + 1] = bo[bo[B_DL] + s] + fi[fi[I_STK1] + s] * (B + 1) * Rs
            scratch = max(scratch, (B + 1) * Rs)
    n_dl = max(bo[bo[B_DL] + ns], 1)
    return (
        bo,
        np.zeros(max(bo[bo[B_RING] + nf], 1)),
        np.zeros(max(bo[bo[B_SUM] + nf], 1)),
        np.zeros(max(bo[bo[B_BLK] + ns], 1)),
        np.zeros(n_dl),
        np.zeros(n_dl),
        np.zeros(scratch),
        np.zeros(scratch),
        np.zeros(scratch),
        np.zeros(scratch),
    )


# ---------------------------------------------------------------------------- FFT
@jit(cache=True, _nrt=False)
def _fft(
    zr: F64, zi: F64, yr: F64, yi: F64, M: int, R: int, fi: I64, ff: F64, to: int, sign: float
) -> None:
    """In-place complex FFT of size ``M`` (a power of 2) of ``R`` rows laid out ``[m, row]``.

    Stockham's self-sorting form, radix 4 (and one radix-2 pass when ``log2 M``
    is odd): each pass reads one buffer and writes the other (``yr``/``yi`` are
    scratch), and its inner loop runs over contiguous numbers, so it
    vectorises (an in-place butterfly does not). ``sign`` is 1 for the forward
    transform and −1 for the inverse (unscaled). The twiddles
    ``exp(−2πik/M)``, ``k < M``, start at ``to`` in their sections.
    """
    twr = fi[F_TWRE] + to
    twi = fi[F_TWIM] + to
    n = M
    s = 1
    src_is_z = True
    while n > 1:
        if n % 4 == 0:
            m = n // 4
            for p in range(m):
                k1 = p * s
                w1r = ff[twr + k1]
                w1i = sign * ff[twi + k1]
                w2r = ff[twr + 2 * k1]
                w2i = sign * ff[twi + 2 * k1]
                w3r = ff[twr + 3 * k1]
                w3i = sign * ff[twi + 3 * k1]
                ia = s * p * R
                ib = s * (p + m) * R
                ic = s * (p + 2 * m) * R
                id_ = s * (p + 3 * m) * R
                o0 = s * (4 * p) * R
                o1 = o0 + s * R
                o2 = o1 + s * R
                o3 = o2 + s * R
                if src_is_z:
                    _radix4(zr, zi, yr, yi, ia, ib, ic, id_, o0, o1, o2, o3, s * R,
                            w1r, w1i, w2r, w2i, w3r, w3i, sign)  # fmt: skip
                else:
                    _radix4(yr, yi, zr, zi, ia, ib, ic, id_, o0, o1, o2, o3, s * R,
                            w1r, w1i, w2r, w2i, w3r, w3i, sign)  # fmt: skip
            n = m
            s *= 4
        else:
            m = n // 2
            for p in range(m):
                wr = ff[twr + p * s]
                wi = sign * ff[twi + p * s]
                ia = s * p * R
                ib = s * (p + m) * R
                oa = s * (2 * p) * R
                ob = oa + s * R
                if src_is_z:
                    _radix2(zr, zi, yr, yi, ia, ib, oa, ob, s * R, wr, wi)
                else:
                    _radix2(yr, yi, zr, zi, ia, ib, oa, ob, s * R, wr, wi)
            n = m
            s *= 2
        src_is_z = not src_is_z
    if not src_is_z:
        for k in range(M * R):
            zr[k] = yr[k]
            zi[k] = yi[k]


@jit(cache=True, inline="always", _nrt=False)
def _radix2(
    xr: F64, xi: F64, yr: F64, yi: F64, ia: int, ib: int, oa: int, ob: int, n: int,
    wr: float, wi: float,
) -> None:  # fmt: skip
    """One radix-2 Stockham butterfly over ``n`` contiguous numbers: x → y."""
    for k in range(n):
        ar = xr[ia + k]
        ai = xi[ia + k]
        br = xr[ib + k]
        bi = xi[ib + k]
        yr[oa + k] = ar + br
        yi[oa + k] = ai + bi
        dr = ar - br
        di = ai - bi
        yr[ob + k] = dr * wr - di * wi
        yi[ob + k] = dr * wi + di * wr


@jit(cache=True, inline="always", _nrt=False)
def _radix4(
    xr: F64, xi: F64, yr: F64, yi: F64, ia: int, ib: int, ic: int, id_: int, o0: int, o1: int,
    o2: int, o3: int, n: int, w1r: float, w1i: float, w2r: float, w2i: float, w3r: float,
    w3i: float, sign: float,
) -> None:  # fmt: skip
    """One radix-4 Stockham butterfly over ``n`` contiguous numbers: x → y.

    With ``a, b, c, d`` the inputs a quarter of the transform apart and
    ``j = −i·sign``: ``y0 = (a + c) + (b + d)``, ``y1 = ((a − c) + j(b − d)) w``,
    ``y2 = ((a + c) − (b + d)) w²``, ``y3 = ((a − c) − j(b − d)) w³``.
    """
    for k in range(n):
        ar = xr[ia + k]
        ai = xi[ia + k]
        br = xr[ib + k]
        bi = xi[ib + k]
        cr = xr[ic + k]
        ci = xi[ic + k]
        dr = xr[id_ + k]
        di = xi[id_ + k]
        t0r = ar + cr
        t0i = ai + ci
        t1r = ar - cr
        t1i = ai - ci
        t2r = br + dr
        t2i = bi + di
        # t3 = (b − d)·(−i·sign)
        t3r = sign * (bi - di)
        t3i = -sign * (br - dr)
        yr[o0 + k] = t0r + t2r
        yi[o0 + k] = t0i + t2i
        ur = t1r + t3r
        ui = t1i + t3i
        yr[o1 + k] = ur * w1r - ui * w1i
        yi[o1 + k] = ur * w1i + ui * w1r
        ur = t0r - t2r
        ui = t0i - t2i
        yr[o2 + k] = ur * w2r - ui * w2i
        yi[o2 + k] = ur * w2i + ui * w2r
        ur = t1r - t3r
        ui = t1i - t3i
        yr[o3 + k] = ur * w3r - ui * w3i
        yi[o3 + k] = ur * w3i + ui * w3r


@jit(cache=True, _nrt=False)
def _rfft_entries(
    blk: F64, b0: int, Rs: int, B: int, R: int, dre: F64, dim: F64, o: int, zr: F64, zi: F64,
    yr: F64, yi: F64, fi: I64, ff: F64, to: int,
) -> None:  # fmt: skip
    """Spectrum (``B + 1`` bins) of ``B`` entries per row, zero-padded to ``2B`` samples.

    Reads ``blk[b0 + n·Rs + r]`` (``n < B``), writes ``dre``/``dim[o + k·Rs + r]``.
    """
    M = B  # a 2B-point real FFT is a B-point complex FFT of (even, odd) pairs
    h = B // 2
    for m in range(M):
        if m < h:
            a0 = b0 + (2 * m) * Rs
            a1 = a0 + Rs
            for r in range(R):
                zr[m * R + r] = blk[a0 + r]
                zi[m * R + r] = blk[a1 + r]
        else:
            for r in range(R):
                zr[m * R + r] = 0.0
                zi[m * R + r] = 0.0
    _fft(zr, zi, yr, yi, M, R, fi, ff, to, 1.0)
    t2r = fi[F_TWRE] + to + M  # twiddles of size 2M follow those of size M
    t2i = fi[F_TWIM] + to + M
    for k in range(M + 1):
        a = (k % M) * R
        b = ((M - k) % M) * R
        wr = ff[t2r + k]
        wi = ff[t2i + k]
        ok = o + k * Rs
        for r in range(R):
            ar = zr[a + r]
            ai = zi[a + r]
            br = zr[b + r]
            bi = -zi[b + r]  # conj(Z[M - k])
            er = 0.5 * (ar + br)  # E = (Z[k] + conj Z[M-k]) / 2
            ei = 0.5 * (ai + bi)
            orr = 0.5 * (ai - bi)  # O = (Z[k] - conj Z[M-k]) / 2i
            oi = -0.5 * (ar - br)
            dre[ok + r] = er + wr * orr - wi * oi  # X = E + W^k O
            dim[ok + r] = ei + wr * oi + wi * orr


@jit(cache=True, _nrt=False)
def _irfft_exits(
    zr: F64, zi: F64, yr: F64, yi: F64, B: int, R: int, out: F64, o: int, Rs: int, fi: I64,
    ff: F64, to: int,
) -> None:  # fmt: skip
    """First ``B`` samples of the inverse of a ``2B``-point real spectrum.

    ``zr``/``zi`` hold ``B + 1`` bins laid out ``[k, row]`` (``R`` rows) and
    are overwritten; the samples go to ``out[o + n·Rs + r]``.
    """
    M = B
    t2r = fi[F_TWRE] + to + M
    t2i = fi[F_TWIM] + to + M
    # Z[k] = E[k] + i O[k], with E = (X[k] + conj X[M-k]) / 2 and
    # O = (X[k] − conj X[M-k]) conj(W^k) / 2; bins k and M − k in pairs, in place
    for k in range(M // 2 + 1):
        k2 = M - k  # partner bin (M when k = 0: bin M is read, never written)
        a = k * R
        b = k2 * R
        wr1 = ff[t2r + k]
        wi1 = -ff[t2i + k]
        wr2 = ff[t2r + k2]
        wi2 = -ff[t2i + k2]
        pair = 0 < k < k2
        for r in range(R):
            xr = zr[a + r]
            xi = zi[a + r]
            cr = zr[b + r]
            ci = zi[b + r]
            er = 0.5 * (xr + cr)  # bin k: X[k], conj X[M - k]
            ei = 0.5 * (xi - ci)
            dr = 0.5 * (xr - cr)
            di = 0.5 * (xi + ci)
            orr = dr * wr1 - di * wi1
            oi = dr * wi1 + di * wr1
            zr[a + r] = er - oi
            zi[a + r] = ei + orr
            if pair:  # bin M − k: X[M − k], conj X[k]
                er = 0.5 * (cr + xr)
                ei = 0.5 * (ci - xi)
                dr = 0.5 * (cr - xr)
                di = 0.5 * (ci + xi)
                orr = dr * wr2 - di * wi2
                oi = dr * wi2 + di * wr2
                zr[b + r] = er - oi
                zi[b + r] = ei + orr
    _fft(zr, zi, yr, yi, M, R, fi, ff, to, -1.0)
    inv = 1.0 / M
    for m in range(B // 2):
        a0 = o + (2 * m) * Rs
        a1 = a0 + Rs
        for r in range(R):
            out[a0 + r] = zr[m * R + r] * inv
            out[a1 + r] = zi[m * R + r] * inv


@jit(cache=True, _nrt=False)
def _log2(n: int) -> int:
    i = 0
    while (1 << i) < n:
        i += 1
    return i


@jit(cache=True, _nrt=False)
def _stage_block(
    s: int, j: int, R: int, Rs: int, fi: I64, ff: F64, bo: I64, blk: F64, dre: F64, dim: F64,
    zr: F64, zi: F64, yr: F64, yi: F64,
) -> None:  # fmt: skip
    """Block ``j`` of stage ``s`` is complete: keep its spectrum, compute the next block's exits."""
    B = fi[fi[I_STB] + s]
    K = fi[fi[I_STK1] + s]
    k0 = fi[fi[I_STK0] + s]
    nbin = B + 1
    to = fi[fi[I_TWOFF] + _log2(B)]
    b0 = bo[bo[B_BLK] + s]
    d0 = bo[bo[B_DL] + s]
    _rfft_entries(blk, b0, Rs, B, R, dre, dim, d0 + (j % K) * nbin * Rs, zr, zi, yr, yi, fi, ff, to)
    for i in range(nbin * R):
        zr[i] = 0.0
        zi[i] = 0.0
    hre = fi[F_HRE] + fi[fi[I_STH] + s]
    him = fi[F_HIM] + fi[fi[I_STH] + s]
    for k in range(k0, K + 1):
        b = j + 1 - k
        if b < 0:
            break
        xs = d0 + (b % K) * nbin * Rs
        ho = (k - k0) * nbin
        for n in range(nbin):
            hr = ff[hre + ho + n]
            hi = ff[him + ho + n]
            xa = xs + n * Rs
            ya = n * R
            for r in range(R):
                xr = dre[xa + r]
                xi = dim[xa + r]
                zr[ya + r] += xr * hr - xi * hi
                zi[ya + r] += xr * hi + xi * hr
    _irfft_exits(zr, zi, yr, yi, B, R, blk, b0 + B * Rs, Rs, fi, ff, to)


# ---------------------------------------------------------------------------- steps
@jit(cache=True, inline="always", _nrt=False)
def fir_due(
    f: int, t: int, R: int, P: int, v: F64, vo: int, fi: I64, ff: F64, bo: I64,
    ring: F64, sums: F64, blk: F64,
) -> None:  # fmt: skip
    """``v[vo + r] = Σ_{s<t} x(s) p(t − s)`` for the rows ``r < R`` of filter ``f``."""
    Rs = fi[fi[I_TYPES] + f] * P
    L = fi[fi[I_RING] + f]
    ro = bo[bo[B_RING] + f]
    for r in range(R):
        v[vo + r] = 0.0
    if fi[fi[I_KIND] + f] == 0:
        so = bo[bo[B_SUM] + f]
        j0 = fi[fi[I_RUNPTR] + f]
        for j in range(j0, fi[fi[I_RUNPTR] + f + 1]):
            c = ff[fi[F_RUNC] + j]
            lo = fi[fi[I_RUNLO] + j]
            if fi[fi[I_RUNHI] + j] == lo:
                if t - lo >= 0:
                    a = ro + ((t - lo) % L) * Rs
                    for r in range(R):
                        v[vo + r] += c * ring[a + r]
            else:
                a = so + (j - j0) * Rs
                for r in range(R):
                    v[vo + r] += c * sums[a + r]
        return
    to = fi[F_TAPS] + fi[fi[I_TAPOFF] + f]
    nt = min(fi[fi[I_NTAP] + f], t)
    lag = 1
    while lag + 3 <= nt:  # four taps per pass over the rows (a quarter of the loads of v)
        c0 = ff[to + lag - 1]
        c1 = ff[to + lag]
        c2 = ff[to + lag + 1]
        c3 = ff[to + lag + 2]
        a0 = ro + ((t - lag) % L) * Rs
        a1 = ro + ((t - lag - 1) % L) * Rs
        a2 = ro + ((t - lag - 2) % L) * Rs
        a3 = ro + ((t - lag - 3) % L) * Rs
        for r in range(R):
            v[vo + r] += (c0 * ring[a0 + r] + c1 * ring[a1 + r]) + (
                c2 * ring[a2 + r] + c3 * ring[a3 + r]
            )
        lag += 4
    while lag <= nt:
        c = ff[to + lag - 1]
        a = ro + ((t - lag) % L) * Rs
        for r in range(R):
            v[vo + r] += c * ring[a + r]
        lag += 1
    for s in range(fi[fi[I_STPTR] + f], fi[fi[I_STPTR] + f + 1]):
        B = fi[fi[I_STB] + s]
        a = bo[bo[B_BLK] + s] + (B + t % B) * Rs  # exits due in the current block
        for r in range(R):
            v[vo + r] += blk[a + r]


@jit(cache=True, inline="always", _nrt=False)
def fir_push(
    f: int, t: int, T: int, R: int, P: int, x: F64, xo: int, fi: I64, ff: F64, bo: I64,
    ring: F64, sums: F64, blk: F64, dre: F64, dim: F64, zr: F64, zi: F64, yr: F64, yi: F64,
) -> None:  # fmt: skip
    """Record the entries ``x[xo + r]`` of step ``t`` (rows ``r < R``) for later exits.

    Must be called on every step from the filter's first entry on (with zeros
    where nobody entered), so that every slot of the rings belongs to one step.
    At the end of a stage's block it computes the exits due in the next block.
    """
    Rs = fi[fi[I_TYPES] + f] * P
    L = fi[fi[I_RING] + f]
    ro = bo[bo[B_RING] + f]
    if L > 0:
        a = ro + (t % L) * Rs
        for r in range(R):
            ring[a + r] = x[xo + r]
    if fi[fi[I_KIND] + f] == 0:
        if L == 0:
            return
        so = bo[bo[B_SUM] + f]
        exact = t % L == L - 1  # recompute the sums now and then: no drift
        j0 = fi[fi[I_RUNPTR] + f]
        for j in range(j0, fi[fi[I_RUNPTR] + f + 1]):
            lo = fi[fi[I_RUNLO] + j]
            hi = fi[fi[I_RUNHI] + j]
            if hi == lo:
                continue
            b = so + (j - j0) * Rs
            if exact:  # the sum for step t + 1, from the ring
                for r in range(R):
                    sums[b + r] = 0.0
                for lag in range(lo, min(hi, t + 1) + 1):
                    a = ro + ((t + 1 - lag) % L) * Rs
                    for r in range(R):
                        sums[b + r] += ring[a + r]
            else:
                a_in = ro + ((t + 1 - lo) % L) * Rs
                if t - hi >= 0:
                    a_out = ro + ((t - hi) % L) * Rs
                    for r in range(R):
                        sums[b + r] += ring[a_in + r] - ring[a_out + r]
                else:
                    for r in range(R):
                        sums[b + r] += ring[a_in + r]
        return
    for s in range(fi[fi[I_STPTR] + f], fi[fi[I_STPTR] + f + 1]):
        B = fi[fi[I_STB] + s]
        a = bo[bo[B_BLK] + s] + (t % B) * Rs
        for r in range(R):
            blk[a + r] = x[xo + r]
        if (t + 1) % B == 0 and t + 1 < T:
            _stage_block(s, t // B, R, Rs, fi, ff, bo, blk, dre, dim, zr, zi, yr, yi)


@jit(cache=True, _nrt=False)
def fir_scale(
    f: int, r: int, fac: float, P: int, fi: I64, bo: I64, ring: F64, sums: F64, blk: F64,
    dre: F64, dim: F64,
) -> None:  # fmt: skip
    """Multiply everything filter ``f`` remembers of row ``r`` by ``fac``."""
    Rs = fi[fi[I_TYPES] + f] * P
    L = fi[fi[I_RING] + f]
    ro = bo[bo[B_RING] + f]
    for k in range(L):
        ring[ro + k * Rs + r] *= fac
    so = bo[bo[B_SUM] + f]
    for j in range(fi[fi[I_RUNPTR] + f + 1] - fi[fi[I_RUNPTR] + f]):
        sums[so + j * Rs + r] *= fac
    for s in range(fi[fi[I_STPTR] + f], fi[fi[I_STPTR] + f + 1]):
        B = fi[fi[I_STB] + s]
        b0 = bo[bo[B_BLK] + s]
        for k in range(2 * B):
            blk[b0 + k * Rs + r] *= fac
        d0 = bo[bo[B_DL] + s]
        for k in range(fi[fi[I_STK1] + s] * (B + 1)):
            dre[d0 + k * Rs + r] *= fac
            dim[d0 + k * Rs + r] *= fac


# ---------------------------------------------------------------------------- the kernel
RESCALE = 1e-150
"""When a filter row's survival factor falls below this, its memory is rescaled (exactly)."""


@jit(cache=True, inline="always", _nrt=False)
def _edge(
    e: int, n: int, P: int, val: F64, vo: int, w: F64, wo: int, c: float, newm: F64, inb: F64,
    nhi: I64, ihi: I64, res_off: I64, arr_off: I64, e_tgt: I64, e_res: I64, e_kind: I64,
    e_off: I64, e_maps: I64, e_pmax: I64,
) -> None:  # fmt: skip
    """Move ``val[vo + i·P + p] · w[wo + i·P + p] · c`` (rows ``i < n``) along edge ``e``.

    The people go to the target's residents (``newm``, joining at the end of
    the step) or arrivals (``inb``, settled first), at the indices the edge
    maps the source's types to: a contiguous run, a map, or one index per
    block of the source's types (then the block is summed). Pass ``w = val``
    with ``wo = -1`` for a constant weight ``c`` only.
    """
    tg = e_tgt[e]
    if e_res[e] == 1:
        dst = newm
        do = res_off[tg] * P
    else:
        dst = inb
        do = arr_off[tg] * P
    kind = e_kind[e]
    off = e_off[e]
    reach = 0
    if kind == 0:
        d0 = do + off * P
        if wo < 0:
            for r in range(n * P):
                dst[d0 + r] += val[vo + r] * c
        else:
            for r in range(n * P):
                dst[d0 + r] += val[vo + r] * w[wo + r] * c
        reach = off + n if n > 0 else 0
    elif kind == 1:
        if P == 1:
            if wo < 0:
                for i in range(n):
                    dst[do + e_maps[off + i]] += val[vo + i] * c
            else:
                for i in range(n):
                    dst[do + e_maps[off + i]] += val[vo + i] * w[wo + i] * c
        else:
            for i in range(n):
                d0 = do + e_maps[off + i] * P
                s0 = i * P
                for p in range(P):
                    wt = c if wo < 0 else w[wo + s0 + p] * c
                    dst[d0 + p] += val[vo + s0 + p] * wt
        reach = e_pmax[off + n - 1] if n > 0 else 0
    else:
        for k in range(e_maps[off]):
            lo = e_maps[off + 1 + 3 * k]
            hi = min(e_maps[off + 2 + 3 * k], n)
            if lo >= hi:
                break
            tgi = e_maps[off + 3 + 3 * k]
            reach = max(reach, tgi + 1)
            d0 = do + tgi * P
            if P == 1:
                a0 = 0.0
                a1 = 0.0
                i = lo
                if wo < 0:
                    while i + 1 < hi:
                        a0 += val[vo + i]
                        a1 += val[vo + i + 1]
                        i += 2
                    if i < hi:
                        a0 += val[vo + i]
                else:
                    while i + 1 < hi:
                        a0 += val[vo + i] * w[wo + i]
                        a1 += val[vo + i + 1] * w[wo + i + 1]
                        i += 2
                    if i < hi:
                        a0 += val[vo + i] * w[wo + i]
                dst[d0] += (a0 + a1) * c
            else:
                for i in range(lo, hi):
                    for p in range(P):
                        wt = c if wo < 0 else w[wo + i * P + p] * c
                        dst[d0 + p] += val[vo + i * P + p] * wt
    if e_res[e] == 1:
        nhi[tg] = max(nhi[tg], reach)
    else:
        ihi[tg] = max(ihi[tg], reach)


@jit(cache=True, fastmath={"reassoc", "nsz"}, _nrt=False)
def _seg_sums(
    u: int, n: int, P: int, a: F64, ao: int, w: F64, wo: int, seg_ptr: I64, seg_lo: I64,
    seg_hi: I64, seg_sex: I64, out: F64,
) -> None:  # fmt: skip
    """``out[sx·P + p] = Σ_{i<n, sex(i)=sx} a[ao + i·P + p] · w[wo + i·P + p]`` for state ``u``.

    The residents of one sex come in contiguous blocks, so these are sums of
    contiguous runs (in any order of the terms: rounding is the only difference).
    """
    for k in range(2 * P):
        out[k] = 0.0
    for sg in range(seg_ptr[u], seg_ptr[u + 1]):
        lo = seg_lo[sg]
        hi = min(seg_hi[sg], n)
        if lo >= hi:
            break
        b = seg_sex[sg] * P
        if P == 1:
            acc = 0.0
            for i in range(lo, hi):
                acc += a[ao + i] * w[wo + i]
            out[b] += acc
        else:
            for i in range(lo, hi):
                for p in range(P):
                    out[b + p] += a[ao + i * P + p] * w[wo + i * P + p]


@jit(cache=True, fastmath={"reassoc", "nsz"}, _nrt=False)
def _stocks(
    t: int, P: int, hi: I64, res_off: I64, tally: I64, seg_ptr: I64, seg_lo: I64, seg_hi: I64,
    seg_sex: I64, mass: F64, stocks: F64,
) -> None:  # fmt: skip
    """``stocks[t, state, sex]``: the people of every tally state at the end of step ``t``."""
    for u in range(hi.shape[0]):
        o = tally[u]
        n = hi[u]
        if o < 0 or n == 0:
            continue
        ao = res_off[u] * P
        for sg in range(seg_ptr[u], seg_ptr[u + 1]):
            lo = seg_lo[sg]
            h = min(seg_hi[sg], n)
            if lo >= h:
                break
            sx = seg_sex[sg]
            if P == 1:
                acc = 0.0
                for i in range(lo, h):
                    acc += mass[ao + i]
                stocks[t, o, sx, 0] += acc
            else:
                for i in range(lo, h):
                    for p in range(P):
                        stocks[t, o, sx, p] += mass[ao + i * P + p]


@jit(cache=True, _nrt=False)
def _flush(
    y: int, g: int, P: int, n_int: int, S: int, tally: I64, n_res: I64, res_off: I64,
    seg_ptr: I64, seg_lo: I64, seg_hi: I64, seg_sex: I64, ic_ptr: I64, ic_c: I64, ic_flag: I64,
    ic_tg: I64, ic_off: I64, th_ptr: I64, th_d: I64,
    th_p: F64, dur: I64, share: F64, xacc: F64, xtacc: F64, ones: F64, tmp: F64,
    cn: int, n_cn: int, arr_sex: I64, arr_off: I64, cnacc: F64, cls: F64, route: F64, cn_d: I64,
    has_fam: B8, famacc: F64, fm: F64, fh: F64,
    flows: F64, flag_flows: F64, hazard_counts: F64, rule_counts: F64, fam_m: F64, fam_h: F64,
) -> None:  # fmt: skip
    """Add the moves of one piece (year ``y``, segment ``g``) to the tallies, then reset."""
    for u in range(n_int):
        o = tally[u]
        if o < 0:
            continue
        nr = n_res[u]
        b = res_off[u] * P
        for ic in range(ic_ptr[u], ic_ptr[u + 1]):
            _seg_sums(
                u, nr, P, xacc, b, share, ic_off[ic] * P, seg_ptr, seg_lo, seg_hi, seg_sex, tmp
            )
            c = ic_c[ic]
            tg = ic_tg[ic]
            for sx in range(2):
                for p in range(P):
                    v = tmp[sx * P + p]
                    hazard_counts[y, c, p] += v
                    if tg >= 0:
                        flows[y, o, tg, sx, p] += v
                    else:
                        flag_flows[y, ic_flag[ic], o, sx, p] += v
        if dur[u] > 0 and th_ptr[u + 1] > th_ptr[u]:
            _seg_sums(u, nr, P, xtacc, b, ones, 0, seg_ptr, seg_lo, seg_hi, seg_sex, tmp)
            for j in range(th_ptr[u], th_ptr[u + 1]):
                for sx in range(2):
                    for p in range(P):
                        flows[y, o, th_d[j], sx, p] += tmp[sx * P + p] * th_p[j]
        for r in range(nr * P):
            xacc[b + r] = 0.0
            xtacc[b + r] = 0.0
        if has_fam[u]:
            for c in range(fm.shape[1]):
                for p in range(P):
                    fam_m[y, c, o, p] += famacc[u * P + p] * fm[o, c, p]
                    fam_h[y, c, o, p] += famacc[u * P + p] * fh[o, c, p]
            for p in range(P):
                famacc[u * P + p] = 0.0
    if cn >= 0:
        NR = cls.shape[2]
        J = cn_d.shape[0]
        for i in range(n_cn):
            sx = arr_sex[arr_off[cn] + i]
            for p in range(P):
                a = cnacc[i * P + p]
                if a == 0.0:
                    continue
                for r in range(NR):
                    rule_counts[y, r, sx, p] += a * cls[g, i, r, p]
                for j in range(cn_d.shape[0]):
                    flows[y, tally[cn], cn_d[j], sx, p] += (
                        a * route[((g * J + j) * n_cn + i) * P + p]
                    )
                cnacc[i * P + p] = 0.0


@jit(cache=True, _nrt=False)
def _tables(
    gr: int, P: int, n_int: int, n_res: I64, res_off: I64, ic_ptr: I64, ic_c: I64, ic_off: I64,
    ic_mult: F64, rate: F64, q: F64, keep: F64, share: F64,
) -> None:  # fmt: skip
    """Per-step hazard probability, survival and shares of the components, for segment ``gr``."""
    for u in range(n_int):
        b = res_off[u] * P
        for i in range(n_res[u]):
            for p in range(P):
                h = 0.0
                for ic in range(ic_ptr[u], ic_ptr[u + 1]):
                    h += rate[gr, ic_c[ic], p] * ic_mult[ic_off[ic] + i]
                q[b + i * P + p] = 1.0 - math.exp(-h) if h > 0.0 else 0.0
                keep[b + i * P + p] = math.exp(-h)
                for ic in range(ic_ptr[u], ic_ptr[u + 1]):
                    share[(ic_off[ic] + i) * P + p] = (
                        rate[gr, ic_c[ic], p] * ic_mult[ic_off[ic] + i] / h if h > 0.0 else 0.0
                    )


@jit(cache=True, inline="always", _nrt=False)
def _fir_rows(
    f: int, P: int, fir_mem_ptr: I64, fir_mem: I64, fir_row: I64, hi: I64, dur: I64
) -> int:
    """Rows of filter ``f`` in use: up to the last row of its states with people."""
    rf = 0
    for k in range(fir_mem_ptr[f], fir_mem_ptr[f + 1]):
        u = fir_mem[k]
        if hi[u] > 0:
            rf = max(rf, (fir_row[u] + (2 if dur[u] == 2 else hi[u])) * P)
    return rf


@jit(cache=True, _nrt=False)
def _rebase_row(
    f: int, r: int, P: int, kc: F64, k: int, fi: I64, bo: I64, ring: F64, sums: F64, blk: F64,
    dre: F64, dim: F64,
) -> None:  # fmt: skip
    """Fold the survival factor ``kc[k]`` of filter row ``r`` into the filter's memory."""
    fir_scale(f, r, kc[k], P, fi, bo, ring, sums, blk, dre, dim)
    kc[k] = 1.0


@jit(cache=True)
def propagate(
    T: int, t0: int, step_seg: I64, year_index: I64, plan: Any, fi: I64, ff: F64,
    rate: F64, cls: F64, route: F64, wave_step: I64, wave_share: F64, wave_active: B8,
    rc_step: I64, rc_from: I64, rc_to: I64, rc_share: F64, ent: F64, ent_init: F64,
    fm: F64, fh: F64,
    stocks: F64, flows: F64, flag_flows: F64, wave_moved: F64, rc_moved: F64, fam_m: F64,
    fam_h: F64, rule_counts: F64, hazard_counts: F64,
) -> None:  # fmt: skip
    """Advance the expected distribution of ``P`` parameter sets through every step.

    Arrays that differ between parameter sets have them on their last axis.
    ``plan`` is :meth:`crossings.expected.plan.FastPlan.args`; ``fi``/``ff`` the
    packed filter bank. The outputs are added to. This function allocates the
    working arrays; :func:`_steps` does the work, compiled without reference
    counting (numba cannot remove the counts of arrays used in branches, and
    they cost more than the arithmetic of a step).

    ``t0`` is the first step to compute: exact when no set of the chunk has
    anyone before it (no entries, no initial people), as for the later entry
    cohorts; the steps before it would only add zeros.
    """
    n_res = plan[_N_RES]
    res_off = plan[_RES_OFF]
    n_arr = plan[_N_ARR]
    arr_off = plan[_ARR_OFF]
    ic_mult = plan[_IC_MULT]
    cn = plan[_CN]
    P = rate.shape[2]
    n_int = res_off.shape[0] - 1
    NPr = max(res_off[n_int] * P, 1)
    NPa = max(arr_off[n_int] * P, 1)
    maxr = 2
    for u in range(n_int):
        maxr = max(maxr, n_res[u], n_arr[u])
    n_cn = n_arr[cn] if cn >= 0 else 0
    n_fir = fi[I_TYPES] - fi[I_KIND]
    fbase = np.zeros(n_fir + 1, np.int64)
    for f in range(n_fir):
        fbase[f + 1] = fbase[f] + fi[fi[I_TYPES] + f] * P
    work = (
        np.zeros(NPr),  # mass: people present (exposed from this step)
        np.zeros(NPr),  # newm: people who joined on this step
        np.zeros(NPa),  # inb0: moved on this step, not yet settled
        np.zeros(NPa),  # inb1: initial people (step 0)
        np.zeros(NPr),  # xacc: left by a hazard in this piece
        np.zeros(NPr),  # xtacc: left at the end of their stay in this piece
        np.zeros(NPr),  # q: P(some hazard fires) per step
        np.ones(NPr),  # keep: exp(-total hazard)
        np.ones(NPr),  # ones
        np.zeros(max(ic_mult.shape[0] * P, 1)),  # share of each component
        np.ones(NPr),  # kc: survival factor of each filter row
        np.ones(n_int * 2 * P),  # kcl: ... of each lumped row (per sex)
        np.zeros(n_int, np.int64),  # hi: residents in use
        np.zeros(n_int, np.int64),  # nhi: ... among those who joined
        np.zeros(n_int, np.int64),  # ihi0: arrivals in use
        np.zeros(n_int, np.int64),  # ihi1
        np.zeros(maxr * P),  # xh
        np.zeros(maxr * P),  # xt
        np.zeros(maxr * P),  # x
        np.zeros(2 * P),  # tmp
        np.zeros(2 * P),  # tmp2
        np.zeros(2 * P),  # dsh
        np.zeros(max(n_cn * P, 1)),  # cnacc: entrants of the classification node in this piece
        np.zeros(n_int * P),  # famacc: entrants of states with families in this piece
        fbase,  # where each filter's rows start in vf and xf
        np.zeros(max(fbase[n_fir], 1)),  # vf: exits due at the end of a stay, per filter row
        np.zeros(max(fbase[n_fir], 1)),  # xf: entrants of this step, per filter row
    )
    bo, ring, sums, blk, dre, dim, zr, zi, yr, yi = fir_alloc(fi, P)
    _steps(
        T, t0, step_seg, year_index, plan, fi, ff, rate, cls, route, wave_step, wave_share,
        wave_active, rc_step, rc_from, rc_to, rc_share, ent, ent_init, fm, fh, stocks, flows,
        flag_flows, wave_moved, rc_moved, fam_m, fam_h, rule_counts, hazard_counts, work,
        bo, ring, sums, blk, dre, dim, zr, zi, yr, yi,
    )  # fmt: skip


@jit(cache=True, _nrt=False)
def _steps(
    T: int, t0: int, step_seg: I64, year_index: I64, plan: Any, fi: I64, ff: F64,
    rate: F64, cls: F64, route: F64, wave_step: I64, wave_share: F64, wave_active: B8,
    rc_step: I64, rc_from: I64, rc_to: I64, rc_share: F64, ent: F64, ent_init: F64,
    fm: F64, fh: F64,
    stocks: F64, flows: F64, flag_flows: F64, wave_moved: F64, rc_moved: F64, fam_m: F64,
    fam_h: F64, rule_counts: F64, hazard_counts: F64, work: Any,
    bo: I64, ring: F64, sums: F64, blk: F64, dre: F64, dim: F64, zr: F64, zi: F64, yr: F64,
    yi: F64,
) -> None:  # fmt: skip
    """The step loop of :func:`propagate` (no allocation, no reference counting)."""
    (
        src, tally, prop, n_res, res_off, res_sex, seg_ptr, seg_lo, seg_hi, seg_sex, n_arr,
        arr_off, arr_sex, dur, fir_of, fir_row, fir_mem_ptr, fir_mem,
        lump_rep, ic_ptr, ic_c, ic_flag, ic_tg, ic_off, ic_mult, ic_e_ptr, ic_e, th_ptr, th_d,
        th_p, th_e_ptr, th_e, cn, cn_d, cn_e_ptr, cn_e, wv_int, wv_j_ptr, wv_d, wv_p, wv_e_ptr,
        wv_e, rc_s_ptr, rc_s, rc_bit_ptr, rc_bitloc, rc_j_ptr, rc_d, rc_p, rc_e_ptr, rc_e,
        en_ptr, en_int, en_res, en_loc, en_w, st_kind, st_map_ptr, st_maps, st_pmax, has_fam,
        e_tgt, e_res, e_kind, e_off, e_maps, e_pmax,
    ) = plan  # fmt: skip
    (
        mass, newm, inb0, inb1, xacc, xtacc, q, keep, ones, share, kc, kcl, hi, nhi, ihi0, ihi1,
        xh, xt, x, tmp, tmp2, dsh, cnacc, famacc, fbase, vf, xf,
    ) = work  # fmt: skip
    n_fir = fbase.shape[0] - 1
    P = rate.shape[2]
    G = rate.shape[0]
    S = stocks.shape[1]
    n_int = src.shape[0]
    K = ent.shape[1]
    R = rc_step.shape[0]
    W = wave_step.shape[0]
    n_cn = n_arr[cn] if cn >= 0 else 0
    J = cn_d.shape[0]
    g_prev = -1
    y_prev = -1
    for t in range(t0, T):
        g = step_seg[t]
        gr = min(g, G - 1)
        y = year_index[t]
        if t > t0 and (g != g_prev or y != y_prev):
            _flush(
                y_prev, g_prev, P, n_int, S, tally, n_res, res_off, seg_ptr, seg_lo, seg_hi,
                seg_sex, ic_ptr, ic_c,
                ic_flag, ic_tg, ic_off, th_ptr, th_d, th_p, dur, share, xacc, xtacc, ones, tmp,
                cn, n_cn, arr_sex, arr_off, cnacc, cls, route, cn_d, has_fam, famacc, fm, fh,
                flows, flag_flows, hazard_counts, rule_counts, fam_m, fam_h,
            )  # fmt: skip
        if g != g_prev:
            _tables(
                gr, P, n_int, n_res, res_off, ic_ptr, ic_c, ic_off, ic_mult, rate, q, keep, share
            )
        g_prev = g
        y_prev = y
        # 1. waves: a share of the people present moves at the start of the step
        for w in range(W):
            if wave_step[w] != t or not wave_active[w]:
                continue
            u = wv_int[w]
            if u < 0 or hi[u] == 0:
                continue
            o = tally[u]
            b = res_off[u] * P
            nr = hi[u]
            if dur[u] > 0:
                rows = 2 * P if dur[u] == 2 else nr * P
                kb = u * 2 * P if dur[u] == 2 else b
                kk = kcl if dur[u] == 2 else kc
                for r in range(rows):
                    kk[kb + r] *= 1.0 - wave_share[w, r % P]
                    if kk[kb + r] < RESCALE:
                        _rebase_row(
                            fir_of[u], fir_row[u] * P + r, P, kk, kb + r, fi, bo, ring, sums,
                            blk, dre, dim,
                        )  # fmt: skip
            for i in range(nr):
                sx = res_sex[res_off[u] + i]
                for p in range(P):
                    xm = mass[b + i * P + p] * wave_share[w, p]
                    x[i * P + p] = xm
                    mass[b + i * P + p] -= xm
                    wave_moved[w, sx, p] += xm
            for j in range(wv_j_ptr[w], wv_j_ptr[w + 1]):
                c = wv_p[j]
                if c <= 0.0:
                    continue
                for i in range(nr):
                    sx = res_sex[res_off[u] + i]
                    for p in range(P):
                        flows[y, o, wv_d[j], sx, p] += x[i * P + p] * c
                for k in range(wv_e_ptr[j], wv_e_ptr[j + 1]):
                    _edge(
                        wv_e[k],
                        nr,
                        P,
                        x,
                        0,
                        x,
                        -1,
                        c,
                        newm,
                        inb0,
                        nhi,
                        ihi0,
                        res_off,
                        arr_off,
                        e_tgt,
                        e_res,
                        e_kind,
                        e_off,
                        e_maps,
                        e_pmax,
                    )
        # 1b. reclassifications of a cohort (its members carry the cohort's bit)
        for rr in range(R):
            if rc_step[rr] != t:
                continue
            for k_s in range(rc_s_ptr[rr], rc_s_ptr[rr + 1]):
                u = rc_s[k_s]
                if hi[u] == 0:
                    continue
                o = tally[u]
                b = res_off[u] * P
                nr = hi[u]
                for r in range(nr * P):
                    x[r] = 0.0
                for kb_ in range(rc_bit_ptr[k_s], rc_bit_ptr[k_s + 1]):
                    i = rc_bitloc[kb_]
                    if i >= nr:
                        continue
                    sx = res_sex[res_off[u] + i]
                    for p in range(P):
                        xm = mass[b + i * P + p] * rc_share[rr, p]
                        x[i * P + p] = xm
                        if o >= 0:
                            rc_moved[rr, sx, p] += xm
                        if dur[u] == 2:  # the sex's row loses the moved share of its people
                            tot = 0.0
                            for i3 in range(nr):
                                if res_sex[res_off[u] + i3] == sx:
                                    tot += mass[b + i3 * P + p]
                            f = 1.0 - (xm / tot if tot > 0.0 else 0.0)
                            kcl[u * 2 * P + sx * P + p] *= f
                            k2 = u * 2 * P + sx * P + p
                            if kcl[k2] < RESCALE:
                                _rebase_row(
                                    fir_of[u], fir_row[u] * P + sx * P + p, P, kcl, k2, fi, bo,
                                    ring, sums, blk,
                                    dre, dim,
                                )  # fmt: skip
                        elif dur[u] == 1:
                            kc[b + i * P + p] *= 1.0 - rc_share[rr, p]
                            if kc[b + i * P + p] < RESCALE:
                                _rebase_row(
                                    fir_of[u], fir_row[u] * P + i * P + p, P, kc, b + i * P + p, fi,
                                    bo, ring,
                                    sums, blk, dre, dim,
                                )  # fmt: skip
                        mass[b + i * P + p] -= xm
                for jj in range(rc_j_ptr[rr + 1] - rc_j_ptr[rr]):
                    j = rc_j_ptr[rr] + jj
                    c = rc_p[j]
                    if c <= 0.0:
                        continue
                    if o >= 0:
                        for i in range(nr):
                            sx = res_sex[res_off[u] + i]
                            for p in range(P):
                                flows[y, o, rc_d[j], sx, p] += x[i * P + p] * c
                    grp = _rc_group(k_s, rr, jj, rc_s_ptr, rc_j_ptr)
                    for k in range(rc_e_ptr[grp], rc_e_ptr[grp + 1]):
                        _edge(
                            rc_e[k],
                            nr,
                            P,
                            x,
                            0,
                            x,
                            -1,
                            c,
                            newm,
                            inb0,
                            nhi,
                            ihi0,
                            res_off,
                            arr_off,
                            e_tgt,
                            e_res,
                            e_kind,
                            e_off,
                            e_maps,
                            e_pmax,
                        )
        # 2. entries
        for k in range(K):
            for init in range(2):
                if init == 1 and t != 0:
                    continue
                tot = 0.0
                for p in range(P):
                    tot += ent[t, k, p] if init == 0 else ent_init[k, p]
                if tot <= 0.0:
                    continue
                for j in range(en_ptr[k], en_ptr[k + 1]):
                    tg = en_int[j]
                    wk = en_w[j]
                    if en_res[j] == 1:  # straight to the residents
                        a = res_off[tg] * P + en_loc[j] * P
                        for p in range(P):
                            newm[a + p] += (ent[t, k, p] if init == 0 else ent_init[k, p]) * wk
                        nhi[tg] = max(nhi[tg], en_loc[j] + 1)
                    elif init == 0:
                        a = arr_off[tg] * P + en_loc[j] * P
                        for p in range(P):
                            inb0[a + p] += ent[t, k, p] * wk
                        ihi0[tg] = max(ihi0[tg], en_loc[j] + 1)
                    else:
                        a = arr_off[tg] * P + en_loc[j] * P
                        for p in range(P):
                            inb1[a + p] += ent_init[k, p] * wk
                        ihi1[tg] = max(ihi1[tg], en_loc[j] + 1)
        # 3. the events due to the people present on this step; first the exits
        # at the end of a stay, for every filter (all the states sharing it)
        for f in range(n_fir):
            rf = _fir_rows(f, P, fir_mem_ptr, fir_mem, fir_row, hi, dur)
            if rf > 0:
                fir_due(f, t, rf, P, vf, fbase[f], fi, ff, bo, ring, sums, blk)
        for u in range(n_int):
            nr = hi[u]
            if nr == 0 or (dur[u] == 0 and ic_ptr[u + 1] == ic_ptr[u]):
                continue  # nobody present, or nothing can happen to them (they stay)
            b = res_off[u] * P
            n = nr * P
            # (the moves are summed per piece for the tallies, in xacc and xtacc)
            if dur[u] == 0:
                for r in range(n):
                    h_ = mass[b + r] * q[b + r]
                    xh[r] = h_
                    mass[b + r] -= h_
                    xacc[b + r] += h_
            elif dur[u] == 1:
                vo = fbase[fir_of[u]] + fir_row[u] * P
                for r in range(n):
                    k_ = kc[b + r] * keep[b + r]
                    kc[b + r] = k_
                    mp = mass[b + r]
                    h_ = mp * q[b + r]
                    d_ = min(vf[vo + r] * k_, mp - h_)
                    xh[r] = h_
                    xt[r] = d_
                    mass[b + r] = mp - (h_ + d_)
                    xacc[b + r] += h_
                    xtacc[b + r] += d_
            else:
                # lumped: one filter row per sex, exits shared among the sex's types
                for sx in range(2):
                    ib = b + lump_rep[u, sx] * P
                    for p in range(P):
                        kcl[u * 2 * P + sx * P + p] *= keep[ib + p]
                vo = fbase[fir_of[u]] + fir_row[u] * P
                _seg_sums(u, nr, P, mass, b, ones, 0, seg_ptr, seg_lo, seg_hi, seg_sex, tmp)
                for sx in range(2):
                    ib = b + lump_rep[u, sx] * P
                    for p in range(P):
                        den = tmp[sx * P + p] * keep[ib + p]
                        k2 = sx * P + p
                        dsh[k2] = vf[vo + k2] * kcl[u * 2 * P + k2] / den if den > 0.0 else 0.0
                for i in range(nr):
                    sx = res_sex[res_off[u] + i]
                    for p in range(P):
                        r = i * P + p
                        mp = mass[b + r]
                        h_ = mp * q[b + r]
                        d_ = (mp - h_) * dsh[sx * P + p]
                        xh[r] = h_
                        xt[r] = d_
                        mass[b + r] = mp - (h_ + d_)
                        xacc[b + r] += h_
                        xtacc[b + r] += d_
            # people who leave go to their targets (a flag acquired: the same state,
            # another type, joining at the end of the step)
            for ic in range(ic_ptr[u], ic_ptr[u + 1]):
                so = ic_off[ic] * P
                for k in range(ic_e_ptr[ic], ic_e_ptr[ic + 1]):
                    _edge(
                        ic_e[k],
                        nr,
                        P,
                        xh,
                        0,
                        share,
                        so,
                        1.0,
                        newm,
                        inb0,
                        nhi,
                        ihi0,
                        res_off,
                        arr_off,
                        e_tgt,
                        e_res,
                        e_kind,
                        e_off,
                        e_maps,
                        e_pmax,
                    )
            if dur[u] > 0 and prop[u]:
                for j in range(th_ptr[u], th_ptr[u + 1]):
                    for k in range(th_e_ptr[j], th_e_ptr[j + 1]):
                        _edge(
                            th_e[k],
                            nr,
                            P,
                            xt,
                            0,
                            xt,
                            -1,
                            th_p[j],
                            newm,
                            inb0,
                            nhi,
                            ihi0,
                            res_off,
                            arr_off,
                            e_tgt,
                            e_res,
                            e_kind,
                            e_off,
                            e_maps,
                            e_pmax,
                        )
        # 3b. settle the moves: the classification node routes its entrants first
        for init in range(2 if t == 0 else 1):
            inb = inb1 if init == 1 else inb0
            ihi = ihi1 if init == 1 else ihi0
            if cn >= 0 and ihi[cn] > 0:
                na = ihi[cn]
                a0 = arr_off[cn] * P
                for r in range(na * P):
                    cnacc[r] += inb[a0 + r]
                for j in range(J):
                    wo = (g * J + j) * n_cn * P
                    for k in range(cn_e_ptr[j], cn_e_ptr[j + 1]):
                        _edge(
                            cn_e[k], na, P, inb, a0, route, wo, 1.0, newm, inb, nhi, ihi,
                            res_off, arr_off, e_tgt, e_res, e_kind, e_off, e_maps, e_pmax,
                        )  # fmt: skip
                for r in range(na * P):
                    inb[a0 + r] = 0.0
                ihi[cn] = 0
            for u in range(n_int):
                na = ihi[u]
                if na == 0 or u == cn:
                    continue
                a0 = arr_off[u] * P
                b = res_off[u] * P
                if init == 0 and has_fam[u]:
                    for i in range(na):
                        for p in range(P):
                            famacc[u * P + p] += inb[a0 + i * P + p]
                if st_kind[u] == 0:
                    for r in range(na * P):
                        newm[b + r] += inb[a0 + r]
                        inb[a0 + r] = 0.0
                    nhi[u] = max(nhi[u], na)
                else:
                    mk = 0
                    for rr in range(R):
                        if rc_from[rr] <= t <= rc_to[rr]:
                            mk |= 1 << rr
                    mo = st_map_ptr[u] + mk * n_arr[u]
                    for i in range(na):
                        d0 = b + st_maps[mo + i] * P
                        for p in range(P):
                            newm[d0 + p] += inb[a0 + i * P + p]
                            inb[a0 + i * P + p] = 0.0
                    nhi[u] = max(nhi[u], st_pmax[mo + na - 1])
                ihi[u] = 0
        # 4. the entrants join (rows below nhi received people this step); record the stocks
        for u in range(n_int):
            nj = nhi[u]
            if nj == 0:
                continue
            hi[u] = max(hi[u], nj)
            b = res_off[u] * P
            n = nj * P
            if dur[u] == 1:
                low = False
                for r in range(n):
                    low |= kc[b + r] < RESCALE
                if low:
                    for r in range(n):
                        if newm[b + r] != 0.0 and kc[b + r] < RESCALE:
                            _rebase_row(
                                fir_of[u], fir_row[u] * P + r, P, kc, b + r, fi, bo, ring, sums,
                                blk, dre, dim,
                            )  # fmt: skip
                xo = fbase[fir_of[u]] + fir_row[u] * P
                for r in range(n):
                    # nobody entering adds nothing (and its row's factor may be 0 after a
                    # wave that took everyone: it is rebased only when people enter)
                    xf[xo + r] = newm[b + r] / kc[b + r] if newm[b + r] != 0.0 else 0.0
            elif dur[u] == 2:
                _seg_sums(u, nj, P, newm, b, ones, 0, seg_ptr, seg_lo, seg_hi, seg_sex, tmp2)
                for k2 in range(2 * P):
                    kk = u * 2 * P + k2
                    if tmp2[k2] != 0.0 and kcl[kk] < RESCALE:
                        _rebase_row(
                            fir_of[u], fir_row[u] * P + k2, P, kcl, kk, fi, bo, ring, sums, blk,
                            dre, dim,
                        )  # fmt: skip
                    xf[fbase[fir_of[u]] + fir_row[u] * P + k2] = (
                        tmp2[k2] / kcl[kk] if tmp2[k2] != 0.0 else 0.0
                    )
            for r in range(n):
                mass[b + r] += newm[b + r]
                newm[b + r] = 0.0
            nhi[u] = 0
        # the entrants of each filter's states start their stays
        for f in range(n_fir):
            rf = _fir_rows(f, P, fir_mem_ptr, fir_mem, fir_row, hi, dur)
            if rf > 0:
                fir_push(
                    f, t, T, rf, P, xf, fbase[f], fi, ff, bo, ring, sums, blk, dre, dim, zr, zi,
                    yr, yi,
                )  # fmt: skip
                for r in range(rf):
                    xf[fbase[f] + r] = 0.0
        _stocks(t, P, hi, res_off, tally, seg_ptr, seg_lo, seg_hi, seg_sex, mass, stocks)
    if t0 < T:
        _flush(
            y_prev, g_prev, P, n_int, S, tally, n_res, res_off, seg_ptr, seg_lo, seg_hi,
            seg_sex, ic_ptr, ic_c,
            ic_flag, ic_tg, ic_off, th_ptr, th_d, th_p, dur, share, xacc, xtacc, ones, tmp,
            cn, n_cn, arr_sex, arr_off, cnacc, cls, route, cn_d, has_fam, famacc, fm, fh,
            flows, flag_flows, hazard_counts, rule_counts, fam_m, fam_h,
        )  # fmt: skip


@jit(cache=True, inline="always", _nrt=False)
def _rc_group(k_s: int, rr: int, jj: int, rc_s_ptr: I64, rc_j_ptr: I64) -> int:
    """Index of the edge group of (reclassification ``rr``'s state entry ``k_s``, target ``jj``)."""
    g = 0
    for r2 in range(rr):
        g += (rc_s_ptr[r2 + 1] - rc_s_ptr[r2]) * (rc_j_ptr[r2 + 1] - rc_j_ptr[r2])
    nj = rc_j_ptr[rr + 1] - rc_j_ptr[rr]
    return int(g + (k_s - rc_s_ptr[rr]) * nj + jj)


@jit(cache=True, parallel=True)
def propagate_many(
    T: int, t_start: I64, groups: I64, acc: bool, final: F64, step_seg: I64, year_index: I64,
    plan: Any, fi: I64, ff: F64, rate: F64, cls: F64, route: F64, wave_step: I64,
    wave_share: F64, wave_active: B8, rc_step: I64, rc_from: I64, rc_to: I64, rc_share: F64,
    ent: F64, ent_init: F64, fm: F64, fh: F64, stocks: F64, flows: F64, flag_flows: F64,
    wave_moved: F64, rc_moved: F64, fam_m: F64, fam_h: F64, rule_counts: F64,
    hazard_counts: F64,
) -> None:  # fmt: skip  # pragma: no cover - compiled
    """:func:`propagate` for chunks of parameter sets in parallel threads.

    Every per-set array has a leading chunk axis; chunk ``c`` holds its sets on
    the last axis and starts at step ``t_start[c]``. Thread ``i`` computes the
    chunks ``groups[i]`` one after the other (``-1``: none), so a schedule can
    balance chunks of different lengths over the threads.

    With ``acc``, ``stocks`` has a leading *thread* axis: each thread adds the
    stocks of all its chunks into its own array (their sum is what is kept, not
    every chunk's per-step stocks), and ``final[c]`` receives chunk ``c``'s
    people at the end of the last step.
    """
    n = groups.shape[0]
    for i in nb.prange(n):
        for j in range(groups.shape[1]):
            c = groups[i, j]
            if c < 0:
                continue
            st = stocks[i] if acc else stocks[c]
            if acc and T > 0:
                final[c] -= st[T - 1]  # what the thread's earlier chunks left there
            propagate(
                T, t_start[c], step_seg, year_index, plan, fi, ff, rate[c], cls[c], route[c],
                wave_step, wave_share[c], wave_active, rc_step, rc_from, rc_to, rc_share[c],
                ent[c], ent_init[c], fm[c], fh[c], st, flows[c], flag_flows[c],
                wave_moved[c], rc_moved[c], fam_m[c], fam_h[c], rule_counts[c],
                hazard_counts[c],
            )  # fmt: skip
            if acc and T > 0:
                final[c] += st[T - 1]
