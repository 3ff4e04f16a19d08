"""The broken-scenario corpus: each file has one mistake, reported exactly as expected.

Every file in ``tests/corpus/broken/`` is a small scenario with exactly one
mistake; ``tests/corpus/expected.yaml`` gives, per file, the first error the
loader must report: its message, line, column, dotted field path and part of
its hint. A case may give ``overrides`` (``--set`` values, where the mistake
then is) and ``location_file`` (where the error points when that is not the
file, e.g. ``--set time.end=2001-02-30``).

Each case goes through what ``crossings check`` runs: loading and the
preflight of the compiler (memory, engine limits), so that ``check`` refuses
what ``run`` would. Every case must be refused within a deadline, so that an
input that hangs fails the test instead of hanging it.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml

from crossings.compile import preflight
from crossings.scenario import Issue, ScenarioError, load_scenario

CORPUS = Path(__file__).parent / "corpus"
BROKEN = CORPUS / "broken"
EXPECTED_FILE = CORPUS / "expected.yaml"

FILES = sorted(p.name for p in BROKEN.glob("*.yaml"))

DEADLINE_S = 10.0
"""Seconds one case may take; each takes milliseconds, so this holds on a loaded machine."""


def _expected() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


EXPECTED = _expected()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging) if the block runs longer than ``seconds``.

    Uses a real-time timer signal where the platform has one; elsewhere the
    elapsed time is checked afterwards.
    """
    start = time.monotonic()
    use_signal = hasattr(signal, "setitimer") and sys.platform != "win32"
    previous: Any = None
    if use_signal:

        def _expired(signum: int, frame: FrameType | None) -> None:
            raise TimeoutError(f"did not finish within {seconds} s")

        previous = signal.signal(signal.SIGALRM, _expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if use_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s, more than {seconds} s"


def _first_error(name: str) -> tuple[ScenarioError, Issue]:
    exp = EXPECTED[name]
    with deadline(DEADLINE_S), pytest.raises(ScenarioError) as info:
        loaded = load_scenario(BROKEN / name, overrides=exp.get("overrides", []))
        preflight(loaded)
    errors = [i for i in info.value.issues if i.severity == "error"]
    assert errors, f"{name}: ScenarioError without any error issue"
    return info.value, errors[0]


def test_corpus_is_large_enough() -> None:
    assert len(FILES) >= 70


def test_every_file_has_an_expectation_and_vice_versa() -> None:
    files = set(FILES)
    expected = set(EXPECTED)
    assert not files - expected, f"corpus files without expectation: {sorted(files - expected)}"
    assert not expected - files, f"expectations without corpus file: {sorted(expected - files)}"


def test_expectations_are_well_formed() -> None:
    allowed = {"line", "column", "path", "message", "hint_contains", "overrides", "location_file"}
    for name, exp in EXPECTED.items():
        assert isinstance(exp, dict), name
        assert set(exp) <= allowed, (name, set(exp) - allowed)
        assert {"line", "column", "path", "message"} <= set(exp), name
        assert isinstance(exp["line"], int) or "location_file" in exp, name
        assert exp["column"] is None or isinstance(exp["column"], int), name
        assert isinstance(exp["path"], str), name
        assert isinstance(exp["message"], str) and exp["message"], name
        assert isinstance(exp.get("overrides", []), list), name


@pytest.mark.parametrize("name", FILES)
def test_broken_file_reports_expected_error(name: str) -> None:
    exp = EXPECTED[name]
    _, issue = _first_error(name)
    assert issue.message == exp["message"]
    assert issue.location is not None
    if "location_file" in exp:
        assert issue.location.file == exp["location_file"]
    else:
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
    exp = EXPECTED[name]
    text = issue.format()
    if "location_file" in exp:
        assert text.startswith(exp["location_file"])
    else:
        assert name in text
        assert f"{name}:{exp['line']}" in text
    assert exp["message"] in text
    whole = error.format()
    assert text in whole
    assert whole.rstrip().endswith("in scenario")


@pytest.mark.parametrize("name", FILES)
def test_every_issue_says_what_was_expected_or_how_to_fix_it(name: str) -> None:
    error, _ = _first_error(name)
    for issue in error.issues:
        assert issue.location is not None, issue.message
        assert issue.expected or issue.hint, issue.message
