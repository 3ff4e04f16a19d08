"""Statistical checks of the engine against analytic expectations.

Each test uses a fixed seed and a tolerance of several binomial standard
errors, so it passes for a correct engine and fails for a wrong formula.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from tests.conftest import A, base_scenario, binom_tol, compile_dict, rate

from crossings.engine import Simulation

N = 100_000
DPY = 365.25


def test_single_hazard_survival_matches_exponential() -> None:
    d = base_scenario(N, days=200)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(2.0)}]
    m = compile_dict(d)
    raw = Simulation(m, seed=11).run()
    h = 2.0 / DPY
    for k in (10, 50, 150, 199):
        # stocks[k] is after step k; agents entered at step 0, so k steps of exposure
        surv = raw.stocks[k, 0].sum() / N
        expect = math.exp(-h * k)
        assert abs(surv - expect) < binom_tol(expect, N), (k, surv, expect)


def test_competing_risks_split_in_proportion_to_hazards() -> None:
    d = base_scenario(N, days=365)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(1.5)}, {"to": "c", "rate": rate(0.5)}]
    raw = Simulation(compile_dict(d), seed=3).run()
    k = 364
    left = 1 - math.exp(-2.0 / DPY * k)
    for state, share in ((1, 0.75), (2, 0.25)):
        p = raw.stocks[k, state].sum() / N
        assert abs(p - share * left) < binom_tol(share * left, N)


def test_probability_within_days_form() -> None:
    d = base_scenario(N, days=30)
    d["states"][0]["hazards"] = [{"to": "b", "rate": {"probability": 0.3, "within_days": 10, **A}}]
    raw = Simulation(compile_dict(d), seed=5).run()
    p = raw.stocks[10, 1].sum() / N
    assert abs(p - 0.3) < binom_tol(0.3, N)


def test_time_varying_hazard_through_policy_segments() -> None:
    d = base_scenario(N, days=300)
    d["states"][0]["hazards"] = [{"id": "leave", "to": "b", "rate": rate(1.0)}]
    d["policies"] = [
        {
            "id": "p",
            "from": "2020-04-10",
            "to": "2020-06-18",
            "effects": [{"scale": ["leave"], "factor": {"value": 3.0, **A}}],
            **A,
        }
    ]
    m = compile_dict(d)
    raw = Simulation(m, seed=8).run()
    h = 1.0 / DPY
    p0 = m.date_step(dt.date(2020, 4, 10))
    p1 = m.date_step(dt.date(2020, 6, 19))
    for k in (p0 - 1, p0 + 20, p1 + 40, 299):
        exposure = min(k, p0 - 1) + 3 * max(0, min(k, p1 - 1) - (p0 - 1)) + max(0, k - (p1 - 1))
        expect = math.exp(-h * exposure)
        got = raw.stocks[k, 0].sum() / N
        assert abs(got - expect) < binom_tol(expect, N), (k, got, expect)


def test_closed_border_stops_hazard_entirely() -> None:
    d = base_scenario(20_000, days=200)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(5.0), "border": "x"}]
    d["policies"] = [
        {
            "id": "close",
            "from": "2020-01-01",
            "to": "2020-03-31",
            "effects": [{"close_border": "x"}],
            **A,
        }
    ]
    m = compile_dict(d)
    raw = Simulation(m, seed=1).run()
    closed_until = m.date_step(dt.date(2020, 4, 1))
    assert raw.stocks[closed_until - 1, 1].sum() == 0
    assert raw.stocks[closed_until + 30, 1].sum() > 0


def test_fixed_duration_exact_and_uniform_mean() -> None:
    d = base_scenario(20_000, days=100)
    d["states"][0]["duration"] = {"distribution": "fixed", "value": 7, **A}
    d["states"][0]["then"] = "b"
    raw = Simulation(compile_dict(d), seed=2).run()
    assert raw.stocks[6, 0].sum() == 20_000
    assert raw.stocks[7, 1].sum() == 20_000
    d["states"][0]["duration"] = {"distribution": "uniform", "min": 10, "max": 30, **A}
    raw = Simulation(compile_dict(d), seed=2).run()
    # steps = ceil(X) for X ~ U(10, 30): mean of ceil is 20.5
    in_a = raw.stocks[:, 0].sum(axis=1)
    mean_steps = in_a[:-1].sum() / 20_000  # Σ_k P(D > k) = E[D]
    assert abs(mean_steps - 20.5) < 4.5 * (20 / math.sqrt(12)) / math.sqrt(20_000)


def test_duration_against_competing_hazard() -> None:
    d = base_scenario(N, days=100)
    d["states"][0]["duration"] = {"distribution": "fixed", "value": 20, **A}
    d["states"][0]["then"] = "b"
    d["states"][0]["hazards"] = [{"to": "c", "rate": rate(10.0)}]
    raw = Simulation(compile_dict(d), seed=4).run()
    # the hazard can fire on steps 1..20 (it wins a tie with the duration end)
    expect = 1 - math.exp(-10.0 / DPY * 20)
    got = raw.stocks[-1, 2].sum() / N
    assert abs(got - expect) < binom_tol(expect, N)


def test_sex_modifier_and_flag_modifier() -> None:
    d = base_scenario(N, days=120)
    d["people"] = {"flags": [{"id": "f", "set_on_enter": ["a"]}]}
    d["states"][0]["hazards"] = [
        {
            "to": "b",
            "rate": rate(1.0),
            "modifiers": {"sex": {"male": 3.0}, "flags": {"f": 0.5}, **A},
        }
    ]
    raw = Simulation(compile_dict(d), seed=9).run()
    k = 100
    for sx, mult in ((0, 0.5), (1, 1.5)):
        n_sx = raw.stocks[0, :, sx].sum()
        got = raw.stocks[k, 1, sx] / n_sx
        expect = 1 - math.exp(-mult / DPY * k)
        assert abs(got - expect) < binom_tol(expect, int(n_sx))


def test_flag_acquired_by_hazard_changes_later_hazard() -> None:
    # leave at rate h unless the flag (acquired at rate g) is set first, which stops leaving
    d = base_scenario(N, days=365)
    d["people"] = {"flags": [{"id": "f", "acquire": [{"in": ["a"], "rate": rate(4.0)}]}]}
    d["states"][0]["hazards"] = [
        {"to": "b", "rate": rate(2.0), "modifiers": {"flags": {"f": 0.0}, **A}}
    ]
    raw = Simulation(compile_dict(d), seed=12).run()
    h, g, k = 2.0 / DPY, 4.0 / DPY, 364
    left = h / (h + g) * (1 - math.exp(-(h + g) * k))
    got = raw.stocks[k, 1].sum() / N
    assert abs(got - left) < binom_tol(left, N)
    flagged = raw.flag_flows.sum() / N
    expect = g / (h + g) * (1 - math.exp(-(h + g) * k))
    assert abs(flagged - expect) < binom_tol(expect, N)


def test_inflow_poisson_counts_match_rate() -> None:
    d = base_scenario(0, days=365 * 4)
    d["inflows"][0]["rate"] = {"per_year": 5000, **A}
    d["inflows"][0].pop("initial")
    m = compile_dict(d)
    raw = Simulation(m, seed=21).run()
    per_year = raw.flows[:, -1, 0, :].sum(axis=1)  # from outside into a
    days = np.bincount(m.step_year - m.years[0])
    for y, c in enumerate(per_year):
        mu = 5000 * days[y] / DPY
        assert abs(c - mu) < 4.5 * math.sqrt(mu)
    assert abs(raw.flows[:, -1, 0, 0].sum() / per_year.sum() - 0.5) < binom_tol(
        0.5, int(per_year.sum())
    )


def test_conservation_every_step(example_model) -> None:  # type: ignore[no-untyped-def]
    sim = Simulation(example_model, seed=5)
    raw = sim.run()
    created = np.cumsum(sim.plan.sum(axis=1))
    assert np.array_equal(raw.stocks.sum(axis=(1, 2)), created)
    assert raw.stocks.min() >= 0
    # the classification node is instantaneous: nobody is ever in it
    assert raw.stocks[:, example_model.classify_node].sum() == 0


def test_closed_route_stops_people_entering_it() -> None:
    d = base_scenario(N, days=200)
    d["routes"] = [
        {
            "id": "r",
            "from": "a",
            "to": "b",
            "travel_time": {"distribution": "fixed", "value": 5, **A},
        }
    ]
    d["states"][0]["hazards"] = [{"to": "r", "rate": rate(3.0)}, {"to": "c", "rate": rate(1.0)}]
    d["policies"] = [
        {
            "id": "shut",
            "from": "2020-01-01",
            "to": "2020-03-31",
            "effects": [{"close_route": "r"}],
            **A,
        }
    ]
    m = compile_dict(d)
    raw = Simulation(m, seed=14).run()
    end = m.date_step(dt.date(2020, 3, 31))
    r = m.state_index("r")
    assert raw.flows[:, 0, r].sum() > 0
    assert raw.stocks[: end + 1, r].sum() == 0
    # while the route is shut only the other hazard acts: P(left for c) = 1 - exp(-h k)
    k = end
    p = raw.stocks[k, 2].sum() / N
    expect = 1 - math.exp(-1.0 / DPY * k)
    assert abs(p - expect) < binom_tol(expect, N)


def test_policy_scales_an_inflow_by_tag() -> None:
    d = base_scenario(0, days=730)
    d["inflows"][0].pop("initial")
    d["inflows"][0]["rate"] = {"per_year": 20_000, **A}
    d["inflows"][0]["tags"] = ["attempts"]
    d["policies"] = [
        {
            "id": "tight",
            "from": "2021-01-01",
            "effects": [{"scale": ["attempts"], "factor": {"value": 0.25, **A}}],
            **A,
        }
    ]
    m = compile_dict(d)
    raw = Simulation(m, seed=3).run()
    per_year = raw.flows[:, -1, 0, :].sum(axis=1)
    days = np.bincount(m.step_year - m.years[0])
    for y, factor in ((0, 1.0), (1, 0.25)):
        mu = 20_000 * factor * days[y] / DPY
        assert abs(per_year[y] - mu) < 4.5 * math.sqrt(mu)
