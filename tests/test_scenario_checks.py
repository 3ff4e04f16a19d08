"""Meaning checks, number ranges, file safety and what ``check`` and ``run`` agree on.

The corpus (``tests/test_corpus.py``) holds one file per kind of mistake with
its exact message; these tests cover the rules around them: what is allowed
(``outside_span: intentional``, a span shortened with ``--set``), where a file
may come from, that nothing from a refused file leaks into a message, and that
whatever the compiler would refuse is refused by the checks ``check`` runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crossings.compile import compile_scenario, estimate_memory, preflight
from crossings.compile.preflight import check_memory, expected_people
from crossings.scenario import ScenarioError, load_scenario
from crossings.scenario.limits import MAX_FLAGS

BASE = """\
name: tiny
time:
  start: 2000-01-01
  end: 2005-12-31
sources:
  S1:
    citation: "Invented figures"
places:
  - {id: ford, kind: border}
  - {id: haven, kind: destination}
states:
  - id: crossing
    place: ford
    kind: crossing
    duration: {distribution: fixed, value: 2, assumption: "two days"}
    then: hiding
  - {id: hiding, kind: hiding}
  - {id: arrived, place: haven, kind: arrived}
  - {id: returned, kind: released}
inflows:
  - id: crossers
    enter: crossing
    rate: {per_year: 100, sources: [S1]}
    sex: {female: 0.6, male: 0.4, sources: [S1]}
transitions:
  hiding:
    - id: move_on
      to: arrived
      rate: {per_year: 0.5, assumption: "half leave each year"}
    - id: arrest
      to: detained
      rate: {per_year: 0.2, assumption: "police arrests"}
      tags: [arrests]
detention:
  - id: detained
    to: returned
    rate: {mean_days: 30, assumption: "returns every month"}
"""

POLICY_2010 = """\
policies:
  - id: crackdown
    from: 2010-01-01
    to: 2011-12-31
    effects:
      - {scale: [arrests], factor: {value: 2, assumption: "arrests double"}}
    sources: [S1]
"""


def _write(folder: Path, text: str, name: str = "s.yaml") -> Path:
    f = folder / name
    f.write_text(text, encoding="utf-8")
    return f


def _errors(path: Path | str, **kw: object) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        preflight(load_scenario(path, **kw))  # type: ignore[arg-type]
    return [i.message for i in info.value.issues if i.severity == "error"]


def test_the_base_scenario_is_valid(tmp_path: Path) -> None:
    loaded = load_scenario(_write(tmp_path, BASE))
    assert loaded.warnings == []
    preflight(loaded)


@pytest.mark.parametrize("name", ["example", "north-korea"])
def test_builtin_scenarios_and_their_variants_pass_every_check(name: str) -> None:
    loaded = load_scenario(name)
    assert not [w for w in loaded.warnings if w.severity == "error"]
    preflight(loaded)
    for variant in loaded.scenario.variants:
        preflight(load_scenario(name, variant=variant))


def test_calibration_test_scenario_passes_every_check() -> None:
    path = Path(__file__).parent / "data" / "calib_small.yaml"
    preflight(load_scenario(path))


# -------------------------------------------------- events outside the span


def test_a_policy_outside_the_span_marked_intentional_is_accepted(tmp_path: Path) -> None:
    text = BASE + POLICY_2010.replace(
        "    sources: [S1]\n", "    sources: [S1]\n    outside_span: intentional\n"
    )
    loaded = load_scenario(_write(tmp_path, text))
    assert loaded.warnings == []


def test_the_marker_only_takes_the_word_intentional(tmp_path: Path) -> None:
    text = BASE + POLICY_2010.replace(
        "    sources: [S1]\n", "    sources: [S1]\n    outside_span: yes\n"
    )
    assert "is not a valid 'outside_span'" in _errors(_write(tmp_path, text))[0]


def test_a_wave_before_the_span_marked_intentional_is_accepted(tmp_path: Path) -> None:
    text = (
        BASE + "    waves:\n      - {date: 1999-06-01, sources: [S1], outside_span: intentional}\n"
    )
    assert load_scenario(_write(tmp_path, text)).warnings == []


def test_shortening_the_span_with_set_makes_later_events_warnings(tmp_path: Path) -> None:
    text = BASE + POLICY_2010.replace("2010-01-01", "2004-01-01").replace(
        "2011-12-31", "2005-06-30"
    )
    f = _write(tmp_path, text)
    assert load_scenario(f).warnings == []
    loaded = load_scenario(f, overrides=["time.end=2003-12-31"])
    assert [w.message for w in loaded.warnings] == [
        "policy 'crackdown' lies wholly outside the simulated span"
    ]
    assert loaded.warnings[0].severity == "warning"


def test_shortening_the_span_in_a_variant_makes_later_events_warnings(tmp_path: Path) -> None:
    text = (
        BASE
        + POLICY_2010.replace("2010-01-01", "2004-01-01").replace("2011-12-31", "2005-06-30")
        + "variants:\n  short:\n    set: {time.end: 2003-12-31}\n"
    )
    loaded = load_scenario(_write(tmp_path, text), variant="short")
    assert [w.severity for w in loaded.warnings] == ["warning"]


def test_a_scenario_extending_with_a_shorter_span_gets_warnings(tmp_path: Path) -> None:
    text = BASE + POLICY_2010.replace("2010-01-01", "2004-01-01").replace(
        "2011-12-31", "2005-06-30"
    )
    _write(tmp_path, text, "base.yaml")
    child = _write(
        tmp_path, "extends: base.yaml\ntime: {start: 2000-01-01, end: 2003-12-31}\n", "child.yaml"
    )
    loaded = load_scenario(child)
    assert [w.severity for w in loaded.warnings] == ["warning"]


def test_an_event_moved_outside_the_span_by_set_is_an_error(tmp_path: Path) -> None:
    text = BASE + "    waves:\n      - {date: 2003-06-01, sources: [S1]}\n"
    errors = _errors(_write(tmp_path, text), overrides=["detention.0.waves.0.date=2009-01-01"])
    assert errors[0].startswith("wave date 2009-01-01 is after the end of the simulated span")


def test_a_variant_adding_a_policy_outside_the_span_is_an_error_at_the_variant(
    tmp_path: Path,
) -> None:
    text = BASE + (
        "variants:\n  later:\n    add:\n      policies:\n"
        "        - id: late\n          from: 2030-01-01\n          sources: [S1]\n"
        "          effects: [{close_border: b1}]\n"
    )
    f = _write(
        tmp_path,
        text.replace("      tags: [arrests]\n", "      tags: [arrests]\n      border: b1\n"),
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(f, variant="later")
    issue = info.value.issues[0]
    assert issue.message == "policy 'late' lies wholly outside the simulated span"
    assert issue.location is not None and issue.location.line == f.read_text().count("\n") - 3


# ------------------------------------------------------- meaningless models


def test_a_zero_hazard_is_fine_when_another_way_out_is_positive(tmp_path: Path) -> None:
    text = BASE.replace(
        'per_year: 0.2, assumption: "police arrests"', 'per_year: 0, assumption: "x"'
    )
    assert load_scenario(_write(tmp_path, text)).warnings == []


def test_by_year_zero_in_the_span_but_positive_after_it_is_dead(tmp_path: Path) -> None:
    text = BASE.replace(
        'rate: {per_year: 0.5, assumption: "half leave each year"}',
        'rate: {by_year: {2000: 0, 2010: 0.5}, assumption: "later"}',
    )
    errors = _errors(_write(tmp_path, text))
    assert errors == ["destination 'arrived' can only be reached through hazards with rate zero"]


def test_a_schedule_positive_inside_the_span_is_live(tmp_path: Path) -> None:
    text = BASE.replace(
        'rate: {per_year: 0.5, assumption: "half leave each year"}',
        "rate: {schedule: [{from: 2000-01-01, per_year: 0}, {from: 2003-01-01, per_year: 0.5}],"
        ' assumption: "later"}',
    )
    assert load_scenario(_write(tmp_path, text)).warnings == []


def test_a_queue_whose_only_wave_is_outside_the_span_traps_people(tmp_path: Path) -> None:
    text = BASE.replace(
        '    rate: {mean_days: 30, assumption: "returns every month"}\n',
        "    waves:\n      - {date: 2010-01-01, sources: [S1], outside_span: intentional}\n",
    )
    errors = _errors(_write(tmp_path, text))
    assert errors == ["nobody can leave 'detained': every way out has rate zero"]


def test_allow_closed_cycles_still_refuses_all_zero_exits(tmp_path: Path) -> None:
    text = "allow_closed_cycles: true\n" + BASE.replace("per_year: 0.5,", "per_year: 0,").replace(
        "per_year: 0.2,", "per_year: 0,"
    )
    assert _errors(_write(tmp_path, text)) == [
        "nobody can leave 'hiding': every way out has rate zero"
    ]


def test_a_reclassification_of_a_cohort_that_can_be_found_is_accepted(tmp_path: Path) -> None:
    text = BASE + (
        "reclassifications:\n  - id: rearrest\n    date: 2004-01-01\n"
        "    select: {entered: [detained], from: 2003-01-01, to: 2003-12-31,"
        " currently_in: [returned]}\n"
        "    to: detained\n    sources: [S1]\n"
    )
    assert load_scenario(_write(tmp_path, text)).warnings == []


@pytest.mark.parametrize(
    ("select", "reason"),
    [
        (
            "{entered: [detained], from: 2007-01-01, to: 2007-12-31}",
            "its cohort window lies outside the simulated span",
        ),
        (
            "{entered: [detained], from: 2003-01-01, to: 2003-12-31, currently_in: [detained],"
            " not_in: [detained]}",
            "every state it could move people from is excluded",
        ),
    ],
)
def test_reclassifications_that_cannot_select_anyone(
    tmp_path: Path, select: str, reason: str
) -> None:
    text = BASE + (
        "reclassifications:\n  - id: rearrest\n    date: 2004-06-01\n"
        f"    select: {select}\n    to: returned\n    sources: [S1]\n"
    )
    assert _errors(_write(tmp_path, text)) == [
        f"reclassification 'rearrest' cannot select anyone: {reason}"
    ]


def test_too_many_flags_is_refused_by_check_and_by_compile() -> None:
    flags = ",".join(f"{{id: f{i}}}" for i in range(MAX_FLAGS + 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=[f"people.flags=[{flags}]"])
    assert any(
        i.message == "more flags than the engine holds: 33, the limit is 32"
        for i in info.value.issues
    )
    loaded = load_scenario("example")
    loaded.scenario.people.flags.extend(
        loaded.scenario.people.flags[0].model_copy(update={"id": f"x{i}"}) for i in range(40)
    )
    with pytest.raises(ScenarioError) as info2:
        compile_scenario(loaded)
    assert info2.value.issues[0].message.startswith("more flags than the engine holds")


# ------------------------------------------------------------- NaN, infinity


@pytest.mark.parametrize(
    "override",
    [
        "inflows.river_crossers.rate.by_year.2002=.nan",
        "people.age_bands.by_sex.female.20-29=.nan",
        "transitions.hiding_ne.0.rate.per_year=.inf",
        "detention.0.rate.mean_days=.inf",
        "policies.china_crackdown_2016.effects.0.factor.value=.nan",
        "delegations.london_2012.size.value=.inf",
        "classification.detection.tried_south=.nan",
        "places.0.lat=.nan",
        "observations.0.rows.0.total=.inf",
        "observations.0.rows.0.total=1e999",
        "calibration.observation_model.dispersion=.nan",
    ],
)
def test_nan_and_infinity_are_refused_everywhere(override: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("north-korea", overrides=[override])
    issue = info.value.issues[0]
    assert issue.message.endswith("must be a finite number"), issue.message
    assert issue.expected == "a finite number"


def test_large_but_finite_values_are_bounded() -> None:
    for name, override, message in (
        (
            "north-korea",
            "inflows.already_in_china.initial.value=1e12",
            "initial stock above the limit of 100,000,000 people",
        ),
        (
            "example",
            "transitions.hiding.0.modifiers.sex.female=1e9",
            "modifier above the limit of 1,000,000",
        ),
        (
            "example",
            "policies.crackdown.effects.0.factor.value=1e9",
            "scale factor above the limit of 1,000,000",
        ),
        (
            "example",
            "transitions.hiding.0.rate={per_day: 1e5, assumption: x}",
            "rate above the limit of 1,000,000 per year",
        ),
    ):
        with pytest.raises(ScenarioError) as info:
            load_scenario(name, overrides=[override])
        assert [i.message for i in info.value.issues] == [message], override


def test_factors_that_multiply_past_a_float_are_refused_by_compile(tmp_path: Path) -> None:
    policies = "policies:\n" + "".join(
        f"  - id: p{i}\n    from: 2001-01-01\n    sources: [S1]\n"
        f"    effects: [{{scale: [arrests], factor: {{value: 1e6, assumption: x}}}}]\n"
        for i in range(60)
    )
    with pytest.raises(ScenarioError) as info:
        compile_scenario(load_scenario(_write(tmp_path, BASE + policies)))
    assert "too large to compute" in info.value.issues[0].message


# ------------------------------------------------------------------ memory


def test_memory_estimate_of_the_builtins_is_small() -> None:
    for name in ("example", "north-korea"):
        est = estimate_memory(load_scenario(name).scenario)
        assert est.total < 200e6, (name, est)


def test_expected_people_of_the_example() -> None:
    sc = load_scenario("example").scenario
    n = expected_people(sc)
    assert 15_000 < n < 30_000


def test_a_long_span_is_refused_with_the_figure() -> None:
    loaded = load_scenario("example", overrides=["time.end=9999-12-31"])
    est = estimate_memory(loaded.scenario)
    with pytest.raises(ScenarioError) as info:
        check_memory(loaded, limit=est.total - 1)
    issue = info.value.issues[0]
    assert issue.message.startswith("a run of this scenario would need about ")
    assert issue.message.endswith(" GB of memory")
    assert issue.expected is not None and issue.expected.startswith("at most ")
    assert issue.found is not None and "steps" in issue.found and "people" in issue.found
    assert issue.dotted_path == "time"


def test_memory_grows_with_runs() -> None:
    sc = load_scenario("example").scenario
    assert estimate_memory(sc, runs=10).total > 5 * estimate_memory(sc, runs=1).total


def test_compile_refuses_a_run_that_cannot_fit(tmp_path: Path) -> None:
    f = tmp_path / "huge.yaml"
    f.write_text(
        (Path(__file__).parent / "corpus" / "broken" / "huge_span.yaml").read_text(),
        encoding="utf-8",
    )
    loaded = load_scenario(f)  # loading alone accepts it: the limit is the machine's
    with pytest.raises(ScenarioError) as by_check:
        preflight(loaded)
    with pytest.raises(ScenarioError) as by_run:
        compile_scenario(loaded)
    assert by_check.value.issues[0].message == by_run.value.issues[0].message


# -------------------------------------------------------- files and overrides


@pytest.mark.parametrize(
    "override",
    [
        "observations.0.file=/etc/passwd",
        "observations.arrivals.file=/proc/self/environ",
        "observations.0={id: x, measure: {entries: [arrived]}, file: /etc/passwd}",
        "observations=[{id: x, measure: {entries: [arrived]}, file: ../x.csv}]",
        "extends=/etc/passwd",
        "extends=north-korea",
    ],
)
def test_overrides_cannot_name_files(override: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=[override])
    issue = info.value.issues[0]
    assert issue.message.endswith("overrides cannot name files")
    assert issue.expected == "a value (overrides cannot name files)"
    assert issue.hint
    assert "root:" not in info.value.format()


def test_an_observation_file_inside_the_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("year,total\n2002,40\n", encoding="utf-8")
    text = BASE + (
        "observations:\n  - id: arrivals\n    measure: {entries: [arrived]}\n"
        "    sources: [S1]\n    file: data/../data/rows.csv\n"
    )
    loaded = load_scenario(_write(tmp_path, text))
    assert loaded.scenario.observations[0].rows[0].total == 40


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("year,total\n2002,1\n", encoding="utf-8")
    folder = tmp_path / "scenario"
    folder.mkdir()
    try:
        (folder / "rows.csv").symlink_to(outside)
    except OSError:
        pytest.skip("symbolic links are not allowed here")
    text = BASE + (
        "observations:\n  - id: arrivals\n    measure: {entries: [arrived]}\n"
        "    sources: [S1]\n    file: rows.csv\n"
    )
    assert _errors(_write(folder, text)) == [
        "observation file 'rows.csv' is outside the scenario's folder"
    ]


def test_observation_files_of_a_base_are_found_next_to_the_base(tmp_path: Path) -> None:
    base_dir = tmp_path / "base"
    base_dir.mkdir()
    (base_dir / "rows.csv").write_text("year,total\n2002,40\n", encoding="utf-8")
    _write(
        base_dir,
        BASE + "observations:\n  - id: arrivals\n    measure: {entries: [arrived]}\n"
        "    sources: [S1]\n    file: rows.csv\n",
    )
    child = _write(tmp_path, "extends: base/s.yaml\nseed: 3\n", "child.yaml")
    assert load_scenario(child).scenario.observations[0].rows[0].total == 40


@pytest.mark.parametrize(
    ("content", "message", "secret"),
    [
        (b"SECRET=abc123,other\n2002,1\n", "observation CSV needs a 'year' column", "abc123"),
        (
            b'year,total\n2002,"' + b"z" * 200_000 + b'"\n',
            "cannot read the observation file as CSV: field larger than field limit",
            "zzzzzzzzzz",
        ),
        (b"year,total\n2002,\xff\xfeSECRET\n", "the observation file is not UTF-8 text", "SECRET"),
        (
            b"year,total\n2002,abcdefghijklmnopqrstuvwxyz\n",
            "cannot read total value 'abcdefghijklmnopqrs…'",
            "tuvwxyz",
        ),
        (b"year,total\n2002,\x1b[31mred\n", "cannot read total value '?[31mred'", "\x1b"),
    ],
    ids=["header", "huge-field", "binary", "long-value", "escape-sequence"],
)
def test_csv_contents_do_not_leak_into_messages(
    tmp_path: Path, content: bytes, message: str, secret: str
) -> None:
    (tmp_path / "rows.csv").write_bytes(content)
    text = BASE + (
        "observations:\n  - id: arrivals\n    measure: {entries: [arrived]}\n"
        "    sources: [S1]\n    file: rows.csv\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    issue = info.value.issues[0]
    assert issue.message.startswith(message)
    assert secret not in info.value.format()
    assert issue.location is not None and issue.location.line is not None


# ---------------------------------------------------------------- variants


def test_a_malformed_variant_is_a_scenario_error(tmp_path: Path) -> None:
    text = BASE + "variants:\n  odd:\n    set: [1, 2]\n    remove: 5\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text), variant="odd")
    paths = {i.dotted_path for i in info.value.issues}
    assert {"variants.odd.set", "variants.odd.remove"} <= paths


def test_errors_in_a_value_set_by_a_variant_point_to_the_variant(tmp_path: Path) -> None:
    text = (
        BASE
        + "variants:\n  bad:\n    set:\n      inflows.crossers.rate: {per_year: x, sources: [S1]}\n"
    )
    f = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(f, variant="bad")
    issue = info.value.issues[0]
    assert issue.dotted_path == "inflows[0].rate.per_year"
    assert issue.location is not None and issue.location.line == text.count("\n")


def test_removing_a_list_item_in_a_variant_keeps_later_locations(tmp_path: Path) -> None:
    text = BASE + (
        "policies:\n"
        "  - {id: first, from: 2001-01-01, sources: [S1], effects: [{scale: [arrests],"
        " factor: {value: 2, assumption: x}}]}\n"
        "  - {id: second, from: 2002-01-01, sources: [S9], effects: [{scale: [arrests],"
        " factor: {value: 2, assumption: x}}]}\n"
        "variants:\n  v:\n    remove: [policies.first]\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text), variant="v")
    issue = info.value.issues[0]
    assert issue.message == "unknown source 'S9'"
    assert issue.location is not None
    lines = text.splitlines()
    assert issue.location.line == 1 + next(i for i, t in enumerate(lines) if "id: second" in t)


def test_override_errors_are_located_at_the_override() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["inflows.0.rate_by_sex.female={per_year: x}"])
    issue = info.value.issues[0]
    assert issue.location is not None
    assert issue.location.file.startswith("--set inflows.0.rate_by_sex.female=")


def test_several_bad_overrides_are_all_reported() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["time.end=2001-02-30", "observations.0.file=x.csv"])
    assert len(info.value.issues) == 2


def test_shortening_the_span_does_not_turn_later_rates_into_errors(tmp_path: Path) -> None:
    text = BASE.replace(
        'rate: {per_year: 0.5, assumption: "half leave each year"}',
        'rate: {by_year: {2000: 0, 2004: 0.5}, assumption: "later"}',
    ).replace(
        'rate: {per_year: 0.2, assumption: "police arrests"}',
        'rate: {by_year: {2004: 0.2, 2005: 0.3}, assumption: "later"}',
    )
    f = _write(tmp_path, text)
    assert load_scenario(f).warnings == []
    loaded = load_scenario(f, overrides=["time.end=2002-12-31"])
    preflight(loaded)
    assert [w.message for w in loaded.warnings] == [
        "every year of the by_year table lies outside the simulated span"
    ]


# ------------------------------------------------------------------ populations and waves

OBSERVE_HIDING = """\
observations:
  - id: hidden
    kind: estimate
    measure: {stock: [hiding]}
    population: POP
    sources: [S1]
    rows:
      - {year: 2004, total: {low: 10, high: 100}}
"""


def test_without_populations_a_figure_may_name_the_implicit_one(tmp_path: Path) -> None:
    sc = load_scenario(_write(tmp_path, BASE + OBSERVE_HIDING.replace("POP", "everyone")))
    m = compile_scenario(sc)
    assert m.population_ids == ("everyone",)
    assert _errors(_write(tmp_path, BASE + OBSERVE_HIDING.replace("POP", "left"))) == [
        "unknown population 'left'"
    ]


def test_populations_from_a_scenario_that_extends_another_merge_by_id(tmp_path: Path) -> None:
    pops = """\
populations:
  - id: left
    headline: true
    inflows: [crossers]
    states: [crossing, hiding, arrived, returned, detained]
"""
    _write(tmp_path, BASE + pops, "base.yaml")
    child = "extends: base.yaml\npopulations:\n  - {id: left, name: people who left}\n"
    m = compile_scenario(load_scenario(_write(tmp_path, child, "child.yaml")))
    assert m.population_names == ("people who left",)
    assert m.population_member.all()


def test_a_queue_cannot_use_one_wave_id_twice(tmp_path: Path) -> None:
    waves = (
        "    waves:\n"
        "      - {id: w, date: 2003-01-01, share: 0.5, sources: [S1]}\n"
        "      - {id: w, date: 2004-01-01, share: 0.5, sources: [S1]}\n"
    )
    text = BASE + waves
    assert _errors(_write(tmp_path, text)) == ["queue 'detained' has two waves with the id 'w'"]


def test_a_wave_shared_by_two_queues_is_one_event(tmp_path: Path) -> None:
    text = BASE.replace(
        "      to: detained\n", "      to: {detained: 0.5, detained_b: 0.5, sources: [S1]}\n"
    )
    text += (
        "    waves: &w\n"
        "      - {id: big, date: 2003-01-01, share: 0.5, sources: [S1]}\n"
        "  - id: detained_b\n"
        "    to: returned\n"
        '    rate: {mean_days: 30, assumption: "returns every month"}\n'
        "    waves: *w\n"
    )
    m = compile_scenario(load_scenario(_write(tmp_path, text)))
    assert m.wave_ids == ("big", "big")
    assert [m.state_ids[m.wave_state[w]] for w in m.wave_indices("big")] == [
        "detained",
        "detained_b",
    ]
