"""The likelihood's rows: no count enters twice, and draws follow the likelihood."""

from __future__ import annotations

import math

import numpy as np

from crossings.calibrate.observe import Likelihood, independent_rows
from crossings.measure import Row
from crossings.scenario.schema import Measure, ObservationModel

M = Measure.model_validate({"entries": ["arrived"]})


def _row(series: str, years: tuple[int, ...], sex: str, value: float, kind: str = "count") -> Row:
    label = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    lo = hi = value
    if kind == "range":
        lo, hi = value * 0.8, value * 1.2
    return Row(series, label, sex, kind, value, lo, hi, max(years), M, years, None)


def test_a_total_beside_its_split_by_sex_is_not_counted_twice() -> None:
    rows = [
        _row("arrivals", (2002,), "total", 1142),
        _row("arrivals", (2002,), "female", 632),
        _row("arrivals", (2002,), "male", 510),
        _row("arrivals", (2003,), "total", 1285),  # no split: kept
        _row("other", (2002,), "total", 5),  # another series: its own counts
    ]
    assert independent_rows(rows).tolist() == [False, True, True, True, True]


def test_a_bucket_beside_its_single_years_keeps_only_what_is_new() -> None:
    # single years by total; the bucket split by sex: the single years and the bucket's
    # women are independent, the bucket's men and its total follow from them
    rows = [
        _row("arrivals", (1999,), "total", 148),
        _row("arrivals", (2000,), "total", 312),
        _row("arrivals", (2001,), "total", 583),
        _row("arrivals", (1999, 2000, 2001), "total", 1043),
        _row("arrivals", (1999, 2000, 2001), "female", 478),
        _row("arrivals", (1999, 2000, 2001), "male", 565),
    ]
    assert independent_rows(rows).tolist() == [True, True, True, False, True, False]


def test_ranges_and_estimates_are_always_kept_and_dropped_rows_weigh_nothing() -> None:
    rows = [
        _row("arrivals", (2002,), "total", 1142),
        _row("arrivals", (2002,), "female", 632),
        _row("arrivals", (2002,), "male", 510),
        _row("held", (2002,), "total", 1000, kind="range"),
        _row("held", (2002,), "total", 1000, kind="range"),
    ]
    om = ObservationModel(counts="negative_binomial", dispersion=0.0025, range_sd=0.2)
    lik = Likelihood(rows, om)
    assert lik.used.tolist() == [False, True, True, True, True]
    mu = np.array([[2000.0, 640.0, 500.0, 990.0, 1010.0]])
    per = lik.per_row(mu)
    assert per[0, 0] == 0.0 and np.all(per[0, 1:] < 0)
    # the total's expectation far from its observation changes nothing
    mu2 = mu.copy()
    mu2[0, 0] = 10.0
    assert lik.total(mu2)[0] == lik.total(mu)[0]


def test_range_draws_follow_the_range_likelihoods_normal() -> None:
    rows = [_row("held", (2002,), "total", 1000, kind="range")]
    om = ObservationModel(counts="negative_binomial", dispersion=0.0025, range_sd=0.2)
    lik = Likelihood(rows, om)
    n = 20000
    x = lik.sample(np.full((n, 1), 1200.0), np.random.default_rng(5))[:, 0]
    sd = 0.2 * 1000  # range_sd × the observed midpoint, as in the likelihood
    assert abs(x.mean() - 1200.0) < 4 * sd / math.sqrt(n)
    # the sample sd's standard error is about sd / sqrt(2n)
    assert abs(x.std() - sd) < 4 * sd / math.sqrt(2 * n)
