"""The command line, run as a user would (a subprocess)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SHORT = ["--set", "time.end=2003-12-31"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossings", *args],
        capture_output=True,
        check=False,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_run_writes_all_outputs(tmp_path: Path) -> None:
    out = tmp_path / "res"
    p = cli("run", "example", "--runs", "3", "--seed", "5", "--out", str(out), *SHORT)
    assert p.returncode == 0, p.stderr
    for f in (
        "run.json",
        "observations.csv",
        "stocks.parquet",
        "flows.parquet",
        "outcomes.parquet",
        "families.parquet",
        "journeys.jsonl",
    ):
        assert (out / f).is_file(), f
    info = json.loads((out / "run.json").read_text())
    assert info["scenario"] == "example" and info["seeds"] == [5, 6, 7]
    assert len(info["scenario_sha256"]) == 64 and info["agent_steps"][0] > 0
    assert info["wall_seconds"] > 0 and info["crossings_version"]
    obs = pd.read_csv(out / "observations.csv")
    assert list(obs.columns[:7]) == [
        "series",
        "year",
        "sex",
        "observed",
        "simulated",
        "simulated_p05",
        "simulated_p95",
    ]
    assert set(obs["sex"]) <= {"male", "female", "total"}
    assert (obs["simulated_p05"] <= obs["simulated"]).all()
    assert (obs["simulated"] <= obs["simulated_p95"]).all()
    stocks = pd.read_parquet(out / "stocks.parquet")
    assert {"date", "state", "place", "sex", "count"} <= set(stocks.columns)
    first = json.loads((out / "journeys.jsonl").read_text().splitlines()[0])
    assert first.get("events")
    assert "Observed vs simulated" in p.stdout


def test_run_is_atomic_and_replaces_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "res"
    assert cli("run", "example", "--out", str(out), "-q", *SHORT).returncode == 0
    (out / "marker").write_text("old")
    assert cli("run", "example", "--out", str(out), "-q", *SHORT).returncode == 0
    assert not (out / "marker").exists()
    assert not list(tmp_path.glob(".res.tmp-*"))


def test_invalid_scenario_runs_nothing_and_shows_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntime: {start: 2020-01-01, end: 2019-01-01}\n")
    out = tmp_path / "res"
    p = cli("run", str(bad), "--out", str(out))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "bad.yaml:2" in p.stderr and "end date is not after" in p.stderr
    assert not out.exists()


def test_check_reports_valid_and_invalid(tmp_path: Path) -> None:
    p = cli("check", "example")
    assert p.returncode == 0 and "valid scenario 'example'" in p.stdout
    bad = tmp_path / "b.yaml"
    bad.write_text("name: x\ntime: {start: 2020-01-01, end: 2021-01-01}\npalces: []\n")
    p = cli("check", str(bad), "--json")
    assert p.returncode == 2
    data = json.loads(p.stdout)
    assert data["valid"] is False
    issue = next(i for i in data["issues"] if "palces" in i["message"])
    assert issue["line"] == 3 and "places" in issue["hint"]


def test_bad_override_is_a_clear_error() -> None:
    p = cli("check", "example", "--set", "time.edn=2010-01-01")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "did you mean 'end'" in p.stderr


def test_scenarios_schema_journeys(tmp_path: Path) -> None:
    p = cli("scenarios")
    assert p.returncode == 0 and "example" in p.stdout
    p = cli("schema", "--out", str(tmp_path / "s.json"))
    assert p.returncode == 0
    schema = json.loads((tmp_path / "s.json").read_text())
    assert "time" in schema["properties"] and "$defs" in schema
    p = cli("journeys", "example", "--n", "3", *SHORT)
    assert p.returncode == 0, p.stderr
    stories = re.findall(r"^\d+\. A (?:woman|man) aged ", p.stdout, flags=re.MULTILINE)
    assert len(stories) == 3
    assert re.search(r"On \d{1,2} [A-Z][a-z]+ 200\d", p.stdout)


def test_variant_runs(tmp_path: Path) -> None:
    p = cli(
        "run", "example", "--variant", "never_closed", "--out", str(tmp_path / "v"), "-q", *SHORT
    )
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "v" / "run.json").read_text())["variant"] == "never_closed"
    p = cli("run", "example", "--variant", "nope", "--out", str(tmp_path / "w"))
    assert p.returncode == 2 and "unknown variant" in p.stderr


def test_sources_lists_every_parameter_with_provenance() -> None:
    p = cli("sources", "example", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["unlabelled"] == 0 and data["parameters"] > 20
    paths = {r["path"] for r in data["rows"]}
    assert "transitions.hiding[0].rate" in paths
    assert all(r["sources"] or r["assumption"] for r in data["rows"])


def test_run_expected_writes_a_results_folder_the_report_reads(tmp_path: Path) -> None:
    """`crossings run --expected`: exact expectations as a results folder; the report
    builds from it; agent-only options are refused with a clear message."""
    out = tmp_path / "exp"
    p = cli("run", "example", "--expected", "--out", str(out), *SHORT)
    assert p.returncode == 0, p.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["mode"] == "expected" and info["runs"] == 1
    assert "expected values" in p.stdout and "Traceback" not in p.stderr
    obs = pd.read_csv(out / "observations.csv")
    assert (obs["simulated_p05"] == obs["simulated"]).all()  # no noise, no band
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert set(outcomes["cohort_year"]) == {2000, 2001, 2002, 2003}
    # the initial people and every later entrant end somewhere
    flows = pd.read_parquet(out / "flows.parquet")
    entered = flows.loc[flows["from_state"].isin(["outside", "start"]), "count"].sum()
    assert outcomes["count"].sum() == pytest.approx(entered, rel=1e-9)
    rep = cli("report", str(out), "--out", str(tmp_path / "r.html"))
    assert rep.returncode == 0, rep.stderr
    assert "expected values (no agents, no noise)" in (tmp_path / "r.html").read_text()
    bad = cli("run", "example", "--expected", "--runs", "3", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2
    assert "--expected" in bad.stderr and "--runs" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "x").exists()
