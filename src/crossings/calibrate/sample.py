"""Sampling the exact posterior: adaptive importance sampling with Pareto smoothing.

The posterior of a calibration is the expected-value likelihood times the
prior on standard normal coordinates (:mod:`crossings.calibrate.params`).
It is sampled by **importance sampling** from a heavy-tailed proposal built
on the Laplace approximation (a multivariate Student-t with 7 degrees of
freedom centred on the mode, with the Laplace covariance), improved over a
few rounds by moment matching to the weighted draws (adaptive importance
sampling; all rounds' draws are pooled with deterministic-mixture weights).
The weights are **Pareto-smoothed** (PSIS: Vehtari, Simpson, Gelman, Yao &
Gabry 2015/2024); the shape ``k̂`` of the generalised Pareto fitted to the
largest weights says whether the estimate can be trusted (``k̂ < 0.7``).

Why this method: every evaluation of the likelihood is one deterministic
propagation of the expected-value mode, and the propagations of many
parameter sets run together in one vectorised batch; importance sampling
needs no sequential chain, so the whole budget is spent in a few large
batches, and its diagnostics (effective sample size, ``k̂``) are honest about
when the proposal was not good enough.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

F64 = NDArray[np.float64]

NU = 7.0
"""Degrees of freedom of the Student-t proposal (heavier tails than the normal)."""

HOPELESS_KHAT = 1.0
"""A pilot's Pareto shape above which importance sampling cannot be rescued.

Above 1 the weights have no finite mean: more draws or moment matching to a
handful of effective draws do not help (Vehtari et al.), so the sampler stops
after the pilot and says so rather than spend its whole budget."""


# ---------------------------------------------------------------------- PSIS
def _gpd_fit(x: F64) -> tuple[float, float]:
    """Generalised Pareto shape ``k`` and scale ``σ`` (Zhang & Stephens 2009, as in PSIS).

    Args:
        x: Exceedances over the threshold, sorted increasingly (all > 0).
    """
    n = x.size
    prior_bs, prior_k = 3.0, 10.0
    m = 30 + int(math.sqrt(n))
    bs = 1.0 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))
    bs /= prior_bs * x[int(n / 4 + 0.5) - 1]
    bs += 1.0 / x[-1]
    ks = np.log1p(-bs[:, None] * x).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        L = n * (np.log(-(bs / ks)) - ks - 1.0)
        w = 1.0 / np.exp(L - L[:, None]).sum(axis=1)
    keep = np.isfinite(w) & (w >= 10 * np.finfo(float).eps)
    w, bs = w[keep], bs[keep]
    w /= w.sum()
    b = float((bs * w).sum())
    k = float(np.log1p(-b * x).mean())
    sigma = -k / b
    # weakly informative prior on k (towards 0.5), as in PSIS
    k = (n * k + prior_k * 0.5) / (n + prior_k)
    return k, sigma


def psis(log_w: F64) -> tuple[F64, float]:
    """Pareto-smoothed importance weights.

    Args:
        log_w: Log importance ratios (any constant offset).

    Returns:
        The smoothed log weights (normalised to sum to 1 on the natural
        scale) and the Pareto shape ``k̂`` (``inf`` when it cannot be fitted).
    """
    lw = np.asarray(log_w, np.float64).copy()
    finite = np.isfinite(lw)
    lw[~finite] = -np.inf
    n = lw.size
    lw -= lw[finite].max() if finite.any() else 0.0
    tail = int(min(math.ceil(0.2 * n), math.ceil(3 * math.sqrt(n))))
    khat = math.inf
    if tail >= 5 and finite.sum() > tail + 1:
        order = np.argsort(lw)
        cut = lw[order[-tail - 1]]
        idx = order[-tail:]
        exceed = np.exp(lw[idx]) - math.exp(cut)
        if np.all(exceed > 0):
            k, sigma = _gpd_fit(np.sort(exceed))
            khat = k
            if np.isfinite(k) and sigma > 0:
                p = (np.arange(1, tail + 1) - 0.5) / tail
                q = sigma * ((1 - p) ** (-k) - 1) / k if abs(k) > 1e-12 else -sigma * np.log1p(-p)
                smoothed = np.log(q + math.exp(cut))
                lw[idx[np.argsort(lw[idx])]] = np.minimum(smoothed, 0.0)
    lw -= special.logsumexp(lw)
    return lw, float(khat)


def ess(log_w: F64) -> float:
    """Effective sample size of normalised log weights: 1 / Σ w²."""
    w = np.exp(log_w - special.logsumexp(log_w))
    return float(1.0 / np.sum(w * w))


# ---------------------------------------------------------------------- proposal
def _t_logpdf(z: F64, mean: F64, chol: F64, nu: float = NU) -> F64:
    """Log density of a multivariate Student-t with scale ``chol @ chol.T``."""
    d = mean.size
    y = np.linalg.solve(chol, (z - mean).T).T
    q = np.einsum("ij,ij->i", y, y)
    logdet = 2.0 * float(np.log(np.diag(chol)).sum())
    return np.asarray(
        special.gammaln((nu + d) / 2)
        - special.gammaln(nu / 2)
        - 0.5 * d * math.log(nu * math.pi)
        - 0.5 * logdet
        - 0.5 * (nu + d) * np.log1p(q / nu),
        np.float64,
    )


def _t_draws(rng: np.random.Generator, n: int, mean: F64, chol: F64, nu: float = NU) -> F64:
    d = mean.size
    g = rng.standard_normal((n, d))
    chi = rng.chisquare(nu, n)
    return np.asarray(mean + (g @ chol.T) * np.sqrt(nu / chi)[:, None], np.float64)


def psd_cholesky(cov: F64) -> F64:
    """A Cholesky factor of a covariance, jittered (or floored) until it is positive definite."""
    cov = (cov + cov.T) / 2
    d = cov.shape[0]
    jitter = 1e-10 * max(float(np.trace(cov)) / max(d, 1), 1e-12)
    for _ in range(8):
        try:
            return np.linalg.cholesky(cov + jitter * np.eye(d))
        except np.linalg.LinAlgError:
            jitter *= 100
    w, v = np.linalg.eigh(cov)
    return np.linalg.cholesky((v * np.maximum(w, 1e-12)) @ v.T)


@dataclass
class Sample:
    """Weighted draws from the posterior.

    Attributes:
        z: The draws (N, dim) on the standard normal coordinates.
        log_w: Pareto-smoothed, normalised log weights (N,).
        log_post: Unnormalised log posterior density at each draw (N,).
        outputs: What the evaluation returned at each draw (name → (N, …)).
        ess: Effective sample size of the weights.
        khat: Pareto shape of the largest weights (< 0.7: reliable).
        rounds: Adaptation rounds used.
        evaluations: Model evaluations spent.
        failed: The pilot draws showed the proposal hopeless (see
            :data:`HOPELESS_KHAT`): sampling stopped there.
        sampler: Which sampler drew it: ``importance`` (a Student-t proposal)
            or ``hmc`` (chains on a surrogate, :mod:`crossings.calibrate.hmc`).
    """

    z: F64
    log_w: F64
    log_post: F64
    outputs: dict[str, F64]
    ess: float
    khat: float
    rounds: int
    evaluations: int
    failed: bool = False
    sampler: str = "importance"

    @property
    def weights(self) -> F64:
        """Normalised weights."""
        return np.asarray(np.exp(self.log_w), np.float64)

    def resample(self, n: int, seed: int) -> NDArray[np.int64]:
        """Indices of ``n`` draws resampled by the weights (systematic resampling)."""
        rng = np.random.default_rng([seed, 8181])
        cum = np.cumsum(self.weights)
        cum[-1] = 1.0
        u = (rng.uniform() + np.arange(n)) / n
        idx = np.searchsorted(cum, u, side="left")
        return np.asarray(rng.permutation(idx), np.int64)


Evaluate = Callable[[F64], tuple[F64, dict[str, F64]]]
"""``f(z) -> (log posterior (P,), outputs {name: (P, …)})`` for points ``z`` (P, dim)."""


def importance_sample(
    evaluate: Evaluate,
    mode: F64,
    cov: F64,
    *,
    seed: int,
    target_ess: float = 1000.0,
    first: int = 2000,
    more: int = 1000,
    max_rounds: int = 4,
    max_draws: int = 8000,
    pilot: int = 0,
    progress: Callable[[str, float, str], None] | None = None,
) -> Sample:
    """Draw from the posterior by adaptive, Pareto-smoothed importance sampling.

    Args:
        evaluate: The log posterior (and outputs to keep) at a batch of points.
        mode: The posterior mode (start of the proposal).
        cov: The Laplace covariance at the mode.
        seed: Seed of the proposal draws (same seed, same sample).
        target_ess: Stop when the effective sample size reaches this.
        first: Draws in the first round.
        more: Draws in each further round.
        max_rounds: Rounds at most (each refits the proposal to the weighted draws).
        max_draws: Draws at most over all rounds.
        pilot: Evaluate this many of the first round's draws first, and stop
            there if their Pareto shape exceeds :data:`HOPELESS_KHAT` (0: no pilot).
        progress: Called as ``progress(stage, fraction, detail)``.

    Returns:
        The weighted sample.
    """
    rng = np.random.default_rng([seed, 4747])
    d = mode.size
    proposals: list[tuple[F64, F64, int]] = []
    zs: list[F64] = []
    lps: list[F64] = []
    outs: list[dict[str, F64]] = []
    mean, chol = np.asarray(mode, np.float64), psd_cholesky(cov)
    total = 0
    lw = np.zeros(0)
    khat = math.inf
    ess_now = 0.0
    rounds = 0
    failed = False
    while rounds < max_rounds and total < max_draws:
        n = min(first if rounds == 0 else more, max_draws - total)
        z = _t_draws(rng, n, mean, chol)
        if rounds == 0 and pilot < n:
            # a pilot of the first round's own draws: a hopeless proposal shows at once
            lp_p, out_p = evaluate(z[:pilot])
            logq_p = _t_logpdf(z[:pilot], mean, chol)
            lw_p, k_p = psis(np.asarray(lp_p, np.float64) - logq_p)
            if progress is not None:
                progress(
                    "sampling",
                    0.0,
                    f"pilot of {pilot} draws, effective sample size {ess(lw_p):,.0f}, k̂ {k_p:.2f}",
                )
            if k_p > HOPELESS_KHAT:
                zs, lps, outs = [z[:pilot]], [np.asarray(lp_p, np.float64)], [out_p]
                total, rounds, khat, lw, ess_now, failed = pilot, 1, k_p, lw_p, ess(lw_p), True
                break
            lp_r, out_r = evaluate(z[pilot:])
            lp = np.concatenate([np.asarray(lp_p, np.float64), np.asarray(lp_r, np.float64)])
            out = {k: np.concatenate([out_p[k], out_r[k]]) for k in out_p}
        else:
            lp, out = evaluate(z)
        zs.append(z)
        lps.append(np.asarray(lp, np.float64))
        outs.append(out)
        proposals.append((mean, chol, n))
        total += n
        rounds += 1
        zall = np.concatenate(zs)
        lpall = np.concatenate(lps)
        # deterministic mixture: every draw is weighted against the mixture of all proposals
        logq = special.logsumexp(
            np.stack([math.log(nr) + _t_logpdf(zall, m, c) for m, c, nr in proposals]), axis=0
        ) - math.log(total)
        lw, khat = psis(lpall - logq)
        ess_now = ess(lw)
        if progress is not None:
            progress(
                "sampling",
                min(1.0, ess_now / target_ess),
                f"{total} draws, effective sample size {ess_now:,.0f}, k̂ {khat:.2f}",
            )
        if ess_now >= target_ess and khat < 0.7:
            break
        # moment-match the next proposal to the weighted draws (kept well-conditioned)
        w = np.exp(lw)
        mean = w @ zall
        dz = zall - mean
        wcov = (dz * w[:, None]).T @ dz
        shrink = min(1.0, ess_now / (4.0 * d + 10.0))
        chol = psd_cholesky(shrink * wcov + (1 - shrink) * cov)
    outputs = {k: np.concatenate([o[k] for o in outs]) for k in outs[0]} if outs else {}
    return Sample(
        z=np.concatenate(zs) if zs else np.zeros((0, d)),
        log_w=lw,
        log_post=np.concatenate(lps) if lps else np.zeros(0),
        outputs=outputs,
        ess=ess_now,
        khat=khat,
        rounds=rounds,
        evaluations=total,
        failed=failed,
    )


def weighted_quantiles(values: F64, weights: F64, q: F64 | list[float]) -> F64:
    """Quantiles of ``values`` (N, …) along the first axis under ``weights`` (N,)."""
    v = np.asarray(values, np.float64)
    w = np.asarray(weights, np.float64)
    qs = np.asarray(q, np.float64)
    flat = v.reshape(v.shape[0], -1)
    out = np.empty((qs.size, flat.shape[1]))
    for j in range(flat.shape[1]):
        order = np.argsort(flat[:, j], kind="stable")
        cw = np.cumsum(w[order])
        cw /= cw[-1]
        mid = cw - 0.5 * w[order] / w.sum()  # midpoints: a symmetric definition
        out[:, j] = np.interp(qs, mid, flat[order, j])
    return out.reshape((qs.size, *v.shape[1:]))


__all__ = [
    "HOPELESS_KHAT",
    "Evaluate",
    "Sample",
    "ess",
    "importance_sample",
    "psd_cholesky",
    "psis",
    "weighted_quantiles",
]
