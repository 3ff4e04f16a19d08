"""The mode search's stopping rules: the Newton-step test and the function tolerance."""

from __future__ import annotations

import numpy as np

from crossings.calibrate import fit


class _Gaussian:
    """Normal log-likelihood of each row around its expected value."""

    def __init__(self, y: np.ndarray, s: float) -> None:
        self.y, self.s = y, s

    def per_row(self, mu: np.ndarray) -> np.ndarray:
        return -0.5 * ((np.asarray(mu) - self.y) / self.s) ** 2

    def total(self, mu: np.ndarray) -> np.ndarray:
        return self.per_row(mu).sum(axis=-1)


class _Linear:
    """A problem with a linear model and a normal likelihood: its mode is known exactly."""

    A = np.array([[1.0, 0.3], [0.2, 1.5], [0.5, -0.4]])

    def __init__(self) -> None:
        self.likelihood = _Gaussian(np.array([12.0, 9.0, 10.7]), 0.5)
        self.evaluations = 0

    @property
    def dim(self) -> int:
        return 2

    def log_prior(self, z: np.ndarray) -> np.ndarray:
        return -0.5 * (np.atleast_2d(z) ** 2).sum(axis=1)

    def evaluate(self, z: np.ndarray) -> dict[str, np.ndarray]:
        z = np.atleast_2d(z)
        self.evaluations += z.shape[0]
        empty = np.zeros((z.shape[0], 0))
        return {"fit": 10.0 + z @ self.A.T, "checks": empty, "estimates": empty}

    def exact_mode(self) -> np.ndarray:
        s2 = self.likelihood.s**2
        h = self.A.T @ self.A / s2 + np.eye(2)
        return np.linalg.solve(h, self.A.T @ (self.likelihood.y - 10.0) / s2)


def test_a_smooth_problem_stops_by_the_newton_step_at_the_exact_mode() -> None:
    prob = _Linear()
    mode = fit.find_mode(prob, max_iter=20, start=np.array([3.0, -3.0]))  # type: ignore[arg-type]
    assert mode.converged and mode.stopped_by == "newton step"
    np.testing.assert_allclose(mode.z, prob.exact_mode(), atol=1e-3)
    # the Laplace covariance of a linear-normal problem is exact
    s2 = prob.likelihood.s**2
    np.testing.assert_allclose(
        mode.cov, np.linalg.inv(prob.A.T @ prob.A / s2 + np.eye(2)), rtol=1e-3
    )


def test_a_tiny_iteration_limit_is_reported_as_not_converged() -> None:
    prob = _Linear()
    mode = fit.find_mode(prob, max_iter=0, start=np.array([3.0, -3.0]))  # type: ignore[arg-type]
    assert not mode.converged and mode.stopped_by == "limit"


def test_function_tolerance_needs_its_span_of_fresh_jacobians() -> None:
    n = fit.FTOL_JACOBIANS
    flat = [-429.1] * n
    assert not fit._no_gain(flat)  # too few Jacobians to judge
    assert fit._no_gain([-429.1] * (n + 1))
    assert fit._no_gain([-429.1 + 0.001 * i for i in range(n + 1)])
    # a search still gaining more than FTOL over the span goes on
    assert not fit._no_gain([-430.0] + [-429.1] * n)
    assert not fit._no_gain([-429.1 + (fit.FTOL / n) * 1.01 * i for i in range(n + 1)])
