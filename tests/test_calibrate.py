"""Calibration: simulation-based calibration, outputs, resume, validation, posterior runs."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crossings.calibrate.fit import fit, prepare, sbc
from crossings.calibrate.observe import Likelihood
from crossings.calibrate.outputs import Options, calibrate_to_dir
from crossings.calibrate.sample import HOPELESS_KHAT, importance_sample
from crossings.calibrate.unknowns import CalibrationError
from crossings.cli import app
from crossings.scenario import load_scenario
from crossings.scenario.errors import ScenarioError

SMALL = Path(__file__).parent / "data" / "calib_small.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def problem():  # type: ignore[no-untyped-def]
    return prepare(load_scenario(SMALL))


def _check_sbc(res: dict[str, np.ndarray]) -> None:
    n = res["inside50"].size  # data sets × unknowns
    for level, key in ((0.5, "inside50"), (0.9, "inside90")):
        rate = float(res[key].mean())
        se = math.sqrt(level * (1 - level) / n)
        # unknowns of one data set are not independent: allow 3.5 binomial standard errors
        assert abs(rate - level) <= 3.5 * se, (key, rate)
        per_param = res[key].mean(axis=0)
        se1 = math.sqrt(level * (1 - level) / res[key].shape[0])
        assert np.all(np.abs(per_param - level) <= 4 * se1), (key, per_param)
    # ranks of the truth among the draws are roughly uniform
    ranks = res["rank"].ravel()
    hist = np.histogram(ranks, bins=5, range=(0, 1))[0]
    assert hist.min() >= 0.35 * n / 5


@pytest.mark.slow
def test_sbc_laplace_intervals_cover_at_nominal_rates(problem) -> None:  # type: ignore[no-untyped-def]
    """100 synthetic data sets from known parameters: the Laplace preview's 50%/90%
    intervals cover as stated."""
    _check_sbc(sbc(problem, 100, seed=11, method="laplace"))


@pytest.mark.slow
def test_sbc_exact_posterior_intervals_cover_at_nominal_rates(problem) -> None:  # type: ignore[no-untyped-def]
    """Importance sampling of the exact posterior from a Student-t passes SBC too."""
    _check_sbc(sbc(problem, 60, seed=12, method="importance", target_ess=300, draws=300))


@pytest.mark.slow
def test_sbc_hmc_intervals_cover_at_nominal_rates(problem) -> None:  # type: ignore[no-untyped-def]
    """HMC on the surrogate, importance-corrected, passes SBC on the same 60 data sets."""
    _check_sbc(sbc(problem, 60, seed=12, method="hmc", target_ess=300, draws=300))


def test_same_seed_same_posterior(problem) -> None:  # type: ignore[no-untyped-def]
    a = fit(problem, seed=3, draws=200, target_ess=200)
    b = fit(problem, seed=3, draws=200, target_ess=200)
    assert np.array_equal(a.z, b.z)
    c = fit(problem, seed=4, draws=200, target_ess=200)
    assert not np.array_equal(a.z, c.z)
    assert a.ess >= 200 and a.khat is not None and a.khat < 0.7


def test_posterior_recovers_known_parameters(problem) -> None:  # type: ignore[no-untyped-def]
    """Fit to noise-free expected data from the scenario's own values: truth inside 90%."""
    z0 = np.zeros((1, problem.dim))  # every prior's median: 1.0, 0.5 and 0.2
    np.testing.assert_allclose(problem.space.values(z0)[0], [1.0, 0.5, 0.2])
    mu, _ = problem.values(z0)
    rows0, lik0 = problem.rows, problem.likelihood
    try:
        problem.rows = [
            dataclasses.replace(r, observed=float(v), low=float(v), high=float(v))
            if r.kind != "range"
            else r
            for r, v in zip(rows0, mu[0], strict=True)
        ]
        problem.likelihood = Likelihood(problem.rows, lik0.om)
        post = fit(problem, seed=1, draws=2000)
    finally:
        problem.rows, problem.likelihood = rows0, lik0
    q = np.quantile(problem.space.values(post.z), [0.05, 0.95], axis=0)
    truth = np.array([1.0, 0.5, 0.2])
    assert np.all((q[0] <= truth) & (truth <= q[1]))


def test_calibrate_cli_outputs_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "cal"
    r = runner.invoke(
        app,
        ["calibrate", str(SMALL), "--out", str(out), "--draws", "300", "--target-ess", "300"],
    )
    assert r.exit_code == 0, r.output
    for name in (
        "posterior.parquet",
        "summary.csv",
        "fit.csv",
        "coverage.csv",
        "checks.csv",
        "estimates.csv",
        "identifiability.csv",
        "sensitivity.csv",
        "summary.md",
        "calibration.json",
    ):
        assert (out / name).exists(), name
    fitf = pd.read_csv(out / "fit.csv")
    assert list(fitf.columns[:8]) == [
        "series",
        "year",
        "sex",
        "role",
        "kind",
        "observed",
        "low",
        "high",
    ]
    assert {"p05", "p25", "p50", "p75", "p95", "inside50", "inside90", "period"} <= set(fitf)
    assert (fitf["p05"] <= fitf["p50"]).all() and (fitf["p50"] <= fitf["p95"]).all()
    est = pd.read_csv(out / "estimates.csv")
    assert list(est.columns[:6]) == ["quantity", "year", "sex", "p05", "p50", "p95"]
    meta = json.loads((out / "calibration.json").read_text())
    assert meta["method"] == "importance" and meta["ess"] >= 300 and meta["khat"] < 0.7
    assert set(est["quantity"]) == {"attempts", "hiding"}
    summ = pd.read_csv(out / "summary.csv")
    assert set(summ["parameter"]) == {"crossers_scale", "move_on_rate", "arrest_rate"}
    assert summ["source"].str.startswith("assumption").all()
    draws = pd.read_parquet(out / "posterior.parquet")
    assert len(draws) == 300
    # a second run with the same seed gives the same posterior
    out2 = tmp_path / "cal2"
    r = runner.invoke(
        app, ["calibrate", str(SMALL), "--out", str(out2), "--draws", "300", "--target-ess", "300"]
    )
    assert r.exit_code == 0
    assert pd.read_parquet(out2 / "posterior.parquet").equals(draws)
    # resume: a checkpoint left by a killed run is picked up and gives the same answer
    ck = tmp_path / "cal3.checkpoint"
    assert not out2.with_name("cal2.checkpoint").exists()  # removed after a finished run
    _killed_after(2, tmp_path / "cal3")
    assert (ck / "mode.npz").exists() and not (tmp_path / "cal3").exists()
    r = runner.invoke(
        app,
        [
            "calibrate",
            str(SMALL),
            "--out",
            str(tmp_path / "cal3"),
            "--draws",
            "300",
            "--target-ess",
            "300",
            "--resume",
        ],
    )
    assert r.exit_code == 0, r.output
    resumed = pd.read_parquet(tmp_path / "cal3" / "posterior.parquet")
    # the resumed mode search takes another path to the same mode, so the importance
    # sampler's proposal (and its draws) differ: the medians agree within Monte Carlo error
    # (the standard error of a median of an effective sample of 300 is ~1.25 sd / sqrt(300))
    a, b = resumed.drop(columns="draw"), draws.drop(columns="draw")
    se = 1.25 * b.std() / math.sqrt(300)
    assert (np.abs(a.median() - b.median()) <= 4 * math.sqrt(2) * se).all()


class _KilledError(Exception):
    pass


def _killed_after(iterations: int, out: Path, overrides: tuple[str, ...] = ()) -> None:
    """Run ``calibrate_to_dir`` and "kill" it after ``iterations`` optimiser iterations."""
    seen = []

    def progress(stage: str, frac: float, detail: str = "") -> None:
        seen.append(stage)
        if seen.count("finding the mode") > iterations:
            raise _KilledError

    with pytest.raises(_KilledError):
        calibrate_to_dir(
            load_scenario(SMALL, overrides=list(overrides)),
            out,
            Options(draws=300, target_ess=300),
            progress=progress,
        )


@pytest.mark.parametrize(
    ("argv", "differs"),
    [
        (["--set", "inflows.crossers.rate.by_year.2010=1100"], "sha256"),
        (["--seed", "2"], "seed"),
        (["--exact"], "exact"),
        (["--draws", "400"], "draws"),
    ],
)
def test_resume_refuses_a_checkpoint_of_another_calibration(
    tmp_path: Path, argv: list[str], differs: str
) -> None:
    out = tmp_path / "cal"
    _killed_after(1, out)
    r = runner.invoke(
        app,
        [
            "calibrate",
            str(SMALL),
            "--out",
            str(out),
            "--draws",
            "300",
            "--target-ess",
            "300",
            "--resume",
            *argv,
        ],
    )
    assert r.exit_code == 2, r.output
    assert "was made for another calibration" in r.output and differs in r.output
    assert not out.exists()  # nothing written
    assert (tmp_path / "cal.checkpoint" / "mode.npz").exists()  # the checkpoint is kept


def test_killed_calibration_keeps_the_previous_output_whole(tmp_path: Path) -> None:
    out = tmp_path / "cal"
    r = runner.invoke(
        app, ["calibrate", str(SMALL), "--out", str(out), "--draws", "300", "--target-ess", "300"]
    )
    assert r.exit_code == 0, r.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _killed_after(1, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_validate_json(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "validate",
            str(SMALL),
            "--holdout-from",
            "2016",
            "--json",
            "--draws",
            "300",
            "--target-ess",
            "300",
        ],
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    for key in ("ard_in_sample", "ard_holdout", "coverage90_holdout", "coverage50_holdout"):
        assert 0 <= res[key] <= 1, key
    assert res["rows_holdout"] == 8  # 2016–2019, women and men
    assert res["ard_in_sample"] < 0.1
    # --lump-days and --exact reach the fit: calibration.json names the lumped states
    for extra, want in (
        ([], []),
        (["--lump-days", "1"], ["travelling"]),
        (["--lump-days", "1", "--exact"], []),
    ):
        out = tmp_path / ("cal" + "".join(extra))
        r = runner.invoke(
            app,
            [
                "calibrate",
                str(SMALL),
                "--out",
                str(out),
                "--draws",
                "100",
                "--method",
                "laplace",
                *extra,
            ],
        )
        assert r.exit_code == 0, r.output
        meta = json.loads((out / "calibration.json").read_text())
        assert meta["lumped_states"] == want, extra


def test_run_with_posterior(tmp_path: Path) -> None:
    cal = tmp_path / "cal"
    assert (
        runner.invoke(
            app,
            ["calibrate", str(SMALL), "--out", str(cal), "--draws", "200", "--target-ess", "200"],
        ).exit_code
        == 0
    )
    out = tmp_path / "runs"
    r = runner.invoke(
        app,
        [
            "run",
            str(SMALL),
            "--posterior",
            str(cal),
            "--runs",
            "3",
            "--out",
            str(out),
            "-q",
            "--workers",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    obs = pd.read_csv(out / "observations.csv")
    assert len(obs)
    # the calibration's estimates travel with the runs, for the report, and what the
    # calibration says of them: identifiability, held-back checks, sensitivity, coverage
    for name in ("estimates", "identifiability", "checks", "sensitivity", "coverage"):
        assert pd.read_csv(out / f"{name}.csv").equals(pd.read_csv(cal / f"{name}.csv")), name
    html = tmp_path / "report.html"
    r = runner.invoke(app, ["report", str(out), "-o", str(html)])
    assert r.exit_code == 0, r.output
    text = html.read_text(encoding="utf-8")
    assert "What the data can tell" in text and "what the data say" in text
    idf = pd.read_csv(cal / "identifiability.csv")
    for label in set(idf.loc[idf["kind"] == "estimate", "label"]):
        assert label in text  # each estimate's label is shown next to its number
    # with an override the runs are a what-if: the calibration's estimates do not apply
    out2 = tmp_path / "runs2"
    r = runner.invoke(
        app,
        [
            "run",
            str(SMALL),
            "--posterior",
            str(cal),
            "--runs",
            "2",
            "--set",
            "transitions.hiding[1].rate.per_year=0.4",
            "--out",
            str(out2),
            "-q",
            "--workers",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert not (out2 / "estimates.csv").exists()
    r = runner.invoke(app, ["run", str(SMALL), "--posterior", str(tmp_path / "nothing"), "-q"])
    assert r.exit_code == 2
    assert "posterior.parquet" in r.output


def test_bad_unknowns_get_clear_errors(tmp_path: Path) -> None:
    text = SMALL.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace("path: transitions.hiding[0].rate", "path: transitions.hidng[0].rate")
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad)
    msg = exc.value.format()
    assert "no sourced parameter has this path" in msg
    assert "transitions.hiding[0].rate" in msg  # did-you-mean
    nolin = tmp_path / "nolin.yaml"
    nolin.write_text(
        text.replace(
            'rate: {per_year: 0.2, assumption: "test value"}',
            'rate: {mean_days: 1800, assumption: "test value"}',
        )
    )
    with pytest.raises(CalibrationError, match=r"not linear|mean_days|single number"):
        prepare(load_scenario(nolin))
    r = runner.invoke(app, ["calibrate", str(nolin), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_scenario_approximation_lumps_unless_exact(tmp_path: Path) -> None:
    """`calibration.approximation.lump_days` lumps long stays; `exact=True` and the
    `--lump-days` override win; lumped and exact values agree closely here."""
    text = SMALL.read_text().replace(
        "calibration:\n",
        'calibration:\n  approximation: {lump_days: 7, assumption: "test: lumping is '
        'checked against the exact mode"}\n',
        1,
    )
    path = tmp_path / "lumped.yaml"
    path.write_text(text)
    loaded = load_scenario(path)
    travelling = loaded.scenario.states[1].id
    lumped = prepare(loaded)
    idx = lumped.model.state_ids.index(travelling)
    assert bool(lumped.ev.lumped[idx])
    exact = prepare(loaded, exact=True)
    assert not exact.ev.lumped.any()
    assert not prepare(loaded, lump_days=365).ev.lumped.any()  # stays are at most 8 weeks
    z = np.zeros((1, exact.dim))
    v_x, _ = exact.values(z)
    v_l, _ = lumped.values(z)
    # one sex-wide ring: exits are shared by type; here every type behaves alike
    np.testing.assert_allclose(v_l, v_x, rtol=1e-9)
    bad = tmp_path / "noreason.yaml"
    bad.write_text(
        text.replace(', assumption: "test: lumping is checked against the exact mode"', "")
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad)
    assert "approximation gives no reason" in exc.value.format()


def test_structural_alternatives_report_how_far_the_estimates_move(tmp_path: Path) -> None:
    """An alternative in which the journey takes a year: base and alternative medians are
    both reported (keyed as the estimates' totals), the change is their relative
    difference, and it is not zero."""
    text = SMALL.read_text(encoding="utf-8")
    text = text.replace(
        "calibration:\n",
        "variants:\n"
        "  alt_slow_travel:\n"
        "    description: structural alternative, the journey takes a year\n"
        '    set: {"states.travelling.duration.min": 50, "states.travelling.duration.max": 54}\n'
        "calibration:\n  alternatives: [alt_slow_travel]\n",
        1,
    )
    path = tmp_path / "alt.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "cal"
    calibrate_to_dir(load_scenario(path), out, Options(method="laplace", draws=300, prior_draws=0))
    sens = pd.read_csv(out / "sensitivity.csv")
    alt = sens[sens["check"] == "alternative: alt_slow_travel"].set_index("quantity")
    assert set(alt.index) == {"attempts (all years)", "hiding (yearly mean)"}
    est = pd.read_csv(out / "estimates.csv")
    base = est[(est["sex"] == "total") & (est["quantity"] == "attempts")]
    base_total = float(base[base["year"] == "all years"]["p50"].iloc[0])
    assert alt.loc["attempts (all years)", "base_median"] == pytest.approx(base_total)
    for q in alt.index:
        b, m = alt.loc[q, "base_median"], alt.loc[q, "alternative_median"]
        assert np.isfinite(b) and np.isfinite(m)
        assert alt.loc[q, "change"] == pytest.approx((m - b) / b)
    # arrivals a year later need other crossing numbers to explain the same arrivals
    assert alt.loc["attempts (all years)", "change"] != 0


def test_a_hopeless_proposal_stops_after_its_pilot() -> None:
    """A target far from the proposal (N(4, 0.05²) in 20 dimensions against a Student-t
    around 0): the pilot's k̂ is far above 1, so the sampler stops after the pilot's 200
    evaluations and says it failed; a good proposal (the target itself) goes on."""
    d = 20
    calls: list[int] = []

    def far(z: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        calls.append(z.shape[0])
        return -0.5 * (((z - 4.0) / 0.05) ** 2).sum(axis=1), {"fit": z[:, :1]}

    s = importance_sample(far, np.zeros(d), np.eye(d), seed=1, first=2000, pilot=200)
    assert s.failed and s.khat > HOPELESS_KHAT and s.evaluations == 200 and calls == [200]

    def near(z: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return -0.5 * (z**2).sum(axis=1), {"fit": z[:, :1]}

    ok = importance_sample(near, np.zeros(d), np.eye(d), seed=1, target_ess=500, pilot=200)
    assert not ok.failed and ok.ess >= 500 and ok.khat < 0.7


def test_a_failed_importance_sampler_reports_the_laplace_fit_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the sampler fails, the posterior written is the Laplace one, labelled so in
    calibration.json, summary.md and the printed summary (never as the exact posterior)."""
    import crossings.calibrate.fit as fitmod  # noqa: PLC0415

    real = fitmod.importance_sample

    def hopeless(*args: object, **kw: object) -> object:
        out = real(*args, **kw)  # type: ignore[arg-type]
        return dataclasses.replace(out, failed=True, khat=3.5, ess=2.0)

    monkeypatch.setattr(fitmod, "importance_sample", hopeless)
    out = tmp_path / "cal"
    r = runner.invoke(
        app,
        ["calibrate", str(SMALL), "--out", str(out), "--target-ess", "300", "--prior-draws", "0"],
    )
    assert r.exit_code == 0, r.output
    meta = json.loads((out / "calibration.json").read_text())
    assert meta["method"] == "laplace"
    assert meta["importance_failed"]["khat"] == 3.5
    assert "importance sampling from it failed" in (out / "summary.md").read_text()
    assert "could not be sampled" in " ".join(r.output.split())


def _calibrate_hmc(out: Path, *extra: str):  # type: ignore[no-untyped-def]
    """``crossings calibrate SMALL --method hmc`` with a small target, no prior draws or refits."""
    base = ["calibrate", str(SMALL), "--method", "hmc", "--out", str(out), "--target-ess", "200"]
    return runner.invoke(app, [*base, "--prior-draws", "0", "--no-alternatives", *extra])


def test_a_failed_hmc_sampler_reports_the_laplace_fit_and_names_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HMC whose importance correction stays hopeless (k̂ > 1): the Laplace fit, labelled,
    and every output says that it was HMC on the surrogate that failed."""
    import crossings.calibrate.fit as fitmod  # noqa: PLC0415

    real = fitmod.hmc_sample

    def hopeless(*args: object, **kw: object) -> object:
        out = real(*args, **kw)  # type: ignore[arg-type]
        bad = dataclasses.replace(out.sample, failed=True, khat=4.2, ess=1.0)
        return dataclasses.replace(out, sample=bad)

    monkeypatch.setattr(fitmod, "hmc_sample", hopeless)
    out = tmp_path / "cal"
    r = _calibrate_hmc(out)
    assert r.exit_code == 0, r.output
    meta = json.loads((out / "calibration.json").read_text())
    assert meta["method"] == "laplace" and meta["chains"] is None
    assert meta["importance_failed"]["sampler"] == "hmc"
    assert meta["importance_failed"]["khat"] == 4.2
    assert (
        "HMC on a surrogate of the model, importance-corrected, failed"
        in (out / "summary.md").read_text()
    )
    printed = " ".join(r.output.split())
    assert "could not be sampled: HMC on a surrogate" in printed


def test_hmc_calibration_records_its_chains(tmp_path: Path) -> None:
    """A successful HMC calibration writes the chains' diagnostics and says so in summary.md."""
    out = tmp_path / "cal"
    r = _calibrate_hmc(out, "--draws", "200")
    assert r.exit_code == 0, r.output
    meta = json.loads((out / "calibration.json").read_text())
    assert meta["method"] == "hmc" and meta["importance_failed"] is None
    c = meta["chains"]
    assert c["chains"] == 16 and c["rhat_max"] < 1.05 and c["ess_min"] > 200
    assert meta["ess"] >= 200 and meta["khat"] < 0.7
    assert meta["importance_ess"] >= meta["ess"]
    assert "Hamiltonian Monte Carlo on a surrogate" in (out / "summary.md").read_text()


def test_an_alternative_that_makes_an_unknown_inert_is_refitted_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A factor on a rate that the alternative sets to zero changes nothing there: the
    refit leaves it out (rather than failing the whole calibration, as it once did after
    the base fit was done), and an alternative that cannot be refitted at all gets a row
    saying why while the others go on."""
    text = SMALL.read_text(encoding="utf-8")
    text = text.replace(
        '      rate: {per_year: 0.2, assumption: "test value"}\n',
        '      rate: {per_year: 0.2, assumption: "test value"}\n'
        "    - id: deport\n"
        "      to: returned\n"
        '      rate: {per_year: 0.05, assumption: "test value"}\n',
        1,
    )
    text = text.replace(
        "  estimates:\n",
        "    - id: deport_scale\n"
        "      path: transitions.hiding[2].rate\n"
        '      prior: {distribution: lognormal, median: 1.0, sigma: 0.5, assumption: "test"}\n'
        "  estimates:\n",
        1,
    )
    text = text.replace(
        "calibration:\n",
        "variants:\n"
        "  alt_no_deport:\n"
        "    description: structural alternative, nobody is deported\n"
        '    set: {"transitions.hiding.deport.rate.per_year": 0.0}\n'
        "  alt_nobody_crosses:\n"
        "    description: structural alternative that leaves nothing to fit\n"
        '    set: {"inflows.crossers.rate.by_year.2010": 0,'
        ' "inflows.crossers.rate.by_year.2014": 0,'
        ' "inflows.crossers.rate.by_year.2017": 0}\n'
        "calibration:\n  alternatives: [alt_no_deport, alt_nobody_crosses]\n",
        1,
    )
    path = tmp_path / "inert.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_scenario(path)
    assert prepare(loaded).dim == 4
    alt = load_scenario(path, variant="alt_no_deport")
    with pytest.raises(CalibrationError, match="deport_scale"):
        prepare(alt)
    assert [b.unknown.id for b in prepare(alt, drop_inert=True).space.blocks] == [
        "crossers_scale",
        "move_on_rate",
        "arrest_rate",
    ]
    import crossings.calibrate.outputs as outmod  # noqa: PLC0415

    real_prepare = outmod.prepare

    def failing(ld: object, **kw: object) -> object:
        if getattr(ld, "variant", None) == "alt_nobody_crosses":
            raise CalibrationError("no observation rows to fit inside the simulated span")
        return real_prepare(ld, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(outmod, "prepare", failing)
    out = tmp_path / "cal"
    calibrate_to_dir(loaded, out, Options(method="laplace", draws=300, prior_draws=0))
    sens = pd.read_csv(out / "sensitivity.csv")
    ok = sens[sens["check"] == "alternative: alt_no_deport"]
    assert len(ok) == 2 and ok["alternative_median"].notna().all()
    bad = sens[sens["check"] == "alternative: alt_nobody_crosses"]
    assert len(bad) == 1 and bad["quantity"].iloc[0].startswith("(not refitted:")
