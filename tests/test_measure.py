"""One measurement: observations.csv and the calibration's fit agree row by row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crossings.calibrate.fit import prepare, start_z
from crossings.calibrate.unknowns import apply_components
from crossings.compile.compiler import compile_scenario
from crossings.executors import run_seeds
from crossings.expected import ExpectedModel
from crossings.measure import build_rows, measure_values, row_values, rows_outside_span
from crossings.results.results import Results
from crossings.runs import RunMode
from crossings.scenario.load import load_scenario, load_scenario_text
from crossings.scenario.schema import Measure
from crossings.tallies import stack

SMALL = Path(__file__).parent / "data" / "calib_small.yaml"


@pytest.fixture(scope="module")
def loaded():  # type: ignore[no-untyped-def]
    """calib_small with a bucket row 2008–2011 that leaves the span (it starts in 2010)."""
    text = SMALL.read_text().replace(
        "      - {year: 2011, female: 280, male: 120}\n",
        "      - {year: 2011, female: 280, male: 120}\n"
        "      - {years: [2008, 2011], total: 900}\n"
        "      - {years: [2012, 2013], total: 1155}\n",
    )
    return load_scenario_text(text, str(SMALL))


def test_observations_csv_and_the_fit_measure_the_same_rows(loaded) -> None:  # type: ignore[no-untyped-def]
    prob = prepare(loaded)
    z = start_z(prob) + 0.3  # a point that is not the scenario's own values
    fitted, _ = prob.values(z[None])  # (1, rows): what the likelihood sees
    values = prob.space.values(z[None])[0]
    sc = apply_components(loaded.scenario, prob.space.components, values)
    model = compile_scenario(sc)
    tallies = ExpectedModel(model).run({}).item(0)
    res = Results(model, [tallies], [0], loaded, mode=RunMode.EXPECTED)
    table = res.observations_frame()
    table = table[table["kind"] != "share"]
    keys = [(r.series, r.label, r.sex) for r in prob.rows]
    assert keys == list(zip(table["series"], table["year"], table["sex"], strict=True))
    np.testing.assert_allclose(table["simulated"].to_numpy(), fitted[0], rtol=1e-9)
    # the row partly outside the span is in neither; the bucket inside is in both
    labels = {r.label for r in prob.rows}
    assert "2008-2011" not in labels and "2012-2013" in labels
    assert rows_outside_span(loaded.scenario, model) == {"arrivals": 1}


def test_measurement_needs_a_stack(loaded) -> None:  # type: ignore[no-untyped-def]
    model = compile_scenario(loaded)
    rows = build_rows(loaded.scenario, model)
    single = ExpectedModel(model).run({}).item(0)
    with pytest.raises(ValueError, match="stack"):
        row_values(single, model, rows)


def test_family_any_counts_each_member_once_in_both_producers() -> None:
    """``family: [any]`` measures each family member once: in the agent engine it is the
    members hit by at least one consequence, in the expected-value mode 1 − Π(1 − p);
    both are below the sum over consequences (which counts a member hit twice twice)."""

    model = compile_scenario(load_scenario("example"))
    any_m = Measure.model_validate({"family": ["any"]})
    cons = Measure.model_validate({"family": list(model.consequence_ids)})
    years = tuple(model.years)
    ev = ExpectedModel(model).run({})
    e_any = measure_values(ev, model, any_m, years, None, "total")[0]
    e_sum = measure_values(ev, model, cons, years, None, "total")[0]
    assert 0 < e_any < e_sum
    runs = stack(run_seeds(model, list(range(1, 13)), workers=2))
    a_any = measure_values(runs, model, any_m, years, None, "total")
    a_sum = measure_values(runs, model, cons, years, None, "total")
    assert (a_any < a_sum).all()
    se = a_any.std(ddof=1) / np.sqrt(a_any.size)
    assert abs(a_any.mean() - e_any) <= 4 * se + 1e-9
