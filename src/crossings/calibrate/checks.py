"""What a calibration can and cannot tell: predictive checks, identifiability, sensitivity.

* **Posterior predictive checks** (:func:`predictive_table`): every fitted row
  and every row held back as an out-of-fit check, with the observation
  model's noise added to the expected value at each posterior draw; coverage
  of the 50% and 90% intervals by series and by period.
* **Identifiability** (:func:`identifiability`): for every unknown and every
  estimate, the width of its posterior against the width of its prior (for
  an estimate: its prior predictive, the model run at draws from the prior),
  with a plain label — *set by the data*, *partly* or *prior-driven: the
  fitted series say little about it*.
* **Prior and likelihood sensitivity** (:func:`power_scaling`): the posterior
  re-weighted as if the prior (or the likelihood) were raised to a power α
  (the power-scaling diagnostic of ``priorsense``, Kallioinen et al. 2023):
  how far each quantity's median moves, in posterior standard deviations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from crossings.calibrate.observe import Likelihood
from crossings.calibrate.sample import weighted_quantiles
from crossings.measure import Row

F64 = NDArray[np.float64]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

SET_BY_DATA = "set by the data"
PARTLY = "partly set by the data"
PRIOR_DRIVEN = "prior-driven: the fitted series say little about it"


def label_of(ratio: float) -> str:
    """The plain label of a posterior-to-prior width ratio."""
    if not math.isfinite(ratio):
        return PRIOR_DRIVEN
    if ratio < 0.5:
        return SET_BY_DATA
    if ratio < 0.85:
        return PARTLY
    return PRIOR_DRIVEN


@dataclass(frozen=True)
class Period:
    """A span of years over which predictive coverage is reported."""

    id: str
    name: str
    first: int
    last: int


def period_of(periods: list[Period], year: int) -> str:
    """The id of the period holding ``year`` (``other`` when none does)."""
    for p in periods:
        if p.first <= year <= p.last:
            return p.id
    return "other"


def predictive_draws(
    values: F64, rows: list[Row], lik: Likelihood, rng: np.random.Generator
) -> F64:
    """Observation-model draws around expected ``values`` (n, rows)."""
    if not rows:
        return np.zeros((values.shape[0], 0))
    return np.asarray(lik.sample(values, rng), np.float64)


def predictive_table(
    rows: list[Row],
    draws: F64,
    weights: F64,
    *,
    periods: list[Period],
    role: str,
) -> pd.DataFrame:
    """Observed against the posterior predictive, row by row, with coverage flags.

    ``observed`` is the number observed (empty for a reported range), with the
    range in ``low``/``high`` (an open end empty). A range counts as inside an
    interval when the two overlap.
    """
    q = (
        weighted_quantiles(draws, weights, list(QUANTILES))
        if rows
        else np.zeros((len(QUANTILES), 0))
    )
    out = []
    for j, r in enumerate(rows):
        lo = r.low
        hi = r.high
        a = -math.inf if math.isnan(lo) else lo
        b = math.inf if math.isnan(hi) else hi
        inside50 = not (b < q[1, j] or a > q[3, j])
        inside90 = not (b < q[0, j] or a > q[4, j])
        out.append(
            {
                "series": r.series,
                "year": r.label,
                "sex": r.sex,
                "role": role,
                "kind": r.kind,
                "observed": r.observed if r.kind != "range" else math.nan,
                "low": lo,
                "high": hi,
                "p05": q[0, j],
                "p25": q[1, j],
                "p50": q[2, j],
                "p75": q[3, j],
                "p95": q[4, j],
                "inside50": inside50,
                "inside90": inside90,
                "period": period_of(periods, r.last_year),
            }
        )
    cols = [
        "series",
        "year",
        "sex",
        "role",
        "kind",
        "observed",
        "low",
        "high",
        "p05",
        "p25",
        "p50",
        "p75",
        "p95",
        "inside50",
        "inside90",
        "period",
    ]
    return pd.DataFrame(out, columns=cols)


def coverage_by(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """Share of rows inside their 50% and 90% predictive intervals, by ``key``."""
    if table.empty:
        return pd.DataFrame(columns=[key, "rows", "coverage50", "coverage90"])
    g = table.groupby(key)
    return pd.DataFrame(
        {
            "rows": g.size(),
            "coverage50": g["inside50"].mean(),
            "coverage90": g["inside90"].mean(),
        }
    ).reset_index()


def check_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Each held-back check: inside its 90% predictive interval, or how far outside."""
    out = table.copy()
    verdicts = []
    for low, high, p05, p95 in zip(
        out["low"].astype(float),
        out["high"].astype(float),
        out["p05"].astype(float),
        out["p95"].astype(float),
        strict=True,
    ):
        lo = -math.inf if math.isnan(low) else low
        hi = math.inf if math.isnan(high) else high
        if hi < p05:
            gap = p05 - hi
            verdicts.append(f"misfit: the model is higher by {gap:,.0f} or more")
        elif lo > p95:
            gap = lo - p95
            verdicts.append(f"misfit: the model is lower by {gap:,.0f} or more")
        else:
            verdicts.append("consistent (inside the 90% predictive interval)")
    out["verdict"] = verdicts
    return out


def width90(values: F64, weights: F64 | None = None) -> F64:
    """Width of the central 90% interval along the first axis (log scale for positives)."""
    v = np.asarray(values, np.float64)
    w = np.full(v.shape[0], 1.0 / v.shape[0]) if weights is None else weights
    positive = np.all(v > 0, axis=0)
    x = np.where(positive, np.log(np.maximum(v, 1e-300)), v)
    q = weighted_quantiles(x, w, [0.05, 0.95])
    return np.asarray(q[1] - q[0], np.float64)


def identifiability(
    names: list[str],
    prior_values: F64,
    post_values: F64,
    post_weights: F64 | None = None,
) -> pd.DataFrame:
    """Posterior against prior width for each column, with its plain label.

    Widths are of the central 90% interval, on the log scale where every
    value is positive (a ratio of widths is then a ratio of fold-ranges).
    """
    wp = width90(prior_values)
    wq = width90(post_values, post_weights)
    ratio = np.where(wp > 0, wq / np.where(wp > 0, wp, 1.0), math.inf)
    return pd.DataFrame(
        {
            "quantity": names,
            "prior_width90": wp,
            "posterior_width90": wq,
            "ratio": ratio,
            "label": [label_of(float(r)) for r in ratio],
        }
    )


def power_scaling(
    names: list[str],
    values: F64,
    log_w: F64,
    log_prior: F64,
    log_lik: F64,
    alphas: tuple[float, ...] = (0.5, 2.0),
) -> pd.DataFrame:
    """How far each quantity's median moves when the prior or the likelihood is powered.

    The weighted posterior sample is re-weighted by ``prior^(α−1)`` (or
    ``likelihood^(α−1)``); the shift of the median is given in posterior
    standard deviations. A quantity whose median moves by more than half a
    standard deviation under prior scaling is *prior-sensitive*.
    """
    w0 = np.exp(log_w - special.logsumexp(log_w))
    med0 = weighted_quantiles(values, w0, [0.5])[0]
    mean0 = w0 @ values
    sd0 = np.sqrt(np.maximum(w0 @ (values - mean0) ** 2, 1e-300))
    rows: dict[str, F64] = {}
    for what, lp in (("prior", log_prior), ("likelihood", log_lik)):
        for a in alphas:
            lw = log_w + (a - 1.0) * lp
            w = np.exp(lw - special.logsumexp(lw))
            med = weighted_quantiles(values, w, [0.5])[0]
            rows[f"{what}_x{a:g}"] = (med - med0) / sd0
    frame = pd.DataFrame({"quantity": names, **rows})
    prior_cols = [c for c in frame.columns if c.startswith("prior_")]
    frame["prior_sensitive"] = frame[prior_cols].abs().max(axis=1) > 0.5
    return frame


__all__ = [
    "PARTLY",
    "PRIOR_DRIVEN",
    "SET_BY_DATA",
    "Period",
    "check_verdicts",
    "coverage_by",
    "identifiability",
    "label_of",
    "power_scaling",
    "predictive_draws",
    "predictive_table",
]
