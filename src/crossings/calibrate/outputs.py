"""Calibration outputs: posterior draws, summaries, fit, estimates, validation.

``calibrate_to_dir`` writes, atomically (a temporary folder renamed at the
end; checkpoints live in ``DIR.checkpoint`` until then):

* ``posterior.parquet``: one row per draw, one column per unknown;
* ``summary.csv``: per unknown its path, prior, posterior median and 5–95%,
  and the prior's source or assumption;
* ``fit.csv``: ``series,year,sex,observed,p05,p50,p95`` posterior predictive
  of every fitted row (with the observation model's noise);
* ``estimates.csv``: ``quantity,year,sex,p05,p50,p95`` for the scenario's
  declared uncounted quantities (with the agent engine's Poisson noise);
* ``summary.md``: a plain-language account; ``calibration.json``: facts.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crossings.atomic import atomic_directory, write_text
from crossings.calibrate.fit import (
    FD_STEP,
    Posterior,
    Problem,
    fd_points,
    fit,
    predictive,
    prepare,
    save_meta,
)
from crossings.calibrate.observe import Likelihood
from crossings.calibrate.unknowns import (
    CalibrationError,
    describe_prior,
    prior_quantiles,
    to_z,
)
from crossings.measure import Row, build_rows, row_values
from crossings.scenario.load import LoadedScenario
from crossings.scenario.schema import Prior

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]


def _predictive_rows(
    prob: Problem,
    post: Posterior,
    rows: list[Row],
    mode: F64,
    jac: F64,
    seed: int,
    noise: str,
    lik: Likelihood | None = None,
    stream: int = 31,
) -> pd.DataFrame:
    """Posterior predictive quantiles of ``rows`` with the observation model's or Poisson noise.

    ``lik`` is the observation model of ``rows`` (default: the fitted rows');
    ``stream`` keys the noise draws.
    """
    rng = np.random.default_rng([seed, stream])
    vals = predictive(post, mode, jac, post.z_draws)
    if noise == "observation":
        vals = (lik or prob.likelihood).sample(vals, rng)
    elif noise == "poisson":
        vals = rng.poisson(np.maximum(vals, 0)).astype(np.float64)
    q = np.quantile(vals, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0) if len(rows) else np.zeros((5, 0))
    return pd.DataFrame(
        {
            "series": [r.series for r in rows],
            "year": [r.label for r in rows],
            "sex": [r.sex for r in rows],
            "observed": [r.observed for r in rows],
            "kind": [r.kind for r in rows],
            "p05": q[0],
            "p25": q[1],
            "p50": q[2],
            "p75": q[3],
            "p95": q[4],
        }
    )


def _shrinkage(prior: Prior, z: F64) -> float:
    """1 − posterior variance / prior variance on the unconstrained scale."""
    grid = to_z(prior, prior_quantiles(prior, (np.arange(999) + 0.5) / 999))
    prior_var = float(np.var(grid))
    return 1.0 - float(np.var(z)) / prior_var if prior_var > 0 else float("nan")


def summary_frame(prob: Problem, post: Posterior) -> pd.DataFrame:
    """Per unknown: prior, posterior median and 5–95%, provenance."""
    out = []
    for j, u in enumerate(prob.unknowns):
        th = post.theta_draws[:, j]
        pq = prior_quantiles(u.prior, np.array([0.05, 0.5, 0.95]))
        out.append(
            {
                "parameter": u.id,
                "path": u.path,
                "mode": u.mode,
                "years": f"{u.years[0]}-{u.years[1]}" if u.years else "",
                "prior": describe_prior(u.prior),
                "prior_p05": pq[0],
                "prior_p50": pq[1],
                "prior_p95": pq[2],
                "posterior_p50": float(np.median(th)),
                "posterior_p05": float(np.quantile(th, 0.05)),
                "posterior_p95": float(np.quantile(th, 0.95)),
                "shrinkage": _shrinkage(u.prior, post.z_draws[:, j]),
                "source": ("sources: " + ", ".join(u.prior.sources) if u.prior.sources else "")
                + ("; " if u.prior.sources and u.prior.assumption else "")
                + (f"assumption: {u.prior.assumption}" if u.prior.assumption else ""),
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
    """Share of count rows whose observation lies in the central ``level``% interval."""
    f = frame[frame["kind"] == "count"]
    lo, hi = ("p25", "p75") if level == 50 else ("p05", "p95")
    if not len(f):
        return float("nan")
    return float(((f["observed"] >= f[lo]) & (f["observed"] <= f[hi])).mean())


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


def plain_summary(
    prob: Problem, post: Posterior, summ: pd.DataFrame, fitf: pd.DataFrame, est: pd.DataFrame
) -> str:
    """A short plain-language account of the fit."""
    sc = prob.loaded.scenario
    series = sorted({r.series for r in prob.rows})
    lines = [
        f"# Calibration of {sc.title or sc.name}",
        "",
        f"**What was fitted.** {prob.dim} unknown numbers of the scenario "
        f"({', '.join(u.id for u in prob.unknowns)}), each with a stated prior.",
        "",
        f"**To what.** {len(prob.rows)} observed numbers from {len(series)} series "
        f"({', '.join(series)}), with a negative-binomial model for yearly counts and "
        "soft intervals for reported ranges.",
        "",
        f"**How.** The expected-value mode of the scenario ({_exactness(prob)}) was "
        f"evaluated {post.evaluations} times; the posterior is a "
        f"normal approximation around the mode on the log/logit scale "
        f"({post.iterations} optimiser iterations, {post.seconds:.1f} s"
        + (
            f", importance-reweighted, effective sample size {post.ess:.0f}"
            if post.ess < len(post.z_draws)
            else ""
        )
        + ").",
        "",
        f"**How well.** Averaged relative difference of counts: {ard(fitf):.3f}; "
        f"observed counts inside the 90% predictive interval: "
        f"{coverage(fitf, 90):.0%}, inside the 50% interval: {coverage(fitf, 50):.0%}.",
        "",
    ]
    if len(summ):
        width = np.log(summ["posterior_p95"].abs() + 1e-12) - np.log(
            summ["posterior_p05"].abs() + 1e-12
        )
        worst = summ.assign(width=width).sort_values("width", ascending=False).head(3)
        lines.append(
            "**Most uncertain unknowns** (widest 90% interval, ratio of the bounds): "
            + "; ".join(
                f"{r.parameter} {r.posterior_p05:.3g}–{r.posterior_p95:.3g}"
                for r in worst.itertuples()
            )
            + "."
        )
        lines.append("")
    if len(est):
        tot = est[est["sex"] == "total"]
        rel = (tot["p95"] - tot["p05"]) / tot["p50"].where(tot["p50"] > 0)
        g = tot.assign(rel=rel).groupby("quantity")["rel"].median().sort_values(ascending=False)
        lines.append(
            "**Most uncertain estimates** (median width of the 90% interval "
            "relative to the median): "
            + "; ".join(f"{k} ±{v / 2:.0%}" for k, v in g.head(4).items())
            + "."
        )
        lines.append("")
    lines.append(
        "Estimates are model results, not counts: see estimates.csv for every "
        "quantity with its 5–95% interval."
    )
    return "\n".join(lines) + "\n"


def _exactness(prob: Problem) -> str:
    """How exact the expected-value mode of a fit was, in words."""
    lumped = [prob.model.state_ids[i] for i in np.flatnonzero(prob.ev.lumped)]
    if not lumped:
        return "exact expectations of the agent engine"
    ap = (
        prob.loaded.scenario.calibration.approximation if prob.loaded.scenario.calibration else None
    )
    why = f" ({ap.provenance()})" if ap is not None and ap.lump_days is not None else ""
    return (
        "expectations of the agent engine, exact except that "
        + ", ".join(lumped)
        + " keep one duration ring per sex"
        + why
        + "; `--exact` removes this"
    )


def calibrate_to_dir(
    loaded: LoadedScenario,
    out: Path,
    *,
    seed: int = 1,
    draws: int = 1000,
    importance: int = 0,
    max_iter: int = 15,
    resume: bool = False,
    progress: Any = None,
    lump_days: int | None = None,
    exact: bool = False,
) -> dict[str, Any]:
    """Fit the scenario's unknowns and write the outputs to ``out``.

    Returns:
        Facts about the fit (also written to ``calibration.json``).
    """
    ck = out.with_name(out.name + ".checkpoint")
    key = {
        "scenario": loaded.scenario.name,
        "sha256": loaded.sha256,
        "variant": loaded.variant,
        "overrides": list(loaded.overrides),
        "seed": seed,
        "draws": draws,
        "importance": importance,
        "lump_days": lump_days,
        "exact": exact,
    }
    _open_checkpoint(ck, key, resume)
    prob = prepare(loaded, lump_days=lump_days, exact=exact)
    post = fit(
        prob,
        seed=seed,
        draws=draws,
        importance=importance,
        max_iter=max_iter,
        checkpoint=ck,
        progress=progress,
    )
    summ = summary_frame(prob, post)
    fitf = _predictive_rows(prob, post, prob.rows, post.mu_mode, post.jac, seed, "observation")
    est = _predictive_rows(
        prob, post, prob.estimate_rows, post.est_mode, post.est_jac, seed, "poisson"
    )
    est = est.rename(columns={"series": "quantity"})[
        ["quantity", "year", "sex", "p05", "p50", "p95"]
    ]
    draws_df = pd.DataFrame(post.theta_draws, columns=[u.id for u in prob.unknowns])
    draws_df.insert(0, "draw", np.arange(len(draws_df)))
    meta = {
        "scenario": loaded.scenario.name,
        "sha256": loaded.sha256,
        "seed": seed,
        "unknowns": [u.id for u in prob.unknowns],
        "paths": {u.id: u.path for u in prob.unknowns},
        "rows": len(prob.rows),
        "evaluations": post.evaluations,
        "iterations": post.iterations,
        "seconds": post.seconds,
        "ess": post.ess,
        "log_posterior_at_mode": post.log_post,
        "ard": ard(fitf),
        "coverage90": coverage(fitf, 90),
        "coverage50": coverage(fitf, 50),
        "variant": loaded.variant,
        "overrides": list(loaded.overrides),
        "lumped_states": [prob.model.state_ids[i] for i in np.flatnonzero(prob.ev.lumped)],
    }

    def fill(d: Path) -> None:
        draws_df.to_parquet(d / "posterior.parquet", index=False)
        summ.to_csv(d / "summary.csv", index=False)
        fitf[["series", "year", "sex", "observed", "p05", "p50", "p95"]].to_csv(
            d / "fit.csv", index=False
        )
        est.to_csv(d / "estimates.csv", index=False)
        (d / "summary.md").write_text(plain_summary(prob, post, summ, fitf, est))
        save_meta(d / "calibration.json", meta)

    atomic_directory(out, fill)  # the old output stays whole until the new one is complete
    shutil.rmtree(ck, ignore_errors=True)
    return meta


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
                sorted(k for k in key if not isinstance(old, dict) or old.get(k) != key[k])
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


def validate(
    loaded: LoadedScenario,
    holdout_from: int,
    *,
    seed: int = 1,
    draws: int = 1000,
    importance: int = 0,
    max_iter: int = 15,
    lump_days: int | None = None,
    exact: bool = False,
) -> dict[str, Any]:
    """Fit on rows before ``holdout_from``; forecast the rest under the scenario's policies.

    Returns:
        ``ard_in_sample``, ``ard_holdout``, ``coverage50/90_in_sample``,
        ``coverage50/90_holdout``, women's shares, counts of rows, and the fit facts.
    """
    prob = prepare(loaded, before=holdout_from, lump_days=lump_days, exact=exact)
    post = fit(prob, seed=seed, draws=draws, importance=importance, max_iter=max_iter)
    fit_in = _predictive_rows(prob, post, prob.rows, post.mu_mode, post.jac, seed, "observation")
    cal = loaded.scenario.calibration
    held = build_rows(
        loaded.scenario,
        prob.model,
        exclude=tuple(cal.exclude if cal else ()),
        from_year=holdout_from,
    )
    V = row_values(prob.run(fd_points(post.z_mode, FD_STEP)), prob.model, held)
    jac = ((V[1:] - V[0]) / FD_STEP).T
    fit_out = _predictive_rows(
        prob,
        post,
        held,
        V[0],
        jac,
        seed,
        "observation",
        Likelihood(held, prob.likelihood.om),
        stream=37,
    )
    ws_in = women_share(fit_in)
    ws_out = women_share(fit_out)
    return {
        "scenario": loaded.scenario.name,
        "holdout_from": holdout_from,
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
    """``n`` parameter sets drawn (deterministically) from a calibration folder."""
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
