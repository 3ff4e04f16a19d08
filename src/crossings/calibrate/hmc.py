"""The exact posterior by Hamiltonian Monte Carlo on a surrogate, corrected by importance weights.

Every evaluation of the exact likelihood is one propagation of the
expected-value mode (a tenth to a fifth of a second per parameter set on North
Korea), far too slow for the hundreds of thousands of gradient evaluations a
Markov chain in 133 dimensions needs. So the chains run on a **surrogate**,
and the exact likelihood is evaluated only at the draws kept:

1. **Surrogate.** Every fitted row's expected value as a function of the
   *natural coordinates* (:meth:`ParamSpace.natural`: the log of each scalar
   unknown and of each series knot): linear in the values of the unknowns
   that only move inflows or start stocks (agents never interact, so every
   tally is linear in the people entering), log-linear in the others, with
   the slopes the mode search already computed (its last fresh Jacobian,
   carried from ``z`` to the natural coordinates by the chain rule). The map
   from ``z`` to the natural coordinates is kept exact, so the product of a
   random walk's step size and its steps (the funnel that makes a Gaussian
   proposal on ``z`` hopeless) is in the surrogate, and so is the exact shape
   of every row's likelihood (a range's flat middle, a bound's one side, the
   negative binomial's skew).
2. **Chains.** Vectorised HMC on the surrogate posterior (the prior exact, the
   surrogate likelihood raised to the power :data:`TEMPER` for lighter weight tails):
   several chains in one array, the step size tuned by dual averaging and the
   metric by the chains' own covariance during warm-up; split R-hat and the
   effective sample size of every coordinate are kept as diagnostics.
3. **Correction.** At draws thinned from the chains, the exact expected-value
   mode is run and each draw is weighted by exact / surrogate likelihood,
   Pareto-smoothed (:func:`~crossings.calibrate.sample.psis`). These draws are
   then draws of the exact posterior; the weights' effective sample size and
   shape ``k̂`` say how good the surrogate was. When ``k̂`` is too high, the
   surrogate's slopes are refitted to the exact values at the draws (a least
   squares secant, which fits the posterior's bulk rather than the mode) and
   the chains run again.

The effective sample size reported is the importance sample's, scaled down by
the chains' own (``min(1, chain ESS / draws)``): the draws are only as
independent as the chains made them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from crossings.calibrate.observe import Likelihood
from crossings.calibrate.params import ParamSpace
from crossings.calibrate.sample import (
    HOPELESS_KHAT,
    Evaluate,
    Sample,
    ess,
    psd_cholesky,
    psis,
)

F64 = NDArray[np.float64]
log = logging.getLogger(__name__)


KHAT_OK = 0.7
"""Pareto shape below which importance weights are reliable (Vehtari et al.)."""

MAX_REFITS = 2
"""Refits of the surrogate to exact values when the weights are unreliable."""


# ---------------------------------------------------------------------- surrogate
QUAD_DIRECTIONS = 8
"""Directions of the posterior's spread that a refitted surrogate is quadratic in."""

TEMPER = 0.85
"""Power of the surrogate likelihood the chains sample (see :attr:`Surrogate.temper`)."""


@dataclass
class Surrogate:
    """Expected values of the fitted rows as a function of the natural coordinates.

    With ``Δt = natural(z) − t0``, ``L`` the coordinates the model is linear in
    (the values of inflows and start stocks: agents never interact, so every
    tally is linear in them) and ``H`` the others (hazards, probabilities,
    shares, policy factors)::

        log mu = log_mu0 + log(1 + G_L·(exp(Δt_L) − 1)) + G_H·Δt_H + ½ qᵀ Q_r q,   q = Vᵀ Δt

    — exact in the inflows when nothing else moves, log-linear in the rest
    (the tangent at the mode), and after a refit to exact values also
    quadratic along the few directions ``V`` in which the posterior spreads.

    Attributes:
        space: The parameter space.
        likelihood: The fitted rows' likelihood.
        t0: Natural coordinates of the expansion point (n,).
        log_mu0: Log expected values there (R,).
        slopes: ``G``: d log mu / d natural at ``t0`` (R, n).
        linear: Which natural coordinates the model is linear in (n,).
        directions: ``V`` (n, k), orthonormal (k = 0: no quadratic part).
        curvature: ``Q`` (R, k, k), symmetric.
        temper: Power of the surrogate likelihood in the density the chains
            sample (below 1: a proposal a little wider than the surrogate
            posterior, so that the importance weights keep a light tail where
            the surrogate is narrower than the exact posterior).
    """

    space: ParamSpace
    likelihood: Likelihood
    t0: F64
    log_mu0: F64
    slopes: F64
    linear: NDArray[np.bool_]
    directions: F64
    curvature: F64
    temper: float = TEMPER

    @classmethod
    def at(
        cls,
        space: ParamSpace,
        likelihood: Likelihood,
        z: F64,
        mu: F64,
        jac: F64,
        linear: NDArray[np.bool_] | None = None,
    ) -> Surrogate:
        """The tangent surrogate at ``z`` from the expected values and their Jacobian in ``z``.

        Args:
            space: The parameter space.
            likelihood: The fitted rows' likelihood.
            z: The point (dim,).
            mu: Expected values of the fitted rows there (R,).
            jac: Their derivatives in ``z`` (R, dim).
            linear: Natural coordinates (log values) the model is linear in
                the value of (``None``: none).
        """
        mu = np.maximum(np.asarray(mu, np.float64), 1e-9)
        jz = jac / mu[:, None]  # d log mu / dz
        tj = space.natural_jacobian(z)  # (n, dim), full row rank
        # jz = G · tj  →  G = jz · tjᵀ (tj tjᵀ)⁻¹
        gram = tj @ tj.T
        slopes = np.asarray(np.linalg.solve(gram, tj @ jz.T).T, np.float64)
        n = slopes.shape[1]
        lin = np.zeros(n, bool) if linear is None else np.asarray(linear, bool)
        return cls(
            space,
            likelihood,
            space.natural(z[None])[0],
            np.log(mu),
            slopes,
            lin,
            np.zeros((n, 0)),
            np.zeros((mu.size, 0, 0)),
        )

    def refit(self, z: F64, mu: F64, weights: F64) -> Surrogate:
        """A surrogate fitted by weighted least squares to exact values.

        The slopes in the non-linear coordinates and a quadratic part along
        the :data:`QUAD_DIRECTIONS` principal directions of the points'
        weighted spread are fitted to what the linear bracket leaves; a
        small ridge pulls the slopes towards the tangent ones (so directions
        the points do not explore keep them) and the curvature towards zero.

        Args:
            z: Points where the exact values are known (N, dim).
            mu: The exact expected values of the fitted rows there (N, R).
            weights: Weight of each point (the fit follows the posterior's bulk).
        """
        dt = self.space.natural(z) - self.t0
        lin, hz = self.linear, ~self.linear
        y = np.log(np.maximum(mu, 1e-9)) - self.log_mu0 - self._linear_part(dt)[0]
        w = np.maximum(np.asarray(weights, np.float64), 0.0)
        w = w / w.sum()
        dh = dt[:, hz]
        nh = dh.shape[1]
        # the quadratic part spans every coordinate: it also carries the cross terms
        # between inflows and hazards that the linear bracket leaves out
        mean = w @ dt
        cov = ((dt - mean) * w[:, None]).T @ (dt - mean)
        vals, vecs = np.linalg.eigh(cov)
        big = int(np.sum(vals > 1e-12 * max(float(vals.max()), 1e-300)))
        k = min(QUAD_DIRECTIONS, dt.shape[1], big)
        v = vecs[:, ::-1][:, :k]
        q = dt @ v
        iu = np.triu_indices(k)
        quad = 0.5 * q[:, iu[0]] * q[:, iu[1]] * np.where(iu[0] == iu[1], 1.0, 2.0)
        x = np.concatenate([dh, quad], axis=1)
        sw = np.sqrt(w * len(w))[:, None]
        a = x * sw
        scale = np.maximum(np.einsum("ij,ij->j", a, a) / len(w), 1e-12)
        lam = 1e-3 * scale * len(w)
        centre = np.concatenate([self.slopes[:, hz], np.zeros((y.shape[1], quad.shape[1]))], axis=1)
        lhs = a.T @ a + np.diag(lam)
        rhs = a.T @ (y * sw) + (lam[:, None] * centre.T)
        coef = np.linalg.solve(lhs, rhs).T  # (R, nh + k(k+1)/2)
        slopes = self.slopes.copy()
        slopes[:, hz] = coef[:, :nh]
        curv = np.zeros((y.shape[1], k, k))
        curv[:, iu[0], iu[1]] = coef[:, nh:]
        curv[:, iu[1], iu[0]] = coef[:, nh:]
        return Surrogate(
            self.space, self.likelihood, self.t0, self.log_mu0, slopes, lin, v, curv, self.temper
        )

    def _linear_part(self, dt: F64) -> tuple[F64, F64]:
        """``log(1 + G_L·(exp(Δt_L) − 1))`` (P, R) and the bracket itself."""
        lin = self.linear
        if not lin.any():
            zero = np.zeros((dt.shape[0], self.log_mu0.size))
            return zero, zero + 1.0
        inner = 1.0 + np.expm1(np.minimum(dt[:, lin], 700.0)) @ self.slopes[:, lin].T
        inner = np.maximum(inner, 1e-12)
        return np.log(inner), inner

    def _log_mu_t(self, dt: F64) -> tuple[F64, F64, F64]:
        """Log expected values from ``Δt`` (P, n), ``Vᵀ Δt`` (P, k) and the linear bracket."""
        part, inner = self._linear_part(dt)
        hz = ~self.linear
        out = self.log_mu0 + part + dt[:, hz] @ self.slopes[:, hz].T
        q = dt @ self.directions
        if q.shape[1]:
            out = out + 0.5 * np.einsum("pa,rab,pb->pr", q, self.curvature, q)
        return np.asarray(out, np.float64), q, inner

    def log_mu(self, z: F64) -> F64:
        """Surrogate log expected values at ``z`` (P, dim) → (P, R)."""
        return self._log_mu_t(self.space.natural(z) - self.t0)[0]

    def log_likelihood(self, z: F64) -> F64:
        """Surrogate log-likelihood at ``z`` (P, dim) → (P,), tempered (see :attr:`temper`)."""
        return self.temper * self.likelihood.total(np.exp(np.minimum(self.log_mu(z), 700.0)))

    def log_density(self, z: F64) -> tuple[F64, F64]:
        """Surrogate log posterior and its gradient at ``z`` (P, dim)."""
        # far out (a trajectory that diverges) values overflow: such a point is rejected
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._log_density(np.atleast_2d(z))

    def _log_density(self, z: F64) -> tuple[F64, F64]:
        dt = self.space.natural(z) - self.t0
        lm, q, inner = self._log_mu_t(dt)
        mu = np.maximum(np.exp(np.minimum(lm, 700.0)), 1e-9)
        lik = self.likelihood
        h = 1e-6 * mu
        d1 = (lik.per_row(mu + h) - lik.per_row(mu - h)) / (2 * h)  # d loglik / d mu
        # d (tempered) loglik / d log mu
        c = self.temper * np.nan_to_num(d1, nan=0.0, posinf=0.0, neginf=0.0) * mu
        lp = self.temper * lik.total(mu) - 0.5 * np.einsum("ij,ij->i", z, z)
        lin, hz = self.linear, ~self.linear
        g_t = np.zeros_like(dt)
        g_t[:, hz] = c @ self.slopes[:, hz]
        if lin.any():
            g_t[:, lin] = ((c / inner) @ self.slopes[:, lin]) * np.exp(
                np.minimum(dt[:, lin], 700.0)
            )
        if q.shape[1]:
            g_q = np.einsum("pr,rab,pb->pa", c, self.curvature, q)
            g_t = g_t + g_q @ self.directions.T
        grad = self.space.natural_vjp(z, g_t) - z
        return np.asarray(lp, np.float64), np.asarray(grad, np.float64)


# ---------------------------------------------------------------------- chains
@dataclass
class ChainStats:
    """What the Markov chains on the surrogate did.

    Attributes:
        chains: Number of chains.
        warmup: Warm-up iterations per chain.
        iterations: Kept iterations per chain (before thinning).
        step_size: Final leapfrog step size (in the metric's units).
        leapfrog_steps: Leapfrog steps per iteration.
        accept: Mean acceptance probability after warm-up.
        divergent: Iterations after warm-up whose energy error exceeded 1,000.
        rhat_max: Largest split R-hat over the coordinates.
        ess_min: Smallest effective sample size over the coordinates.
        gradients: Surrogate gradient evaluations (per chain).
    """

    chains: int
    warmup: int
    iterations: int
    step_size: float
    leapfrog_steps: int
    accept: float
    divergent: int
    rhat_max: float
    ess_min: float
    gradients: int

    def as_dict(self) -> dict[str, float | int]:
        """For ``calibration.json``."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


LogDensity = Callable[[F64], tuple[F64, F64]]


class Chains:
    """Vectorised HMC chains with a dense metric, tuned during warm-up.

    Args:
        logp: Log density and gradient at points (C, dim).
        start: Starting points (C, dim).
        cov: Initial metric (the inverse mass matrix), e.g. the Laplace covariance.
        rng: Random numbers (the chains' only source).
        trajectory: Integration time per iteration, in the metric's units.
    """

    def __init__(
        self,
        logp: LogDensity,
        start: F64,
        cov: F64,
        rng: np.random.Generator,
        *,
        trajectory: float = 1.6,
    ) -> None:
        self.logp = logp
        self.rng = rng
        self.z = np.array(start, np.float64)
        self.lp, self.grad = logp(self.z)
        self.chol = psd_cholesky(cov)
        self.trajectory = trajectory
        self.eps = 0.5 / max(self.z.shape[1], 1) ** 0.25
        self.gradients = 0
        self.divergent = 0

    @property
    def n_steps(self) -> int:
        """Leapfrog steps per iteration at the current step size."""
        return self._steps_for(self.eps)

    def _steps_for(self, eps: float) -> int:
        return int(min(max(math.ceil(self.trajectory / eps), 1), 128))

    def _jittered(self) -> float:
        """The step size for one iteration: the tuned one, jittered by ±20%."""
        return float(self.eps * self.rng.uniform(0.8, 1.2))

    def step(self, eps: float) -> F64:
        """One HMC iteration of every chain with step size ``eps``; the acceptance probabilities."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._step(eps)

    def _step(self, eps: float) -> F64:
        c, d = self.z.shape
        n = self._steps_for(eps)
        r = self.rng.standard_normal((c, d))
        z, g = self.z.copy(), self.grad
        lt = self.chol.T
        h0 = -self.lp + 0.5 * np.einsum("ij,ij->i", r, r)
        r = r + 0.5 * eps * (g @ self.chol)
        lp = self.lp
        for i in range(n):
            z = z + eps * (r @ lt)
            lp, g = self.logp(z)
            if i < n - 1:
                r = r + eps * (g @ self.chol)
        r = r + 0.5 * eps * (g @ self.chol)
        self.gradients += n
        h1 = -lp + 0.5 * np.einsum("ij,ij->i", r, r)
        dh = np.where(np.isfinite(h1), h1 - h0, np.inf)
        acc = np.exp(np.minimum(-dh, 0.0))
        self.divergent += int(np.sum(dh > 1000.0))
        take = self.rng.uniform(size=c) < acc
        self.z[take], self.lp[take], self.grad[take] = z[take], lp[take], g[take]
        return np.asarray(acc, np.float64)

    def warm_up(self, iterations: int, *, target_accept: float = 0.8) -> None:
        """Tune the step size (dual averaging) and the metric (the chains' covariance).

        The first 40% of the iterations tune the step size with the initial
        metric; the metric is then replaced by the covariance of the second
        half of those iterations' draws, pooled over the chains (shrunk
        towards the initial one when there are few), and the rest tune the
        step size again.
        """
        first = max(int(0.4 * iterations), 1)
        seen: list[F64] = []
        self._adapt(first, target_accept, keep=seen)
        pooled = np.concatenate(seen[len(seen) // 2 :]) if seen else self.z
        n, d = pooled.shape
        cov = np.cov(pooled, rowvar=False).reshape(d, d)
        keep = n / (n + 5.0 * d)
        old = self.chol @ self.chol.T
        self.chol = psd_cholesky(keep * cov + (1 - keep) * np.diag(np.diag(old)))
        self.eps = max(self.eps, 0.1 / max(d, 1) ** 0.25)
        self._adapt(iterations - first, target_accept)

    def _adapt(self, iterations: int, target: float, keep: list[F64] | None = None) -> None:
        mu = math.log(10 * self.eps)
        hbar, log_bar = 0.0, math.log(self.eps)
        for t in range(1, iterations + 1):
            acc = self.step(self._jittered())
            if keep is not None:
                keep.append(self.z.copy())
            eta = 1.0 / (t + 10.0)
            hbar = (1 - eta) * hbar + eta * (target - float(np.mean(acc)))
            log_eps = mu - math.sqrt(t) / 0.05 * hbar
            w = t**-0.75
            log_bar = w * log_eps + (1 - w) * log_bar
            self.eps = math.exp(log_eps)
        self.eps = math.exp(log_bar)
        self.divergent = 0

    def sample(self, iterations: int) -> tuple[F64, float]:
        """Run ``iterations`` more iterations: the draws (C, iterations, dim), mean acceptance."""
        out = np.empty((self.z.shape[0], iterations, self.z.shape[1]))
        accs = []
        for t in range(iterations):
            accs.append(float(np.mean(self.step(self._jittered()))))
            out[:, t] = self.z
        return out, float(np.mean(accs)) if accs else 0.0


# ---------------------------------------------------------------------- diagnostics
def split_rhat(draws: F64) -> F64:
    """Split R-hat of every coordinate of chains ``draws`` (C, N, dim) → (dim,)."""
    _c, n, d = draws.shape
    half = n // 2
    if half < 2:
        return np.full(d, np.nan)
    parts = np.concatenate([draws[:, :half], draws[:, n - half :]], axis=0)
    w = parts.var(axis=1, ddof=1).mean(axis=0)
    b = half * parts.mean(axis=1).var(axis=0, ddof=1)
    var_plus = (half - 1) / half * w + b / half
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.sqrt(var_plus / w), np.float64)


def chain_ess(draws: F64) -> F64:
    """Effective sample size of every coordinate (Geyer's initial monotone sequence).

    The multi-chain autocorrelation as in Stan's ``ess_bulk`` (without rank
    normalisation): ``ρ_t = 1 − (W − mean autocovariance at t) / var⁺``.

    Args:
        draws: Chains (C, N, dim).
    """
    c, n, d = draws.shape
    if n < 4:
        return np.full(d, float(c * n))
    x = draws - draws.mean(axis=1, keepdims=True)
    m = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(x, n=m, axis=1)
    acov = np.fft.irfft(f * np.conj(f), n=m, axis=1)[:, :n] / n  # (C, n, d)
    chain_var = acov[:, 0] * n / (n - 1)
    w = chain_var.mean(axis=0)
    b = n * draws.mean(axis=1).var(axis=0, ddof=1) if c > 1 else np.zeros(d)
    var_plus = (n - 1) / n * w + b / n
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (w - acov.mean(axis=0)) / var_plus  # (n, d)
    rho[0] = 1.0
    out = np.empty(d)
    for j in range(d):
        r = np.nan_to_num(rho[:, j])
        pairs = r[: (n // 2) * 2].reshape(-1, 2).sum(axis=1)
        neg = np.nonzero(pairs <= 0)[0]
        pairs = pairs[: neg[0]] if neg.size else pairs
        pairs = np.minimum.accumulate(pairs) if pairs.size else pairs
        tau = -1.0 + 2.0 * float(pairs.sum()) if pairs.size else 1.0
        out[j] = c * n / max(tau, 1.0 / math.log10(max(c * n, 10)))
    return out


# ---------------------------------------------------------------------- driver
@dataclass
class HmcResult:
    """The corrected sample and what produced it.

    Attributes:
        sample: The importance-weighted exact sample.
        chains: The last chains' diagnostics.
        importance_ess: Effective sample size of the weights alone.
        refits: Times the surrogate was refitted to exact values.
    """

    sample: Sample
    chains: ChainStats
    importance_ess: float
    refits: int


def hmc_sample(
    evaluate: Evaluate,
    space: ParamSpace,
    likelihood: Likelihood,
    mode_z: F64,
    mode_mu: F64,
    mode_jac: F64,
    cov: F64,
    *,
    linear: NDArray[np.bool_] | None = None,
    seed: int,
    target_ess: float = 1000.0,
    chains: int = 16,
    warmup: int = 300,
    max_draws: int = 8000,
    progress: Callable[[str, float, str], None] | None = None,
) -> HmcResult:
    """Sample the exact posterior: HMC on the surrogate, importance-corrected.

    Every surrogate (the tangent first) gets a **pilot** of exact draws. If
    its weights are good (``k̂`` < 0.7 and an effective sample size of at
    least half its draws) sampling goes on with it; otherwise the surrogate is
    refitted to the exact values at all draws so far (:meth:`Surrogate.refit`)
    and the chains restart on it, at most :data:`MAX_REFITS` times (stopping
    early when a refitted one is still hopeless). Only the draws of the last
    surrogate are weighted (each surrogate is a different proposal), until the
    effective sample size reaches its target.

    Args:
        evaluate: The exact log posterior (and outputs to keep) at points.
        space: The parameter space.
        likelihood: The fitted rows' likelihood (the one ``evaluate`` uses).
        mode_z: The posterior mode (dim,).
        mode_mu: Expected values of the fitted rows at the mode (R,).
        mode_jac: Their Jacobian in ``z`` there (R, dim).
        cov: The Laplace covariance (the chains' first metric).
        linear: Natural coordinates the model is linear in the value of (see
            :class:`Surrogate`).
        seed: Seed (same seed, same sample).
        target_ess: Effective sample size to reach.
        chains: Chains run side by side.
        warmup: Warm-up iterations per chain.
        max_draws: Exact evaluations at most (over all rounds).
        progress: Called as ``progress(stage, fraction, detail)``.

    Returns:
        The weighted exact sample with the chains' diagnostics.
    """
    rng = np.random.default_rng([seed, 5151])
    sur = Surrogate.at(space, likelihood, mode_z, mode_mu, mode_jac, linear)
    want = math.ceil(1.25 * target_ess)
    n_feat = space.n_natural + QUAD_DIRECTIONS * (QUAD_DIRECTIONS + 1) // 2
    pilot = int(min(want, max(2 * n_feat, 8 * chains, 200)))
    spent = 0
    refits = 0
    pool_z: list[F64] = []
    pool_mu: list[F64] = []
    pool_w: list[F64] = []

    def run(rnd: _Round, budget: int) -> None:
        # every round starts with a pilot: a hopeless surrogate shows at once
        while rnd.n < budget:
            rnd.add(min(pilot if rnd.n == 0 else max(want // 2, chains), budget - rnd.n))
            if progress is not None:
                progress(
                    "sampling",
                    min(1.0, rnd.eff / target_ess),
                    f"{spent + rnd.n} exact evaluations, effective sample size "
                    f"{rnd.eff:,.0f}, k̂ {rnd.khat:.2f}",
                )
            if rnd.khat >= KHAT_OK or rnd.eff >= target_ess:
                return

    while True:
        rnd = _Round(sur, evaluate, space, rng, chains, warmup, mode_z, cov)
        if progress is not None:
            progress("sampling", 0.0, f"chains warmed up ({rnd.stats_line()})")
        run(rnd, pilot)
        if rnd.khat < KHAT_OK and rnd.ess_is >= 0.5 * rnd.n:
            # the surrogate is good enough: go on with it, pooling the pilot
            run(rnd, max_draws - spent)
        spent += rnd.n
        if rnd.eff >= target_ess and rnd.khat < KHAT_OK:
            break
        if refits >= MAX_REFITS or spent >= max_draws:
            break
        if refits and rnd.khat > HOPELESS_KHAT and rnd.ess_is < max(5.0, 0.02 * rnd.n):
            # a refitted surrogate that is still hopeless: another refit will not rescue it
            log.info("surrogate still hopeless after a refit (k̂ %.2f): stopping", rnd.khat)
            break
        refits += 1
        pool_z.append(rnd.z)
        pool_mu.append(rnd.mu)
        pool_w.append(0.5 * np.exp(rnd.lw) + 0.5 / rnd.n)
        log.info(
            "surrogate weights k̂ %.2f, ESS %.0f of %d: refitting the surrogate to %d exact values",
            rnd.khat,
            rnd.ess_is,
            rnd.n,
            sum(len(x) for x in pool_z),
        )
        sur = sur.refit(
            np.concatenate(pool_z), np.concatenate(pool_mu), np.concatenate(pool_w) / len(pool_w)
        )
    sample = Sample(
        z=rnd.z,
        log_w=rnd.lw,
        log_post=rnd.lp,
        outputs=rnd.outputs,
        ess=rnd.eff,
        khat=rnd.khat,
        rounds=refits + 1,
        evaluations=spent,
        failed=rnd.khat > HOPELESS_KHAT,
        sampler="hmc",
    )
    return HmcResult(sample, rnd.stats(), rnd.ess_is, refits)


class _Round:
    """Chains on one surrogate and the exact evaluations at their thinned draws."""

    def __init__(
        self,
        sur: Surrogate,
        evaluate: Evaluate,
        space: ParamSpace,
        rng: np.random.Generator,
        chains: int,
        warmup: int,
        mode_z: F64,
        cov: F64,
    ) -> None:
        self.sur, self.evaluate, self.space = sur, evaluate, space
        self.chains, self.warmup = chains, warmup
        start = _starts(rng, mode_z, cov, chains)
        self.ch = Chains(sur.log_density, start, cov, rng)
        self.ch.warm_up(warmup)
        self.kept: list[F64] = []
        self.accs: list[float] = []
        self.zs: list[F64] = []
        self.lps: list[F64] = []
        self.lss: list[F64] = []
        self.outs: list[dict[str, F64]] = []
        self.c_ess = np.zeros(space.dim)
        self.lw = np.zeros(0)
        self.khat = math.inf
        self.ess_is = 0.0

    @property
    def n(self) -> int:
        """Exact evaluations in this round."""
        return sum(len(z) for z in self.zs)

    @property
    def eff(self) -> float:
        """Effective sample size: the weights', scaled by the chains' own."""
        if not self.n:
            return 0.0
        return self.ess_is * min(1.0, float(self.c_ess.min()) / self.n)

    def stats_line(self) -> str:
        """The chains' tuning in words."""
        return f"step {self.ch.eps:.3f}, {self.ch.n_steps} leapfrog steps"

    def add(self, need: int) -> None:
        """Run the chains on and evaluate ``need`` more draws exactly (rounded up to chains)."""
        per_chain = max(math.ceil(need / self.chains), 1)
        fresh: list[F64] = []
        while True:
            # run until the chains' own ESS covers every draw kept, then thin evenly
            block, acc = self.ch.sample(2 * per_chain)
            self.accs.append(acc)
            fresh.append(block)
            self.kept.append(block)
            self.c_ess = chain_ess(np.concatenate(self.kept, axis=1))
            enough = float(self.c_ess.min()) >= self.n + per_chain * self.chains
            if enough or sum(b.shape[1] for b in fresh) >= 40 * per_chain:
                break
        new_iters = np.concatenate(fresh, axis=1)
        pick = np.linspace(0, new_iters.shape[1] - 1, per_chain).round().astype(int)
        znew = new_iters[:, pick].reshape(-1, self.space.dim)
        lp_exact, out = self.evaluate(znew)
        self.zs.append(znew)
        self.lps.append(np.asarray(lp_exact, np.float64))
        self.lss.append(self.sur.log_likelihood(znew) - 0.5 * np.einsum("ij,ij->i", znew, znew))
        self.outs.append(out)
        # the exact log prior carries the normalising constant; the surrogate's does not
        self.lw, self.khat = psis(self.lp - np.concatenate(self.lss))
        self.ess_is = ess(self.lw)

    @property
    def z(self) -> F64:
        """The evaluated draws."""
        return np.concatenate(self.zs)

    @property
    def lp(self) -> F64:
        """Exact log posterior at the draws."""
        return np.concatenate(self.lps)

    @property
    def outputs(self) -> dict[str, F64]:
        """Exact outputs at the draws."""
        return {k: np.concatenate([o[k] for o in self.outs]) for k in self.outs[0]}

    @property
    def mu(self) -> F64:
        """Exact expected values of the fitted rows at the draws."""
        return np.concatenate([o["fit"] for o in self.outs])

    def stats(self) -> ChainStats:
        """The chains' diagnostics."""
        allc = np.concatenate(self.kept, axis=1)
        return ChainStats(
            chains=self.chains,
            warmup=self.warmup,
            iterations=int(allc.shape[1]),
            step_size=float(self.ch.eps),
            leapfrog_steps=self.ch.n_steps,
            accept=float(np.mean(self.accs)),
            divergent=self.ch.divergent,
            rhat_max=float(np.nanmax(split_rhat(allc))),
            ess_min=float(self.c_ess.min()),
            gradients=self.ch.gradients,
        )


def _starts(rng: np.random.Generator, z: F64, cov: F64, n: int) -> F64:
    """Chain starts: the mode plus half-scale draws of the Laplace normal."""
    return np.asarray(z + 0.5 * rng.standard_normal((n, z.size)) @ psd_cholesky(cov).T, np.float64)


__all__ = [
    "ChainStats",
    "Chains",
    "HmcResult",
    "Surrogate",
    "chain_ess",
    "hmc_sample",
    "split_rhat",
]
