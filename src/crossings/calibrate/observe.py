"""The likelihood of observed rows given their expected values.

The rows themselves and their expected values come from
:mod:`crossings.measure` (the same measurement the results tables use). The
observation model (:class:`~crossings.scenario.schema.ObservationModel`):

* yearly counts (``kind: count``, a number): negative binomial around the
  expected count with variance ``mu + dispersion·mu²`` (Poisson when
  ``counts: poisson``); bucket rows sum the expected counts of their years;
* reported ranges (``{low, high}``, either bound optional): the probability
  that a normal with mean ``mu`` and sd ``range_sd × midpoint`` falls inside;
* estimates (``kind: estimate``, a number): log-normal around the estimate
  with sd ``range_sd`` on the log scale.

A count that is the sum of other counts of the same series (a year's total
beside its women and men, a bucket beside its single years) carries no
information of its own: :func:`independent_rows` keeps a largest linearly
independent set of each series' counts, finest rows first, and only those
enter the likelihood (the others are still predicted and checked).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

from crossings.measure import Row
from crossings.scenario.schema import ObservationModel

F64 = NDArray[np.float64]


def independent_rows(rows: list[Row]) -> NDArray[np.bool_]:
    """Which count rows are independent of the others of their series.

    Every count row is a sum over cells (year × sex; a total covers both
    sexes, a bucket several years). Within each series the rows are taken
    finest first (fewest cells, then in order) and kept when they are not a
    linear combination of the rows kept so far, so a year's total beside its
    split by sex, or a bucket beside its single years, is not counted twice.
    Ranges and estimates are always kept.

    Returns:
        A boolean per row: ``True`` where the row enters the likelihood.
    """
    keep = np.ones(len(rows), bool)
    by_series: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r.kind == "count":
            by_series.setdefault(r.series, []).append(i)
    for idx in by_series.values():
        cells: dict[tuple[object, str], int] = {}
        vecs: dict[int, list[int]] = {}
        for i in idx:
            r = rows[i]
            when: tuple[object, ...] = (r.date,) if r.date is not None else tuple(r.years)
            sexes = ("female", "male") if r.sex == "total" else (r.sex,)
            vecs[i] = [cells.setdefault((w, s), len(cells)) for w in when for s in sexes]
        basis = np.zeros((0, len(cells)))
        for i in sorted(idx, key=lambda j: (len(vecs[j]), j)):
            v = np.zeros(len(cells))
            v[vecs[i]] = 1.0
            trial = np.vstack([basis, v])
            if np.linalg.matrix_rank(trial) > basis.shape[0]:
                basis = trial
            else:
                keep[i] = False
    return keep


class Likelihood:
    """Log-likelihood of the observed rows given expected values.

    Args:
        rows: The observed rows.
        om: The scenario's observation model.

    Attributes:
        used: Rows that enter the likelihood (see :func:`independent_rows`);
            the others get weight zero.
    """

    def __init__(self, rows: list[Row], om: ObservationModel) -> None:
        self.rows = rows
        self.om = om
        self.used = independent_rows(rows)
        self.y = np.array([r.observed for r in rows])
        self.kind = np.array([r.kind for r in rows])
        self.lo = np.array([r.low for r in rows])
        self.hi = np.array([r.high for r in rows])
        self.is_count = self.kind == "count"
        self.is_range = self.kind == "range"
        self.is_est = self.kind == "estimate"
        self.scale = om.range_sd * np.maximum(np.abs(self.y), 1.0)

    def per_row(self, mu: F64) -> F64:
        """Log-likelihood of each row, shape like ``mu`` (…, rows)."""
        mu = np.maximum(np.asarray(mu, np.float64), 1e-9)
        out = np.zeros_like(mu)
        y = self.y
        c = self.is_count
        if c.any():
            yc, mc = y[c], mu[..., c]
            if self.om.counts == "poisson" or self.om.dispersion == 0:
                out[..., c] = yc * np.log(mc) - mc - special.gammaln(yc + 1)
            else:
                r = 1.0 / self.om.dispersion
                out[..., c] = (
                    special.gammaln(yc + r)
                    - special.gammaln(r)
                    - special.gammaln(yc + 1)
                    + r * np.log(r / (r + mc))
                    + yc * np.log(mc / (r + mc))
                )
        g = self.is_range
        if g.any():
            s = self.scale[g]
            a = np.where(np.isnan(self.lo[g]), -np.inf, (self.lo[g] - mu[..., g]) / s)
            b = np.where(np.isnan(self.hi[g]), np.inf, (self.hi[g] - mu[..., g]) / s)
            # log(Φ(b) − Φ(a)) computed stably on whichever tail is smaller; −inf where
            # the probability underflows (an expectation far outside the range)
            with np.errstate(divide="ignore"):
                upper = special.log_ndtr(b) + np.log1p(
                    -np.exp(np.minimum(special.log_ndtr(a) - special.log_ndtr(b), -1e-300))
                )
                lower = special.log_ndtr(-a) + np.log1p(
                    -np.exp(np.minimum(special.log_ndtr(-b) - special.log_ndtr(-a), -1e-300))
                )
            out[..., g] = np.where(a > 0, lower, upper)
        e = self.is_est
        if e.any():
            sd = self.om.range_sd
            out[..., e] = -0.5 * ((np.log(mu[..., e]) - np.log(np.maximum(y[e], 1e-9))) / sd) ** 2
        return np.where(self.used, out, 0.0)

    def total(self, mu: F64) -> F64:
        """Summed log-likelihood over rows: shape (…,)."""
        return np.asarray(self.per_row(mu).sum(axis=-1), np.float64)

    def sample(self, mu: F64, rng: np.random.Generator) -> F64:
        """Draw observed values around expected values ``mu`` (the observation model)."""
        mu = np.maximum(np.asarray(mu, np.float64), 1e-9)
        out = np.empty_like(mu)
        c = self.is_count
        if c.any():
            mc = mu[..., c]
            if self.om.counts == "poisson" or self.om.dispersion == 0:
                out[..., c] = rng.poisson(mc)
            else:
                r = 1.0 / self.om.dispersion
                out[..., c] = rng.negative_binomial(r, r / (r + mc))
        g = self.is_range
        if g.any():
            # the range likelihood's normal around the expectation
            out[..., g] = mu[..., g] + self.scale[g] * rng.standard_normal(mu[..., g].shape)
        e = self.is_est
        if e.any():
            out[..., e] = mu[..., e] * np.exp(rng.normal(0.0, self.om.range_sd, mu[..., e].shape))
        return out
