"""Input limits: huge files, alias bombs, deep nesting, override values, CSV files.

Each hostile input must be refused quickly with a message naming the limit.
A deadline turns a regression that hangs into a failure instead of a hung
test run. The 50 MB inputs are generated here, in a temporary folder.
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

from crossings.scenario import ScenarioError, load_scenario
from crossings.scenario.limits import (
    MAX_ALIASES,
    MAX_CSV_BYTES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    MAX_OVERRIDE_BYTES,
)
from crossings.scenario.load import load_scenario_text
from crossings.scenario.yamlsource import load_yaml

LIMIT_S = 5.0
"""Seconds allowed for refusing any of these inputs (each takes milliseconds)."""

BUILTIN = Path(__file__).resolve().parents[1] / "src" / "crossings" / "scenario" / "builtin"


@contextmanager
def deadline(seconds: float = LIMIT_S) -> Iterator[None]:
    """Fail instead of hanging when the block runs past ``seconds``."""
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
    assert time.monotonic() - start < seconds


def _refused(text: str, name: str = "t.yaml") -> ScenarioError:
    with deadline(), pytest.raises(ScenarioError) as info:
        load_yaml(text, name)
    return info.value


def _laughs(levels: int, width: int = 9) -> str:
    letters = "abcdefghijklmnop"
    lines = [f"a: &a [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        refs = ", ".join([f"*{letters[i - 1]}"] * width)
        lines.append(f"{letters[i]}: &{letters[i]} [{refs}]")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ file size


def test_the_builtin_scenarios_are_far_below_the_file_limit() -> None:
    for f in BUILTIN.glob("*.yaml"):
        assert f.stat().st_size < MAX_FILE_BYTES / 20, f


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    line = "# " + "x" * 97 + "\n"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("name: big\n")
        fh.write(line * (50 * 1024 * 1024 // len(line)))
    assert big.stat().st_size > 50_000_000
    with deadline(), pytest.raises(ScenarioError) as info:
        load_scenario(big)
    issue = info.value.issues[0]
    assert issue.message == "the file is larger than the limit of 5 MiB"
    assert issue.found == f"{big.stat().st_size:,} bytes"
    assert issue.expected == f"at most {MAX_FILE_BYTES:,} bytes"
    assert issue.location is not None and issue.location.file == str(big)


def test_text_over_the_limit_is_refused() -> None:
    err = _refused("name: x\n" + "#" * (MAX_FILE_BYTES + 1))
    assert err.issues[0].message == "the file is larger than the limit of 5 MiB"


# ---------------------------------------------------------------- alias bombs


def test_billion_laughs_is_refused_within_the_deadline() -> None:
    issue = _refused(_laughs(9)).issues[0]
    assert issue.message == f"the YAML expands to more values than the limit of {MAX_NODES:,}"
    assert issue.hint is not None and "billion laughs" in issue.hint
    assert issue.location is not None and issue.location.line is not None


def test_a_small_alias_structure_is_accepted() -> None:
    data, _ = load_yaml(_laughs(3), "t.yaml")
    assert len(data["c"]) == 9 and data["c"][0][0] == ["lol"] * 9


def test_an_alias_bomb_of_wide_scalars_is_refused() -> None:
    # few levels, but each alias repeats a large list
    text = "a: &a [" + ", ".join(["x"] * 5000) + "]\nb: [" + ", ".join(["*a"] * 300) + "]\n"
    assert "values than the limit" in _refused(text).issues[0].message


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    issue = _refused(text).issues[0]
    assert issue.message == f"more YAML aliases than the limit of {MAX_ALIASES:,}"


@pytest.mark.parametrize("text", ["x: &a [*a]\n", "x: &a {b: [1, {c: *a}]}\n"])
def test_a_recursive_alias_is_refused(text: str) -> None:
    issue = _refused(text).issues[0]
    assert issue.message == "recursive YAML alias '*a'"
    assert issue.location is not None and issue.location.line == 1


def _laugh_chain(levels: int = 9) -> str:
    """A billion-laughs list in one flow value: ``[&a [lol, …], &b [*a, …], …]``."""
    letters = "abcdefghijklmnop"
    items = [f"&a [{', '.join(['lol'] * 9)}]"]
    for i in range(1, levels):
        items.append(f"&{letters[i]} [" + ", ".join([f"*{letters[i - 1]}"] * 9) + "]")
    return "[" + ", ".join(items) + "]"


def test_an_alias_bomb_inside_a_variant_is_refused_with_or_without_the_variant(
    tmp_path: Path,
) -> None:
    base = (BUILTIN / "example.yaml").read_text(encoding="utf-8")
    assert "\nvariants:\n" in base
    text = base.replace(
        "\nvariants:\n", f"\nvariants:\n  laughs:\n    set:\n      title: {_laugh_chain()}\n"
    )
    f = tmp_path / "s.yaml"
    f.write_text(text, encoding="utf-8")
    for variant in (None, "laughs", "no_crackdown"):
        with deadline(), pytest.raises(ScenarioError) as info:
            load_scenario(f, variant=variant)
        assert "values than the limit" in info.value.issues[0].message


# -------------------------------------------------------------------- nesting


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 10_000, 100_000])
def test_deep_nesting_is_refused_without_recursion_error(levels: int) -> None:
    issue = _refused("x: " + "[" * levels + "]" * levels + "\n").issues[0]
    assert issue.message == f"YAML nesting deeper than the limit of {MAX_DEPTH} levels"
    assert issue.found == f"a list or mapping at level {MAX_DEPTH + 1}"


def test_deep_block_nesting_is_refused() -> None:
    text = "".join(" " * i + "k:\n" for i in range(200)) + " " * 200 + "v\n"
    issue = _refused(text).issues[0]
    assert issue.message == f"YAML nesting deeper than the limit of {MAX_DEPTH} levels"


def test_nesting_built_from_a_chain_of_aliases_is_refused() -> None:
    text = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 500))
    issue = _refused(text).issues[0]
    assert issue.message == f"YAML nesting deeper than the limit of {MAX_DEPTH} levels"
    assert issue.found is not None and issue.found.startswith("alias '*a")


def test_nesting_at_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 1  # the top-level mapping is one level
    data, _ = load_yaml("x: " + "[" * depth + "1" + "]" * depth + "\n", "t.yaml")
    node = data["x"]
    for _ in range(depth - 1):
        node = node[0]
    assert node == [1]


# ------------------------------------------------------------------ overrides


def test_an_alias_bomb_in_an_override_is_refused() -> None:
    with deadline(), pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["title=" + _laugh_chain()])
    issue = info.value.issues[0]
    assert "values than the limit" in issue.message
    assert issue.location is not None and issue.location.file.startswith("--set title=")


def test_deep_nesting_in_an_override_is_refused() -> None:
    with deadline(), pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["title=" + "[" * 5000 + "]" * 5000])
    assert "nesting deeper" in info.value.issues[0].message


def test_an_override_value_over_the_size_limit_is_refused() -> None:
    with deadline(), pytest.raises(ScenarioError) as info:
        load_scenario("example", overrides=["title=" + "x" * (MAX_OVERRIDE_BYTES + 1)])
    issue = info.value.issues[0]
    assert issue.message == "the value is larger than the limit of 64 KiB"
    assert issue.location is not None
    assert len(issue.location.file) < 300, "long overrides are cut in messages"


def test_an_override_that_is_not_yaml_is_taken_as_text() -> None:
    loaded = load_scenario("example", overrides=["title=it's [not yaml"])
    assert loaded.scenario.title == "it's [not yaml"


# ---------------------------------------------------------------- CSV files


def _scenario_with_csv(folder: Path, csv_name: str = "rows.csv") -> Path:
    f = folder / "s.yaml"
    f.write_text(
        "extends: example\n"
        "observations:\n"
        "  - id: from_csv\n"
        "    measure: {entries: [arrived]}\n"
        "    sources: [EX1]\n"
        f"    file: {csv_name}\n",
        encoding="utf-8",
    )
    return f


def test_a_50_mb_csv_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    line = "2002,100,50,50\n"
    with rows.open("w", encoding="utf-8") as fh:
        fh.write("year,total,female,male\n")
        fh.write(line * (50 * 1024 * 1024 // len(line)))
    with deadline(), pytest.raises(ScenarioError) as info:
        load_scenario(_scenario_with_csv(tmp_path))
    issue = info.value.issues[0]
    assert issue.message == "the file is larger than the limit of 5 MiB"
    assert issue.expected == f"at most {MAX_CSV_BYTES:,} bytes"
    assert issue.dotted_path == "observations[3].file"


def test_load_scenario_text_refuses_observation_files() -> None:
    text = (
        (BUILTIN / "example.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "\nobservations:\n",
            "\nobservations:\n  - id: from_csv\n    measure: {entries: [arrived]}\n"
            "    sources: [EX1]\n    file: /etc/passwd\n",
        )
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text)
    assert info.value.issues[0].message.startswith("observation file '/etc/passwd'")
