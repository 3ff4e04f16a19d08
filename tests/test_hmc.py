"""The default sampler: HMC on a surrogate, importance-corrected to the exact posterior."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from crossings.calibrate.fit import fd_points, fit, prepare
from crossings.calibrate.hmc import Chains, Surrogate, chain_ess, split_rhat
from crossings.calibrate.params import ParamSpace
from crossings.scenario import load_scenario
from crossings.scenario.load import builtin_path

SMALL = Path(__file__).parent / "data" / "calib_small.yaml"


@pytest.fixture(scope="module")
def problem():  # type: ignore[no-untyped-def]
    return prepare(load_scenario(SMALL))


@pytest.fixture(scope="module")
def nk_space() -> ParamSpace:
    sc = load_scenario(builtin_path("north-korea")).scenario
    assert sc.calibration is not None
    return ParamSpace(list(sc.calibration.unknowns))


def _fd_grad(f, z: np.ndarray, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = np.zeros_like(z)
    for j in range(z.shape[1]):
        e = np.zeros(z.shape[1])
        e[j] = h
        out[:, j] = (f(z + e) - f(z - e)) / (2 * h)
    return out


def test_natural_coordinates_gradient_is_the_chain_rule(nk_space: ParamSpace) -> None:
    """natural_vjp equals central differences of natural on North Korea's 133 coordinates."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, nk_space.dim))
    a = rng.standard_normal((3, nk_space.n_natural))
    got = nk_space.natural_vjp(z, a)
    want = _fd_grad(lambda x: (nk_space.natural(x) * a).sum(axis=1), z)
    np.testing.assert_allclose(got, want, atol=1e-6 * np.abs(want).max())
    # one natural coordinate per scalar and per series knot; its Jacobian has full row rank
    assert nk_space.n_natural == sum(len(b.knots) or 1 for b in nk_space.blocks)
    jac = nk_space.natural_jacobian(z[0])
    assert jac.shape == (nk_space.n_natural, nk_space.dim)
    assert np.linalg.matrix_rank(jac) == nk_space.n_natural


def test_natural_coordinates_determine_the_components(nk_space: ParamSpace) -> None:
    """Two z with the same natural coordinates give the same scenario numbers (funnel removed)."""
    rng = np.random.default_rng(1)
    z = rng.standard_normal((1, nk_space.dim))
    z2 = z.copy()
    b = next(b for b in nk_space.blocks if b.is_series)
    step_prior = b.unknown.smoothness.step_sd  # type: ignore[union-attr]
    assert step_prior.distribution == "lognormal"
    # double the step size and halve the steps: the same walk
    z2[0, b.start + 1] += math.log(2.0) / float(step_prior.sigma)  # type: ignore[arg-type]
    z2[0, b.start + 2 : b.start + b.size] /= 2.0
    assert not np.allclose(z2, z)
    np.testing.assert_allclose(nk_space.natural(z2), nk_space.natural(z), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nk_space.values(z2), nk_space.values(z), rtol=1e-12)


def test_surrogate_has_the_models_slopes_at_its_point(problem) -> None:  # type: ignore[no-untyped-def]
    """At the expansion point the surrogate's Jacobian in z is the model's (chain rule exact)."""
    z0 = np.array([0.3, -0.2, 0.1])[: problem.dim]
    out = problem.evaluate(fd_points(z0, 1e-5))
    mu = out["fit"][0]
    jac = (out["fit"][1:] - mu).T / 1e-5
    sur = Surrogate.at(problem.space, problem.likelihood, z0, mu, jac)
    np.testing.assert_allclose(np.exp(sur.log_mu(z0[None]))[0], mu, rtol=1e-12)
    got = _fd_grad(lambda x: sur.log_mu(x)[:, 0], z0[None], 1e-6)[0]
    np.testing.assert_allclose(got, jac[0] / mu[0], rtol=1e-4, atol=1e-8)
    # the surrogate's log posterior gradient matches its own differences
    lp, grad = sur.log_density(z0[None] + 0.05)
    fd = _fd_grad(lambda x: sur.log_density(x)[0], z0[None] + 0.05, 1e-6)
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-4)
    assert np.isfinite(lp).all()


def test_chains_sample_a_correlated_normal_at_the_right_moments() -> None:
    """HMC on a 20-d correlated normal: means and variances within their Monte Carlo error."""
    d = 20
    rng = np.random.default_rng(2)
    a = rng.standard_normal((d, d))
    cov = a @ a.T / d + np.diag(np.linspace(0.05, 3.0, d))
    prec = np.linalg.inv(cov)
    mean = np.linspace(-1, 1, d)

    def logp(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = z - mean
        return -0.5 * np.einsum("ij,jk,ik->i", y, prec, y), -y @ prec

    ch = Chains(logp, rng.standard_normal((8, d)), np.eye(d), rng)
    ch.warm_up(300)
    draws, acc = ch.sample(400)
    assert 0.6 < acc < 0.97
    n_eff = chain_ess(draws)
    assert np.all(split_rhat(draws) < 1.02)
    flat = draws.reshape(-1, d)
    se = np.sqrt(np.diag(cov) / n_eff)
    assert np.all(np.abs(flat.mean(axis=0) - mean) < 4.5 * se)
    # the variance of a normal sample has relative sd sqrt(2 / n_eff)
    rel = flat.var(axis=0) / np.diag(cov) - 1
    assert np.all(np.abs(rel) < 4.5 * np.sqrt(2 / n_eff))


def test_chain_ess_and_rhat_on_known_processes() -> None:
    """Independent draws: ESS ≈ N; AR(1) with ρ: ESS ≈ N(1−ρ)/(1+ρ); shifted chains: R-hat > 1.1."""
    rng = np.random.default_rng(3)
    iid = rng.standard_normal((4, 2000, 3))
    e = chain_ess(iid)
    assert np.all(np.abs(e / 8000 - 1) < 0.15)
    rho = 0.8
    x = np.zeros((4, 5000, 1))
    noise = rng.standard_normal((4, 5000, 1)) * math.sqrt(1 - rho**2)
    for t in range(1, 5000):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    want = 20000 * (1 - rho) / (1 + rho)
    assert abs(chain_ess(x)[0] / want - 1) < 0.25
    assert np.all(split_rhat(iid) < 1.01)
    shifted = iid + np.array([0.0, 0.0, 1.0, 1.0])[:, None, None]
    assert np.all(split_rhat(shifted) > 1.1)


def test_hmc_fit_same_seed_same_posterior_and_agrees_with_importance(problem) -> None:  # type: ignore[no-untyped-def]
    """HMC: deterministic by seed, ESS reached, quantiles as importance sampling's."""
    a = fit(problem, method="hmc", seed=5, draws=400, target_ess=400)
    b = fit(problem, method="hmc", seed=5, draws=400, target_ess=400)
    assert a.method == "hmc"
    assert np.array_equal(a.z, b.z)
    assert a.ess >= 400 and a.khat is not None and a.khat < 0.7
    c = a.chains
    assert c is not None and c.rhat_max < 1.05 and c.ess_min >= 400
    # a divergent transition only costs efficiency here (the weights correct the draws)
    assert c.divergent <= 0.02 * c.chains * c.iterations
    ref = fit(problem, seed=6, method="importance", draws=4000, target_ess=2000)
    assert ref.method == "importance"
    ta, tr = problem.space.values(a.z), problem.space.values(ref.z)
    # medians agree within a few Monte Carlo standard errors of a median (≈ 1.25 sd / √ESS)
    tol = 4 * 1.25 * tr.std(axis=0) * math.sqrt(1 / a.ess + 1 / ref.ess)
    assert np.all(np.abs(np.median(ta, axis=0) - np.median(tr, axis=0)) < tol)


def test_surrogate_is_exact_in_the_inflows_and_a_refit_learns_curvature(problem) -> None:  # type: ignore[no-untyped-def]
    """Linear bracket: exact for a model linear in an inflow's value; refit: recovers a
    quadratic log response (cross terms included) from exact values at scattered points."""
    sp = problem.space
    n = sp.n_natural
    rng = np.random.default_rng(7)
    z0 = np.zeros(sp.dim)
    t0 = sp.natural(z0[None])[0]
    R = 5
    lm0 = rng.normal(5.0, 1.0, R)
    g = rng.uniform(0.2, 1.0, (R, n))
    g[:, 0] = rng.uniform(0.3, 1.0, R)  # share of each row from the inflow
    linear = np.zeros(n, bool)
    linear[0] = True
    curv = rng.normal(0.0, 0.3, (R, n, n))
    curv = (curv + curv.transpose(0, 2, 1)) / 2

    def truth(z: np.ndarray, quadratic: bool) -> np.ndarray:
        dt = sp.natural(z) - t0
        out = lm0 + np.log1p(np.expm1(dt[:, :1]) @ g[:, :1].T) + dt[:, 1:] @ g[:, 1:].T
        if quadratic:
            out = out + 0.5 * np.einsum("pa,rab,pb->pr", dt, curv, dt)
        return np.asarray(out, np.float64)

    # the tangent: the slopes in z of the linear-plus-log-linear truth at z0
    h = 1e-6
    jz = np.stack(
        [
            (truth(z0[None] + h * e, False) - truth(z0[None] - h * e, False))[0] / (2 * h)
            for e in np.eye(sp.dim)
        ],
        axis=1,
    )
    mu0 = np.exp(lm0)
    sur = Surrogate.at(sp, problem.likelihood, z0, mu0, jz * mu0[:, None], linear)
    z = rng.normal(0.0, 1.0, (50, sp.dim))
    np.testing.assert_allclose(sur.log_mu(z), truth(z, False), atol=1e-6)
    # the refit learns the quadratic part from exact values at 400 points
    pts = rng.normal(0.0, 1.0, (400, sp.dim))
    fitted = sur.refit(pts, np.exp(truth(pts, True)), np.ones(400))
    err = np.abs(fitted.log_mu(z) - truth(z, True))
    assert err.max() < 0.02, err.max()
    assert np.abs(sur.log_mu(z) - truth(z, True)).max() > 0.2  # the tangent alone misses it
