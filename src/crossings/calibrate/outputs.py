"""Calibration outputs: the posterior, fit and checks, identifiability, sensitivity.

``calibrate_to_dir`` writes, atomically (a temporary folder exchanged with the
old output at the end; checkpoints live in ``DIR.checkpoint`` until then):

* ``posterior.parquet``: one row per (equally weighted) draw, one column per
  scenario number the unknowns set (``id``, or ``id@YEAR`` for a series);
* ``summary.csv``: per unknown (per knot year of a series) its prior and
  posterior median and 5–95%, the width ratio, its label, its provenance;
* ``fit.csv``: every fitted row and every held-back check against the
  posterior predictive (with the observation model's noise), inside flags
  and the coverage period;
* ``coverage.csv``: 50%/90% coverage by series and by period;
* ``checks.csv``: the held-back checks with a verdict;
* ``estimates.csv``: ``quantity,year,sex,p05,p50,p95`` for the scenario's
  declared uncounted quantities (with the agent engine's Poisson noise),
  their prior predictive 5–95%, and per row what the data say of it
  (``ratio``, ``label``);
* ``identifiability.csv``: prior against posterior width for every unknown
  and every estimate total, with its label;
* ``sensitivity.csv``: prior and likelihood power-scaling, and the
  structural alternatives (``calibration.alternatives``) refitted;
* ``summary.md`` (plain language) and ``calibration.json`` (facts).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crossings.atomic import atomic_directory, write_text
from crossings.calibrate.checks import (
    Period,
    check_verdicts,
    coverage_by,
    identifiability,
    label_of,
    power_scaling,
    predictive_draws,
    predictive_table,
)
from crossings.calibrate.fit import (
    FTOL,
    FTOL_JACOBIANS,
    Posterior,
    Problem,
    fit,
    prepare,
    save_meta,
)
from crossings.calibrate.observe import Likelihood
from crossings.calibrate.unknowns import CalibrationError, describe_prior
from crossings.measure import build_rows
from crossings.scenario.load import LoadedScenario, load_scenario

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]
ProgressFn = Any

ALL_YEARS = "all years"
"""The ``year`` of an estimate's total over the span (``estimates.csv``)."""
YEARLY_MEAN = "yearly mean"
"""The ``year`` of a stock estimate's mean over the years (a sum of stocks means nothing)."""


def _is_stock(rows: list[Any], series: str) -> bool:
    return any(r.series == series and r.measure.stock is not None for r in rows)


def _aggregate_label(rows: list[Any], series: str) -> str:
    """How an estimate is summed up over the span: a total, or for a stock a yearly mean."""
    return YEARLY_MEAN if _is_stock(rows, series) else ALL_YEARS


@dataclass(frozen=True)
class Options:
    """How to calibrate.

    Attributes:
        method: ``importance`` (the exact posterior) or ``laplace`` (a fast preview).
        seed: Seed of every draw (same seed → same posterior).
        draws: Equally weighted posterior draws to keep.
        target_ess: Effective sample size the importance sampler aims for.
        max_iter: Fresh Jacobians at most in the mode search.
        lump_days: Lumping of long stays (``None``: the scenario's choice).
        exact: No lumping at all.
        prior_draws: Draws from the prior run through the model (the prior
            predictive of the estimates, for identifiability); 0 skips it.
        alternatives: Refit under the scenario's structural alternatives.
    """

    method: str = "importance"
    seed: int = 1
    draws: int = 1000
    target_ess: float = 1000.0
    max_iter: int = 30
    lump_days: int | None = None
    exact: bool = False
    prior_draws: int = 200
    alternatives: bool = True


@dataclass
class Report:
    """Everything a calibration produced (what the files hold)."""

    summary: pd.DataFrame
    fit: pd.DataFrame
    coverage: pd.DataFrame
    checks: pd.DataFrame
    estimates: pd.DataFrame
    identifiability: pd.DataFrame
    sensitivity: pd.DataFrame
    draws: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def _periods(prob: Problem) -> list[Period]:
    cal = prob.loaded.scenario.calibration
    return [
        Period(p.id, p.name or p.id, p.years[0], p.years[1]) for p in (cal.periods if cal else [])
    ]


def _weights(post: Posterior) -> F64:
    return np.full(post.z.shape[0], 1.0 / post.z.shape[0])


def summary_frame(prob: Problem, post: Posterior, prior_vals: F64) -> pd.DataFrame:
    """Per component: prior and posterior quantiles, width ratio, label, provenance."""
    theta = prob.space.values(post.z)
    q_post = np.quantile(theta, [0.05, 0.5, 0.95], axis=0)
    q_prior = np.quantile(prior_vals, [0.05, 0.5, 0.95], axis=0)
    idf = identifiability([c.name for c in prob.space.components], prior_vals, theta)
    rows = []
    for j, c in enumerate(prob.space.components):
        u = c.unknown
        p = u.prior
        src = ("sources: " + ", ".join(p.sources) if p.sources else "") + (
            ("; " if p.sources and p.assumption else "")
            + (f"assumption: {p.assumption}" if p.assumption else "")
        )
        rows.append(
            {
                "parameter": c.name,
                "unknown": u.id,
                "year": c.year if c.year is not None else "",
                "path": u.path,
                "mode": u.mode,
                "prior": describe_prior(p)
                + (
                    f"; random walk, step sd {describe_prior(u.smoothness.step_sd)}"
                    if u.smoothness is not None
                    else ""
                ),
                "prior_p05": q_prior[0, j],
                "prior_p50": q_prior[1, j],
                "prior_p95": q_prior[2, j],
                "posterior_p05": q_post[0, j],
                "posterior_p50": q_post[1, j],
                "posterior_p95": q_post[2, j],
                "width_ratio": float(idf["ratio"].iloc[j]),
                "label": idf["label"].iloc[j],
                "source": src,
            }
        )
    return pd.DataFrame(rows)


def _estimates(prob: Problem, post: Posterior, prior_est: F64 | None, seed: int) -> pd.DataFrame:
    """Every estimate row (year and sex), and its total over all years (``year`` = all).

    The model's expected value at each posterior draw gets the agent engine's
    Poisson noise (an estimate is what one run of the system would give).
    Each row also says what the data can tell about it: ``ratio`` is its
    posterior against its prior 90% width (of the expected values, on the log
    scale, as in ``identifiability.csv``) and ``label`` the plain label of that
    ratio; both are empty without prior draws.
    """
    rows = prob.estimate_rows
    rng = np.random.default_rng([seed, 31])
    vals = post.values["estimates"]
    noisy = rng.poisson(np.maximum(vals, 0)).astype(np.float64) if rows else vals
    labels = [(r.series, r.label, r.sex) for r in rows]
    cols = [noisy[:, j] for j in range(len(rows))]
    clean = [vals[:, j] for j in range(len(rows))]
    prior_cols = [prior_est[:, j] for j in range(len(rows))] if prior_est is not None else []
    for series in dict.fromkeys(r.series for r in rows):
        for sex in dict.fromkeys(r.sex for r in rows if r.series == series):
            idx = [j for j, r in enumerate(rows) if r.series == series and r.sex == sex]
            stock = _is_stock(rows, series)
            labels.append((series, _aggregate_label(rows, series), sex))
            cols.append(noisy[:, idx].mean(axis=1) if stock else noisy[:, idx].sum(axis=1))
            clean.append(vals[:, idx].mean(axis=1) if stock else vals[:, idx].sum(axis=1))
            if prior_est is not None:
                agg = prior_est[:, idx]
                prior_cols.append(agg.mean(axis=1) if stock else agg.sum(axis=1))
    columns = ["quantity", "year", "sex", "p05", "p50", "p95", "prior_p05", "prior_p95"]
    if not cols:
        return pd.DataFrame(columns=[*columns, "ratio", "label"])
    q = np.quantile(np.stack(cols, axis=1), [0.05, 0.5, 0.95], axis=0)
    if prior_cols:
        prior = np.stack(prior_cols, axis=1)
        qp = np.quantile(prior, [0.05, 0.95], axis=0)
        idf = identifiability([str(i) for i in range(len(cols))], prior, np.stack(clean, axis=1))
        ratio, label = idf["ratio"].to_numpy(), idf["label"].astype(object).to_numpy()
    else:
        qp = np.full((2, len(cols)), math.nan)
        ratio, label = np.full(len(cols), math.nan), np.full(len(cols), "", dtype=object)
    return pd.DataFrame(
        {
            "quantity": [x[0] for x in labels],
            "year": [x[1] for x in labels],
            "sex": [x[2] for x in labels],
            "p05": q[0],
            "p50": q[1],
            "p95": q[2],
            "prior_p05": qp[0],
            "prior_p95": qp[1],
            "ratio": ratio,
            "label": label,
        }
    )


def _totals(rows: list[Any], values: F64) -> tuple[list[str], F64]:
    """Estimates over the span (sex total only): names and (n, quantities).

    Flows are summed over the years; stocks are averaged (their names say which).
    """
    series = sorted({r.series for r in rows if r.sex == "total"})
    names, cols = [], []
    for n in series:
        idx = [j for j, r in enumerate(rows) if r.series == n and r.sex == "total"]
        stock = _is_stock(rows, n)
        names.append(f"{n} ({_aggregate_label(rows, n)})")
        cols.append(values[:, idx].mean(axis=1) if stock else values[:, idx].sum(axis=1))
    return names, (np.stack(cols, axis=1) if cols else np.zeros((values.shape[0], 0)))


def build_report(
    prob: Problem,
    post: Posterior,
    opts: Options,
    *,
    progress: ProgressFn | None = None,
) -> Report:
    """The tables of a calibration (no files written)."""
    periods = _periods(prob)
    rng = np.random.default_rng([opts.seed, 17])
    w = _weights(post)
    fit_draws = predictive_draws(post.values["fit"], prob.rows, prob.likelihood, rng)
    fitf = predictive_table(prob.rows, fit_draws, w, periods=periods, role="fit")
    lik_checks = Likelihood(prob.check_rows, prob.likelihood.om)
    chk_draws = predictive_draws(post.values["checks"], prob.check_rows, lik_checks, rng)
    chkf = predictive_table(prob.check_rows, chk_draws, w, periods=periods, role="check")
    both = pd.concat([fitf, chkf], ignore_index=True)
    coverage = pd.concat(
        [
            coverage_by(fitf, "series").assign(by="series").rename(columns={"series": "group"}),
            coverage_by(fitf, "period").assign(by="period").rename(columns={"period": "group"}),
        ],
        ignore_index=True,
    )
    # the prior: draws of the coordinates, and (optionally) the model run at them
    prior_z = np.random.default_rng([opts.seed, 23]).standard_normal(
        (max(opts.prior_draws, 400), prob.dim)
    )
    prior_vals = prob.space.values(prior_z)
    prior_est = None
    if opts.prior_draws > 0 and prob.estimate_rows:
        if progress is not None:
            progress("prior predictive", 0.0, f"{opts.prior_draws} draws from the prior")
        prior_est = prob.evaluate(prior_z[: opts.prior_draws])["estimates"]
    summ = summary_frame(prob, post, prior_vals)
    est = _estimates(prob, post, prior_est, opts.seed)
    names, tot = _totals(prob.estimate_rows, post.values["estimates"])
    idf_unknown = summ[["parameter", "width_ratio", "label"]].rename(
        columns={"parameter": "quantity", "width_ratio": "ratio"}
    )
    idf_unknown.insert(0, "kind", "unknown")
    idf_est = pd.DataFrame(columns=["kind", "quantity", "ratio", "label"])
    if prior_est is not None and names:
        _, ptot = _totals(prob.estimate_rows, prior_est)
        e = identifiability(names, ptot, tot)
        idf_est = e[["quantity", "ratio", "label"]].assign(kind="estimate")[
            ["kind", "quantity", "ratio", "label"]
        ]
    idf = pd.concat([idf_unknown, idf_est], ignore_index=True)
    sens = _sensitivity(prob, post, names)
    draws = pd.DataFrame(prob.space.values(post.z), columns=[c.name for c in prob.space.components])
    draws.insert(0, "draw", np.arange(len(draws)))
    return Report(summ, both, coverage, check_verdicts(chkf), est, idf, sens, draws)


def _sensitivity(prob: Problem, post: Posterior, names: list[str]) -> pd.DataFrame:
    """Prior and likelihood power-scaling on the weighted sample (no new evaluations)."""
    s = post.sample
    if s is None:
        z = post.z
        log_w = np.zeros(z.shape[0])
        fitv, estv = post.values["fit"], post.values["estimates"]
    else:
        z, log_w = s.z, s.log_w
        fitv, estv = s.outputs["fit"], s.outputs["estimates"]
    log_prior = prob.log_prior(z)
    log_lik = prob.likelihood.total(fitv)
    theta = prob.space.values(z)
    _, tot = _totals(prob.estimate_rows, estv)
    qnames = [c.name for c in prob.space.components] + names
    values = np.concatenate([theta, tot], axis=1)
    frame = power_scaling(qnames, values, log_w, log_prior, log_lik)
    frame.insert(0, "check", "power-scaling")
    return frame


ALTERNATIVE_JACOBIANS = 5
"""Jacobians at most for an alternative's mode search started at the base fit's mode."""


def _start_from(base: Problem, z: F64, prob: Problem) -> F64 | None:
    """The base mode's coordinates, unknown by unknown, for another problem (or None)."""
    by_id = {b.unknown.id: b for b in base.space.blocks}
    out = np.zeros(prob.dim)
    for b in prob.space.blocks:
        src = by_id.get(b.unknown.id)
        if src is None or src.size != b.size:
            return None
        out[b.start : b.start + b.size] = z[src.start : src.start + src.size]
    return out


def structural_alternatives(
    loaded: LoadedScenario,
    opts: Options,
    base: Report,
    start: tuple[Problem, F64] | None = None,
) -> pd.DataFrame:
    """Refit (Laplace) under each structural alternative: how far the estimates move.

    An unknown that an alternative makes inert (a factor on a rate it sets to
    zero) is left out of that refit; an alternative that cannot be refitted
    gets a row saying why, and the others go on.

    Args:
        loaded: The scenario.
        opts: The calibration options.
        base: The base fit's tables.
        start: The base problem and its mode: an alternative's mode search
            starts there, unknown by unknown, with at most
            :data:`ALTERNATIVE_JACOBIANS` Jacobians (the change it reports is
            then the move of an approximate mode).
    """
    cal = loaded.scenario.calibration
    alts = list(cal.alternatives) if cal else []
    out: list[dict[str, Any]] = []
    est = base.estimates
    agg = est[(est["sex"] == "total") & est["year"].isin([ALL_YEARS, YEARLY_MEAN])]
    # keyed like the names of _totals: "quantity (all years)" / "quantity (yearly mean)"
    base_tot = {
        f"{q} ({y})": float(v)
        for q, y, v in zip(agg["quantity"], agg["year"], agg["p50"], strict=True)
    }
    for alt in alts:
        alt_loaded = load_scenario(loaded.origin, overrides=list(loaded.overrides), variant=alt)
        try:
            prob = prepare(alt_loaded, lump_days=opts.lump_days, exact=opts.exact, drop_inert=True)
            z0 = _start_from(start[0], start[1], prob) if start is not None else None
            iters = opts.max_iter if z0 is None else min(opts.max_iter, ALTERNATIVE_JACOBIANS)
            post = fit(prob, method="laplace", seed=opts.seed, draws=400, max_iter=iters, start=z0)
        except CalibrationError as exc:
            log.warning("structural alternative %s could not be refitted: %s", alt, exc)
            out.append(
                {
                    "check": f"alternative: {alt}",
                    "quantity": f"(not refitted: {exc})",
                    "base_median": math.nan,
                    "alternative_median": math.nan,
                    "change": math.nan,
                }
            )
            continue
        vals = post.values["estimates"]
        names, tot = _totals(prob.estimate_rows, vals)
        for n, col in zip(names, tot.T, strict=True):
            b = float(base_tot.get(n, math.nan))
            m = float(np.median(col))
            out.append(
                {
                    "check": f"alternative: {alt}",
                    "quantity": n,
                    "base_median": b,
                    "alternative_median": m,
                    "change": (m - b) / b if b else math.nan,
                }
            )
    return pd.DataFrame(out)


def ard(frame: pd.DataFrame) -> float:
    """Averaged relative difference Σ|sim − obs| / Σ obs over count rows (sexes apart)."""
    f = frame[(frame["kind"] == "count") & (frame["sex"] != "total")]
    if not len(f):
        f = frame[frame["kind"] == "count"]
    tot = float(f["observed"].sum())
    return float(np.abs(f["p50"] - f["observed"]).sum() / tot) if tot > 0 else float("nan")


def coverage(frame: pd.DataFrame, level: int) -> float:
    """Share of count rows inside the central ``level``% predictive interval."""
    f = frame[frame["kind"] == "count"]
    if not len(f):
        return float("nan")
    return float(f["inside50" if level == 50 else "inside90"].mean())


def women_share(frame: pd.DataFrame) -> tuple[float, float]:
    """Observed and predicted (median) share of women over count rows given by sex."""
    f = frame[frame["kind"] == "count"]
    fem = f[f["sex"] == "female"]
    tot = f[f["sex"].isin(["female", "male"])]
    if not len(tot) or tot["observed"].sum() <= 0:
        return float("nan"), float("nan")
    return (
        float(fem["observed"].sum()) / float(tot["observed"].sum()),
        float(fem["p50"].sum()) / float(tot["p50"].sum()),
    )


def _exactness(prob: Problem) -> str:
    """How exact the expected-value mode of a fit was, in words."""
    lumped = [prob.model.state_ids[i] for i in np.flatnonzero(prob.ev.lumped)]
    if not lumped:
        return "exact expectations of the agent engine"
    return (
        "expectations of the agent engine, exact except that "
        + ", ".join(lumped)
        + " keep one duration ring per sex (`--exact` removes this)"
    )


def importance_failure(post: Posterior) -> dict[str, float | int | str] | None:
    """The failed exact sampler behind a Laplace fallback (``None`` when none).

    ``sampler`` names it (``importance`` or ``hmc``); ``pilot_draws`` is the
    number of exact draws it had evaluated when it stopped.
    """
    f = post.importance_failed
    if f is None:
        return None
    return {"sampler": f.sampler, "pilot_draws": int(f.evaluations), "ess": f.ess, "khat": f.khat}


def plain_summary(prob: Problem, post: Posterior, rep: Report) -> str:
    """A short plain-language account of the fit (Markdown)."""
    sc = prob.loaded.scenario
    fitted = rep.fit[rep.fit["role"] == "fit"]
    series = sorted({r.series for r in prob.rows})
    unreliable = "; k̂ above 0.7 means the sample is not reliable" if (post.khat or 0) > 0.7 else ""
    if post.method == "hmc" and post.chains is not None:
        c = post.chains
        method = (
            "the exact posterior: Hamiltonian Monte Carlo on a surrogate of the model "
            f"({c.chains} chains, split R-hat at most {c.rhat_max:.3f}, smallest effective "
            f"sample size of a coordinate {c.ess_min:,.0f}, {c.divergent} divergent), each kept "
            f"draw run through the exact expected-value mode and importance-weighted "
            f"(effective sample size {post.ess:,.0f} of {post.sample.evaluations:,} draws, "
            f"Pareto k̂ {post.khat:.2f}{unreliable})"
            if post.sample is not None
            else "the exact posterior (HMC)"
        )
    elif post.method == "importance":
        method = (
            "the exact posterior, sampled by adaptive Pareto-smoothed importance sampling "
            f"(effective sample size {post.ess:,.0f}, Pareto k̂ {post.khat:.2f}{unreliable})"
        )
    else:
        method = "a normal (Laplace) approximation at the mode — a preview, not the exact posterior"
    if post.importance_failed is not None:
        f = post.importance_failed
        method += (
            ", because "
            + (
                "HMC on a surrogate of the model, importance-corrected, failed"
                if f.sampler == "hmc"
                else "importance sampling from it failed"
            )
            + f" ({f.evaluations:,} exact "
            f"draws had Pareto k̂ {f.khat:.2f} and an effective sample size of {f.ess:,.0f}): "
            "the intervals miss whatever skew and heavy tails the exact posterior has"
        )
    if not post.mode.converged:
        why = (
            "its damping grew without any step being accepted"
            if post.mode.stopped_by == "damping"
            else f"at its limit ({post.mode.iterations} Jacobians)"
        )
        method += f"; the mode search stopped {why} before its convergence test was met"
    elif post.mode.stopped_by == "no gain":
        method += (
            f"; the mode search ended after {post.mode.iterations} Jacobians when the log "
            f"posterior had risen by less than {FTOL} over the last {FTOL_JACOBIANS} "
            "(its function tolerance)"
        )
    labels = rep.identifiability
    n_set = int((labels["label"] == label_of(0.0)).sum())
    n_prior = int(labels["label"].str.startswith("prior-driven").sum())
    lines = [
        f"# Calibration of {sc.title or sc.name}",
        "",
        f"{prob.dim} unknown coordinates ({len(prob.space.blocks)} declared unknowns, "
        f"{prob.space.n_components} scenario numbers) were fitted to {len(prob.rows)} observed "
        f"numbers of {len(series)} series ({', '.join(series)}). The posterior is {method}. "
        f"The model was evaluated {post.evaluations:,} times ({_exactness(prob)}), in "
        f"{post.seconds:,.0f} s.",
        "",
        f"Counts inside their 90% predictive interval: {coverage(fitted, 90):.0%}; inside the "
        f"50% interval: {coverage(fitted, 50):.0%} (averaged relative difference "
        f"{ard(fitted):.3f}).",
        "",
        f"Of {len(labels)} unknowns and estimates, {n_set} are set by the data and {n_prior} "
        "are prior-driven (identifiability.csv): their intervals repeat the prior.",
        "",
    ]
    checks = rep.checks
    if len(checks):
        bad = checks[checks["verdict"].str.startswith("misfit")]
        lines.append(
            f"{len(checks)} reported figures were held back as checks; {len(bad)} "
            + ("lies" if len(bad) == 1 else "lie")
            + " outside "
            "their 90% predictive interval"
            + (
                ": " + "; ".join(f"{r.series} {r.year}" for r in bad.itertuples())
                if len(bad)
                else ""
            )
            + " (checks.csv)."
        )
        lines.append("")
    lines.append(
        "Estimates are model results, not counts: estimates.csv has every quantity with its "
        "5–95% interval and its prior predictive interval."
    )
    if sc.limits:
        lines += ["", "## Known limits (what the model leaves out, and what that does)", ""]
        lines += [f"- **{x.what}** {x.effect}" for x in sc.limits]
    return "\n".join(lines) + "\n"


CHECKPOINT_KEY = "key.json"
"""File in a checkpoint folder naming what the checkpoint was computed for."""


def _open_checkpoint(ck: Path, key: dict[str, Any], resume: bool) -> None:
    """Prepare the checkpoint folder ``ck`` for a fit identified by ``key``.

    Without ``resume`` any old checkpoint is discarded. With it, the old
    checkpoint is reused only if it was made for the same scenario (hash),
    variant, overrides and options.

    Raises:
        CalibrationError: ``resume`` with a checkpoint made for another fit.
    """
    if resume and ck.is_dir():
        try:
            old = json.loads((ck / CHECKPOINT_KEY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if old != json.loads(json.dumps(key, default=str)):
            differ = (
                sorted(k for k in key if old.get(k) != json.loads(json.dumps(key[k], default=str)))
                if isinstance(old, dict)
                else ["(the checkpoint has no readable key)"]
            )
            raise CalibrationError(
                f"--resume: the checkpoint in {ck}/ was made for another calibration "
                f"(it differs in: {', '.join(differ)}); drop --resume to start afresh, or "
                "resume with the same scenario, variant, overrides and options"
            )
        return
    if ck.exists():
        shutil.rmtree(ck)
    ck.mkdir(parents=True)
    write_text(ck / CHECKPOINT_KEY, json.dumps(key, indent=2, default=str) + "\n")


def calibrate_to_dir(
    loaded: LoadedScenario,
    out: Path,
    opts: Options | None = None,
    *,
    resume: bool = False,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Fit the scenario's unknowns and write the outputs to ``out``.

    Returns:
        Facts about the fit (also written to ``calibration.json``).
    """
    opts = opts or Options()
    ck = out.with_name(out.name + ".checkpoint")
    key = {
        "scenario": loaded.scenario.name,
        "sha256": loaded.sha256,
        "variant": loaded.variant,
        "overrides": list(loaded.overrides),
        "method": opts.method,
        "seed": opts.seed,
        "draws": opts.draws,
        "target_ess": opts.target_ess,
        "lump_days": opts.lump_days,
        "exact": opts.exact,
    }
    _open_checkpoint(ck, key, resume)
    prob = prepare(loaded, lump_days=opts.lump_days, exact=opts.exact)
    post = fit(
        prob,
        method=opts.method,
        seed=opts.seed,
        draws=opts.draws,
        target_ess=opts.target_ess,
        max_iter=opts.max_iter,
        checkpoint=ck,
        progress=progress,
    )
    rep = build_report(prob, post, opts, progress=progress)
    if opts.alternatives:
        if (
            progress is not None
            and loaded.scenario.calibration
            and (loaded.scenario.calibration.alternatives)
        ):
            progress("structural alternatives", 0.0, "refitting under each alternative")
        alt = structural_alternatives(loaded, opts, rep, start=(prob, post.mode.z))
        if len(alt):
            rep.sensitivity = pd.concat([rep.sensitivity, alt], ignore_index=True)
    fitted = rep.fit[rep.fit["role"] == "fit"]
    meta: dict[str, Any] = {
        "scenario": loaded.scenario.name,
        "sha256": loaded.sha256,
        "variant": loaded.variant,
        "overrides": list(loaded.overrides),
        "method": post.method,
        "seed": opts.seed,
        "unknowns": [b.unknown.id for b in prob.space.blocks],
        "coordinates": prob.dim,
        "components": [c.name for c in prob.space.components],
        "paths": {b.unknown.id: b.unknown.path for b in prob.space.blocks},
        "rows": len(prob.rows),
        "rows_independent": int(prob.likelihood.used.sum()),
        "checks": len(prob.check_rows),
        "target_ess": opts.target_ess,
        "evaluations": post.evaluations,
        "iterations": post.mode.iterations,
        "converged": post.mode.converged,
        "stopped_by": post.mode.stopped_by,
        "seconds": post.seconds,
        "ess": post.ess,
        "khat": post.khat,
        "importance_failed": importance_failure(post),
        "importance_ess": post.importance_ess,
        "chains": post.chains.as_dict() if post.chains is not None else None,
        "log_posterior_at_mode": post.mode.log_post,
        "ard": ard(fitted),
        "coverage90": coverage(fitted, 90),
        "coverage50": coverage(fitted, 50),
        "lumped_states": [prob.model.state_ids[i] for i in np.flatnonzero(prob.ev.lumped)],
        "limits": [
            {"id": x.id, "what": x.what, "effect": x.effect} for x in loaded.scenario.limits
        ],
    }
    rep.meta = meta

    def fill(d: Path) -> None:
        rep.draws.to_parquet(d / "posterior.parquet", index=False)
        rep.summary.to_csv(d / "summary.csv", index=False)
        rep.fit.to_csv(d / "fit.csv", index=False)
        rep.coverage.to_csv(d / "coverage.csv", index=False)
        rep.checks.to_csv(d / "checks.csv", index=False)
        rep.estimates.to_csv(d / "estimates.csv", index=False)
        rep.identifiability.to_csv(d / "identifiability.csv", index=False)
        rep.sensitivity.to_csv(d / "sensitivity.csv", index=False)
        (d / "summary.md").write_text(plain_summary(prob, post, rep), encoding="utf-8")
        save_meta(d / "calibration.json", meta)

    atomic_directory(out, fill)  # the old output stays whole until the new one is complete
    shutil.rmtree(ck, ignore_errors=True)
    return meta


def validate(
    loaded: LoadedScenario,
    holdout_from: int,
    opts: Options | None = None,
    *,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Fit on rows before ``holdout_from`` only; forecast the rest.

    Everything is refitted on the earlier years: every unknown (yearly series
    included) is estimated from the rows that end before ``holdout_from``,
    the mode search starts from the prior (not from the numbers written in
    the scenario), and the forecast of later years follows the scenario's
    dated policies as what-ifs, with the series' later steps drawn from their
    smoothness prior.

    Returns:
        ``ard``, 50%/90% coverage and women's share in-sample and held out,
        the held-out rows, counts, and the fit facts.
    """
    opts = opts or Options()
    prob = prepare(loaded, before=holdout_from, lump_days=opts.lump_days, exact=opts.exact)
    cal = loaded.scenario.calibration
    checks = tuple(o.id for o in loaded.scenario.observations if o.role == "check")
    held = build_rows(
        loaded.scenario,
        prob.model,
        exclude=(*(cal.exclude if cal else ()), *checks),
        from_year=holdout_from,
    )
    prob.check_rows = held  # evaluated at every draw, kept out of the likelihood
    post = fit(
        prob,
        method=opts.method,
        seed=opts.seed,
        draws=opts.draws,
        target_ess=opts.target_ess,
        max_iter=opts.max_iter,
        from_prior=True,
        progress=progress,
    )
    periods = _periods(prob)
    rng = np.random.default_rng([opts.seed, 37])
    w = _weights(post)
    fit_in = predictive_table(
        prob.rows,
        predictive_draws(post.values["fit"], prob.rows, prob.likelihood, rng),
        w,
        periods=periods,
        role="fit",
    )
    fit_out = predictive_table(
        held,
        predictive_draws(post.values["checks"], held, Likelihood(held, prob.likelihood.om), rng),
        w,
        periods=periods,
        role="held out",
    )
    ws_in = women_share(fit_in)
    ws_out = women_share(fit_out)
    return {
        "scenario": loaded.scenario.name,
        "holdout_from": holdout_from,
        "method": post.method,
        "ess": post.ess,
        "khat": post.khat,
        "importance_failed": importance_failure(post),
        "chains": post.chains.as_dict() if post.chains is not None else None,
        "iterations": post.mode.iterations,
        "converged": post.mode.converged,
        "stopped_by": post.mode.stopped_by,
        "log_posterior_at_mode": post.mode.log_post,
        "ard_in_sample": ard(fit_in),
        "ard_holdout": ard(fit_out),
        "coverage50_in_sample": coverage(fit_in, 50),
        "coverage90_in_sample": coverage(fit_in, 90),
        "coverage50_holdout": coverage(fit_out, 50),
        "coverage90_holdout": coverage(fit_out, 90),
        "women_share_in_sample": {"observed": ws_in[0], "predicted": ws_in[1]},
        "women_share_holdout": {"observed": ws_out[0], "predicted": ws_out[1]},
        "rows_in_sample": len(prob.rows),
        "rows_holdout": len(held),
        "evaluations": prob.evaluations,
        "seconds": post.seconds,
        "holdout_rows": fit_out.to_dict(orient="records"),
    }


def posterior_thetas(path: Path, n: int, seed: int) -> tuple[list[str], F64]:
    """``n`` draws (deterministically chosen) from a calibration folder: names and values."""
    df = pd.read_parquet(path / "posterior.parquet")
    cols = [c for c in df.columns if c != "draw"]
    rng = np.random.default_rng([seed, 53])
    pick = rng.choice(len(df), size=n, replace=len(df) < n)
    return cols, df[cols].to_numpy(np.float64)[pick]


def posterior_record(path: Path) -> dict[str, Any]:
    """The facts of a calibration folder (its ``calibration.json``; empty if unreadable)."""
    try:
        data = json.loads((path / "calibration.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


__all__ = [
    "Options",
    "Report",
    "ard",
    "build_report",
    "calibrate_to_dir",
    "coverage",
    "posterior_record",
    "posterior_thetas",
    "validate",
    "women_share",
]
