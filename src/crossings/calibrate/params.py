"""The parameter space of a calibration: standard normal coordinates for every unknown.

Every unknown of a scenario's ``calibration:`` section becomes a *block* of
coordinates ``z`` whose prior is a standard normal, and a map from ``z`` to
the numbers the scenario holds (the *components* the compiled model is
changed by):

* a single unknown (``mode: scale`` or ``value``) is one coordinate, mapped
  through its prior's quantile function: ``θ = F⁻¹(Φ(z))`` — so a lognormal
  prior gives ``θ = median · exp(σ z)``, a beta prior a number in (0, 1);
* a yearly **series** (``mode: series``) is a random walk on the log of the
  value: one coordinate for the first knot's value (through its prior), one
  for the step size (through the smoothness prior: the walk's scale is itself
  uncertain), and one standard normal step per further knot —
  ``log θ_k = log θ_{k−1} + s · ε_k`` (a non-centred parametrisation). Its
  components are the knot years' values; years between knots take the value
  interpolated linearly between the two knots.

Working on these coordinates makes every prior the same well-scaled shape
(``N(0, I)``), which the mode finder, the Laplace approximation, the
importance sampler and simulation-based calibration (truth drawn as
``z ~ N(0, I)``) all use directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from crossings.scenario.schema import Prior, Unknown

F64 = NDArray[np.float64]

Z_CLIP = 8.0
"""Coordinates are clipped to ±8 before the quantile transforms (Φ(8) ≈ 1 − 6e−16)."""


def prior_ppf(p: Prior, u: F64) -> F64:
    """Quantiles of a prior on the value scale (``u`` in (0, 1))."""
    if p.distribution == "lognormal":
        return np.asarray(stats.lognorm.ppf(u, p.sigma, scale=p.median), np.float64)
    if p.distribution == "gamma":
        return np.asarray(stats.gamma.ppf(u, p.shape, scale=p.scale), np.float64)
    if p.distribution == "beta":
        return np.asarray(stats.beta.ppf(u, p.a, p.b), np.float64)
    if p.distribution == "uniform":
        lo, hi = float(p.low), float(p.high)  # type: ignore[arg-type]
        return np.asarray(lo + (hi - lo) * u, np.float64)
    return np.asarray(stats.norm.ppf(u, p.mean, p.sd), np.float64)


def prior_cdf(p: Prior, x: F64) -> F64:
    """The prior's distribution function on the value scale."""
    if p.distribution == "lognormal":
        return np.asarray(stats.lognorm.cdf(x, p.sigma, scale=p.median), np.float64)
    if p.distribution == "gamma":
        return np.asarray(stats.gamma.cdf(x, p.shape, scale=p.scale), np.float64)
    if p.distribution == "beta":
        return np.asarray(stats.beta.cdf(x, p.a, p.b), np.float64)
    if p.distribution == "uniform":
        lo, hi = float(p.low), float(p.high)  # type: ignore[arg-type]
        return np.asarray(np.clip((x - lo) / (hi - lo), 0.0, 1.0), np.float64)
    return np.asarray(stats.norm.cdf(x, p.mean, p.sd), np.float64)


def value_of(p: Prior, z: F64) -> F64:
    """The value whose prior quantile is ``Φ(z)`` (exact closed forms where there are)."""
    z = np.clip(np.asarray(z, np.float64), -Z_CLIP, Z_CLIP)
    if p.distribution == "lognormal":
        return np.asarray(float(p.median) * np.exp(float(p.sigma) * z), np.float64)  # type: ignore[arg-type]
    if p.distribution == "normal":
        return np.asarray(float(p.mean) + float(p.sd) * z, np.float64)  # type: ignore[arg-type]
    return prior_ppf(p, special.ndtr(z))


def coordinate_of(p: Prior, theta: F64) -> F64:
    """Inverse of :func:`value_of`: the standard normal coordinate of a value."""
    theta = np.asarray(theta, np.float64)
    if p.distribution == "lognormal":
        return np.asarray(np.log(theta / float(p.median)) / float(p.sigma), np.float64)  # type: ignore[arg-type]
    if p.distribution == "normal":
        return np.asarray((theta - float(p.mean)) / float(p.sd), np.float64)  # type: ignore[arg-type]
    u = np.clip(prior_cdf(p, theta), 1e-15, 1 - 1e-15)
    return np.asarray(special.ndtri(u), np.float64)


def _positive(p: Prior) -> bool:
    """Whether a prior's support is positive (its natural coordinate is the log)."""
    if p.distribution in ("lognormal", "gamma", "beta"):
        return True
    return p.distribution == "uniform" and float(p.low) > 0  # type: ignore[arg-type]


def _natural_scalar(p: Prior, z: F64, *, log: bool | None = None) -> F64:
    """A single unknown's natural coordinate: the log of its value, or the value.

    Args:
        p: The prior.
        z: Coordinates.
        log: Take the log (``None``: where the prior's support is positive).
    """
    v = value_of(p, z)
    use_log = _positive(p) if log is None else log
    return np.asarray(np.log(np.maximum(v, 1e-300)) if use_log else v, np.float64)


def _natural_scalar_slope(p: Prior, z: F64, *, log: bool | None = None) -> F64:
    """Derivative of the natural coordinate in ``z`` (closed form where there is one).

    Args:
        p: The prior.
        z: Coordinates.
        log: Differentiate the log of the value (``None``: as :func:`_natural_scalar`).
    """
    z = np.asarray(z, np.float64)
    use_log = _positive(p) if log is None else log
    inside = np.abs(z) < Z_CLIP
    if p.distribution == "lognormal" and use_log:
        return np.where(inside, float(p.sigma), 0.0)  # type: ignore[arg-type]
    if p.distribution == "normal" and not use_log:
        return np.where(inside, float(p.sd), 0.0)  # type: ignore[arg-type]
    h = 1e-5
    up, down = (_natural_scalar(p, z + s, log=use_log) for s in (h, -h))
    return np.where(inside, (up - down) / (2 * h), 0.0)


@dataclass(frozen=True)
class Component:
    """One number of the scenario that a coordinate block sets.

    Attributes:
        name: ``unknown id`` for a single unknown, ``id@YEAR`` for a series knot.
        unknown: The declaration it comes from.
        year: The knot year of a series (``None`` for a single unknown).
    """

    name: str
    unknown: Unknown
    year: int | None = None


@dataclass(frozen=True)
class Block:
    """The coordinates of one unknown and the components they set.

    Attributes:
        unknown: The declaration.
        start: Index of its first coordinate in ``z``.
        size: Number of coordinates.
        components: The numbers it sets.
        knots: Knot years (series only).
        years: Every year of the series' span (series only): the years
            between knots are interpolated.
    """

    unknown: Unknown
    start: int
    size: int
    components: tuple[Component, ...]
    knots: tuple[int, ...] = ()
    years: tuple[int, ...] = ()

    @property
    def is_series(self) -> bool:
        """Whether this is a smooth yearly series."""
        return bool(self.knots)

    def coordinate_names(self) -> list[str]:
        """Readable names of the block's coordinates."""
        u = self.unknown
        if not self.is_series:
            return [u.id]
        return [f"{u.id}: level {self.knots[0]}", f"{u.id}: step size"] + [
            f"{u.id}: step to {k}" for k in self.knots[1:]
        ]


def knot_years(u: Unknown) -> tuple[int, ...]:
    """The knot years of a series unknown: every ``every``-th year of its span and the last."""
    if u.years is None:
        raise ValueError(f"series unknown {u.id!r} needs its years")
    y0, y1 = u.years
    every = u.smoothness.every if u.smoothness is not None else 1
    knots = list(range(y0, y1 + 1, every))
    if knots[-1] != y1:
        knots.append(y1)
    return tuple(knots)


class ParamSpace:
    """All unknowns of a calibration as one vector of standard normal coordinates.

    Args:
        unknowns: The scenario's unknown declarations, in order.
    """

    def __init__(self, unknowns: list[Unknown]) -> None:
        blocks: list[Block] = []
        start = 0
        for u in unknowns:
            if u.mode == "series":
                knots = knot_years(u)
                years = tuple(range(knots[0], knots[-1] + 1))
                comps = tuple(Component(f"{u.id}@{y}", u, y) for y in years)
                size = 1 + len(knots)  # level, step size, and a step per further knot
                blocks.append(Block(u, start, size, comps, knots, years))
            else:
                blocks.append(Block(u, start, 1, (Component(u.id, u),)))
                size = 1
            start += size
        self.blocks = blocks
        self.dim = start
        self.components = [c for b in blocks for c in b.components]

    @property
    def n_components(self) -> int:
        """Number of scenario numbers the coordinates set."""
        return len(self.components)

    def coordinate_names(self) -> list[str]:
        """Readable names of all coordinates, in order."""
        return [n for b in self.blocks for n in b.coordinate_names()]

    def values(self, z: F64) -> F64:
        """The component values for coordinates ``z`` (P, dim) → (P, components)."""
        z = np.atleast_2d(np.asarray(z, np.float64))
        cols: list[F64] = []
        for b in self.blocks:
            zb = z[:, b.start : b.start + b.size]
            u = b.unknown
            if not b.is_series:
                cols.append(value_of(u.prior, zb[:, 0])[:, None])
                continue
            logk = self._log_knots(b, zb)
            # far in the tails (a heavy-tailed proposal's draw) the walk can leave the
            # floating-point range: such a value is absurd either way, keep it finite
            knot_vals = np.exp(np.clip(logk, -700.0, 700.0))  # (P, knots)
            kx = np.asarray(b.knots, np.float64)
            yx = np.asarray(b.years, np.float64)
            # linear interpolation of the values between knots (every knot is a year)
            idx = np.clip(np.searchsorted(kx, yx, side="right") - 1, 0, len(kx) - 1)
            nxt = np.minimum(idx + 1, len(kx) - 1)
            span = np.where(nxt > idx, kx[nxt] - kx[idx], 1.0)
            w = np.where(nxt > idx, (yx - kx[idx]) / span, 0.0)
            cols.append(knot_vals[:, idx] * (1 - w) + knot_vals[:, nxt] * w)
        return np.concatenate(cols, axis=1) if cols else np.zeros((z.shape[0], 0))

    def coordinates_of(self, values: F64) -> F64:
        """Coordinates that give ``values`` (P, components), knot values as given.

        For a series the step size is the root mean square of the knots' log
        changes (the smoothness prior's median when they do not change) and
        the steps are the changes in units of it; values between knots are
        ignored.
        """
        values = np.atleast_2d(np.asarray(values, np.float64))
        out = np.zeros((values.shape[0], self.dim))
        col = 0
        for b in self.blocks:
            u = b.unknown
            n = len(b.components)
            v = values[:, col : col + n]
            col += n
            if not b.is_series:
                out[:, b.start] = coordinate_of(u.prior, v[:, 0])
                continue
            assert u.smoothness is not None
            at = [b.years.index(k) for k in b.knots]
            kv = np.maximum(v[:, at], 1e-300)
            out[:, b.start] = coordinate_of(u.prior, kv[:, 0])
            # the step size that makes the steps standard: the rms of the log changes
            diffs = np.diff(np.log(kv), axis=1)
            s_med = float(value_of(u.smoothness.step_sd, np.zeros(1))[0])
            rms = np.sqrt(np.mean(diffs**2, axis=1)) if diffs.shape[1] else np.zeros(len(kv))
            step = np.where(rms > 1e-6, rms, s_med)
            out[:, b.start + 1] = coordinate_of(u.smoothness.step_sd, step)
            out[:, b.start + 2 : b.start + b.size] = diffs / step[:, None]
        return out

    @property
    def n_natural(self) -> int:
        """Number of natural coordinates (see :meth:`natural`)."""
        return sum(len(b.knots) if b.is_series else 1 for b in self.blocks)

    def natural(self, z: F64) -> F64:
        """The natural coordinates of ``z`` (P, dim) → (P, :attr:`n_natural`).

        One per scalar unknown and one per series knot: the log of the value
        where the prior's support is positive (every series knot, and scalar
        lognormal, gamma, beta and positive uniform priors), else the value.
        Every component is a fixed function of them (series years between
        knots are interpolated), so the model's expected values are functions
        of the natural coordinates alone; unlike ``z``, they carry no product
        of a series' step size and its steps (the funnel of a random walk).
        """
        z = np.atleast_2d(np.asarray(z, np.float64))
        cols: list[F64] = []
        for b in self.blocks:
            zb = z[:, b.start : b.start + b.size]
            if not b.is_series:
                cols.append(_natural_scalar(b.unknown.prior, zb[:, 0])[:, None])
                continue
            cols.append(self._log_knots(b, zb))
        return np.concatenate(cols, axis=1) if cols else np.zeros((z.shape[0], 0))

    @staticmethod
    def _log_knots(b: Block, zb: F64) -> F64:
        """A series' log knot values from its coordinates ``zb`` (P, size) → (P, knots)."""
        u = b.unknown
        assert u.smoothness is not None
        level = np.log(np.maximum(value_of(u.prior, zb[:, 0]), 1e-300))
        step = value_of(u.smoothness.step_sd, zb[:, 1])
        steps = np.clip(zb[:, 2:], -Z_CLIP, Z_CLIP) * step[:, None]
        return np.asarray(
            level[:, None]
            + np.concatenate([np.zeros((zb.shape[0], 1)), np.cumsum(steps, axis=1)], axis=1),
            np.float64,
        )

    def natural_vjp(self, z: F64, a: F64) -> F64:
        """The gradient in ``z`` of a function whose gradient in the natural coordinates is ``a``.

        ``a · ∂natural/∂z`` at each point: (P, n_natural) → (P, dim).
        """
        z = np.atleast_2d(np.asarray(z, np.float64))
        a = np.atleast_2d(np.asarray(a, np.float64))
        out = np.zeros_like(z)
        col = 0
        for b in self.blocks:
            zb = z[:, b.start : b.start + b.size]
            u = b.unknown
            if not b.is_series:
                out[:, b.start] = a[:, col] * _natural_scalar_slope(u.prior, zb[:, 0])
                col += 1
                continue
            assert u.smoothness is not None
            k = len(b.knots)
            ab = a[:, col : col + k]
            col += k
            out[:, b.start] = ab.sum(axis=1) * _natural_scalar_slope(u.prior, zb[:, 0], log=True)
            eps = zb[:, 2:]
            inside = np.abs(eps) < Z_CLIP
            cum = np.concatenate(
                [np.zeros((z.shape[0], 1)), np.cumsum(np.clip(eps, -Z_CLIP, Z_CLIP), axis=1)],
                axis=1,
            )
            step = value_of(u.smoothness.step_sd, zb[:, 1])
            dstep = step * _natural_scalar_slope(u.smoothness.step_sd, zb[:, 1], log=True)
            out[:, b.start + 1] = (ab * cum).sum(axis=1) * dstep
            # knot i depends on the steps 1..i: the reversed cumulative sum of a
            tail = np.cumsum(ab[:, :0:-1], axis=1)[:, ::-1]
            out[:, b.start + 2 : b.start + b.size] = tail * step[:, None] * inside
        return out

    def natural_jacobian(self, z: F64) -> F64:
        """``∂natural/∂z`` at one point ``z`` (dim,): (n_natural, dim)."""
        z = np.asarray(z, np.float64).reshape(1, -1)
        eye = np.eye(self.n_natural)
        return np.asarray(self.natural_vjp(np.repeat(z, self.n_natural, axis=0), eye), np.float64)

    @staticmethod
    def log_prior(z: F64) -> F64:
        """Log prior density of coordinates ``z`` (P, dim): independent standard normals."""
        z = np.atleast_2d(np.asarray(z, np.float64))
        return np.asarray(
            -0.5 * np.sum(z * z, axis=1) - 0.5 * z.shape[1] * math.log(2 * math.pi), np.float64
        )

    def block_of(self, unknown_id: str) -> Block:
        """The block of an unknown.

        Raises:
            KeyError: For an id that is not declared.
        """
        for b in self.blocks:
            if b.unknown.id == unknown_id:
                return b
        raise KeyError(unknown_id)


__all__ = [
    "Block",
    "Component",
    "ParamSpace",
    "coordinate_of",
    "knot_years",
    "prior_cdf",
    "prior_ppf",
    "value_of",
]
