"""Hold-out validation refits everything on the earlier years: no later number is used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crossings.calibrate.fit import prepare
from crossings.calibrate.outputs import Options, validate
from crossings.calibrate.params import ParamSpace
from crossings.scenario.load import load_scenario_text

SMALL = Path(__file__).parent / "data" / "calib_small.yaml"
SERIES = """    - id: crossers_by_year
      path: inflows[0].rate
      mode: series
      years: [2010, 2019]
      prior: {distribution: lognormal, median: 1000, sigma: 0.8, assumption: "test"}
      smoothness:
        step_sd: {distribution: lognormal, median: 0.2, sigma: 0.5, assumption: "test"}
"""
BY_YEAR = "{2010: 1000, 2011: 1100, 2012: 1200, 2013: 1300, 2014: 1400, 2015: 1300, "


def _scenario(later: str = "2016: 1200, 2017: 900, 2018: 900, 2019: 900}") -> str:
    text = SMALL.read_text()
    text = text.replace(
        "rate: {by_year: {2010: 1000, 2014: 1400, 2017: 900}, sources: [R1]}",
        f"rate: {{by_year: {BY_YEAR}{later}, sources: [R1]}}",
    )
    start = text.index("    - id: crossers_scale")
    end = text.index("    - id: move_on_rate")
    return text[:start] + SERIES + text[end:]


def _later_rows_changed(text: str) -> str:
    """The observed rows from 2016 on, multiplied by three."""
    out = []
    for line in text.splitlines(keepends=True):
        new = line
        for y in range(2016, 2020):
            if line.strip().startswith(f"- {{year: {y}, female:"):
                parts = line.split("female: ")[1].split(", male: ")
                f, m = int(parts[0]), int(parts[1].rstrip("}\n "))
                new = line.replace(f"female: {f}, male: {m}", f"female: {3 * f}, male: {3 * m}")
        out.append(new)
    return "".join(out)


def test_a_series_unknown_sets_every_year(tmp_path: Path) -> None:
    loaded = load_scenario_text(_scenario(), str(SMALL))
    prob = prepare(loaded)
    names = [c.name for c in prob.space.components]
    assert names[:10] == [f"crossers_by_year@{y}" for y in range(2010, 2020)]
    assert prob.dim == 1 + 10 + 2  # level, step size, 9 steps; and two scalar rates
    z = np.zeros((1, prob.dim))
    np.testing.assert_allclose(prob.space.values(z)[0, :10], 1000.0)  # prior medians
    # coordinates and values go back and forth
    v = prob.space.values(np.random.default_rng(1).standard_normal((3, prob.dim)))
    z2 = prob.space.coordinates_of(v)
    np.testing.assert_allclose(prob.space.values(z2)[:, :10], v[:, :10], rtol=1e-9)
    assert isinstance(prob.space, ParamSpace)


@pytest.mark.slow
def test_validation_uses_no_number_from_the_held_out_years() -> None:
    """Change every scenario number and every observation from 2016 on: nothing moves."""
    opts = Options(method="importance", seed=3, draws=400, target_ess=300)
    a = validate(load_scenario_text(_scenario(), str(SMALL)), 2016, opts)
    changed = _later_rows_changed(_scenario("2016: 5000, 2017: 90, 2018: 9000, 2019: 3}"))
    assert changed != _scenario()
    b = validate(load_scenario_text(changed, str(SMALL)), 2016, opts)
    assert a["rows_in_sample"] == b["rows_in_sample"] and a["rows_holdout"] == b["rows_holdout"]
    for key in ("ard_in_sample", "coverage90_in_sample", "coverage50_in_sample"):
        assert a[key] == b[key], key
    ha, hb = pd.DataFrame(a["holdout_rows"]), pd.DataFrame(b["holdout_rows"])
    for col in ("p05", "p25", "p50", "p75", "p95"):
        np.testing.assert_array_equal(ha[col].to_numpy(), hb[col].to_numpy(), err_msg=col)
    assert not np.array_equal(ha["observed"].to_numpy(), hb["observed"].to_numpy())


def test_validate_says_when_the_mode_search_stopped_at_its_limit(tmp_path: Path) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL.read_text(), encoding="utf-8")
    args = [sys.executable, "-m", "crossings", "validate", str(scenario), "--holdout-from"]
    args += ["2016", "--method", "laplace", "--max-iter", "1"]
    p = subprocess.run(args, capture_output=True, text=True, check=False, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "mode search stopped at its limit after" in " ".join(p.stderr.split())
    p = subprocess.run([*args[:-4], "--method", "laplace", "--json"], capture_output=True,
                       text=True, check=False, timeout=600)  # fmt: skip
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["converged"] is True and res["stopped_by"] in {"newton step", "no gain"}
    assert res["iterations"] >= 1
