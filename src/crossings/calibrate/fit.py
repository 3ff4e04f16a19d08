"""Bayesian calibration on the expected-value mode: the mode, Laplace, the exact posterior.

The unknowns live on standard normal coordinates (:mod:`crossings.calibrate.params`);
the likelihood compares the expected value of every fitted observation row
with what was observed (:mod:`crossings.calibrate.observe`). The fit:

1. **Mode.** Levenberg–Marquardt on the log posterior; every iteration is one
   batch of the expected-value mode (the point and a forward difference per
   coordinate). The curvature of the log-likelihood in the expected values is
   exact per row; through the model it uses the Gauss–Newton approximation.
2. **Laplace.** A normal approximation at the mode — the fast preview
   (``method="laplace"``); its predictive values use the model's
   log-linearisation around the mode.
3. **Exact posterior** (``method="importance"``, the default): adaptive,
   Pareto-smoothed importance sampling from a Student-t built on the Laplace
   fit (:mod:`crossings.calibrate.sample`). ``method="hmc"``: Hamiltonian
   Monte Carlo on a surrogate of the model in the unknowns' natural
   coordinates, each kept draw then run through the exact expected-value mode
   and importance-weighted by exact over surrogate likelihood
   (:mod:`crossings.calibrate.hmc`). Either way every draw kept is an
   exact evaluation of the model, so the predictive values of fitted rows,
   held-back checks and estimates are exact at the draws, not linearised.

Simulation-based calibration (:func:`sbc`) draws the truth from the prior
(``z ~ N(0, I)``), data from the observation model, and refits.
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
from crossings.calibrate.hmc import ChainStats, hmc_sample
from crossings.calibrate.observe import Likelihood
from crossings.calibrate.params import ParamSpace
from crossings.calibrate.sample import Sample, importance_sample
from crossings.calibrate.unknowns import (
    CalibrationError,
    Effect,
    InertUnknownError,
    applies,
    batch_arrays,
    component_value,
    linearise,
)
from crossings.compile.model import CompiledModel
from crossings.expected import ExpectedModel
from crossings.measure import Row, build_rows, initial_stocks, quantity_rows, row_values
from crossings.scenario.load import LoadedScenario
from crossings.scenario.schema import Calibration
from crossings.tallies import Tallies

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]
ProgressFn = Callable[[str, float, str], None]

MAX_BATCH = 32
"""Most parameter sets run through the expected-value mode at once."""

FD_STEP = 1e-4
"""Forward-difference step on the standard normal coordinates (the model is deterministic)."""

METHODS = ("hmc", "importance", "laplace")


@dataclass
class Problem:
    """A prepared calibration problem.

    Attributes:
        loaded: The scenario.
        model: Its compiled model.
        space: The unknowns as standard normal coordinates.
        effects: How each component moves the compiled arrays.
        rows: The fitted observation rows.
        likelihood: Their likelihood.
        ev: The expected-value mode of the model.
        check_rows: Observation rows held back as out-of-fit checks.
        estimate_rows: Rows of the declared estimates (one per year and sex).
        evaluations: Parameter sets evaluated so far.
    """

    loaded: LoadedScenario
    model: CompiledModel
    space: ParamSpace
    effects: list[Effect]
    rows: list[Row]
    likelihood: Likelihood
    ev: ExpectedModel
    check_rows: list[Row] = field(default_factory=list)
    estimate_rows: list[Row] = field(default_factory=list)
    evaluations: int = 0

    @property
    def dim(self) -> int:
        """Number of coordinates."""
        return self.space.dim

    def log_prior(self, z: F64) -> F64:
        """Log prior density of points ``z`` (P, dim) → (P,)."""
        return self.space.log_prior(z)

    def run(self, z: F64) -> Tallies[np.float64]:
        """The expected-value mode at points ``z`` (one parallel batch)."""
        return self._run(z)[0]

    def _run(self, z: F64) -> tuple[Tallies[np.float64], F64 | None]:
        """The expected-value mode at ``z``, and each set's start stocks if varied."""
        self.evaluations += z.shape[0]
        values = self.space.values(z)
        arrays = batch_arrays(self.model, self.effects, values)
        varied = any("initial" in e.entries for e in self.effects)
        start = initial_stocks(self.model, arrays["initial"]) if varied else None
        return self.ev.run(arrays), start

    def evaluate(self, z: F64) -> dict[str, F64]:
        """Expected values at ``z`` (P, dim): ``fit`` (P, R), ``checks``, ``estimates``.

        Points are run in batches of at most :data:`MAX_BATCH` (the
        expected-value mode keeps every step's stocks for each set in a batch).
        """
        z = np.atleast_2d(z)
        parts: dict[str, list[F64]] = {"fit": [], "checks": [], "estimates": []}
        for i in range(0, max(z.shape[0], 1), MAX_BATCH):
            b, start = self._run(z[i : i + MAX_BATCH])
            parts["fit"].append(row_values(b, self.model, self.rows, start))
            parts["checks"].append(row_values(b, self.model, self.check_rows, start))
            parts["estimates"].append(row_values(b, self.model, self.estimate_rows, start))
        return {k: np.concatenate(v) for k, v in parts.items()}

    def values(self, z: F64) -> tuple[F64, F64]:
        """Expected fitted rows (P, R) and estimate rows (P, E) at ``z``."""
        out = self.evaluate(z)
        return out["fit"], out["estimates"]

    def linear_naturals(self) -> NDArray[np.bool_]:
        """Which natural coordinates the expected values are linear in the value of.

        An unknown all of whose components move only inflow rates or start
        stocks (the people entering): agents never interact, so every tally is
        linear in them (:class:`~crossings.calibrate.hmc.Surrogate`).
        """
        inflow = [set(e.entries) <= {"combo_rate", "initial"} for e in self.effects]
        out: list[bool] = []
        col = 0
        for b in self.space.blocks:
            n = len(b.components)
            flag = all(inflow[col : col + n])
            out += [flag] * (len(b.knots) if b.is_series else 1)
            col += n
        return np.array(out, bool)

    def log_posterior(self, z: F64) -> tuple[F64, dict[str, F64]]:
        """Unnormalised log posterior at ``z`` (P, dim), and the expected values there."""
        out = self.evaluate(z)
        lp = self.likelihood.total(out["fit"]) + self.log_prior(z)
        return np.asarray(lp, np.float64), out


def prepare(
    loaded: LoadedScenario,
    *,
    before: int | None = None,
    rows: list[Row] | None = None,
    lump_days: int | None = None,
    exact: bool = False,
    drop_inert: bool = False,
) -> Problem:
    """Set up the calibration of a loaded scenario.

    Args:
        loaded: The scenario, with a ``calibration`` section.
        before: Fit only rows whose last year is before this year (a hold-out);
            the held-back checks and estimates are kept whole.
        rows: Use these rows instead of the scenario's observations (SBC).
        lump_days: Share one duration ring per sex in states whose duration
            can exceed this many days (see :class:`~crossings.expected.ExpectedModel`);
            ``None``: the scenario's ``calibration.approximation.lump_days``.
        exact: Ignore any lumping: the exact expected-value mode.
        drop_inert: Leave out unknowns that change nothing in this scenario (a
            structural alternative may make one inert, such as a factor on a
            rate it sets to zero) instead of refusing them.

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
    unknowns = [u for u in cal.unknowns if applies(sc, u)]
    dropped = [u.id for u in cal.unknowns if u not in unknowns]
    if dropped:
        log.info("unknowns that do not apply to this variant are left out: %s", dropped)
    if not unknowns:
        raise CalibrationError("none of the scenario's unknowns applies to this variant")
    while True:
        space = ParamSpace(unknowns)
        try:
            model, effects = linearise(sc, space.components)
            break
        except InertUnknownError as exc:
            if not drop_inert or len(unknowns) == 1:
                raise
            log.info("unknown %s changes nothing here and is left out", exc.unknown_id)
            unknowns = [u for u in unknowns if u.id != exc.unknown_id]
    checks = tuple(o.id for o in sc.observations if o.role == "check")
    if rows is None:
        rows = build_rows(sc, model, exclude=(*cal.exclude, *checks), before=before)
    if not rows:
        raise CalibrationError("no observation rows to fit inside the simulated span")
    check_rows = [
        r for r in build_rows(sc, model, exclude=tuple(cal.exclude)) if r.series in checks
    ]
    est_rows = [r for e in cal.estimates for r in quantity_rows(e.id, e.measure, model)]
    if lump_days is None and cal.approximation is not None:
        lump_days = cal.approximation.lump_days
    lump = None if exact or lump_days is None else max(1, lump_days // model.step_days)
    return Problem(
        loaded,
        model,
        space,
        effects,
        rows,
        Likelihood(rows, cal.observation_model),
        ExpectedModel(model, lump),
        check_rows,
        est_rows,
    )


def start_z(prob: Problem, *, from_prior: bool = False) -> F64:
    """The mode search's starting point.

    Args:
        prob: The problem.
        from_prior: Start at the prior medians (``z = 0``) instead of the
            scenario's own values — a hold-out validation does, so that no
            number written in the scenario can carry information from the
            held-out years into the fit.
    """
    if from_prior:
        return np.zeros(prob.dim)
    values = np.array([component_value(prob.loaded.scenario, c) for c in prob.space.components])
    z = prob.space.coordinates_of(values[None])[0]
    return np.asarray(
        np.clip(np.nan_to_num(z, nan=0.0, posinf=6.0, neginf=-6.0), -6.0, 6.0), np.float64
    )


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


@dataclass
class Mode:
    """The posterior mode and the model's derivatives there.

    Attributes:
        z: The mode (dim,).
        cov: The Laplace covariance (dim, dim).
        values: Expected values at the mode (``fit``, ``checks``, ``estimates``).
        jac: Their derivatives in ``z`` (name → (rows, dim)).
        log_post: Log posterior density at the mode.
        iterations: Fresh forward-difference Jacobians computed (the count a resumed
            search continues from).
        converged: Whether a stopping rule was met (not the iteration limit).
        stopped_by: Which rule stopped the search: ``"newton step"`` (the next step
            is a small fraction of a posterior sd, or promises < 0.01 in log density),
            ``"no gain"`` (the log posterior rose by less than :data:`FTOL` over
            the last :data:`FTOL_JACOBIANS` fresh Jacobians), ``"limit"`` or
            ``"damping"`` (not converged).
    """

    z: F64
    cov: F64
    values: dict[str, F64]
    jac: dict[str, F64]
    log_post: float
    iterations: int
    converged: bool
    stopped_by: str = "newton step"


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


def _full(prob: Problem, z: F64, h: float) -> tuple[dict[str, F64], dict[str, F64]]:
    """Values at ``z`` and their forward-difference Jacobians (one batch of d + 1 sets)."""
    out = prob.evaluate(fd_points(z, h))
    values = {k: v[0] for k, v in out.items()}
    jac = {k: ((v[1:] - v[0]) / h).T for k, v in out.items()}  # (rows, dim)
    return values, jac


def _newton_parts(
    prob: Problem, values: dict[str, F64], jac: dict[str, F64], z: F64
) -> tuple[F64, F64]:
    """Gradient of the log posterior and the Gauss–Newton Hessian of its negative."""
    d1, d2 = _derivs(prob.likelihood, values["fit"])
    J = jac["fit"].T  # (dim, R)
    g = J @ d1 - z
    Hm = (J * (-d2)) @ J.T + np.eye(prob.dim)
    return g, Hm


MAX_CHEAP_STEPS = 40
"""Broyden-updated steps at most between two full forward-difference Jacobians."""

FTOL = 0.01
"""Log-posterior gain below which the search has stopped making progress (see FTOL_JACOBIANS)."""

FTOL_JACOBIANS = 3
"""Fresh Jacobians over which a gain below :data:`FTOL` ends the search as converged.

The Gauss–Newton model can keep predicting a gain the exact log posterior does not
show (the curvature of the model itself is left out), so the step test alone may
never pass; a log posterior that rose by less than 0.01 over three fresh Jacobians,
each followed by accepted steps, is the function tolerance of least-squares solvers
(``ftol``): moving on would change no interval.
"""


def find_mode(
    prob: Problem,
    *,
    max_iter: int = 30,
    from_prior: bool = False,
    start: F64 | None = None,
    checkpoint: Path | None = None,
    progress: ProgressFn | None = None,
) -> Mode:
    """Levenberg–Marquardt to the posterior mode, then the Laplace covariance there.

    The Jacobian of the expected values in the coordinates is computed by
    forward differences (one batch of ``d + 1`` parameter sets) and, between
    two such batches, updated by Broyden's rank-one rule from each trial
    step (one parameter set per step): a step is accepted only on the exact
    log posterior at the trial point, and convergence is declared only when
    a freshly differenced Jacobian confirms it, so the cheap updates change
    the cost, not the mode or the Laplace covariance.

    Args:
        prob: The problem.
        max_iter: Full Jacobian evaluations at most (each costs ``d + 1``
            parameter sets; the cheap Broyden steps between them are not counted).
        from_prior: Start from the prior medians (see :func:`start_z`).
        start: Start here instead (for example the mode of a related fit).
        checkpoint: Folder for a checkpoint after every step (and to resume from).
        progress: Called as ``progress(stage, fraction, detail)``.
    """
    d = prob.dim
    lik = prob.likelihood
    h = FD_STEP
    state = _load(checkpoint, "mode")
    if state is not None and state["z"].shape == (d,):
        z = state["z"]
        lam = float(state["lam"])
        it0 = int(state["iter"])
        log.info("resuming calibration at iteration %d", it0)
    else:
        z = (
            np.asarray(start, np.float64).copy()
            if start is not None
            else start_z(prob, from_prior=from_prior)
        )
        lam, it0 = 1e-3, 0
    it = it0
    steps = 0

    def report(extra: str = "") -> None:
        if progress is not None:
            progress(
                "finding the mode",
                min(1.0, (it - it0) / max_iter),
                f"Jacobian {it}, {steps} steps{extra}, {prob.evaluations} model evaluations",
            )

    def refresh(at: F64) -> tuple[dict[str, F64], dict[str, F64], float]:
        nonlocal it
        vals, jc = _full(prob, at, h)
        it += 1
        _checkpoint(checkpoint, "mode", z=at, lam=np.array(lam), iter=np.array(it))
        lp_at = float(lik.total(vals["fit"]) + prob.log_prior(at[None])[0])
        report(f", log posterior {lp_at:.1f}")
        return vals, jc, lp_at

    values, jac, lp = refresh(z)
    fresh, cheap, rejects, moved = True, 0, 0, False
    converged = False
    stopped_by = "limit"
    at_fresh = [lp]  # log posterior at each fresh Jacobian of this search
    while True:
        g, Hm = _newton_parts(prob, values, jac, z)
        newton = np.linalg.solve(Hm, g)
        post_sd = np.sqrt(np.clip(np.diag(np.linalg.inv(Hm)), 1e-30, None))
        # converged when the full Newton step is a small fraction of a posterior sd (moving
        # further would not change any interval noticeably), or when it promises less than
        # 0.01 in log posterior density
        small = (
            float(np.max(np.abs(newton) / post_sd)) < 0.02
            or float(np.max(np.abs(newton))) < 1e-4
            or 0.5 * float(g @ newton) < 0.01
        )
        if small:
            if fresh:
                converged, stopped_by = True, "newton step"
                break
            if it - it0 >= max_iter:
                break
            values, jac, lp = refresh(z)
            fresh, cheap, rejects, moved = True, 0, 0, False
            at_fresh.append(lp)
            if _no_gain(at_fresh):
                converged, stopped_by = True, "no gain"
                break
            continue
        step = np.clip(np.linalg.solve(Hm + lam * np.diag(np.diag(Hm)), g), -2.0, 2.0)
        trial = z + step
        out = prob.evaluate(trial[None])
        new = {k: v[0] for k, v in out.items()}
        lp_new = float(lik.total(new["fit"]) + prob.log_prior(trial[None])[0])
        steps += 1
        report()
        # Broyden's rank-one update: the Jacobian now maps the step onto the change seen
        ss = float(step @ step)
        if ss > 0 and np.isfinite(lp_new):
            for k in jac:
                jac[k] = jac[k] + np.outer(new[k] - values[k] - jac[k] @ step, step) / ss
        fresh = False
        cheap += 1
        if np.isfinite(lp_new) and lp_new >= lp:
            gain = lp_new - lp
            z, values, lp = trial, new, lp_new
            lam = max(lam / 3, 1e-7)
            rejects = 0
            moved = True
            tiny = gain < 1e-9 * max(1.0, abs(lp)) and float(np.max(np.abs(step))) < 1e-3
        else:
            lam *= 10
            rejects += 1
            tiny = False
        _checkpoint(checkpoint, "mode", z=z, lam=np.array(lam), iter=np.array(it))
        if not moved:
            # every step since the last fresh Jacobian was refused: classic LM damping
            if lam > 1e8:
                stopped_by = "damping"
                break
            continue
        if tiny or rejects >= 2 or cheap >= MAX_CHEAP_STEPS:
            # converging, or the updated Jacobian has gone stale: difference it afresh
            if it - it0 >= max_iter:
                break
            values, jac, lp = refresh(z)
            fresh, cheap, rejects, moved = True, 0, 0, False
            lam = min(lam, 1.0)
            at_fresh.append(lp)
            if _no_gain(at_fresh):
                converged, stopped_by = True, "no gain"
                break
    if not fresh:
        # the Laplace covariance and the linearised predictions need an exact Jacobian
        values, jac, lp = refresh(z)
    g, Hm = _newton_parts(prob, values, jac, z)
    cov = np.linalg.inv(Hm)
    cov = (cov + cov.T) / 2
    log.info(
        "mode: %d Jacobians, %d steps, %d evaluations, converged=%s (%s)",
        it - it0,
        steps,
        prob.evaluations,
        converged,
        stopped_by,
    )
    return Mode(z, cov, values, jac, lp, it, converged, stopped_by)


def _no_gain(at_fresh: list[float]) -> bool:
    """Whether the log posterior rose by less than FTOL over the last FTOL_JACOBIANS."""
    if len(at_fresh) <= FTOL_JACOBIANS:
        return False
    return at_fresh[-1] - at_fresh[-1 - FTOL_JACOBIANS] < FTOL


@dataclass
class Posterior:
    """The fitted posterior.

    Attributes:
        method: ``hmc`` or ``importance`` (exact, weighted draws) or ``laplace`` (normal).
        mode: The mode and the Laplace fit.
        z: Posterior draws on the coordinates (n, dim), equally weighted
            (resampled from the weighted sample for the importance method).
        values: Expected values at the draws (``fit``, ``checks``, ``estimates``: (n, rows)).
        sample: The weighted importance sample (``None`` for Laplace).
        evaluations: Parameter sets evaluated by the expected-value mode.
        seconds: Wall-clock time.
        importance_failed: When the exact posterior was asked for but its
            sampler was hopeless, what it had drawn (the posterior is then
            the Laplace approximation, ``method="laplace"``).
        chains: The surrogate chains' diagnostics (``hmc`` only).
        importance_ess: Effective sample size of the importance weights alone
            (``hmc`` only: :attr:`ess` also counts the chains' autocorrelation).
    """

    method: str
    mode: Mode
    z: F64
    values: dict[str, F64]
    sample: Sample | None
    evaluations: int
    seconds: float
    importance_failed: Sample | None = None
    chains: ChainStats | None = None
    importance_ess: float | None = None

    @property
    def ess(self) -> float:
        """Effective sample size (the number of draws for Laplace)."""
        return self.sample.ess if self.sample is not None else float(self.z.shape[0])

    @property
    def khat(self) -> float | None:
        """Pareto shape of the importance weights (``None`` for Laplace)."""
        return self.sample.khat if self.sample is not None else None


def linearised(mode: Mode, name: str, z: F64) -> F64:
    """Expected values at ``z`` by log-linearisation around the mode: (n, rows)."""
    mu = np.maximum(mode.values[name], 1e-9)
    rel = mode.jac[name] / mu[:, None]  # d log mu / dz
    return np.asarray(mu[None, :] * np.exp((z - mode.z) @ rel.T), np.float64)


def fit(
    prob: Problem,
    *,
    method: str = "importance",
    seed: int = 1,
    draws: int = 1000,
    target_ess: float = 1000.0,
    max_iter: int = 30,
    from_prior: bool = False,
    start: F64 | None = None,
    checkpoint: Path | None = None,
    progress: ProgressFn | None = None,
) -> Posterior:
    """Fit the posterior.

    Args:
        prob: The prepared problem.
        method: ``importance`` (the exact posterior by importance sampling
            from a Student-t: the default), ``hmc`` (the exact posterior by HMC
            on a surrogate, importance-corrected) or ``laplace`` (the normal
            approximation at the mode: a fast preview).
        seed: Seed of the draws (same seed → same posterior).
        draws: Equally weighted draws to return.
        target_ess: Effective sample size the importance sampler aims for.
        max_iter: Fresh Jacobians at most in the mode search (see :func:`find_mode`).
        from_prior: Start the mode search at the prior medians.
        start: Start the mode search here (overrides ``from_prior``).
        checkpoint: Folder for checkpoints (and to resume from).
        progress: Called as ``progress(stage, fraction, detail)``.

    Raises:
        CalibrationError: For an unknown method.
    """
    if method not in METHODS:
        raise CalibrationError(f"unknown method {method!r}; choose {' or '.join(METHODS)}")
    t0 = time.perf_counter()
    mode = find_mode(
        prob,
        max_iter=max_iter,
        from_prior=from_prior,
        start=start,
        checkpoint=checkpoint,
        progress=progress,
    )
    rng = np.random.default_rng([seed, 4748])

    def laplace(failed: Sample | None = None) -> Posterior:
        chol = np.linalg.cholesky(mode.cov + 1e-12 * np.eye(prob.dim))
        z = mode.z + rng.standard_normal((draws, prob.dim)) @ chol.T
        values = {k: linearised(mode, k, z) for k in mode.values}
        return Posterior(
            "laplace",
            mode,
            z,
            values,
            None,
            prob.evaluations,
            time.perf_counter() - t0,
            importance_failed=failed,
        )

    if method == "laplace":
        return laplace()
    chains: ChainStats | None = None
    importance_ess: float | None = None
    if method == "hmc":
        res = hmc_sample(
            prob.log_posterior,
            prob.space,
            prob.likelihood,
            mode.z,
            mode.values["fit"],
            mode.jac["fit"],
            mode.cov,
            linear=prob.linear_naturals(),
            seed=seed,
            target_ess=target_ess,
            progress=progress,
        )
        sample, chains, importance_ess = res.sample, res.chains, res.importance_ess
    else:
        sample = importance_sample(
            prob.log_posterior,
            mode.z,
            mode.cov,
            seed=seed,
            target_ess=target_ess,
            first=max(int(2 * target_ess), 200),
            more=max(int(target_ess), 100),
            pilot=min(max(200, 2 * prob.dim), max(int(2 * target_ess), 200)),
            progress=progress,
        )
    if sample.failed:
        log.warning(
            "%s sampling failed (k̂ %.2f, effective sample size %.0f of %d exact draws): "
            "the posterior reported is the Laplace approximation, labelled as such",
            sample.sampler,
            sample.khat,
            sample.ess,
            sample.evaluations,
        )
        return laplace(sample)
    pick = sample.resample(draws, seed)
    z = sample.z[pick]
    values = {k: v[pick] for k, v in sample.outputs.items()}
    _checkpoint(checkpoint, "posterior", z=z)
    return Posterior(
        method,
        mode,
        z,
        values,
        sample,
        prob.evaluations,
        time.perf_counter() - t0,
        chains=chains,
        importance_ess=importance_ess,
    )


def save_meta(path: Path, meta: dict[str, object]) -> None:
    """Write ``meta`` as JSON atomically."""
    write_text(path, json.dumps(meta, indent=2, default=str))


def sbc(
    prob: Problem,
    n: int = 100,
    *,
    seed: int = 7,
    draws: int = 400,
    method: str = "laplace",
    target_ess: float = 400.0,
) -> dict[str, F64]:
    """Simulation-based calibration: fit ``n`` synthetic data sets with known truth.

    Each data set draws the coordinates from the prior (``z ~ N(0, I)``),
    computes the expected rows with the expected-value mode and draws
    observations from the observation model; then it is fitted like real data.

    Returns:
        ``inside50`` and ``inside90`` (n, dim) booleans (truth inside the
        central 50% / 90% posterior interval), ``rank`` (n, dim), the truth's
        rank among the draws (uniform when calibrated), and ``z_true``.
    """
    rng = np.random.default_rng([seed, 99])
    d = prob.dim
    z_true = rng.standard_normal((n, d))
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
            post = fit(
                prob,
                method=method,
                seed=seed + i,
                draws=draws,
                target_ess=target_ess,
                from_prior=True,
            )
            q = np.quantile(post.z, [0.05, 0.25, 0.75, 0.95], axis=0)
            inside50[i] = (z_true[i] >= q[1]) & (z_true[i] <= q[2])
            inside90[i] = (z_true[i] >= q[0]) & (z_true[i] <= q[3])
            rank[i] = (post.z < z_true[i]).mean(axis=0)
    finally:
        prob.rows, prob.likelihood = rows0, lik0
    return {"inside50": inside50, "inside90": inside90, "rank": rank, "z_true": z_true}


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


__all__ = [
    "METHODS",
    "CalibrationError",
    "Mode",
    "Posterior",
    "Problem",
    "find_mode",
    "fit",
    "linearised",
    "prepare",
    "sbc",
    "start_z",
]
