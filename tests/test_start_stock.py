"""A start stock (``initial:`` of an inflow) as a calibration unknown.

The expected-value mode scales the people present at the start per parameter
set; it must agree with compiling the scenario at that value, entries
measures must keep leaving the people present out, and a fit must recover a
start stock that the data inform.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from crossings import load_scenario
from crossings.calibrate.fit import Problem, fit, prepare
from crossings.calibrate.observe import Likelihood
from crossings.calibrate.unknowns import apply_components
from crossings.compile.compiler import compile_scenario
from crossings.expected import ExpectedModel
from crossings.measure import row_values

SCENARIO = Path(__file__).parent / "data" / "calib_start_stock.yaml"


@pytest.fixture(scope="module")
def problem() -> Problem:
    return prepare(load_scenario(SCENARIO))


def _at(problem: Problem, start: float) -> np.ndarray:
    """Component values: every prior median, the start stock at ``start``."""
    names = [c.name for c in problem.space.components]
    vals = problem.space.values(np.zeros((1, problem.dim)))[0].copy()
    vals[names.index("start_stock")] = start
    return vals


def _compiled_rows(problem: Problem, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitted and estimate rows of the scenario compiled at ``vals`` (no shortcut)."""
    sc = apply_components(problem.loaded.scenario, list(problem.space.components), vals)
    model = compile_scenario(sc)
    tallies = ExpectedModel(model).run(ExpectedModel(model).base_arrays(1))
    return (
        row_values(tallies, model, problem.rows)[0],
        row_values(tallies, model, problem.estimate_rows)[0],
    )


def test_the_start_stock_is_an_unknown_of_the_compiled_start(problem: Problem) -> None:
    effects = {e.component.name: e for e in problem.effects}
    assert list(effects["start_stock"].entries) == ["initial"]


@pytest.mark.parametrize(("start", "atol"), [(3000.0, 1e-6), (2345.0, 2.0)])
def test_scaled_start_stock_matches_compiling_at_that_value(
    problem: Problem, start: float, atol: float
) -> None:
    """3,000 splits evenly over the two sexes (exact); 2,345 is rounded to whole people
    per entry combination when compiled (within one person each)."""
    vals = _at(problem, start)
    z = problem.space.coordinates_of(vals[None])
    fit_rows, est_rows = problem.values(z)
    want_fit, want_est = _compiled_rows(problem, vals)
    np.testing.assert_allclose(fit_rows[0], want_fit, rtol=1e-9, atol=atol)
    np.testing.assert_allclose(est_rows[0], want_est, rtol=1e-9, atol=atol)
    # and it moves what it should: the people hiding in mid-2010
    base_fit, _ = problem.values(problem.space.coordinates_of(_at(problem, 2000.0)[None]))
    j = next(i for i, r in enumerate(problem.rows) if r.series == "hiding_stock")
    assert fit_rows[0, j] > base_fit[0, j] + 0.3 * (start - 2000.0)


def test_entries_leave_out_the_people_present_at_any_start_stock(problem: Problem) -> None:
    """Crossers entering hiding are counted; the people already there are not."""
    j = [i for i, r in enumerate(problem.estimate_rows) if r.series == "attempts"]
    lo = problem.values(problem.space.coordinates_of(_at(problem, 1000.0)[None]))[1][0, j]
    hi = problem.values(problem.space.coordinates_of(_at(problem, 4000.0)[None]))[1][0, j]
    np.testing.assert_allclose(lo, hi, rtol=1e-12)


def test_fit_recovers_a_start_stock_the_data_inform(problem: Problem) -> None:
    """Noise-free data from a start stock of 3,000: inside the 90% interval, narrower
    than the prior's."""
    truth = _at(problem, 3000.0)
    mu, _ = problem.values(problem.space.coordinates_of(truth[None]))
    rows0, lik0 = problem.rows, problem.likelihood
    try:
        problem.rows = [
            dataclasses.replace(r, observed=float(v), low=float(v), high=float(v))
            if r.kind != "range"
            else dataclasses.replace(r, low=0.9 * float(v), high=1.1 * float(v))
            for r, v in zip(rows0, mu[0], strict=True)
        ]
        problem.likelihood = Likelihood(problem.rows, lik0.om)
        post = fit(problem, seed=2, draws=2000)
    finally:
        problem.rows, problem.likelihood = rows0, lik0
    names = [c.name for c in problem.space.components]
    k = names.index("start_stock")
    draws = problem.space.values(post.z)[:, k]
    lo, hi = np.quantile(draws, [0.05, 0.95])
    assert lo <= 3000.0 <= hi, (lo, hi)
    prior = problem.space.values(np.random.default_rng(0).standard_normal((4000, problem.dim)))
    plo, phi = np.quantile(prior[:, k], [0.05, 0.95])
    assert np.log(hi / lo) < 0.8 * np.log(phi / plo)
