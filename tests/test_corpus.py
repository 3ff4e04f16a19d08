"""The broken-scenario corpus: each file has one mistake, reported exactly as expected.

Every file in ``tests/corpus/broken/`` is a small scenario with exactly one
mistake; ``tests/corpus/expected.yaml`` gives, per file, the first error the
loader must report: its message, line, column, dotted field path and part of
its hint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from crossings.scenario import Issue, ScenarioError, load_scenario

CORPUS = Path(__file__).parent / "corpus"
BROKEN = CORPUS / "broken"
EXPECTED_FILE = CORPUS / "expected.yaml"

FILES = sorted(p.name for p in BROKEN.glob("*.yaml"))


def _expected() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


EXPECTED = _expected()


def _first_error(name: str) -> tuple[ScenarioError, Issue]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(BROKEN / name)
    errors = [i for i in info.value.issues if i.severity == "error"]
    assert errors, f"{name}: ScenarioError without any error issue"
    return info.value, errors[0]


def test_corpus_is_large_enough() -> None:
    assert len(FILES) >= 30


def test_every_file_has_an_expectation_and_vice_versa() -> None:
    files = set(FILES)
    expected = set(EXPECTED)
    assert not files - expected, f"corpus files without expectation: {sorted(files - expected)}"
    assert not expected - files, f"expectations without corpus file: {sorted(expected - files)}"


def test_expectations_are_well_formed() -> None:
    allowed = {"line", "column", "path", "message", "hint_contains"}
    for name, exp in EXPECTED.items():
        assert isinstance(exp, dict), name
        assert set(exp) <= allowed, (name, set(exp) - allowed)
        assert {"line", "column", "path", "message"} <= set(exp), name
        assert isinstance(exp["line"], int), name
        assert exp["column"] is None or isinstance(exp["column"], int), name
        assert isinstance(exp["path"], str), name
        assert isinstance(exp["message"], str) and exp["message"], name


@pytest.mark.parametrize("name", FILES)
def test_broken_file_reports_expected_error(name: str) -> None:
    exp = EXPECTED[name]
    _, issue = _first_error(name)
    assert issue.message == exp["message"]
    assert issue.location is not None
    assert Path(issue.location.file).name == name, "the error must point into the broken file"
    assert issue.location.line == exp["line"]
    if exp["column"] is not None:
        assert issue.location.column == exp["column"]
    assert issue.dotted_path == exp["path"]
    if "hint_contains" in exp:
        assert issue.hint is not None, f"{name}: no hint"
        assert exp["hint_contains"] in issue.hint


@pytest.mark.parametrize("name", FILES)
def test_broken_file_has_exactly_one_mistake(name: str) -> None:
    error, _ = _first_error(name)
    errors = [i for i in error.issues if i.severity == "error"]
    assert len(errors) == 1, [i.message for i in errors]


@pytest.mark.parametrize("name", FILES)
def test_formatted_issue_names_file_and_line(name: str) -> None:
    error, issue = _first_error(name)
    text = issue.format()
    assert name in text
    assert f"{name}:{EXPECTED[name]['line']}" in text
    assert EXPECTED[name]["message"] in text
    whole = error.format()
    assert text in whole
    assert whole.rstrip().endswith("in scenario")
