"""Loading scenarios: the built-in example, overrides, variants, extends, JSON schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crossings.scenario import ScenarioError, builtin_names, load_scenario
from crossings.scenario.schema import json_schema

# ------------------------------------------------------------------- example


def test_example_is_builtin() -> None:
    assert "example" in builtin_names()


def test_example_loads_without_warnings() -> None:
    loaded = load_scenario("example")
    assert loaded.warnings == []
    sc = loaded.scenario
    assert sc.name == "example"
    assert sc.time.start == dt.date(2000, 1, 1)
    assert sc.time.end == dt.date(2012, 12, 31)
    assert {p.id for p in sc.policies} == {"crackdown", "closure", "new_law"}
    assert len(loaded.sha256) == 64
    assert loaded.variant is None
    assert loaded.overrides == ()


def test_example_source_map_points_into_the_file() -> None:
    loaded = load_scenario("example")
    loc = loaded.source_map.locate(("time", "end"))
    assert Path(loc.file).name == "example.yaml"
    text = Path(loc.file).read_text(encoding="utf-8").splitlines()
    assert loc.line is not None
    assert "end: 2012-12-31" in text[loc.line - 1]


def test_loading_is_deterministic() -> None:
    assert load_scenario("example").sha256 == load_scenario("example").sha256


# ----------------------------------------------------------------- overrides


def test_override_scalar() -> None:
    loaded = load_scenario("example", overrides=["time.end=2014-12-31"])
    assert loaded.scenario.time.end == dt.date(2014, 12, 31)
    assert loaded.overrides == ("time.end=2014-12-31",)
    assert loaded.sha256 != load_scenario("example").sha256
    loc = loaded.source_map.locate(("time", "end"))
    assert loc.file == "--set time.end=2014-12-31"


def test_override_shortening_span_warns_about_events_after_it() -> None:
    # The example's 2011 wave and 2012 reclassification fall after a span ending in 2010:
    # a shorter run is valid, and the events that will not happen are reported as warnings.
    loaded = load_scenario("example", overrides=["time.end=2010-12-31"])
    warned = [i.dotted_path for i in loaded.warnings]
    assert "detention[0].waves[0].date" in warned
    assert "reclassifications[0].date" in warned
    w = next(i for i in loaded.warnings if i.dotted_path == "detention[0].waves[0].date")
    assert w.message.startswith("wave date 2011-06-01 is after the end of the simulated span")
    assert w.location is not None and Path(w.location.file).name == "example.yaml"


def test_override_list_item_by_id() -> None:
    loaded = load_scenario("example", overrides=["policies.crackdown.from=2006-01-01"])
    crackdown = next(p for p in loaded.scenario.policies if p.id == "crackdown")
    assert crackdown.from_ == dt.date(2006, 1, 1)
    closure = next(p for p in loaded.scenario.policies if p.id == "closure")
    assert closure.from_ == dt.date(2010, 1, 1)


def test_override_list_item_by_index_and_nested() -> None:
    loaded = load_scenario(
        "example",
        overrides=["policies.crackdown.effects.0.factor.value=3", "journeys.sample=5", "seed=9"],
    )
    crackdown = next(p for p in loaded.scenario.policies if p.id == "crackdown")
    factor = crackdown.effects[0].factor
    assert factor is not None
    assert factor.value == 3
    assert loaded.scenario.journeys.sample == 5
    assert loaded.scenario.seed == 9


def test_override_unknown_list_item_suggests_id() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["policies.crakdown.from=2006-01-01"])
    issue = info.value.issues[0]
    assert issue.message == "cannot set 'policies.crakdown.from': no such field"
    assert issue.hint == "did you mean 'crackdown'?"
    assert issue.location is not None
    assert issue.location.file.startswith("--set")


def test_override_unknown_key_suggests_field() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["time.ned=2010-12-31"])
    issue = info.value.issues[0]
    assert issue.message == "unknown key 'ned'"
    assert issue.dotted_path == "time.ned"
    assert issue.hint == "did you mean 'end'?"
    assert issue.location is not None
    assert issue.location.file == "--set time.ned=2010-12-31"


def test_override_unknown_section_points_at_the_override() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["tme.end=2010-12-31"])
    issue = info.value.issues[0]
    assert issue.message == "unknown key 'tme'"
    assert issue.hint == "did you mean 'time'?"
    assert issue.location is not None
    assert issue.location.file == "--set tme.end=2010-12-31"


def test_override_without_equals() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["time.end"])
    issue = info.value.issues[0]
    assert "has no '='" in issue.message
    assert issue.hint is not None
    assert "time.end=" in issue.hint


def test_override_with_invalid_value_is_located_at_the_override() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["time.end=1990-01-01"])
    issue = info.value.issues[0]
    assert issue.message == "the end date is not after the start date"
    assert issue.location is not None
    assert issue.location.file == "--set time.end=1990-01-01"


# ------------------------------------------------------------------ variants


def test_variant_removes_policy() -> None:
    loaded = load_scenario("example", variant="no_crackdown")
    assert loaded.variant == "no_crackdown"
    ids = [p.id for p in loaded.scenario.policies]
    assert "crackdown" not in ids
    assert ids == ["closure", "new_law"]
    assert loaded.warnings == []


def test_unknown_variant_suggests_name() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", variant="no_crackdwn")
    issue = info.value.issues[0]
    assert issue.message == "unknown variant 'no_crackdwn'"
    assert issue.hint == "did you mean 'no_crackdown'?"
    assert issue.expected is not None
    assert "no_crackdown" in issue.expected


def test_variant_then_override() -> None:
    loaded = load_scenario(
        "example", variant="never_closed", overrides=["policies.crackdown.to=2008-01-01"]
    )
    ids = [p.id for p in loaded.scenario.policies]
    assert "closure" not in ids
    crackdown = next(p for p in loaded.scenario.policies if p.id == "crackdown")
    assert crackdown.to == dt.date(2008, 1, 1)


# ------------------------------------------------------------------- extends

CHILD = """\
extends: example
seed: 42
policies:
  - id: amnesty
    name: amnesty year
    from: 2005-01-01
    to: 2005-12-31
    effects:
      - {scale: [arrest_bordia], factor: {value: 0.5, assumption: "fewer arrests"}}
    sources: [EX2]
"""


def test_extends_changes_seed_and_adds_policy(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(CHILD, encoding="utf-8")
    loaded = load_scenario(child)
    sc = loaded.scenario
    assert sc.seed == 42
    assert [p.id for p in sc.policies] == ["crackdown", "closure", "new_law", "amnesty"]
    # everything else comes from the base
    assert sc.name == "example"
    assert len(sc.states) == len(load_scenario("example").scenario.states)
    assert loaded.warnings == []
    # positions: the new policy is in the child, inherited values in the base
    new_loc = loaded.source_map.locate(("policies", 3, "from"))
    assert Path(new_loc.file) == child
    assert new_loc.line == 6
    base_loc = loaded.source_map.locate(("policies", 0, "from"))
    assert Path(base_loc.file).name == "example.yaml"


def test_extends_merges_list_items_by_id(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: example\npolicies:\n  - id: crackdown\n    to: 2008-12-31\n", encoding="utf-8"
    )
    sc = load_scenario(child).scenario
    crackdown = next(p for p in sc.policies if p.id == "crackdown")
    assert crackdown.from_ == dt.date(2006, 6, 1)  # kept from the base
    assert crackdown.to == dt.date(2008, 12, 31)  # changed by the child
    assert len(sc.policies) == 3


def test_extends_error_points_to_child_line(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(
        CHILD.replace("scale: [arrest_bordia]", "scale: [arest_bordia]"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    issue = info.value.issues[0]
    assert issue.message == "unknown hazard id or tag 'arest_bordia'"
    assert issue.hint == "did you mean 'arrest_bordia'?"
    assert issue.location is not None
    assert Path(issue.location.file) == child
    assert issue.location.line == 9
    assert "child.yaml:9" in issue.format()


def test_extends_unknown_key_in_child_points_to_child(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("extends: example\nsed: 3\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    issue = info.value.issues[0]
    assert issue.message == "unknown key 'sed'"
    assert issue.hint == "did you mean 'seed'?"
    assert issue.location is not None
    assert Path(issue.location.file) == child
    assert issue.location.line == 2


def test_extends_relative_file(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(CHILD.replace("seed: 42", "seed: 5"), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    leaf = tmp_path / "sub" / "leaf.yaml"
    leaf.write_text("extends: ../base.yaml\ntitle: leaf\n", encoding="utf-8")
    sc = load_scenario(leaf).scenario
    assert sc.seed == 5
    assert sc.title == "leaf"
    assert "amnesty" in [p.id for p in sc.policies]


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "a.yaml")
    assert "extends itself" in info.value.issues[0].message


# ------------------------------------------------------------- JSON schema


def test_json_schema_is_valid_json() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    again = json.loads(text)
    assert again == schema
    assert "$defs" in schema
    assert schema["title"] == "Crossings scenario"
    props = schema["properties"]
    for key in ("name", "time", "places", "states", "transitions", "policies", "observations"):
        assert key in props, key
    assert "time" in schema.get("required", [])
    assert "Place" in schema["$defs"]
    assert "TimeSpec" in schema["$defs"]
    # aliases are used: 'from' rather than 'from_'
    assert "from" in schema["$defs"]["Policy"]["properties"]
    assert schema["$defs"]["Shares"]["additionalProperties"] == {"type": "number"}


def test_load_unknown_builtin_suggests_name() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("exampel")
    issue = info.value.issues[0]
    assert issue.message == "unknown scenario 'exampel'"
    assert issue.hint == "did you mean 'example'?"


def test_exported_json_schema_is_up_to_date() -> None:
    from crossings.scenario.schema import json_schema  # noqa: PLC0415

    shipped = Path(__file__).resolve().parents[1] / "docs" / "scenario.schema.json"
    assert json.loads(shipped.read_text()) == json_schema(), (
        "docs/scenario.schema.json is stale: run 'crossings schema -o docs/scenario.schema.json'"
    )


def test_observation_rows_read_from_a_csv_file(tmp_path: Path) -> None:
    (tmp_path / "arrivals.csv").write_text(
        "year,total,male,female,source_ids\n"
        "~1998,947,831,116,S1\n"
        "1999-2001,1043,565,478,S1\n"
        "2002,1142,510,632,S1\n"
        "cumulative_to_2002,2132,,,S1\n"
    )
    (tmp_path / "s.yaml").write_text(
        "extends: example\n"
        "observations:\n"
        "  - id: arrivals_csv\n"
        "    measure: {entries: [arrived]}\n"
        "    sources: [EX1]\n"
        "    file: arrivals.csv\n"
    )
    loaded = load_scenario(tmp_path / "s.yaml")
    obs = next(o for o in loaded.scenario.observations if o.id == "arrivals_csv")
    # the open-start '~1998' bucket and the cumulative row are skipped
    assert [(r.year, r.years) for r in obs.rows] == [(None, (1999, 2001)), (2002, None)]
    assert obs.rows[1].female == 632
    i = [o.id for o in loaded.scenario.observations].index("arrivals_csv")
    assert loaded.source_map.locate(("observations", i, "rows", 1)).line == 4
