"""The command line starts light: ``--help`` and ``import crossings`` load no heavy library."""

from __future__ import annotations

import subprocess
import sys

import pytest

import crossings

HEAVY = ("numba", "pandas", "dask", "distributed", "plotly", "matplotlib", "scipy")


def _imported(code: str) -> set[str]:
    probe = code + (
        f"\nimport sys\nprint('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("LOADED:")][-1]
    return {m for m in line[len("LOADED:") :].split(",") if m}


def test_import_crossings_loads_no_heavy_library() -> None:
    assert _imported("import crossings") == set()


def test_help_loads_no_heavy_library() -> None:
    code = (
        "import sys\nsys.argv = ['crossings', '--help']\nfrom crossings.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _imported(code) == set()


@pytest.mark.parametrize("name", ["load_scenario", "simulate", "Results", "ScenarioError"])
def test_public_names_still_resolve(name: str) -> None:
    assert getattr(crossings, name).__name__ == name


def test_unknown_public_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = crossings.nope  # type: ignore[attr-defined]
