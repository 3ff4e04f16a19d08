"""Observation rows as functions of the expected tallies, and their likelihood.

Every row of every observation series (one value per sex given) becomes a
:class:`Row`; :func:`row_values` evaluates all rows for a batch of parameter
sets at once. The observation model (:class:`~crossings.scenario.schema.ObservationModel`):

* yearly counts (``kind: count``, a number): negative binomial around the
  expected count with variance ``mu + dispersion·mu²`` (Poisson when
  ``counts: poisson``); bucket rows sum the expected counts of their years;
* reported ranges (``{low, high}``, either bound optional): the probability
  that a normal with mean ``mu`` and sd ``range_sd × midpoint`` falls inside;
* estimates (``kind: estimate``, a number): log-normal around the estimate
  with sd ``range_sd`` on the log scale.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from crossings.compile.model import CompiledModel
from crossings.expected import Batch
from crossings.scenario.schema import Measure, ObservationModel, Range, Scenario

F64 = NDArray[np.float64]
SEXES = ("total", "female", "male")


@dataclass(frozen=True)
class Row:
    """One observed number.

    Attributes:
        series: Observation id.
        label: Year, bucket (``1999-2001``) or date.
        sex: total, female or male.
        kind: count, range or estimate.
        observed: The number (a range's midpoint or its one bound).
        low: Lower bound (NaN if none).
        high: Upper bound (NaN if none).
        last_year: The last year the row covers (for hold-outs).
        measure: What it measures.
        years: Years it covers.
        date: The date of a dated stock row.
    """

    series: str
    label: str
    sex: str
    kind: str
    observed: float
    low: float
    high: float
    last_year: int
    measure: Measure
    years: tuple[int, ...]
    date: dt.date | None


def build_rows(
    sc: Scenario,
    model: CompiledModel,
    *,
    exclude: tuple[str, ...] = (),
    before: int | None = None,
    from_year: int | None = None,
) -> list[Row]:
    """Observation rows that fall inside the simulated span.

    Args:
        sc: The scenario.
        model: Its compiled model.
        exclude: Observation ids left out.
        before: Keep only rows whose last year is before this year.
        from_year: Keep only rows whose last year is this year or later.
    """
    rows: list[Row] = []
    y0, y1 = model.years[0], model.years[-1]
    for obs in sc.observations:
        if obs.id in exclude:
            continue
        for r in obs.rows:
            years = (
                (r.year,)
                if r.year is not None
                else tuple(range(r.years[0], r.years[1] + 1))
                if r.years is not None
                else (r.date.year,)
                if r.date is not None
                else ()
            )
            if not years or any(not (y0 <= y <= y1) for y in years):
                continue
            if r.date is not None and not (0 <= model.date_step(r.date) < model.n_steps):
                continue
            last = max(years)
            if before is not None and last >= before:
                continue
            if from_year is not None and last < from_year:
                continue
            label = (
                str(r.year)
                if r.year is not None
                else f"{r.years[0]}-{r.years[1]}"
                if r.years is not None
                else r.date.isoformat()
                if r.date is not None
                else ""
            )
            for sex in SEXES:
                val = getattr(r, sex)
                if val is None or (obs.measure.family is not None and sex != "total"):
                    continue
                if isinstance(val, Range):
                    kind = "range"
                    lo = float(val.low) if val.low is not None else math.nan
                    hi = float(val.high) if val.high is not None else math.nan
                    point = val.point()
                else:
                    kind = "count" if obs.kind == "count" else "estimate"
                    lo = hi = point = float(val)
                rows.append(
                    Row(obs.id, label, sex, kind, point, lo, hi, last, obs.measure, years, r.date)
                )
    return rows


def measure_values(
    batch: Batch,
    model: CompiledModel,
    measure: Measure,
    years: tuple[int, ...],
    date: dt.date | None,
    sex: str,
) -> F64:
    """One measured quantity for every parameter set of a batch: shape (P,)."""
    m = model
    sx: slice | int = slice(None) if sex == "total" else ("female", "male").index(sex)
    yidx = [y - m.years[0] for y in years]
    P = batch.n_sets
    if measure.entries is not None:
        idx = [m.state_index(s) for s in measure.entries]
        inside = np.zeros(m.n_states + 1, bool)
        inside[idx] = True
        f = batch.flows[:, yidx][:, :, ~inside][:, :, :, idx]  # (P, y, from, to, 2)
        return np.asarray(f[..., sx].reshape(P, -1).sum(axis=1), np.float64)
    if measure.flow is not None:
        a = m.state_index(measure.flow["from"])
        b = m.state_index(measure.flow["to"])
        return np.asarray(batch.flows[:, yidx, a, b][..., sx].reshape(P, -1).sum(axis=1))
    if measure.stock is not None:
        idx = [m.state_index(s) for s in measure.stock]
        if date is not None:
            steps = [m.date_step(date)]
        else:
            steps = []
            for y in years:
                hits = np.flatnonzero(m.step_year == y)
                if hits.size:
                    steps.append(int(hits[-1]))
        st = batch.stocks[:, steps][:, :, idx][..., sx]  # (P, steps, states[, 2])
        per_step = st.reshape(P, len(steps), -1).sum(axis=2)
        return np.asarray(per_step.mean(axis=1), np.float64)
    if measure.wave is not None:
        w = m.wave_ids.index(measure.wave)
        return np.asarray(batch.wave_moved[:, w][..., sx].reshape(P, -1).sum(axis=1))
    if measure.family is not None:
        cidx = [m.consequence_ids.index(c) for c in measure.family]
        fam = batch.family_members[:, yidx][:, :, cidx]
        return np.asarray(fam.reshape(P, -1).sum(axis=1), np.float64)
    raise ValueError("empty measure")  # pragma: no cover - the schema forbids it


def row_values(batch: Batch, model: CompiledModel, rows: list[Row]) -> F64:
    """Expected value of every row for every parameter set: (P, rows)."""
    if not rows:
        return np.zeros((batch.n_sets, 0))
    return np.stack(
        [measure_values(batch, model, r.measure, r.years, r.date, r.sex) for r in rows], axis=1
    )


class Likelihood:
    """Log-likelihood of the observed rows given expected values.

    Args:
        rows: The observed rows.
        om: The scenario's observation model.
    """

    def __init__(self, rows: list[Row], om: ObservationModel) -> None:
        self.rows = rows
        self.om = om
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
        return out

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
        g = self.is_range | self.is_est
        if g.any():
            out[..., g] = mu[..., g] * np.exp(rng.normal(0.0, self.om.range_sd, mu[..., g].shape))
        return out
