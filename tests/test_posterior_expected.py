"""Expected values of posterior draws (``RunMode.POSTERIOR_EXPECTED``).

The mode draws the same parameter sets as the agent posterior mode and runs
them as one batch of the expected-value mode. These tests check that each
draw's numbers are exactly the expected values of that draw's own compiled
model, that agent runs at the same draws scatter around them as counts
should, that a draw changing the model's structure is refused, and that the
results go through the bundle, the summary, the report and the CLI.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crossings import load_scenario
from crossings.calibrate.outputs import posterior_thetas
from crossings.calibrate.params import ParamSpace
from crossings.calibrate.unknowns import apply_components
from crossings.cli import app as cli
from crossings.compile.compiler import compile_scenario
from crossings.expected import ExpectedModeError, expected_values, stacked_arrays
from crossings.results.bundle import RunMode, open_bundle
from crossings.results.io import write_results
from crossings.results.views import run_text
from crossings.runs import RunPlan, RunPlanError, execute

runner = CliRunner()
SHORT = ["time.end=2006-12-31"]  # a shorter span keeps the agent runs quick


def fake_posterior(folder: Path, scenario: str, n: int = 50, seed: int = 3) -> Path:
    """A calibration folder holding only ``posterior.parquet``: draws around the
    scenario's current values (what `crossings run --posterior` reads)."""
    loaded = load_scenario(scenario)
    cal = loaded.scenario.calibration
    assert cal is not None
    comps = ParamSpace(list(cal.unknowns)).components
    from crossings.calibrate.unknowns import component_value  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    cols = {
        c.name: component_value(loaded.scenario, c) * rng.lognormal(0.0, 0.15, n) for c in comps
    }
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"draw": np.arange(n), **cols}).to_parquet(folder / "posterior.parquet")
    (folder / "calibration.json").write_text(json.dumps({"sha256": loaded.sha256}))
    return folder


@pytest.fixture(scope="module")
def posterior(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake_posterior(tmp_path_factory.mktemp("post") / "example-post", "example")


def plan(folder: Path, runs: int = 6, seed: int = 5, **kw: object) -> RunPlan:
    return RunPlan(RunMode.POSTERIOR_EXPECTED, runs=runs, seed=seed, posterior=folder, **kw)  # type: ignore[arg-type]


def test_each_draw_is_the_expected_value_of_its_own_model(posterior: Path) -> None:
    loaded = load_scenario("example")
    res = execute(loaded, plan(posterior, runs=4))
    assert res.mode is RunMode.POSTERIOR_EXPECTED and len(res.runs) == 4
    names, theta = posterior_thetas(posterior, 4, 5)
    comps = {c.name: c for c in ParamSpace(list(loaded.scenario.calibration.unknowns)).components}  # type: ignore[union-attr]
    for i, run in enumerate(res.runs):
        model = compile_scenario(
            apply_components(loaded.scenario, [comps[n] for n in names], theta[i])
        )
        alone = expected_values(model)
        for name, arr in alone.arrays().items():
            got = getattr(run, name)
            ref = np.where(np.abs(arr) < 1e-9, 0, arr)
            np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-9, err_msg=name)
        assert run.cohort_outcomes is None and run.journeys is None
        assert run.agents_created == pytest.approx(float(alone.flows[:, -1].sum()), rel=1e-12)
    # the draws differ: a band, not one number repeated
    arrivals = [float(r.flows.sum()) for r in res.runs]
    assert len(set(arrivals)) == 4


def test_agent_runs_at_the_same_draws_scatter_around_the_expected_values(
    posterior: Path,
) -> None:
    """Run ``i`` of both posterior modes uses draw ``i``.

    Arrivals and deaths happen at most once per person, and entries are
    Poisson, so given its draw a run's count is Poisson around that draw's
    expected value: the sum over 12 draws of ``(count - expected)^2 / expected``
    is chi-square with 12 degrees of freedom (people present at the start make
    it smaller). Unpaired draws give hundreds (measured: 428 and 1,787 for
    arrivals with the draws of seeds 41 and 77).
    """
    from scipy import stats  # noqa: PLC0415

    loaded = load_scenario("example", overrides=SHORT)
    ev = execute(loaded, plan(posterior, runs=12, seed=40))
    ag = execute(
        loaded, RunPlan(RunMode.POSTERIOR, runs=12, seed=40, posterior=posterior, workers=1)
    )
    m = ev.model
    bound = stats.chi2.ppf(0.999, 12)
    for state in ("arrived", "dead"):
        s = m.state_ids.index(state)
        e = np.array([r.flows[:, :, s].sum() for r in ev.runs])  # entries into the state
        a = np.array([r.flows[:, :, s].sum() for r in ag.runs], dtype=float)
        assert e.min() > 20
        assert ((a - e) ** 2 / e).sum() < bound, (state, a, e)


def test_same_seed_same_numbers_and_a_variant_takes_the_same_draws(posterior: Path) -> None:
    loaded = load_scenario("example")
    a = execute(loaded, plan(posterior, runs=3, seed=9))
    b = execute(loaded, plan(posterior, runs=3, seed=9))
    for x, y in zip(a.runs, b.runs, strict=True):
        for name, arr in x.arrays().items():
            np.testing.assert_array_equal(arr, getattr(y, name), err_msg=name)
    other = execute(load_scenario("example"), plan(posterior, runs=3, seed=10))
    assert not np.array_equal(a.runs[0].flows, other.runs[0].flows)
    variant = execute(
        load_scenario("example", variant="no_crackdown"), plan(posterior, runs=3, seed=9)
    )
    assert variant.seeds == a.seeds  # paired draw by draw in a comparison


def test_a_draw_that_changes_the_structure_is_refused() -> None:
    base = compile_scenario(load_scenario("example"))
    other = compile_scenario(load_scenario("example", variant="no_crackdown"))
    with pytest.raises(ExpectedModeError, match="parameter set 1 changes the compiled model's"):
        stacked_arrays([base, other])
    # rates alone may differ
    faster = dataclasses.replace(
        base, hazards=dataclasses.replace(base.hazards, rate=base.hazards.rate * 1.5)
    )
    arrays = stacked_arrays([base, faster])
    np.testing.assert_array_equal(arrays["rate"][1], base.hazards.rate * 1.5)


def test_plans_that_do_not_fit_are_refused(posterior: Path) -> None:
    with pytest.raises(RunPlanError, match="calibration folder"):
        RunPlan(RunMode.POSTERIOR_EXPECTED, runs=3).check()
    with pytest.raises(RunPlanError, match="shards"):
        plan(posterior, shards=2).check()
    plan(posterior, lump_days=3650).check()  # lumping applies to expected values
    with pytest.raises(RunPlanError, match="expected values only"):
        RunPlan(RunMode.POSTERIOR, runs=2, posterior=posterior, lump_days=3650).check()


def test_results_folder_summary_and_report(posterior: Path, tmp_path: Path) -> None:
    from crossings.report import build_report  # noqa: PLC0415

    res = execute(load_scenario("example"), plan(posterior, runs=5))
    folder = write_results(res, tmp_path / "pe")
    bundle = open_bundle(folder)
    assert bundle.run.mode is RunMode.POSTERIOR_EXPECTED and bundle.run.runs == 5
    assert not (folder / "cohort_flows.parquet").exists()  # no tables by entry cohort
    assert bundle.table("outcomes").empty
    text = run_text(bundle)
    assert "exact expected values of 5 parameter sets" in text and "uncertainty only" in text
    html = build_report([folder], tmp_path / "report.html")
    assert "exact expected values of 5 parameter sets" in Path(html).read_text(encoding="utf-8")


def test_cli_run_posterior_expected(posterior: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    r = runner.invoke(
        cli,
        [
            "run",
            "example",
            "--posterior",
            str(posterior),
            "--expected",
            "--runs",
            "4",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "expected values written to" in r.output
    run = json.loads((out / "run.json").read_text())
    assert run["mode"] == "posterior-expected" and run["runs"] == 4
    # --executor makes no sense without agents
    r = runner.invoke(
        cli,
        [
            "run",
            "example",
            "--posterior",
            str(posterior),
            "--expected",
            "--executor",
            "local",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert r.exit_code != 0 and "drop --executor" in r.output


@pytest.mark.parametrize("scenario", ["example", "north-korea"])
def test_draws_compile_as_a_full_copy_would_and_leave_the_scenario_alone(scenario: str) -> None:
    """``apply_components`` copies only the sections it writes, and a ``CompileMemo``
    shares the durations: the compiled draws are the same as without either."""
    from crossings.calibrate.unknowns import component_value  # noqa: PLC0415
    from crossings.compile.compiler import CompileMemo  # noqa: PLC0415
    from crossings.expected import _first_difference  # noqa: PLC0415

    loaded = load_scenario(scenario)
    sc = loaded.scenario
    comps = ParamSpace(list(sc.calibration.unknowns)).components  # type: ignore[union-attr]
    before = [component_value(sc, c) for c in comps]
    memo = CompileMemo()
    for factor in (0.7, 1.3):
        values = np.array(before) * factor
        shared = compile_scenario(apply_components(sc, comps, values), memo=memo)
        full_copy = sc.model_copy(deep=True)
        alone = compile_scenario(apply_components(full_copy, comps, values))
        assert _first_difference(shared, alone, "") is None
        for name in ("combo_rate", "combo_initial", "det_prob", "family_share"):
            np.testing.assert_array_equal(getattr(shared, name), getattr(alone, name))
        np.testing.assert_array_equal(shared.hazards.rate, alone.hazards.rate)
    assert [component_value(sc, c) for c in comps] == before  # the scenario is untouched
    assert memo.durations  # the durations were computed once and shared
