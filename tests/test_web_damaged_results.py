"""Damaged results files: the web app and ``crossings report`` name the file, never crash.

A real short run of the example is written once; each case copies its folder
(as another run id), truncates one file to half its bytes or overwrites it
with garbage, and asks for everything that reads that file. The web app
answers 409 ``results file '<name>' in run <id> is damaged: …`` (never a 500,
never the file's bytes); ``crossings report`` exits with status 2 and a
one-line error naming the file, no traceback.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import crossings
from crossings.report import ReportError, build_report
from crossings.web import create_app
from test_web_timing import scaled

TEST_HOSTS = ("testserver",)
SHORT = ["time.end=2003-12-31"]
GARBAGE = b"\x00\xffPAR1 not a table \x89\x13" * 64

# file → the endpoints that read it
READERS = {
    "stocks.parquet": ["/stocks", "/arrivals", "/summary", "/figures/stocks"],
    "flows.parquet": ["/arrivals", "/summary", "/figures/sankey"],
    "observations.csv": ["/observations", "/arrivals", "/summary", "/figures/arrivals"],
    "journeys.jsonl": ["/journeys"],
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-damaged")


@pytest.fixture(scope="module")
def good_run(data_dir: Path) -> Path:
    """A finished run of the example, written as the web app writes its runs."""
    results = crossings.simulate("example", runs=2, seed=1, overrides=SHORT, workers=1)
    return crossings.write_results(results, data_dir / "runs" / secrets.token_hex(8))


@pytest.fixture(scope="module")
def client(data_dir: Path, good_run: Path) -> Iterator[TestClient]:
    with TestClient(create_app(data_dir, workers=1, allowed_hosts=TEST_HOSTS)) as c:
        yield c


def damage(path: Path, how: str) -> None:
    if how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(GARBAGE)


def damaged_copy(good_run: Path, name: str, how: str) -> Path:
    copy = good_run.parent / secrets.token_hex(8)
    shutil.copytree(good_run, copy)
    damage(copy / name, how)
    return copy


def assert_names_damage(r: object, name: str, run_id: str) -> None:
    status = r.status_code  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert status == 409, (name, status, body)
    assert f"results file '{name}' in run {run_id} is damaged" in body["detail"], body


def test_the_good_run_reads(client: TestClient, good_run: Path) -> None:
    for suffix in (
        "",
        "/observations",
        "/arrivals",
        "/stocks",
        "/journeys",
        "/summary",
        "/figures/sankey",
    ):
        r = client.get(f"/api/runs/{good_run.name}{suffix}")
        assert r.status_code == 200, (suffix, r.text[:300])


@pytest.mark.parametrize("how", ["truncated", "garbage"])
@pytest.mark.parametrize("name", sorted(READERS))
def test_damaged_table(client: TestClient, good_run: Path, name: str, how: str) -> None:
    run = damaged_copy(good_run, name, how)
    for suffix in READERS[name]:
        r = client.get(f"/api/runs/{run.name}{suffix}")
        assert_names_damage(r, name, run.name)
        assert "PAR1 not a table" not in r.text
    if "/arrivals" in READERS[name]:
        r = client.get("/api/compare", params={"a": good_run.name, "b": run.name})
        assert_names_damage(r, name, run.name)
    assert client.get(f"/api/runs/{run.name}").json()["state"] == "done"
    for page in (f"/runs/{run.name}", f"/journeys/{run.name}", "/runs", "/compare"):
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_damaged_run_json(client: TestClient, good_run: Path, how: str) -> None:
    run = damaged_copy(good_run, "run.json", how)
    status = client.get(f"/api/runs/{run.name}")
    assert status.status_code == 200
    assert status.json()["state"] == "failed"
    assert f"results file 'run.json' in run {run.name} is damaged" in status.json()["error"]
    for suffix in ("/observations", "/arrivals", "/stocks", "/journeys", "/summary"):
        r = client.get(f"/api/runs/{run.name}{suffix}")
        assert r.status_code == 409, (suffix, r.text)
        assert "run.json" in r.json()["detail"] and "damaged" in r.json()["detail"]
    assert any(r["run_id"] == run.name for r in client.get("/api/runs").json())
    assert client.get(f"/runs/{run.name}").status_code == 200


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_damaged_scenario_description(client: TestClient, good_run: Path, how: str) -> None:
    """``scenario.json`` names and places the journeys: damaged, they cannot be told."""
    run = damaged_copy(good_run, "scenario.json", how)
    r = client.get(f"/api/runs/{run.name}/journeys")
    assert_names_damage(r, "scenario.json", run.name)
    assert str(run) not in r.text


def test_results_of_an_older_version(client: TestClient, good_run: Path) -> None:
    run = damaged_copy(good_run, "run.json", "garbage")
    info = json.loads((good_run / "run.json").read_text())
    info.pop("bundle_version", None)
    (run / "run.json").write_text(json.dumps(info))
    r = client.get(f"/api/runs/{run.name}/journeys")
    assert r.status_code == 409
    assert "results format 1" in r.json()["detail"] and str(run) not in r.text


def test_run_json_with_wrong_values(client: TestClient, good_run: Path) -> None:
    run = damaged_copy(good_run, "run.json", "garbage")
    (run / "run.json").write_text('{"scenario": "example", "runs": "many", "seeds": 3}')
    status = client.get(f"/api/runs/{run.name}").json()
    assert status["state"] == "failed" and "run.json" in status["error"]


def test_parquet_without_the_columns(client: TestClient, good_run: Path) -> None:
    run = damaged_copy(good_run, "stocks.parquet", "garbage")
    pd.DataFrame({"other": [1, 2]}).to_parquet(run / "stocks.parquet")
    r = client.get(f"/api/runs/{run.name}/stocks")
    assert_names_damage(r, "stocks.parquet", run.name)
    assert "missing column(s)" in r.json()["detail"]


def test_damaged_report_page(client: TestClient, good_run: Path) -> None:
    run = damaged_copy(good_run, "flows.parquet", "truncated")
    r = client.get(f"/runs/{run.name}/report")
    assert r.status_code == 409
    assert "results file &#39;flows.parquet&#39;" in r.text or "flows.parquet" in r.text
    assert "is damaged" in r.text
    assert str(run) not in r.text  # runs are named by id, not by their folder on this machine


# ---------------------------------------------------------------- crossings report
@pytest.mark.parametrize("how", ["truncated", "garbage"])
@pytest.mark.parametrize(
    "name", ["stocks.parquet", "flows.parquet", "outcomes.parquet", "observations.csv", "run.json"]
)
def test_report_names_the_damaged_file(good_run: Path, tmp_path: Path, name: str, how: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    damage(run / name, how)
    with pytest.raises(ReportError, match=rf"results file '{name}' in .* is damaged"):
        build_report([run], tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_report_cli_says_which_file_without_traceback(good_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    damage(run / "stocks.parquet", "truncated")
    p = subprocess.run(
        [sys.executable, "-m", "crossings", "report", str(run), "-o", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        check=False,
        timeout=scaled(120),
    )
    assert p.returncode == 2, (p.stdout, p.stderr)
    out = p.stdout + p.stderr
    assert "results file 'stocks.parquet'" in out and "is damaged" in out
    assert "Traceback" not in out
    assert not (tmp_path / "r.html").exists()
