"""The North Korea scenario's count scatter is the one measured on the counted arrivals.

The observation model's ``dispersion`` is an assumption with a measurement
behind it: around a locally straight line (on the log scale), the yearly
arrivals of 2002–2011 — years before every hold-out of ``crossings validate``
— scatter by 16–18 % a year. The scenario's coefficient of variation
(``sqrt(dispersion)``) must lie in that measured band, so that changing either
the counts or the dispersion without re-measuring fails here.
"""

from __future__ import annotations

import math

import numpy as np

from crossings.scenario.load import load_scenario

YEARS = range(2002, 2012)


def _scatter(values: list[float]) -> float:
    """Yearly scatter around a local straight line: sd of log second differences / sqrt 6."""
    logs = np.log(np.asarray(values, np.float64))
    second = logs[2:] - 2 * logs[1:-1] + logs[:-2]
    # white noise of sd s gives second differences of variance 6 s^2
    return float(np.std(second, ddof=1) / math.sqrt(6))


def test_dispersion_matches_the_measured_scatter_of_the_counts() -> None:
    sc = load_scenario("north-korea").scenario
    obs = next(o for o in sc.observations if o.id == "arrivals")
    by_year = {r.year: r for r in obs.rows if r.year is not None}
    scatter = {
        sex: _scatter([float(getattr(by_year[y], sex)) for y in YEARS])
        for sex in ("total", "female", "male")
    }
    assert min(scatter.values()) > 0.15 and max(scatter.values()) < 0.19, scatter
    assert sc.calibration is not None
    cv = math.sqrt(sc.calibration.observation_model.dispersion)
    assert min(scatter.values()) - 0.01 <= cv <= max(scatter.values()) + 0.01, (cv, scatter)


def test_scatter_measure_recovers_known_noise() -> None:
    # the estimator itself: noise of sd 0.16 around a straight line is read back
    # within its standard error (sd of a sample sd of n=400 second differences ≈ 3.5%,
    # inflated for their correlation)
    rng = np.random.default_rng(7)
    years = np.arange(402)
    logs = 7.0 + 0.01 * years + rng.normal(0.0, 0.16, years.size)
    assert abs(_scatter(list(np.exp(logs))) - 0.16) < 0.16 * 0.1
