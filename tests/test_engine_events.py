"""Queues, waves, closures, classification, reclassification, families, delegations."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from tests.conftest import A, base_scenario, binom_tol, compile_dict, rate

from crossings.engine import Simulation

N = 50_000


def queue_scenario(closure: bool, wave_date: str = "2020-09-01") -> dict:
    d = base_scenario(N, days=365)
    d["states"][0]["hazards"] = [{"to": "q", "rate": rate(12.0)}]
    d["detention"] = [
        {
            "id": "q",
            "to": "b",
            "border": "x",
            "rate": {"mean_days": 30, **A},
            "waves": [{"id": "w", "date": wave_date, "share": 1.0, **A}],
        }
    ]
    if closure:
        d["policies"] = [
            {
                "id": "close",
                "from": "2020-03-01",
                "to": "2020-08-31",
                "effects": [{"close_border": "x"}],
                **A,
            }
        ]
    return d


def test_closure_makes_queue_grow_and_wave_flushes_it() -> None:
    m = compile_dict(queue_scenario(closure=True))
    raw = Simulation(m, seed=1).run()
    q = m.state_index("q")
    c0 = m.date_step(dt.date(2020, 3, 1))
    c1 = m.date_step(dt.date(2020, 8, 31))
    queue = raw.stocks[:, q].sum(axis=1)
    # during the closure nobody leaves the queue: it only grows
    assert np.all(np.diff(queue[c0 : c1 + 1]) >= 0)
    assert raw.stocks[c1, m.state_index("b")].sum() == raw.stocks[c0 - 1, m.state_index("b")].sum()
    w = m.date_step(dt.date(2020, 9, 1))
    assert queue[w - 1] > 0.3 * N
    moved = raw.wave_moved[0].sum()
    # the wave takes everyone held at its start; those arriving later that day stay
    assert moved >= queue[w - 1] and queue[w] < 0.01 * N
    # without the closure the queue stays near its steady state (rate 12/yr in, 30 days out)
    raw2 = Simulation(compile_dict(queue_scenario(closure=False)), seed=1).run()
    assert raw2.stocks[c1, q].sum() < 0.2 * queue[c1]


def test_wave_during_closure_does_not_happen() -> None:
    m = compile_dict(queue_scenario(closure=True, wave_date="2020-05-01"))
    raw = Simulation(m, seed=1).run()
    assert not m.wave_active[0]
    assert raw.wave_moved.sum() == 0


def test_wave_share_is_binomial() -> None:
    d = queue_scenario(closure=True)
    d["detention"][0]["waves"][0]["share"] = 0.3
    m = compile_dict(d)
    raw = Simulation(m, seed=4).run()
    w = m.date_step(dt.date(2020, 9, 1))
    held = raw.stocks[w - 1, m.state_index("q")].sum()
    frac = raw.wave_moved.sum() / held
    assert abs(frac - 0.3) < binom_tol(0.3, int(held))


def classification_scenario(p_detect: float) -> dict:
    d = base_scenario(N, days=120)
    d["people"] = {"flags": [{"id": "f", "set_on_enter": ["a"]}]}
    d["states"][0]["hazards"] = [{"to": "cls", "rate": rate(50.0)}]
    d["states"] += [{"id": "camp"}, {"id": "home"}]
    d["classification"] = {
        "id": "cls",
        "detection": {"f": p_detect, **A},
        "default_ruleset": "old",
        "rulesets": {
            "old": [
                {"when": {"detected_any": ["f"]}, "sentence": "camp", **A},
                {"default": True, "sentence": {"home": 0.6, "b": 0.4, **A}, **A},
            ],
            "new": [{"default": True, "sentence": "camp", **A}],
        },
    }
    return d


def test_classification_detects_flags_with_probability() -> None:
    m = compile_dict(classification_scenario(0.7))
    raw = Simulation(m, seed=6).run()
    done = N - raw.stocks[-1, 0].sum()
    camp = raw.stocks[-1, m.state_index("camp")].sum() / done
    assert abs(camp - 0.7) < binom_tol(0.7, int(done))
    home = raw.stocks[-1, m.state_index("home")].sum() / done
    assert abs(home - 0.3 * 0.6) < binom_tol(0.18, int(done))
    assert raw.stocks[:, m.classify_node].sum() == 0
    # decisions are counted per rule
    assert raw.rule_counts.sum() == done


def test_policy_switches_ruleset() -> None:
    d = classification_scenario(0.0)
    d["policies"] = [{"id": "law", "from": "2020-01-01", "effects": [{"ruleset": "new"}], **A}]
    m = compile_dict(d)
    raw = Simulation(m, seed=6).run()
    done = N - raw.stocks[-1, 0].sum()
    assert raw.stocks[-1, m.state_index("camp")].sum() == done


def test_reclassification_moves_the_whole_cohort_wherever_they_are() -> None:
    d = base_scenario(N, days=300)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(3.0)}]
    d["states"][1]["hazards"] = [{"to": "c", "rate": rate(3.0)}]
    d["states"].append({"id": "life"})
    d["reclassifications"] = [
        {
            "id": "rc",
            "date": "2020-09-01",
            "to": "life",
            **A,
            "select": {"entered": ["b"], "from": "2020-02-01", "to": "2020-03-31"},
        }
    ]
    m = compile_dict(d)
    sim = Simulation(m, seed=2)
    raw = sim.run()
    moved = int(raw.rc_moved.sum())
    # exactly the people who entered b in the window, whether still in b or already in c
    entered_b = raw.flows[:, :, m.state_index("b")].sum()
    assert 0 < moved < entered_b
    lo = m.date_step(dt.date(2020, 2, 1))
    hi = m.date_step(dt.date(2020, 3, 31))
    ms = sim.milestones[0]
    assert moved == int(((ms >= lo) & (ms <= hi)).sum())
    assert raw.stocks[-1, m.state_index("life")].sum() == moved


def test_families_counted_per_outcome() -> None:
    d = base_scenario(N, days=60)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(100.0)}]
    d["families"] = {
        "household_size": {"1": 0.2, "3": 0.5, "5": 0.3, **A},
        "outcomes": [{"on_enter": ["b"], "consequences": {"blame": 0.4, **A}}],
    }
    m = compile_dict(d)
    raw = Simulation(m, seed=3).run()
    entered = raw.flows[:, :, m.state_index("b")].sum()
    mean_others = 0.2 * 0 + 0.5 * 2 + 0.3 * 4
    expect = entered * mean_others * 0.4
    var = entered * (0.5 * (2 * 0.4 * 0.6) + 0.3 * (4 * 0.4 * 0.6) + np.var([0, 2 * 0.4, 4 * 0.4]))
    got = raw.family_members.sum()
    assert abs(got - expect) < 5 * math.sqrt(var) + 1
    # households affected: P(at least one of the others) by size
    p_hh = 0.5 * (1 - 0.6**2) + 0.3 * (1 - 0.6**4)
    assert abs(raw.family_households.sum() / entered - p_hh) < binom_tol(p_hh, int(entered))


def test_delegation_defection_probability() -> None:
    d = {
        "name": "deleg",
        "time": {"start": "2020-01-01", "end": "2020-12-31"},
        "places": [{"id": "games", "kind": "abroad"}],
        "states": [{"id": "defected"}, {"id": "home"}, {"id": "punished"}],
        "delegations": [
            {
                "id": "team",
                "place": "games",
                "depart": "2020-07-01",
                "return": "2020-07-21",
                "size": {"value": 100_000, **A},
                "female_share": {"value": 0.4, **A},
                "surveillance": {"value": 0.8, **A},
                "defection_probability": {"value": 0.5, **A},
                "defect_to": "defected",
                "on_return": {"home": 0.9, "punished": 0.1, **A},
            }
        ],
        "journeys": {"sample": 0},
    }
    m = compile_dict(d)
    raw = Simulation(m, seed=7).run()
    p = 0.5 * (1 - 0.8)
    got = raw.stocks[-1, m.state_index("defected")].sum() / 100_000
    assert abs(got - p) < binom_tol(p, 100_000)
    back = 100_000 * (1 - got)
    pun = raw.stocks[-1, m.state_index("punished")].sum() / back
    assert abs(pun - 0.1) < binom_tol(0.1, int(back))
    assert raw.stocks[-1, :, 0].sum() == 40_000
    ret = m.date_step(dt.date(2020, 7, 21))
    assert raw.stocks[ret, m.state_index("team")].sum() == 0
    assert raw.stocks[ret - 1, m.state_index("team")].sum() > 0
