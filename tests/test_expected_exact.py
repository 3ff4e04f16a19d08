"""The fast expected-value propagation against the plain daily kernel, trick by trick.

Every array of the returned tallies must equal the daily kernel's
(``ExpectedModel(..., method="daily")``) to 1e-9 relative, or 1e-9 people
absolute for tiny values: both compute the same sums in a different order, so
they differ by rounding only (measured: about 1e-13 relative on these cases and
1e-8 people at most on North Korea's largest stocks of ~10^5 people).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pytest
from scipy import stats
from tests.conftest import A, base_scenario, compile_dict, rate

from crossings.compile.compiler import compile_scenario
from crossings.compile.model import CompiledModel
from crossings.expected import ExpectedModel
from crossings.expected.fast import fir_alloc, fir_due, fir_push, fir_scale, jit
from crossings.expected.fir import FirBank
from crossings.expected.plan import _closure, _successors
from crossings.scenario import load_scenario
from crossings.tallies import Tallies

RTOL = ATOL = 1e-9


def assert_same(a: Tallies[np.float64], b: Tallies[np.float64]) -> None:
    """Every tally array of ``a`` equals ``b``'s within the tolerance."""
    assert a.arrays().keys() == b.arrays().keys()
    for name, x in a.arrays().items():
        np.testing.assert_allclose(getattr(b, name), x, rtol=RTOL, atol=ATOL, err_msg=name)


def perturbed(ev: ExpectedModel, P: int, seed: int = 0) -> dict[str, Any]:
    """``P`` parameter sets: each hazard component and entry rate scaled differently."""
    arrays = ev.base_arrays(P)
    rng = np.random.default_rng(seed)
    H = arrays["rate"].shape[2]
    arrays["rate"] = arrays["rate"] * rng.uniform(0.5, 1.5, size=(P, 1, H))
    K = arrays["combo_rate"].shape[2]
    arrays["combo_rate"] = arrays["combo_rate"] * rng.uniform(0.5, 1.5, size=(P, 1, K))
    arrays["det_prob"] = np.clip(arrays["det_prob"] * rng.uniform(0.5, 1.5, size=(P, 1, 1)), 0, 1)
    return arrays


def check(
    model: CompiledModel,
    lump: int | None = None,
    P: int = 1,
    weights: Any = None,
    **options: Any,
) -> ExpectedModel:
    """Fast (with ``options``) and daily agree on ``P`` perturbed sets; returns the fast model."""
    ref = ExpectedModel(model, lump, method="daily")
    new = ExpectedModel(model, lump, **options)
    arrays = perturbed(ref, P) if P > 1 else ref.base_arrays(1)
    assert_same(ref.run(arrays, weights), new.run(arrays, weights))
    return new


# ---------------------------------------------------------------------------- scenarios
def durations_scenario() -> dict[str, Any]:
    """Stays of many shapes (one longer than the 1024-step FFT stage), with daily inflow,
    hazards that change by year and by policy (segment boundaries inside stays)."""
    d = base_scenario(n=2000, days=1500)
    d["inflows"][0]["rate"] = {"by_year": {2020: 3000, 2021: 1000, 2023: 5000}, **A}
    shapes = {
        "a": {"distribution": "uniform", "min": 3, "max": 40, "unit": "days", **A},
        "b": {"distribution": "gamma", "mean": 45, "sd": 25, "unit": "days", **A},
        "c": {"distribution": "fixed", "value": 17, "unit": "days", **A},
        "d": {"distribution": "gamma", "mean": 700, "sd": 300, "unit": "days", **A},
        "e": {
            "distribution": "table",
            "values": [1, 2, 5, 9, 30, 31, 200],
            "weights": [0.1, 0.1, 0.2, 0.1, 0.2, 0.2, 0.1],
            "unit": "days",
            **A,
        },
    }
    order = list(shapes)
    d["states"] = [{"id": s} for s in [*order, "f", "g"]]
    for i, s in enumerate(order):
        st = d["states"][i]
        st["duration"] = shapes[s]
        st["then"] = order[i + 1] if i + 1 < len(order) else "f"
        st["hazards"] = [
            {
                "id": f"h{s}",
                "to": "g",
                "rate": {"by_year": {2020: 0.5, 2022: 2.0}, **A},
                "tags": ["t"],
            }
        ]
    d["policies"] = [
        {
            "id": "p",
            "from": "2021-05-17",
            "to": "2022-02-01",
            "effects": [{"scale": ["t"], "factor": {"value": 3.0, **A}}],
            **A,
        }
    ]
    return d


def classification_scenario() -> dict[str, Any]:
    """Flags acquired in hiding and set on entry, classification with detection and a
    rule set switched by policy, families, initial people, a cycle back to hiding."""
    d = base_scenario(n=5000, days=900)
    d["inflows"][0]["rate"] = rate(2000.0)
    d["states"] = [
        {"id": "a"},
        {"id": "b"},
        {"id": "c"},
        {"id": "married"},
        {
            "id": "held",
            "duration": {"distribution": "gamma", "mean": 30, "sd": 12, "unit": "days", **A},
            "then": "cls",
        },
        {
            "id": "camp",
            "duration": {"distribution": "uniform", "min": 60, "max": 200, "unit": "days", **A},
            "then": "a",
        },
        {"id": "home"},
    ]
    d["people"] = {
        "flags": [
            {"id": "f", "acquire": [{"in": ["a"], "rate": rate(4.0)}]},
            {"id": "m", "set_on_enter": ["married"]},
        ]
    }
    d["states"][0]["hazards"] = [
        {"to": "held", "rate": rate(6.0)},
        {"to": "married", "rate": rate(1.0)},
        {"to": "b", "rate": rate(0.5)},
    ]
    d["states"][3]["hazards"] = [{"to": "held", "rate": rate(2.0)}]
    d["states"][6]["hazards"] = [{"to": "a", "rate": rate(1.5)}]
    d["classification"] = {
        "id": "cls",
        "detection": {"f": 0.6, "m": 0.8, **A},
        "default_ruleset": "old",
        "rulesets": {
            "old": [
                {"when": {"detected_any": ["f"]}, "sentence": "camp", **A},
                {"when": {"detected_any": ["m"]}, "sentence": {"camp": 0.3, "home": 0.7, **A}, **A},
                {"default": True, "sentence": {"home": 0.6, "c": 0.4, **A}, **A},
            ],
            "new": [{"default": True, "sentence": {"camp": 0.8, "home": 0.2, **A}, **A}],
        },
    }
    d["policies"] = [{"id": "law", "from": "2021-03-01", "effects": [{"ruleset": "new"}], **A}]
    d["families"] = {
        "household_size": {"1": 0.2, "3": 0.5, "5": 0.3, **A},
        "outcomes": [{"on_enter": ["camp"], "consequences": {"blame": 0.4, **A}}],
    }
    return d


def reclassification_scenario() -> dict[str, Any]:
    """A cohort (entered b in a window) moved wherever it is, also out of a long stay."""
    d = base_scenario(n=20_000, days=400)
    d["inflows"][0]["rate"] = rate(5000.0)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(3.0)}]
    d["states"][1]["hazards"] = [{"to": "c", "rate": rate(3.0)}]
    d["states"][2]["duration"] = {
        "distribution": "uniform",
        "min": 100,
        "max": 300,
        "unit": "days",
        **A,
    }
    d["states"][2]["then"] = "a"
    d["states"][2]["hazards"] = [{"to": "dead", "rate": rate(0.5)}]
    d["states"] += [{"id": "life"}, {"id": "dead"}]
    d["reclassifications"] = [
        {
            "id": "rc",
            "date": "2020-09-01",
            "to": "life",
            **A,
            "select": {"entered": ["b"], "from": "2020-02-01", "to": "2020-03-31"},
        }
    ]
    return d


def queue_scenario() -> dict[str, Any]:
    """Waves emptying a detention queue."""
    d = base_scenario(20_000, days=365)
    d["inflows"][0]["rate"] = rate(3000.0)
    d["states"][0]["hazards"] = [{"to": "q", "rate": rate(12.0)}]
    d["detention"] = [
        {
            "id": "q",
            "to": "b",
            "border": "x",
            "rate": {"mean_days": 30, **A},
            "waves": [
                {"id": "w", "date": "2020-09-01", "share": 0.4, **A},
                {"id": "w2", "date": "2020-11-01", "share": 0.7, **A},
            ],
        }
    ]
    return d


def has_cycle(model: CompiledModel) -> bool:
    """Whether some state can be reached again from itself (any move)."""
    ev = ExpectedModel(model, method="daily")
    nxt = _successors(ev)
    reach = _closure([{v for v in n if v != s} for s, n in enumerate(nxt)])
    return any(s in set().union(*(reach[v] for v in nxt[s] if v != s)) for s in range(len(nxt)))


# ---------------------------------------------------------------------------- the whole
@pytest.mark.parametrize("lump", [None, 100])
def test_example_exact_and_lumped_in_a_batch(
    example_model: CompiledModel, lump: int | None
) -> None:
    check(example_model, lump, P=3)


def test_example_single_set(example_model: CompiledModel) -> None:
    check(example_model)


def test_calib_small() -> None:
    m = compile_scenario(load_scenario("tests/data/calib_small.yaml"))
    check(m)
    check(m, P=4)


def test_entry_weights_by_cohort(example_model: CompiledModel) -> None:
    """One set per entry year, as ``crossings run --expected`` runs them."""
    ref = ExpectedModel(example_model, method="daily")
    Y, T = len(example_model.years), example_model.n_steps
    w = np.zeros((Y + 1, T))
    w[0] = 1.0
    w[1 + ref.year_index, np.arange(T)] = 1.0
    check(example_model, P=1, weights=w[:1])
    a = ref.run(ref.base_arrays(Y + 1), w)
    b = ExpectedModel(example_model).run(ref.base_arrays(Y + 1), w)
    assert_same(a, b)
    np.testing.assert_allclose(b.flows[1:].sum(axis=0), b.flows[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_schedule_gives_every_set_one_slot_and_balances_the_threads(seed: int) -> None:
    rng = np.random.default_rng(seed)
    T = 1000
    starts = rng.integers(0, T + 1, size=int(rng.integers(3, 40)))
    starts[0] = 0
    s = ExpectedModel._schedule(starts, T)
    assert sorted(s.pick.ravel().tolist()) == list(range(starts.size))  # each set once
    assert np.array_equal(s.t_start, starts[s.pick[:, 0]])  # a chunk starts at its set's start
    chunks = s.groups[s.groups >= 0]
    assert sorted(chunks.tolist()) == list(range(s.pick.shape[0]))  # each chunk on one thread
    load = [(T - s.t_start[g[g >= 0]]).sum() for g in s.groups]
    assert max(load) - min(load) <= T  # greedy longest-first: within one chunk's work
    same = ExpectedModel._schedule(np.zeros(7, np.int64), T)  # the usual case: even split
    assert not same.t_start.any() and same.groups.shape[1] == 1


def test_cohort_sets_skip_their_empty_steps_exactly(
    example_model: CompiledModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each entry cohort starts at its first entry; the same sets all computed from step 0
    give the same tallies."""
    ev = ExpectedModel(example_model)
    Y, T = len(example_model.years), example_model.n_steps
    w = np.zeros((Y + 1, T))
    w[0] = 1.0
    w[1 + ev.year_index, np.arange(T)] = 1.0
    arrays = perturbed(ev, Y + 1)
    ent, init = ev._entries(arrays["combo_rate"], arrays["initial"])
    starts = ev._first_steps(ent * w[:, :, None], init * w[:, :1])
    assert starts[0] == 0 and (np.diff(starts[1:]) > 0).all()  # later cohorts start later
    skipped = ev.run(arrays, w)
    monkeypatch.setattr(ev, "_first_steps", lambda e, i: np.zeros(e.shape[0], np.int64))
    assert_same(ev.run(arrays, w), skipped)


def test_cohorts_added_up_per_thread_equal_every_set_kept(example_model: CompiledModel) -> None:
    """`run_cohorts` keeps the sum of the sets' stocks per thread, not every set's: the
    whole, each set's people at the end, flows and hazard counts equal the daily reference
    run set by set."""
    ref = ExpectedModel(example_model, method="daily")
    Y, T = len(example_model.years), example_model.n_steps
    w = np.zeros((Y, T))
    w[ref.year_index, np.arange(T)] = 1.0
    arrays = perturbed(ref, Y)
    sets = ref.run(arrays, w)
    whole, per_set = ExpectedModel(example_model).run_cohorts(arrays, w)
    for key, arr in sets.arrays().items():
        np.testing.assert_allclose(
            getattr(whole, key), arr.sum(axis=0), rtol=RTOL, atol=ATOL, err_msg=key
        )
    np.testing.assert_allclose(per_set["final_stocks"], sets.stocks[:, -1], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(per_set["flows"], sets.flows, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(per_set["hazard_counts"], sets.hazard_counts, rtol=RTOL, atol=ATOL)
    d_whole, d_per = ref.run_cohorts(arrays, w)  # the reference method gives the same
    np.testing.assert_allclose(d_whole.stocks, whole.stocks, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(d_per["final_stocks"], per_set["final_stocks"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("lump", [None, 50])
def test_durations_of_many_shapes_across_segments(lump: int | None) -> None:
    m = compile_dict(durations_scenario())
    assert len(m.seg_start) >= 4
    check(m, lump)
    check(m, lump, P=3)


def test_flags_classification_families_initial_people_and_a_cycle() -> None:
    m = compile_dict(classification_scenario())
    assert has_cycle(m)  # camp → a → held → cls → camp: no fallback needed (time-major)
    check(m)
    check(m, P=3)


@pytest.mark.parametrize("lump", [None, 50])
def test_reclassification_of_a_cohort(lump: int | None) -> None:
    m = compile_dict(reclassification_scenario())
    ev = check(m, lump, P=2)
    assert ev.run(ev.base_arrays(1)).rc_moved.sum() > 0


def test_waves_on_a_state_without_and_with_a_duration() -> None:
    m = compile_dict(queue_scenario())
    check(m, P=2)
    # the same waves on a state with a duration (compiled tables edited)
    d = queue_scenario()
    d["states"][1]["duration"] = {
        "distribution": "gamma",
        "mean": 50,
        "sd": 20,
        "unit": "days",
        **A,
    }
    d["states"][1]["then"] = "c"
    m2 = compile_dict(d)
    b = m2.state_index("b")
    m3 = dataclasses.replace(m2, wave_state=np.full_like(m2.wave_state, b))
    ev = check(m3, P=2)
    assert ev.run(ev.base_arrays(1)).wave_moved.sum() > 0
    check(m3, 20, P=2)  # and lumped


def test_a_wave_that_empties_a_state_with_a_duration_in_sets_without_entrants() -> None:
    """A wave of share 1 leaves a ring's survival factor at 0; sets of one batch whose
    entry weights give that ring no entrants must not divide by it (a regression:
    ``crossings run --expected`` on North Korea, cohort sets in one chunk)."""
    d = queue_scenario()
    d["detention"][0]["waves"][1]["share"] = 1.0
    d["states"][1]["duration"] = {
        "distribution": "gamma",
        "mean": 50,
        "sd": 20,
        "unit": "days",
        **A,
    }
    d["states"][1]["then"] = "c"
    m = compile_dict(d)
    m = dataclasses.replace(m, wave_state=np.full_like(m.wave_state, m.state_index("b")))
    ref = ExpectedModel(m, method="daily")
    T = m.n_steps
    w = np.zeros((4, T))
    w[0] = 1.0  # everyone
    w[1, : T // 3] = 1.0  # entrants before the waves only
    w[2, 2 * T // 3 :] = 1.0  # entrants after the last wave only
    w[3, T // 3 : 2 * T // 3] = 1.0
    a = ref.run(ref.base_arrays(4), w)
    b = ExpectedModel(m).run(ref.base_arrays(4), w)
    assert_same(a, b)
    assert b.wave_moved[1].sum() > 0


def test_cycle_between_states_with_durations() -> None:
    d = base_scenario(n=1000, days=700)
    d["inflows"][0]["rate"] = rate(500.0)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(5.0)}]
    d["states"][1]["duration"] = {"distribution": "gamma", "mean": 20, "sd": 9, "unit": "days", **A}
    d["states"][1]["then"] = "a"
    d["states"][1]["hazards"] = [{"to": "c", "rate": rate(1.0)}]
    m = compile_dict(d)
    assert has_cycle(m)
    check(m)


# ---------------------------------------------------------------------------- each trick
@pytest.mark.parametrize(
    "options",
    [
        {"project": False},
        {"merge": False},
        {"stages": False},
        {"share_filters": False},
        {"project": False, "merge": False, "stages": False, "share_filters": False},
    ],
)
def test_each_trick_switched_off_is_still_exact(
    example_model: CompiledModel, options: dict[str, bool]
) -> None:
    """The plain fast propagation, and each trick alone, equal the daily kernel."""
    check(example_model, P=2, **options)
    check(compile_dict(classification_scenario()), **options)


def test_projection_collapses_types_nothing_reads(example_model: CompiledModel) -> None:
    full = ExpectedModel(example_model, project=False).plan
    proj = ExpectedModel(example_model).plan
    assert proj.n_pairs < full.n_pairs
    check(example_model, project=True)


def test_merged_twins_and_the_fallback_when_their_rates_differ(
    example_model: CompiledModel,
) -> None:
    ev = ExpectedModel(example_model)
    assert ev.plan.info["merged"] == [["handed_over", "handed_over_west"]]
    ref = ExpectedModel(example_model, method="daily")
    arrays = ref.base_arrays(2)
    comps = ev.plan.info["merged_components"][0]
    assert not ev._twins_hold(ev.plan, arrays["rate"]) or not comps[0]
    if comps[0]:  # give one twin other rates in the second set only
        arrays["rate"][1, :, comps[0]] *= 1.7
        assert not ev._twins_hold(ev.plan, arrays["rate"])
    assert_same(ref.run(arrays), ev.run(arrays))


def test_method_is_checked(example_model: CompiledModel) -> None:
    assert ExpectedModel(example_model).method == "fast"
    with pytest.raises(ValueError, match="method"):
        ExpectedModel(example_model, method="hourly")


# ---------------------------------------------------------------------------- the filters
@jit(cache=False)
def _drive(fi: Any, ff: Any, P: int, X: Any, T: int, at: Any, row: Any, fac: Any) -> Any:
    nf = fi[1] - fi[0]
    R = X.shape[2]
    out = np.zeros_like(X)
    bo, ring, sums, blk, dre, dim, zr, zi, yr, yi = fir_alloc(fi, P)
    v = np.zeros(R)
    for t in range(T):
        for f in range(nf):
            fir_due(f, t, R, P, v, 0, fi, ff, bo, ring, sums, blk)
            for r in range(R):
                out[f, t, r] = v[r]
        for f in range(nf):
            fir_push(
                f, t, T, R, P, X[f, t], 0, fi, ff, bo, ring, sums, blk, dre, dim, zr, zi, yr, yi
            )
        for i in range(at.shape[0]):
            if at[i] == t:
                for f in range(nf):
                    fir_scale(f, row[i], fac[i], P, fi, bo, ring, sums, blk, dre, dim)
    return out


def _gamma(mean: float, sd: float, L: int) -> Any:
    c = stats.gamma.cdf(np.arange(1, L + 1), (mean / sd) ** 2, scale=sd**2 / mean)
    p = np.diff(np.concatenate([[0.0], c]))
    p[-1] += 1.0 - c[-1]
    return p


@pytest.mark.parametrize("stages", [True, False])
def test_filters_equal_the_direct_convolution(stages: bool) -> None:
    """Runs (fixed, uniform, few values), direct taps and FFT stages, with rows rescaled
    mid-stay: every exit equals Σ x(s) p(t − s) with the rescaling applied."""
    rng = np.random.default_rng(1)
    T = 2600
    pmfs = [
        np.r_[np.zeros(9), 1.0],
        np.r_[np.zeros(2), np.full(8, 1 / 8)],
        np.r_[np.zeros(182), np.full(184, 1 / 184)],
        np.r_[rng.random(3), np.zeros(50), rng.random(2)],
        rng.random(20),
        _gamma(45, 25, 414),
        _gamma(700, 300, 2300),
        rng.random(130),
    ]
    bank = FirBank.build(pmfs, [3] * len(pmfs), stages=stages)
    if stages:
        assert set(bank.kind.tolist()) == {0, 1} and bank.st_block.size > 0
    P = 2
    R = 3 * P
    X = rng.random((len(pmfs), T, R)) * (rng.random((len(pmfs), T, R)) < 0.7)
    at = np.array([100, 1500, 1501, 2047])
    row = np.array([1, 4, 1, 0])
    fac = np.array([0.5, 3.0, 1e-3, 7.0])
    out = _drive(*bank.pack(), P, X, T, at, row, fac)
    for f, p in enumerate(pmfs):
        L = p.size
        for r in range(R):
            ref = np.zeros(T)
            for t in range(T):
                s = np.arange(max(0, t - L), t)
                mul = np.ones(s.size)
                for ti, rr, fc in zip(at, row, fac, strict=True):
                    if rr == r and ti < t:
                        mul[s <= ti] *= fc
                ref[t] = np.sum(X[f, s, r] * p[t - s - 1] * mul)
            np.testing.assert_allclose(out[f, :, r], ref, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------- North Korea
@pytest.fixture(scope="module")
def nk_model() -> CompiledModel:
    return compile_scenario(load_scenario("north-korea"))


@pytest.mark.slow
@pytest.mark.parametrize("lump", [None, 3650])
def test_north_korea(nk_model: CompiledModel, lump: int | None) -> None:
    """Every tally, exact and lumped, one set and a batch with rates varied per component
    (which also separates the merged SSD holding centres)."""
    check(nk_model, lump)
    check(nk_model, lump, P=3)


@pytest.mark.slow
def test_north_korea_cohort_sets_in_one_batch(nk_model: CompiledModel) -> None:
    """The sets of ``crossings run --expected`` (one per entry year, several to a thread):
    sets without entrants in a ring whose factor another set keeps alive (a regression:
    a division by a zero factor)."""
    ref = ExpectedModel(nk_model, method="daily")
    Y, T = len(nk_model.years), nk_model.n_steps
    w = np.zeros((Y + 1, T))
    w[0] = 1.0
    w[1 + ref.year_index, np.arange(T)] = 1.0
    pick = [0, 1, 2, 20, 25, 26, 27, 28]
    assert_same(
        ref.run(ref.base_arrays(len(pick)), w[pick]),
        ExpectedModel(nk_model).run(ref.base_arrays(len(pick)), w[pick]),
    )


def test_dates_are_steps_of_the_daily_model() -> None:
    """(Guard for the scenarios above: daily steps.)"""
    m = compile_dict(durations_scenario())
    assert m.step_days == 1 and m.date_step(dt.date(2020, 1, 2)) == 1
