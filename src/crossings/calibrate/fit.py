"""Bayesian calibration on the expected-value mode: Laplace fit with checks.

Method (chosen for speed with an exact, deterministic model): the posterior
of the unknowns is approximated on the unconstrained scale (log for positive
parameters, logit for bounded ones) by a normal centred on the posterior mode.
The mode is found by Levenberg–Marquardt; each iteration evaluates the
expected-value mode once for the current point and once per unknown (a
forward difference), all in one parallel batch. The curvature of the
log-likelihood with respect to the expected values is exact per row; the
curvature through the model uses the Gauss–Newton approximation. Optionally
(``importance > 0``) draws from the normal are re-weighted by the exact
posterior density (importance resampling), which removes the approximation
error where the posterior is not normal. Simulation-based calibration on
synthetic data sets (tests/test_calibrate.py) checks the intervals' coverage.

Posterior predictive values of observed rows and of uncounted quantities use
the model's log-linearisation around the mode (its Jacobian comes from the
same batch), then the observation model's noise (for counts it contains the
Poisson noise of the agent engine).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from crossings.atomic import atomic_file, write_text
from crossings.calibrate.observe import Likelihood
from crossings.calibrate.unknowns import (
    CalibrationError,
    Effect,
    batch_arrays,
    current_value,
    from_z,
    linearise,
    log_prior_z,
    prior_quantiles,
    to_z,
)
from crossings.compile.model import CompiledModel
from crossings.expected import ExpectedModel
from crossings.measure import Row, build_rows, quantity_rows, row_values
from crossings.scenario.load import LoadedScenario
from crossings.scenario.schema import Calibration, Unknown
from crossings.tallies import Tallies

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]
ProgressFn = Callable[[str, float], None]

MAX_BATCH = 32
"""Most parameter sets run through the expected-value mode at once."""


@dataclass
class Problem:
    """A prepared calibration problem (the scenario's unknowns against its rows)."""

    loaded: LoadedScenario
    model: CompiledModel
    effects: list[Effect]
    unknowns: list[Unknown]
    rows: list[Row]
    likelihood: Likelihood
    ev: ExpectedModel
    estimate_rows: list[Row] = field(default_factory=list)
    evaluations: int = 0

    @property
    def dim(self) -> int:
        """Number of unknowns."""
        return len(self.unknowns)

    def theta(self, z: F64) -> F64:
        """Values of the unknowns for unconstrained points ``z`` (P, d)."""
        return np.stack([from_z(u.prior, z[:, j]) for j, u in enumerate(self.unknowns)], axis=1)

    def log_prior(self, z: F64) -> F64:
        """Log prior density of points ``z`` (P, d) → (P,)."""
        return np.asarray(
            np.sum([log_prior_z(u.prior, z[:, j]) for j, u in enumerate(self.unknowns)], axis=0),
            np.float64,
        )

    def run(self, z: F64) -> Tallies[np.float64]:
        """The expected-value mode at points ``z`` (one parallel batch)."""
        self.evaluations += z.shape[0]
        return self.ev.run(batch_arrays(self.model, self.effects, self.theta(z)))

    def values(self, z: F64) -> tuple[F64, F64]:
        """Expected observed rows (P, R) and estimate rows (P, E) at ``z``.

        Points are run in batches of at most :data:`MAX_BATCH` (the
        expected-value mode keeps every step's stocks for each set in a batch).
        """
        vs, es = [], []
        for i in range(0, max(z.shape[0], 1), MAX_BATCH):
            b = self.run(z[i : i + MAX_BATCH])
            vs.append(row_values(b, self.model, self.rows))
            es.append(row_values(b, self.model, self.estimate_rows))
        return np.concatenate(vs), np.concatenate(es)


def prepare(
    loaded: LoadedScenario,
    *,
    before: int | None = None,
    rows: list[Row] | None = None,
    lump_days: int | None = None,
    exact: bool = False,
) -> Problem:
    """Set up the calibration of a loaded scenario.

    Args:
        loaded: The scenario, with a ``calibration`` section.
        before: Fit only rows whose last year is before this year.
        rows: Use these rows instead of the scenario's observations (SBC).
        lump_days: Share one duration ring per sex in states whose duration
            can exceed this many days (see :class:`~crossings.expected.ExpectedModel`);
            ``None``: the scenario's ``calibration.approximation.lump_days``.
        exact: Ignore any lumping: the exact expected-value mode.

    Raises:
        CalibrationError: No unknowns, no rows, or an unknown the method
            cannot represent.
    """
    sc = loaded.scenario
    cal = sc.calibration or Calibration()
    if not cal.unknowns:
        raise CalibrationError(
            "the scenario declares no unknowns: add a `calibration:` "
            "section with `unknowns:` (see docs/calibration.md)"
        )
    model, effects = linearise(sc, cal.unknowns)
    if rows is None:
        rows = build_rows(sc, model, exclude=tuple(cal.exclude), before=before)
    if not rows:
        raise CalibrationError("no observation rows to fit inside the simulated span")
    est_rows = [r for e in cal.estimates for r in quantity_rows(e.id, e.measure, model)]
    if lump_days is None and cal.approximation is not None:
        lump_days = cal.approximation.lump_days
    lump = None if exact or lump_days is None else max(1, lump_days // model.step_days)
    return Problem(
        loaded,
        model,
        effects,
        list(cal.unknowns),
        rows,
        Likelihood(rows, cal.observation_model),
        ExpectedModel(model, lump),
        est_rows,
    )


@dataclass
class Posterior:
    """The fitted posterior.

    Attributes:
        z_mode: Mode on the unconstrained scale (d,).
        cov: Laplace covariance on that scale (d, d).
        z_draws: Posterior draws (n, d) on that scale.
        theta_draws: The same draws as values of the unknowns (n, d).
        mu_mode: Expected observed rows at the mode (R,).
        jac: d mu / d z at the mode (R, d).
        est_mode: Expected estimate rows at the mode (E,).
        est_jac: Their Jacobian (E, d).
        log_post: Log posterior density at the mode.
        iterations: Optimiser iterations.
        evaluations: Parameter sets evaluated by the expected-value mode.
        seconds: Wall-clock time.
        ess: Effective sample size of the importance weights (n when none).
    """

    z_mode: F64
    cov: F64
    z_draws: F64
    theta_draws: F64
    mu_mode: F64
    jac: F64
    est_mode: F64
    est_jac: F64
    log_post: float
    iterations: int
    evaluations: int
    seconds: float
    ess: float


FD_STEP = 1e-4
"""Forward-difference step on the unconstrained scale (the model is deterministic)."""


def fd_points(z: F64, h: float = FD_STEP) -> F64:
    """The point ``z`` and one forward step ``h`` along each axis: (d + 1, d)."""
    pts = np.repeat(z[None], z.size + 1, axis=0)
    pts[1:] += np.eye(z.size) * h
    return pts


def _derivs(lik: Likelihood, mu: F64) -> tuple[F64, F64]:
    """First and second derivative of each row's log-likelihood in its expected value."""
    h = np.maximum(1e-4 * np.abs(mu), 1e-6)
    lp = lik.per_row(mu + h)
    l0 = lik.per_row(mu)
    lm = lik.per_row(np.maximum(mu - h, 1e-9))
    d1 = (lp - lm) / (2 * h)
    d2 = (lp - 2 * l0 + lm) / h**2
    return d1, np.minimum(d2, -1e-12 / np.maximum(mu, 1.0) ** 2)


def _prior_derivs(prob: Problem, z: F64) -> tuple[F64, F64]:
    h = 1e-4
    d = prob.dim
    g = np.zeros(d)
    H = np.zeros(d)
    for j in range(d):
        e = np.zeros((3, d)) + z
        e[0, j] += h
        e[2, j] -= h
        lp = prob.log_prior(e)
        g[j] = (lp[0] - lp[2]) / (2 * h)
        H[j] = (lp[0] - 2 * lp[1] + lp[2]) / h**2
    return g, np.minimum(H, -1e-9)


def _checkpoint(path: Path | None, name: str, **arrays: object) -> None:
    if path is None:
        return
    path.mkdir(parents=True, exist_ok=True)
    with atomic_file(path / f"{name}.npz", "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]


def _load(path: Path | None, name: str) -> dict[str, F64] | None:
    if path is None or not (path / f"{name}.npz").exists():
        return None
    with np.load(path / f"{name}.npz") as f:
        return {k: f[k] for k in f.files}


def fit(
    prob: Problem,
    *,
    seed: int = 1,
    draws: int = 1000,
    max_iter: int = 15,
    importance: int = 0,
    checkpoint: Path | None = None,
    progress: ProgressFn | None = None,
) -> Posterior:
    """Find the posterior mode, its Laplace covariance and posterior draws.

    Args:
        prob: The prepared problem.
        seed: Seed of the draws (same seed → same posterior).
        draws: Number of posterior draws to return.
        max_iter: Maximum Levenberg–Marquardt iterations.
        importance: Draws from the normal approximation re-weighted by the
            exact posterior (0: the normal approximation itself).
        checkpoint: Folder for a checkpoint after every stage (and to resume
            from: stages already there are not recomputed).
        progress: Called as ``progress(stage, fraction)``.

    Returns:
        The :class:`Posterior`.
    """
    t0 = time.perf_counter()
    d = prob.dim
    lik = prob.likelihood
    h = FD_STEP
    state = _load(checkpoint, "mode")
    if state is not None and state["z"].shape == (d,):
        z = state["z"]
        lam = float(state["lam"])
        it0 = int(state["iter"])
        done = bool(state["done"])
        log.info("resuming calibration at iteration %d", it0)
    else:
        z = start_z(prob)
        lam, it0, done = 1e-3, 0, False
    best: dict[str, F64] | None = None
    g = Hm = np.zeros(0)
    it = it0
    while True:
        V, E = prob.values(fd_points(z, h))
        mu = V[0]
        lp = float(lik.total(mu) + prob.log_prior(z[None])[0])
        it += 1
        if progress is not None:
            progress("fit", min(1.0, it / max_iter))
        stop = done or it >= max_iter + it0
        converged = done
        if best is None or lp >= float(best["lp"]):
            gain = np.inf if best is None else lp - float(best["lp"])
            J = (V[1:] - mu) / h  # (d, R)
            best = {
                "z": z.copy(),
                "mu": mu,
                "J": J,
                "E": E,
                "lp": np.array(lp),
                "Ej": (E[1:] - E[0]) / h,
            }
            lam = max(lam / 3, 1e-7)
            d1, d2 = _derivs(lik, mu)
            pg, ph = _prior_derivs(prob, z)
            g = J @ d1 + pg
            Hm = (J * (-d2)) @ J.T - np.diag(ph)
            step = np.linalg.solve(Hm + lam * np.diag(np.diag(Hm)) + 1e-12 * np.eye(d), g)
            newton = np.linalg.solve(Hm + 1e-12 * np.eye(d), g)
            post_sd = np.sqrt(np.clip(np.diag(np.linalg.inv(Hm + 1e-12 * np.eye(d))), 1e-30, None))
            # converged when the full Newton step is a small fraction of a posterior sd:
            # moving further would not change any interval noticeably
            if (
                float(np.max(np.abs(newton) / post_sd)) < 0.02
                or float(np.max(np.abs(step))) < 1e-4
                or (gain < 1e-9 * max(1.0, abs(lp)) and float(np.max(np.abs(step))) < 1e-3)
            ):
                stop = converged = True
        else:
            lam *= 10
            if lam > 1e8:
                stop = True
            step = np.linalg.solve(Hm + lam * np.diag(np.diag(Hm)) + 1e-12 * np.eye(d), g)
        _checkpoint(
            checkpoint,
            "mode",
            z=best["z"],
            lam=np.array(lam),
            iter=np.array(it),
            done=np.array(converged),
        )
        if stop:
            break
        z = best["z"] + np.clip(step, -2.0, 2.0)
    assert best is not None
    z_mode = best["z"]
    mu, J, E = best["mu"], best["J"], best["E"]
    d1, d2 = _derivs(lik, mu)
    _, ph = _prior_derivs(prob, z_mode)
    Hm = (J * (-d2)) @ J.T - np.diag(ph)
    cov = np.linalg.inv(Hm + 1e-12 * np.eye(d))
    cov = (cov + cov.T) / 2
    rng = np.random.default_rng([seed, 4747])
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(d))
    ess = float(draws)
    if importance > 0:
        if progress is not None:
            progress("importance", 0.0)
        zq = z_mode + rng.standard_normal((importance, d)) @ chol.T
        Vq, _ = prob.values(zq)
        logp = lik.total(Vq) + prob.log_prior(zq)
        diff = zq - z_mode
        logq = -0.5 * np.einsum("ij,ij->i", diff @ np.linalg.inv(cov), diff)
        lw = logp - logq
        w = np.exp(lw - lw.max())
        w = np.minimum(w, w.mean() * np.sqrt(importance))  # truncated importance sampling
        w /= w.sum()
        ess = float(1.0 / np.sum(w**2))
        pick = rng.choice(importance, size=draws, p=w)
        z_draws = zq[pick]
    else:
        z_draws = z_mode + rng.standard_normal((draws, d)) @ chol.T
    theta = prob.theta(z_draws)
    _checkpoint(checkpoint, "posterior", z_draws=z_draws, cov=cov)
    return Posterior(
        z_mode=z_mode,
        cov=cov,
        z_draws=z_draws,
        theta_draws=theta,
        mu_mode=mu,
        jac=J.T,
        est_mode=E[0],
        est_jac=best["Ej"].T,
        log_post=float(best["lp"]),
        iterations=it,
        evaluations=prob.evaluations,
        seconds=time.perf_counter() - t0,
        ess=ess,
    )


def start_z(prob: Problem) -> F64:
    """The fit's starting point on the unconstrained scale: the scenario's own values."""
    return np.array(
        [float(to_z(u.prior, np.array([_start(prob, j)]))[0]) for j, u in enumerate(prob.unknowns)]
    )


def _start(prob: Problem, j: int) -> float:
    """Starting value: the scenario's own value, moved inside the prior's support."""
    u = prob.unknowns[j]
    th = current_value(prob.loaded.scenario, u)
    lo, hi = (float(x) for x in prior_quantiles(u.prior, np.array([0.001, 0.999])))
    return float(np.clip(th, lo, hi))


def predictive(post: Posterior, mode: F64, jac: F64, z_draws: F64) -> F64:
    """Expected values at the draws by log-linearisation around the mode: (n, R)."""
    mu = np.maximum(mode, 1e-9)
    rel = jac / mu[:, None]  # d log mu / dz
    return np.asarray(mu[None, :] * np.exp((z_draws - post.z_mode) @ rel.T), np.float64)


def save_meta(path: Path, meta: dict[str, object]) -> None:
    """Write ``meta`` as JSON atomically."""
    write_text(path, json.dumps(meta, indent=2, default=str))


__all__ = ["CalibrationError", "Posterior", "Problem", "fit", "predictive", "prepare"]


def sbc(
    prob: Problem, n: int = 100, *, seed: int = 7, draws: int = 400, importance: int = 0
) -> dict[str, F64]:
    """Simulation-based calibration: fit ``n`` synthetic data sets with known truth.

    Each data set draws the unknowns from their priors, computes the expected
    rows with the expected-value mode and draws observations from the
    observation model; then it is fitted like real data.

    Returns:
        ``inside50`` and ``inside90`` (n, d) booleans (truth inside the central
        50% / 90% posterior interval) and ``rank`` (n, d), the truth's rank
        among the draws (uniform when calibrated).
    """
    rng = np.random.default_rng([seed, 99])
    d = prob.dim
    truth = np.stack(
        [prior_quantiles(u.prior, rng.uniform(1e-6, 1 - 1e-6, n)) for u in prob.unknowns], axis=1
    )
    z_true = np.stack([to_z(u.prior, truth[:, j]) for j, u in enumerate(prob.unknowns)], axis=1)
    mu, _ = prob.values(z_true)
    data = prob.likelihood.sample(mu, rng)
    rows0, lik0 = prob.rows, prob.likelihood
    inside50 = np.zeros((n, d), bool)
    inside90 = np.zeros((n, d), bool)
    rank = np.zeros((n, d))
    try:
        for i in range(n):
            rows = [
                _synthetic_row(r, float(v), float(m), lik0, rng)
                for r, v, m in zip(rows0, data[i], mu[i], strict=True)
            ]
            prob.rows = rows
            prob.likelihood = Likelihood(rows, lik0.om)
            post = fit(prob, seed=seed + i, draws=draws, importance=importance)
            q = np.quantile(post.z_draws, [0.05, 0.25, 0.75, 0.95], axis=0)
            inside50[i] = (z_true[i] >= q[1]) & (z_true[i] <= q[2])
            inside90[i] = (z_true[i] >= q[0]) & (z_true[i] <= q[3])
            rank[i] = (post.z_draws < z_true[i]).mean(axis=0)
    finally:
        prob.rows, prob.likelihood = rows0, lik0
    return {"inside50": inside50, "inside90": inside90, "rank": rank}


def _synthetic_row(r: Row, v: float, mu: float, lik: Likelihood, rng: np.random.Generator) -> Row:
    """A row with a synthetic observation drawn as the likelihood assumes.

    A reported range is the bin (of the original range's width, on a fixed
    grid) that a normal draw around the expectation falls in, so the interval
    likelihood is exact for it; counts and estimates take the drawn value.
    """
    if r.kind != "range":
        return dataclasses.replace(r, observed=v, low=v, high=v)
    s = lik.om.range_sd * max(abs(r.observed), 1.0)
    x = mu + s * float(rng.standard_normal())
    width = (r.high - r.low) if not (np.isnan(r.low) or np.isnan(r.high)) else 2 * s
    lo = np.floor(x / width) * width
    return dataclasses.replace(r, low=float(lo), high=float(lo + width))
