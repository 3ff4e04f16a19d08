"""The web app with a calibration: runs drawn from its posterior, its estimates and labels.

A real (small) calibration of the built-in example is made once; the app is
started with it, as ``crossings serve --calibration DIR`` does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crossings import load_scenario
from crossings.cli import app as cli
from crossings.compile.compiler import compile_scenario
from crossings.results.describe import describe
from crossings.results.views import estimate_rows
from crossings.web import create_app
from crossings.web.calibrations import CalibrationFolderError, CalibrationRegistry
from test_web_timing import wait_until

TEST_HOSTS = ("testserver",)
SHORT = {"time.end": "2005-12-31"}
runner = CliRunner()


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cal") / "example-cal"
    r = runner.invoke(
        cli,
        [
            "calibrate",
            "example",
            "--out",
            str(out),
            "--draws",
            "200",
            "--target-ess",
            "200",
            "--prior-draws",
            "60",
        ],
    )
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, calibration: Path) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("web")
    app = create_app(data, workers=1, allowed_hosts=TEST_HOSTS, calibrations=[calibration])
    with TestClient(app) as c:
        yield c


def run(client: TestClient, body: dict[str, Any]) -> str:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 202, r.text
    run_id: str = r.json()["run_id"]

    def ended() -> dict[str, Any] | None:
        s: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        return s if s["state"] in ("done", "failed", "cancelled") else None

    status = wait_until(ended, 120, f"run {run_id} finished")
    assert status["state"] == "done", status
    return run_id


def test_calibrations_are_listed_without_their_paths(client: TestClient, calibration: Path) -> None:
    r = client.get("/api/calibrations")
    assert r.status_code == 200
    (cal,) = r.json()
    assert cal["name"] == "example-cal" and cal["scenario"] == "example"
    meta = json.loads((calibration / "calibration.json").read_text())
    assert cal["method"] == meta["method"] and cal["draws"] == 200
    assert str(calibration) not in r.text and str(calibration.parent) not in r.text
    assert client.get("/api/calibrations?scenario=north-korea").json() == []


def test_calibration_detail_shows_each_estimate_with_its_label(
    client: TestClient, calibration: Path
) -> None:
    r = client.get("/api/calibrations/example-cal")
    assert r.status_code == 200, r.text
    d = r.json()
    est = pd.read_csv(calibration / "estimates.csv")
    assert len(d["estimates"]) == len(est)
    for got, (_, row) in zip(d["estimates"], est.iterrows(), strict=True):
        assert got["quantity"] == row["quantity"] and got["year"] == str(row["year"])
        assert got["median"] == pytest.approx(row["p50"])
        assert got["label"] == row["label"] and got["label"]  # every row has its own label
    # the scenario's names, not the keys
    assert {e["title"] for e in d["estimates"]} == {
        "People crossing the river",
        "People hiding in Bordia (31 December)",
    }
    # each estimate total's label is the one identifiability.csv gives it
    idf = pd.read_csv(calibration / "identifiability.csv")
    said = dict(zip(idf["quantity"], idf["label"], strict=True))
    for e in d["estimates"]:
        if e["sex"] == "total" and e["year"] in ("all years", "yearly mean"):
            assert e["label"] == said[f"{e['quantity']} ({e['year']})"]
    n_unknown = int((idf["kind"] == "unknown").sum())
    assert sum(x["count"] for x in d["identifiability"]) == n_unknown
    missing = client.get("/api/calibrations/nothing-here")
    assert missing.status_code == 404 and "example-cal" in missing.json()["detail"]


def test_runs_drawn_from_the_posterior_carry_its_estimates(client: TestClient) -> None:
    body = {"scenario": "example", "runs": 3, "seed": 11, "calibration": "example-cal"}
    run_id = run(client, body)
    status = client.get(f"/api/runs/{run_id}").json()
    assert status["calibration"] == "example-cal"
    s = client.get(f"/api/runs/{run_id}/summary").json()
    assert s["calibration"]["name"] == "example-cal"
    assert "posterior" in s["note"] and s["banded"]
    assert "'example-cal'" in s["how"] and "/" not in s["how"]  # named, not its server path
    assert s["estimates"] and all(e["label"] for e in s["estimates"])
    assert s["identifiability"]
    # same seed, same draws: the same figures
    again = client.get(f"/api/runs/{run(client, body)}/summary").json()
    assert again["populations"] == s["populations"]
    # the run page names the calibration
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200 and "example-cal" in page.text


def test_a_what_if_drawn_from_the_posterior_shows_no_estimates(client: TestClient) -> None:
    base = {"scenario": "example", "runs": 2, "seed": 5, "calibration": "example-cal"}
    what_if = {**base, "variant": "no_crackdown"}
    a, b = run(client, base), run(client, what_if)
    s = client.get(f"/api/runs/{b}/summary").json()
    assert s["estimates"] == [] and "what-if" in s["note"]
    diff = client.get(f"/api/compare?a={a}&b={b}")
    assert diff.status_code == 200, diff.text
    # the same seeds draw the same parameters: the what-if is paired draw by draw
    rows = diff.json()["differences"]
    assert rows and all(d["paired"] for d in rows)


def test_expected_values_of_the_draws_give_a_paired_what_if(client: TestClient) -> None:
    base = {
        "scenario": "example",
        "runs": 30,  # more than agent runs may use: draws of expected values are cheap
        "seed": 5,
        "calibration": "example-cal",
        "expected": True,
    }
    a, b = run(client, base), run(client, {**base, "variant": "no_crackdown"})
    status = client.get(f"/api/runs/{a}").json()
    assert status["expected"] is True and status["runs"] == 30
    s = client.get(f"/api/runs/{a}/summary").json()
    assert "exact expected values of 30 parameter sets" in s["how"]
    assert "'example-cal'" in s["how"] and "/" not in s["how"]
    assert "not the engine's chance" in s["note"] and s["banded"]
    assert s["estimates"]  # the scenario as fitted: the calibration's estimates are shown
    assert client.get(f"/api/runs/{b}/summary").json()["estimates"] == []
    rows = client.get(f"/api/compare?a={a}&b={b}").json()["differences"]
    assert rows and all(d["paired"] for d in rows)
    page = client.get(f"/runs/{a}")
    assert "expected values of each draw" in page.text
    # agent runs of the same draws are a different thing: not the same numbers
    agents = run(client, {**base, "expected": False, "runs": 3})
    assert client.get(f"/api/runs/{agents}").json()["expected"] is False


def test_expected_values_need_a_calibration_and_agent_runs_stay_capped(
    client: TestClient,
) -> None:
    r = client.post("/api/runs", json={"scenario": "example", "expected": True})
    assert r.status_code == 422, r.text
    issue = r.json()["issues"][0]
    assert issue["path"] == "expected" and "calibration" in issue["expected"]
    r = client.post("/api/runs", json={"scenario": "example", "runs": 21})
    assert r.status_code == 422, r.text
    issue = r.json()["issues"][0]
    assert issue["path"] == "runs" and issue["found"] == "21" and "expected" in issue["expected"]
    r = client.post(
        "/api/runs",
        json={"scenario": "example", "runs": 101, "calibration": "example-cal", "expected": True},
    )
    assert r.status_code == 422, r.text


def test_a_calibration_that_is_not_there_is_refused(client: TestClient) -> None:
    for body, found in (
        ({"scenario": "example", "calibration": "nope"}, "nope"),
        ({"scenario": "north-korea", "calibration": "example-cal"}, "example-cal"),
    ):
        r = client.post("/api/runs", json=body)
        assert r.status_code == 422, r.text
        issue = r.json()["issues"][0]
        assert issue["path"] == "calibration" and found in issue["found"]
        assert "crossings serve --calibration" in issue["hint"]
    bad = client.post("/api/runs", json={"scenario": "example", "calibration": "../etc"})
    assert bad.status_code == 422


def test_scenario_form_offers_the_calibration(client: TestClient) -> None:
    page = client.get("/?scenario=example")
    assert page.status_code == 200
    assert 'id="calibration"' in page.text and "example-cal" in page.text
    assert 'id="expected"' in page.text  # expected values of each draw, with a calibration
    nk = client.get("/?scenario=north-korea")
    assert "example-cal" not in nk.text and "crossings serve --calibration" in nk.text


def test_registry_refuses_folders_that_are_not_calibrations(
    tmp_path: Path, calibration: Path
) -> None:
    with pytest.raises(CalibrationFolderError, match="no such folder"):
        CalibrationRegistry([tmp_path / "absent"])
    partial = tmp_path / "partial"
    shutil.copytree(calibration, partial)
    (partial / "posterior.parquet").unlink()
    with pytest.raises(CalibrationFolderError, match=r"posterior\.parquet"):
        CalibrationRegistry([partial])
    other = tmp_path / "other"
    shutil.copytree(calibration, other)
    meta = json.loads((other / "calibration.json").read_text())
    (other / "calibration.json").write_text(json.dumps({**meta, "scenario": "my-own"}))
    with pytest.raises(CalibrationFolderError, match="cannot run"):
        CalibrationRegistry([other], scenarios=["example", "north-korea"])
    # two folders of the same name get distinct names
    twin = tmp_path / "x" / calibration.name
    shutil.copytree(calibration, twin)
    reg = CalibrationRegistry([calibration, twin])
    assert reg.names() == ["example-cal", "example-cal-2"]


def test_serve_refuses_a_bad_calibration_before_starting(tmp_path: Path) -> None:
    r = runner.invoke(cli, ["serve", "--calibration", str(tmp_path / "absent")])
    assert r.exit_code == 2
    assert "no such folder" in r.output and "Traceback" not in r.output


def test_an_older_calibration_without_row_labels_labels_its_totals(calibration: Path) -> None:
    """estimates.csv written before it had ``label``: the totals take identifiability.csv's."""
    est = pd.read_csv(calibration / "estimates.csv").drop(columns=["ratio", "label"])
    idf = pd.read_csv(calibration / "identifiability.csv")
    info = _info_of_example()
    rows = estimate_rows(info, est, idf)
    said = dict(zip(idf["quantity"], idf["label"], strict=True))
    for r in rows:
        key = f"{r.quantity} ({r.year})"
        assert r.label == said.get(key, ""), key
    assert any(r.label for r in rows) and any(not r.label for r in rows)


def _info_of_example() -> Any:
    loaded = load_scenario("example")
    return describe(loaded, compile_scenario(loaded.scenario, sha256=loaded.sha256))
