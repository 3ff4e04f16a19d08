"""Online convolution of daily entries with a duration's pmf (the exits due each step).

A state with a duration turns the people who enter it on each step into the
people whose stay ends on each later step: ``exits(t) = Σ_{s<t} x(s) p(t − s)``
with ``p(a) = P(D = a)`` and ``x`` the entries (divided by the survival factor
of the propagation). The propagation is time-major (people
leaving a state on one step can be back in it later, through the scenario's
cycles), so the sum is needed *online*: on step ``t`` only entries up to
``t − 1`` are known. A *bank* keeps one such filter per distinct duration
distribution, each with many rows (person types × parameter sets, of every
state with that distribution) sharing its pmf, and computes it in one of two
exact ways, chosen from the pmf:

* **runs** — a pmf that is constant on a few runs of lags (fixed and uniform
  durations, short tables): each run is a sliding sum over a ring of past
  entries, O(1) per step and row (recomputed exactly every ring length, so
  rounding cannot drift);
* **taps and stages** — any other pmf: lags below :data:`HEAD` are summed
  directly; longer lags go to *stages* of uniformly partitioned FFT
  convolution (overlap-save). A stage with block ``B`` covers lags
  ``[lo, hi]`` with ``lo ≥ B``: at the end of each block it transforms the
  block's entries once, multiplies the spectra of the last blocks by the
  spectra of the matching pieces of the pmf and transforms back the exits of
  the *next* block, so it never needs entries it does not have yet. Stages of
  block 16, 128 and 1024 cover short, medium and long stays at a few hundred
  operations per step and row, where the direct sum over a 10,000-day stay
  costs 10,000.

Every row can be multiplied by a factor at any time, which is how the survival
factor is rebased before it underflows. Real FFTs are computed through a
complex FFT of half the size (Stockham, radix 4), vectorised over rows.

This module plans the filters (:class:`FirBank`); the compiled functions that
run them are in :mod:`crossings.expected.fast`, with the kernel that calls them
(numba caches a function with the code it inlines but checks only its own
file for changes, so compiled code that works together lives in one file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crossings.expected.fast import FLOAT_SECTIONS, INT_SECTIONS

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

HEAD = 16
"""Lags below this are summed directly in a filter with FFT stages."""

STAGE_BLOCKS = (16, 128, 1024)
"""Block sizes of the FFT stages; a stage with block ``B`` covers lags from ``B``."""

MAX_RUNS = 6
"""A pmf constant on at most this many runs of lags is summed by runs."""

DIRECT_MAX = 32
"""A pmf no longer than this (and not in few runs) is summed directly."""


def _runs(p: F64, rtol: float = 1e-12, limit: int | None = None) -> list[tuple[int, int, float]]:
    """The runs ``(first lag, last lag, value)`` of a pmf ``p`` (``p[a-1] = P(D = a)``).

    With ``limit``, the search stops once more than ``limit`` runs are found (the
    caller only sums by runs a pmf with few of them): a long pmf that varies from lag
    to lag is not walked to its end.
    """
    out: list[tuple[int, int, float]] = []
    a = 0
    n = p.size
    while a < n:
        v = float(p[a])
        b = a
        while b + 1 < n and abs(float(p[b + 1]) - v) <= rtol * max(abs(v), 1e-300):
            b += 1
        if v != 0.0:
            out.append((a + 1, b + 1, float(np.mean(p[a : b + 1]))))
            if limit is not None and len(out) > limit:
                return out
        a = b + 1
    return out


@dataclass
class FirBank:
    """Static description of every filter of one propagation (pmfs, layouts).

    The mutable buffers (rings, sums, block buffers, spectra) are allocated by
    the propagation from the sizes here, with ``rows = types × sets``.

    Attributes:
        kind: Per filter: 0 runs, 1 taps and stages.
        types: Per filter: rows per parameter set.
        ring_len: Per filter: length of the ring of past entries (0: none).
        n_taps: Per filter: direct taps (lags ``1..n_taps``).
        tap_off: Per filter: offset of its taps in ``taps``.
        taps: Tap values, ``taps[tap_off + a - 1] = p(a)``.
        run_ptr: Per filter: its runs are ``run_ptr[f]:run_ptr[f + 1]``.
        run_lo: First lag of each run.
        run_hi: Last lag of each run.
        run_c: Value of each run.
        st_ptr: Per filter: its stages are ``st_ptr[f]:st_ptr[f + 1]``.
        st_block: Block of each stage.
        st_k0: First partition of each stage.
        st_k1: Last partition of each stage (also the slots of its delay line).
        st_h: Offset of each stage's pmf spectra in ``h_re``/``h_im``.
        h_re: Real part of the pmf piece spectra (``(k1 − k0 + 1) × (B + 1)`` per stage).
        h_im: Imaginary part.
        tw_off: Offset of the FFT tables of block ``2**i`` in ``tw_re``/``tw_im``
            (index ``i``; −1 where unused).
        tw_re: Twiddles: for block ``B``, ``B`` of size ``B`` then ``B + 1`` of size ``2B``.
        tw_im: Imaginary parts.
    """

    kind: I64
    types: I64
    ring_len: I64
    n_taps: I64
    tap_off: I64
    taps: F64
    run_ptr: I64
    run_lo: I64
    run_hi: I64
    run_c: F64
    st_ptr: I64
    st_block: I64
    st_k0: I64
    st_k1: I64
    st_h: I64
    h_re: F64
    h_im: F64
    tw_off: I64
    tw_re: F64
    tw_im: F64

    @property
    def n(self) -> int:
        """Number of filters."""
        return int(self.kind.size)

    @classmethod
    def build(cls, pmfs: list[F64], types: list[int], *, stages: bool = True) -> FirBank:
        """Plan one filter per pmf.

        Args:
            pmfs: ``pmf[a - 1] = P(D = a)`` for each filter.
            types: Rows per parameter set of each filter.
            stages: ``False`` sums every pmf that is not in few runs directly
                (the reference for the tests of the FFT stages).
        """
        kind: list[int] = []
        ring: list[int] = []
        ntap: list[int] = []
        toff: list[int] = []
        taps: list[float] = []
        rptr = [0]
        rlo: list[int] = []
        rhi: list[int] = []
        rc: list[float] = []
        sptr = [0]
        sB: list[int] = []
        sk0: list[int] = []
        sk1: list[int] = []
        sh: list[int] = []
        hre: list[F64] = []
        him: list[F64] = []
        hlen = 0
        used_blocks: set[int] = set()
        for p_in in pmfs:
            p = np.asarray(p_in, np.float64)
            nz = np.flatnonzero(p)
            L = int(nz[-1]) + 1 if nz.size else 0
            p = p[:L]
            runs = _runs(p, limit=MAX_RUNS)
            toff.append(len(taps))
            if len(runs) <= MAX_RUNS:
                kind.append(0)
                ring.append(L + 1 if L else 0)
                ntap.append(0)
                for lo, hi, c in runs:
                    rlo.append(lo)
                    rhi.append(hi)
                    rc.append(c)
            elif L <= DIRECT_MAX or not stages:
                kind.append(1)
                ring.append(L + 1)
                ntap.append(L)
                taps.extend(p.tolist())
            else:
                kind.append(1)
                head = HEAD - 1
                ring.append(head + 1)
                ntap.append(head)
                taps.extend(p[:head].tolist())
                lo = HEAD
                for i, B in enumerate(STAGE_BLOCKS):
                    if lo > L:
                        break
                    last = i == len(STAGE_BLOCKS) - 1
                    hi = L if last else min(L, STAGE_BLOCKS[i + 1] - 1)
                    k0 = max(1, -(-(lo - B + 1) // B))
                    k1 = (hi + B - 1) // B
                    sB.append(B)
                    sk0.append(k0)
                    sk1.append(k1)
                    sh.append(hlen)
                    used_blocks.add(B)
                    for k in range(k0, k1 + 1):
                        g = np.zeros(2 * B)
                        for m in range(-(B - 1), B):
                            lag = k * B + m
                            if lo <= lag <= hi:
                                g[m % (2 * B)] = p[lag - 1]
                        G = np.fft.rfft(g)
                        hre.append(G.real.copy())
                        him.append(G.imag.copy())
                        hlen += B + 1
                    lo = hi + 1
            rptr.append(len(rlo))
            sptr.append(len(sB))
        tw_off = np.full(32, -1, np.int64)
        twr: list[float] = []
        twi: list[float] = []
        for B in sorted(used_blocks):
            tw_off[B.bit_length() - 1] = len(twr)
            w = np.exp(-2j * np.pi * np.arange(B) / B)
            w2 = np.exp(-2j * np.pi * np.arange(B + 1) / (2 * B))
            twr.extend(np.concatenate([w.real, w2.real]).tolist())
            twi.extend(np.concatenate([w.imag, w2.imag]).tolist())
        i64 = np.int64

        def arr(x: list[Any], dt: Any = i64) -> NDArray[Any]:
            return np.asarray(x, dt) if x else np.zeros(1, dt)

        def exact(x: list[Any]) -> I64:  # one entry per filter or stage (counts are read off)
            return np.asarray(x, i64).reshape(-1)

        return cls(
            kind=exact(kind),
            types=exact(list(types)),
            ring_len=exact(ring),
            n_taps=exact(ntap),
            tap_off=exact(toff),
            taps=arr(taps, np.float64),
            run_ptr=np.asarray(rptr, i64),
            run_lo=arr(rlo),
            run_hi=arr(rhi),
            run_c=arr(rc, np.float64),
            st_ptr=np.asarray(sptr, i64),
            st_block=exact(sB),
            st_k0=exact(sk0),
            st_k1=exact(sk1),
            st_h=exact(sh),
            h_re=np.concatenate(hre) if hre else np.zeros(1),
            h_im=np.concatenate(him) if him else np.zeros(1),
            tw_off=tw_off,
            tw_re=arr(twr, np.float64),
            tw_im=arr(twi, np.float64),
        )

    def pack(self) -> tuple[I64, F64]:
        """The bank as one integer and one float array (see :data:`I_KIND` and the rest).

        ``fi[k]`` for ``k < len(INT_SECTIONS)`` is where integer section ``k``
        starts in ``fi``; ``fi[len(INT_SECTIONS) + k]`` where float section
        ``k`` starts in ``ff``.
        """
        ints = [getattr(self, n) for n in INT_SECTIONS]
        floats = [getattr(self, n) for n in FLOAT_SECTIONS]
        head = len(INT_SECTIONS) + len(FLOAT_SECTIONS)
        starts = np.cumsum([head] + [a.size for a in ints])[:-1]
        fstarts = np.cumsum([0] + [a.size for a in floats])[:-1]
        fi = np.concatenate([starts, fstarts, *ints]).astype(np.int64)
        ff = np.concatenate(floats).astype(np.float64)
        return fi, ff
