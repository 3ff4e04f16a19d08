"""The compiler, section by section: the compiled arrays do not change by accident.

``tests/corpus/compiled_fingerprints.json`` holds a fingerprint of every field
of the compiled model (arrays included, nested tables field by field) of
``tests/data/calib_small.yaml`` and of the two built-in scenarios. The
fingerprints of ``calib_small`` were taken from the single-method compiler
this one replaced (its arrays are identical: the rewrite changed no
behaviour); those of the built-ins follow the scenarios. Floats are compared
to about nine significant digits (ulp-level differences between platforms'
maths libraries do not count). After a deliberate change to a built-in
scenario or to the compiler, regenerate the file with::

    python tests/test_scenario_compile.py

and review the fields the diff names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from crossings.compile import compile_scenario
from crossings.compile.model import CompiledModel
from crossings.scenario.load import load_scenario

HERE = Path(__file__).parent
FINGERPRINTS = HERE / "corpus" / "compiled_fingerprints.json"
SCENARIOS = {
    "calib_small": str(HERE / "data" / "calib_small.yaml"),
    "example": "example",
    "north-korea": "north-korea",
}
MANTISSA_BITS = 30
"""Floats are fingerprinted to 2**-30 relative (about nine significant digits)."""


def _digest(value: object) -> str:
    h = hashlib.sha256()
    if isinstance(value, np.ndarray):
        h.update(f"{value.dtype.str}{value.shape}".encode())
        if value.dtype.kind == "f":
            finite = np.isfinite(value)
            mant, expo = np.frexp(np.where(finite, value, 0.0))
            h.update(np.round(mant * 2.0**MANTISSA_BITS).astype(np.int64).tobytes())
            h.update(expo.astype(np.int32).tobytes())
            h.update(finite.tobytes())
        else:
            h.update(np.ascontiguousarray(value).tobytes())
    else:
        h.update(repr(value).encode())
    return h.hexdigest()[:16]


def fingerprint(model: CompiledModel) -> dict[str, str]:
    """A short digest of every field (nested tables field by field), by field path."""
    out: dict[str, str] = {}

    def walk(obj: object, prefix: str) -> None:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name), f"{prefix}.{f.name}" if prefix else f.name)
        else:
            out[prefix] = _digest(obj)

    walk(model, "")
    return out


def _compiled(name: str) -> CompiledModel:
    return compile_scenario(load_scenario(SCENARIOS[name]))


def _expected() -> dict[str, dict[str, str]]:
    data = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_compiled_arrays_are_unchanged(name: str) -> None:
    expected = _expected()[name]
    found = fingerprint(_compiled(name))
    changed = sorted(k for k in expected.keys() & found.keys() if expected[k] != found[k])
    assert not changed, f"{name}: compiled fields changed: {changed}"
    assert found.keys() == expected.keys(), (
        f"{name}: fields added {sorted(found.keys() - expected.keys())}, "
        f"removed {sorted(expected.keys() - found.keys())}"
    )


def test_the_model_has_no_untyped_or_dead_fields() -> None:
    names = {f.name for f in dataclasses.fields(CompiledModel)}
    assert not names & {
        "extras",
        "sex_ids",
        "milestone_states",
        "state_milestone",
        "place_names",
        "place_kinds",
        "place_lat",
        "place_lon",
        "terminal",
    }
    m = _compiled("example")
    assert m.milestone_member.dtype == np.bool_
    assert m.milestone_member.shape == (1, m.n_states)


def test_a_scenario_without_populations_has_one_implicit_headline_population() -> None:
    m = _compiled("calib_small")
    assert m.population_ids == ("everyone",)
    assert m.population_headline.tolist() == [True]
    assert m.population_context.tolist() == [False]
    assert m.population_parent.tolist() == [-1]
    assert m.population_member.all()
    assert (m.state_population == 0).all()
    assert m.headline_population == 0


def test_populations_compile_to_a_partition_of_the_states() -> None:
    m = _compiled("north-korea")
    assert m.population_ids == ("people_who_left", "returnees", "camp_population")
    top = np.flatnonzero(m.population_parent < 0)
    assert m.population_member[top].sum(axis=0).tolist() == [1] * m.n_states
    for s in range(m.n_states):
        assert m.population_member[m.state_population[s], s]
    assert m.headline_population == m.population_index("people_who_left")
    assert m.population_context.tolist() == [False, False, True]
    assert m.population_parent[m.population_index("returnees")] == 0
    returnees = set(m.population_states("returnees"))
    assert returnees <= set(m.population_states("people_who_left"))
    assert m.state_index("ssd_classification") in returnees
    camp = {m.state_ids[s] for s in m.population_states("camp_population")}
    assert camp == {"kwanliso_others", "dead_others"}


@pytest.mark.parametrize("name", ["example", "north-korea"])
def test_every_state_of_the_built_ins_tells_its_story(name: str) -> None:
    m = _compiled(name)
    missing = [s for s, story in zip(m.state_ids, m.state_stories, strict=True) if not story]
    assert not missing
    pairs = zip(m.state_sentence_kind, m.state_section, strict=True)
    assert all(bool(kind) == (section == "sentences") for kind, section in pairs)


def test_a_wave_shared_by_several_queues_is_found_in_each() -> None:
    m = _compiled("north-korea")
    queues = {m.state_ids[m.wave_state[w]] for w in m.wave_indices("wave_2023_10_09")}
    assert queues == {
        "detained_yanbian",
        "detained_changbai",
        "detained_liaoning",
        "detained_southwest",
        "detained_mongolia_border",
    }


if __name__ == "__main__":
    prints = {name: fingerprint(_compiled(name)) for name in sorted(SCENARIOS)}
    FINGERPRINTS.write_text(json.dumps(prints, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {FINGERPRINTS}\n")
