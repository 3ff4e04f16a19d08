"""The expected-value mode against the agent engine and against analytic results."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.conftest import base_scenario, compile_dict, rate

from crossings.compile.model import CompiledModel
from crossings.executors import run_seeds
from crossings.expected import ExpectedModeError, ExpectedModel, expected_values
from crossings.measure import build_rows, row_values
from crossings.results.results import Results
from crossings.runs import RunMode, RunPlan, execute
from crossings.scenario import load_scenario
from crossings.tallies import stack


def test_competing_hazards_match_closed_form() -> None:
    """Two competing hazards from 'a': shares and survival follow the formulas exactly."""
    d = base_scenario(n=1000, days=200)
    d["transitions"] = {"a": [{"to": "b", "rate": rate(2.0)}, {"to": "c", "rate": rate(1.0)}]}
    m = compile_dict(d)
    raw = expected_values(m)
    h = float(m.hazards.rate[0].sum())  # per-step hazard (3 per year)
    assert h == pytest.approx(3.0 / 365.25, rel=1e-3)
    a = m.state_index("a")
    b = m.state_index("b")
    c = m.state_index("c")
    # the initial people enter on step 0 and are first exposed on step 1
    for t in (0, 1, 50, 199):
        assert raw.stocks[t, a].sum() == pytest.approx(1000 * math.exp(-h * t), rel=1e-12)
    moved = raw.flows[:, a, :, :].sum(axis=(0, 2))
    assert moved[b] / moved[c] == pytest.approx(2.0, rel=1e-12)
    assert raw.stocks[-1].sum() == pytest.approx(1000, rel=1e-12)  # nobody is lost


def test_fixed_duration_leaves_on_the_dot() -> None:
    d = base_scenario(n=500, days=60)
    d["states"][0]["duration"] = {
        "distribution": "fixed",
        "value": 10,
        "unit": "days",
        "assumption": "t",
    }
    d["states"][0]["then"] = "b"
    m = compile_dict(d)
    raw = expected_values(m)
    a = m.state_index("a")
    assert raw.stocks[9, a].sum() == pytest.approx(500)
    assert raw.stocks[10, a].sum() == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("lump", [None, 1])
def test_table_duration_with_hazard_and_inflow_matches_convolution(lump: int | None) -> None:
    """Stays of 1–70 steps (inside one block of entries and across many) with a
    competing hazard and daily inflow: the stock equals the direct convolution."""
    d = base_scenario(n=1000, days=300)
    d["inflows"][0]["rate"] = rate(3652.5)
    values = [1, 3, 9, 20, 37, 70]
    weights = [0.1, 0.2, 0.15, 0.25, 0.2, 0.1]
    d["states"][0]["duration"] = {
        "distribution": "table",
        "values": values,
        "weights": weights,
        "unit": "days",
        "assumption": "t",
    }
    d["states"][0]["then"] = "b"
    d["transitions"] = {"a": [{"to": "c", "rate": rate(1.5)}]}
    m = compile_dict(d)
    ev = ExpectedModel(m, lump)
    assert bool(ev.lumped[m.state_index("a")]) == (lump is not None)
    raw = ev.run({}).item(0)
    ent, init = ev._entries(ev.base_arrays(1)["combo_rate"])
    inflow = ent[0].sum(axis=1)  # both sexes
    inflow[0] += init[0].sum()
    h = float(m.hazards.rate[0, 0])
    T = m.n_steps
    surv = np.ones(T)  # P(D > age) for ages 0..T-1
    for v, w in zip(values, weights, strict=True):
        surv[v:] -= w / sum(weights)
    age = np.arange(T)
    kernel = np.clip(surv, 0.0, None) * np.exp(-h * age)
    expected = np.convolve(inflow, kernel)[:T]
    np.testing.assert_allclose(raw.stocks[:, m.state_index("a")].sum(axis=1), expected, rtol=1e-10)


@pytest.fixture(scope="module")
def example_runs(example_model: CompiledModel) -> tuple[list, object]:
    raws = run_seeds(example_model, list(range(1, 31)), workers=2)
    ev = ExpectedModel(example_model).run({})
    return raws, ev


def test_agent_mean_converges_to_expected_values(
    example_model: CompiledModel, example_runs: tuple[list, object]
) -> None:
    """Every observed series of the example: |agent mean − EV| within 4 standard errors."""
    raws, ev = example_runs
    loaded = load_scenario("example")
    rows = build_rows(loaded.scenario, example_model)
    assert rows
    sims = row_values(stack(raws), example_model, rows)  # (30 runs, rows)
    exp = row_values(ev, example_model, rows)[0]
    n = len(raws)
    for j, r in enumerate(rows):
        se = max(sims[:, j].std(ddof=1) / math.sqrt(n), math.sqrt(max(exp[j], 1.0) / n) * 0.3)
        assert abs(sims[:, j].mean() - exp[j]) <= 4 * se + 1e-6, (r.series, r.label, r.sex)
    # the results tables measure the same rows the same way
    agents = Results(example_model, raws, list(range(1, 31)), loaded).observations_frame()
    counts = agents[agents["kind"] != "share"]
    assert len(counts) == len(rows)
    np.testing.assert_allclose(counts["simulated"], np.median(sims, axis=0))


def test_all_tallies_agree_with_agents(example_runs: tuple[list, object]) -> None:
    """Totals of every tally the EV mode computes agree within Monte Carlo error."""
    raws, ev = example_runs
    n = len(raws)
    for name in (
        "flows",
        "stocks",
        "wave_moved",
        "rule_counts",
        "family_members",
        "hazard_counts",
        "flag_flows",
        "family_households",
        "family_affected",
        "family_affected_households",
    ):
        per_run = np.array([getattr(r, name).sum() for r in raws], dtype=float)
        e = float(getattr(ev, name)[0].sum())
        se = per_run.std(ddof=1) / math.sqrt(n)
        assert abs(per_run.mean() - e) <= 4 * se + 1e-6 * e, name


def test_cohort_tallies_agree_with_agents(example_runs: tuple[list, object]) -> None:
    """`crossings run --expected` tallies by entry cohort (one set per entry year): every
    (cohort, state) cell against the mean of 30 agent runs, and cohorts sum to the whole."""
    raws, _ = example_runs
    res = execute(load_scenario("example"), RunPlan(RunMode.EXPECTED))
    assert res.mode is RunMode.EXPECTED
    e = res.runs[0]
    n = len(raws)
    np.testing.assert_allclose(
        e.cohort_flows.sum(axis=0), e.flows.sum(axis=(0, 3)), rtol=1e-9, atol=1e-6
    )
    np.testing.assert_allclose(e.cohort_outcomes.sum(axis=0), e.stocks[-1], rtol=1e-9, atol=1e-6)
    for name, collapse in (
        ("cohort_outcomes", (2,)),
        ("cohort_flows", (1,)),
        ("hazard_counts_cohort", ()),
    ):
        agents = np.stack(
            [getattr(r, name).sum(axis=collapse) if collapse else getattr(r, name) for r in raws]
        ).astype(float)
        ev = getattr(e, name).sum(axis=collapse) if collapse else getattr(e, name)
        assert agents.shape[1:] == ev.shape
        se = np.maximum(
            agents.std(axis=0, ddof=1) / math.sqrt(n), 0.3 * np.sqrt(np.maximum(ev, 1.0) / n)
        )
        bad = np.abs(agents.mean(axis=0) - ev) > 4.5 * se + 1e-6 * np.abs(ev)
        assert not bad.any(), (name, np.argwhere(bad)[:5])
        assert ev.sum() > 0, name
    with pytest.raises(ValueError, match="time in the system"):
        res.mean_years_in_system(["arrived"])
    # every tally of the whole, family members counted once included (a regression: the
    # expected results once dropped them, so "each person once" figures were missing)
    whole = ExpectedModel(res.model).run({})
    assert e.family_affected is not None and whole.family_affected is not None
    np.testing.assert_allclose(e.family_affected, whole.family_affected[0], rtol=1e-9, atol=1e-9)
    assert e.family_affected.sum() > 0
    assert (res.families_frame()["consequence"] == "any").any()


@pytest.mark.parametrize("name", ["example", pytest.param("north-korea", marks=pytest.mark.slow)])
def test_run_expected_whole_is_the_sum_of_its_cohorts(name: str) -> None:
    """`crossings run --expected` adds the entry cohorts up instead of computing the whole
    as one more set: every tally equals one set of everyone (to numerical dust)."""
    res = execute(load_scenario(name), RunPlan(RunMode.EXPECTED))
    e = res.runs[0]
    whole = ExpectedModel(res.model).run({})
    for key, arr in whole.arrays().items():
        np.testing.assert_allclose(getattr(e, key), arr[0], rtol=1e-9, atol=2e-9, err_msg=key)
    assert e.agents_created == pytest.approx(float(whole.flows[0, :, -1].sum()), rel=1e-12)


def test_batch_sets_are_independent(example_model: CompiledModel) -> None:
    ev = ExpectedModel(example_model)
    arrays = ev.base_arrays(3)
    arrays["rate"][1] *= 1.3
    b = ev.run(arrays)
    assert np.array_equal(b.flows[0], b.flows[2])
    assert not np.allclose(b.flows[0], b.flows[1])
    single = ev.run({k: v[1:2] for k, v in arrays.items()})
    np.testing.assert_allclose(single.flows[0], b.flows[1], rtol=1e-12, atol=1e-9)


def test_flag_in_a_state_with_duration_is_refused() -> None:
    d = base_scenario(n=10, days=30)
    d["states"][0]["duration"] = {
        "distribution": "fixed",
        "value": 10,
        "unit": "days",
        "assumption": "t",
    }
    d["states"][0]["then"] = "b"
    d["people"] = {"flags": [{"id": "f", "acquire": [{"in": ["a"], "rate": rate(1.0)}]}]}
    m = compile_dict(d)
    with pytest.raises(ExpectedModeError, match="has a duration"):
        ExpectedModel(m)
