"""The tally contract: both producers give the same named-axis arrays, with their own dtype."""

from __future__ import annotations

import numpy as np
import pytest

from crossings.compile.model import CompiledModel
from crossings.engine import Simulation
from crossings.expected import ExpectedModel
from crossings.tallies import Tallies, axes_of, axes_table, axis_sizes, stack, zeros


def test_axes_are_part_of_the_type() -> None:
    assert axes_of("flows") == ("year", "from_state", "to_state", "sex")
    assert axes_of("stocks") == ("step", "state", "sex")
    assert set(axes_table()) == set(Tallies.array_fields())
    with pytest.raises(KeyError):
        axes_of("journeys")


def test_agent_runs_are_integer_counts_of_the_declared_shapes(
    example_model: CompiledModel,
) -> None:
    t = Simulation(example_model, seed=3).run()
    t.check(example_model)
    assert {a.dtype for a in t.arrays().values()} == {np.dtype(np.int64)}
    assert t.steps_in_system is not None and t.cohort_flows is not None
    assert t.journeys is not None and len(t.journeys.agents["agent"]) > 0


def test_expected_values_are_floats_without_what_they_do_not_compute(
    example_model: CompiledModel,
) -> None:
    batch = ExpectedModel(example_model).run({})
    assert batch.leading == "set" and batch.n == 1
    batch.check(example_model)
    assert {a.dtype for a in batch.arrays().values()} == {np.dtype(np.float64)}
    assert batch.steps_in_system is None and batch.cohort_flows is None
    one = batch.item(0)
    one.check(example_model)
    np.testing.assert_array_equal(one.stocks, batch.stocks[0])


def test_a_wrong_shape_is_caught(example_model: CompiledModel) -> None:
    t = zeros(example_model, np.int64)
    t.check(example_model)
    bad = Tallies(**{**t.arrays(), "flows": t.flows[:, :-1]})  # outside missing
    with pytest.raises(ValueError, match="flows"):
        bad.check(example_model)


def test_stack_and_merge(example_model: CompiledModel) -> None:
    a = Simulation(example_model, seed=1).run()
    b = Simulation(example_model, seed=2).run()
    s = stack([a, b])
    assert s.leading == "run" and s.n == 2
    s.check(example_model)
    np.testing.assert_array_equal(s.item(1).flows, b.flows)
    total = Tallies.merge([a, b])
    np.testing.assert_array_equal(total.flows, a.flows + b.flows)
    sizes = axis_sizes(example_model)
    assert total.flows.shape == tuple(sizes[x] for x in axes_of("flows"))
