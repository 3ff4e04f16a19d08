"""Shared helpers: build small scenarios from Python dicts."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import yaml

from crossings.compile import compile_scenario
from crossings.compile.model import CompiledModel
from crossings.scenario import load_scenario
from crossings.scenario.load import LoadedScenario, load_scenario_text

A = {"assumption": "test value"}


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
