"""Shared helpers: build small scenarios from Python dicts."""

from __future__ import annotations

import copy
import datetime as dt
import os
from typing import Any

import numpy as np
import pytest
import yaml

from crossings.compile import compile_scenario
from crossings.compile.model import CompiledModel
from crossings.scenario import load_scenario
from crossings.scenario.load import LoadedScenario, load_scenario_text
from crossings.tallies import Tallies

A = {"assumption": "test value"}


def same_tallies(a: Tallies[Any], b: Tallies[Any]) -> None:
    """Assert two runs' tallies, journey samples and counters are identical."""
    assert a.arrays().keys() == b.arrays().keys()
    for name, arr in a.arrays().items():
        assert np.array_equal(arr, getattr(b, name)), name
    assert (a.journeys is None) == (b.journeys is None)
    if a.journeys is not None and b.journeys is not None:
        for part in ("events", "agents"):
            da, db = getattr(a.journeys, part), getattr(b.journeys, part)
            assert da.keys() == db.keys(), part
            for k in da:
                assert np.array_equal(da[k], db[k]), (part, k)
    assert (a.agents_created, a.agent_steps, a.events) == (
        b.agents_created,
        b.agent_steps,
        b.events,
    )


def scaled_timeout(seconds: float) -> float:
    """A timeout for waiting on a condition, stretched on a loaded machine.

    ``seconds`` is what the wait needs on a quiet machine; it is multiplied by
    the load per CPU (at least 1, at most 20) and by ``CROSSINGS_TEST_TIMEOUT_SCALE``
    when that is set. Tests wait for conditions and use this only as the limit
    after which they give up.
    """
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        load = 1.0
    factor = min(max(1.0, load), 20.0) * float(os.environ.get("CROSSINGS_TEST_TIMEOUT_SCALE", "1"))
    return seconds * factor


def rate(per_year: float) -> dict[str, Any]:
    return {"per_year": per_year, **A}


def base_scenario(n: int = 100_000, days: int = 365) -> dict[str, Any]:
    """A: initial population n in state 'a'; no inflow afterwards."""
    return {
        "name": "t",
        "time": {"start": "2020-01-01", "end": _end(days), "step": 1},
        "states": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "inflows": [
            {
                "id": "pop",
                "enter": "a",
                "rate": {"per_year": 0, **A},
                "sex": {"female": 0.5, "male": 0.5, **A},
                "initial": {"value": n, **A},
            }
        ],
        "journeys": {"sample": 0},
    }


def _end(days: int) -> str:
    return (dt.date(2020, 1, 1) + dt.timedelta(days=days - 1)).isoformat()


def load_dict(d: dict[str, Any]) -> LoadedScenario:
    return load_scenario_text(yaml.safe_dump(copy.deepcopy(d), sort_keys=False), "test.yaml")


def compile_dict(d: dict[str, Any]) -> CompiledModel:
    return compile_scenario(load_dict(d))


def binom_tol(p: float, n: int, z: float = 4.5) -> float:
    """Tolerance for an observed proportion: z standard errors (at least 1/n)."""
    return z * max((p * (1 - p) / n) ** 0.5, 1 / n)


@pytest.fixture(scope="session")
def example_model() -> CompiledModel:
    return compile_scenario(load_scenario("example"))
