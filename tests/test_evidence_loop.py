"""The evidence loop, end to end: an article → a claim → a link → an overlay → a fit that moves.

A new article reports a figure the scenario does not observe yet; it is
added to a fresh SQLite store, the suggested claim is accepted (and linked to
the observation row it is about), ``crossings evidence use`` writes an overlay
that ``crossings check`` accepts, the overlay is calibrated, and the
comparison with the calibration before says which estimates moved and that
the new row came from that claim.

The scenario is ``tests/data/calib_small.yaml`` extended (in the test) with a
detention state and a series of people held in it, so the fit takes a
second (the Laplace preview).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from crossings.calibrate.compare import compare_calibrations, print_comparison
from crossings.calibrate.outputs import Options, calibrate_to_dir
from crossings.cli import app
from crossings.scenario.load import load_scenario
from crossings.scenario.schema import Range

runner = CliRunner()
CALIB_SMALL = Path(__file__).parent / "data" / "calib_small.yaml"

BASE = f"""\
# calib_small with people held in detention after an arrest, and a series of them
extends: {CALIB_SMALL.as_posix()}
name: calib_loop
places:
  - {{id: lockup, kind: detention, country: Bordia}}
states:
  - {{id: held, place: lockup, kind: detained, then: returned,
      duration: {{distribution: fixed, value: 90, unit: days, assumption: "test value"}}}}
transitions:
  hiding:
    - {{id: arrest, to: held}}
observations:
  - id: held_estimate
    name: People held in detention
    kind: estimate
    measure: {{stock: [held]}}
    sources: [R1]
    rows:
      - {{year: 2013, total: {{low: 20, high: 200}}}}
calibration:
  estimates:
    - {{id: held, name: People held in detention (end of year), measure: {{stock: [held]}}}}
"""

#: A new text (written for this test), with a dateline and a figure the scenario lacks.
ARTICLE = """\
GENEVA, March 14, 2019 — At least 200 people who had fled across the border were held in \
detention in June 2018, the Border Watch Group said in a report released on Thursday.

The group, which interviewed former detainees in three towns, said conditions in the \
lock-ups had worsened since the new checkpoints were built.
"""


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _all(r: Any) -> str:
    return f"{r.stdout}\n{r.stderr}"


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("CROSSINGS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    base = tmp_path / "base.yaml"
    base.write_text(BASE, encoding="utf-8")
    return tmp_path / "ev.sqlite", base


def _add_and_accept(db: Path, base: Path, tmp_path: Path) -> int:
    article = tmp_path / "border-watch.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    r = run("evidence", "add", str(article), "--db", str(db), "--reliability", "C")
    assert r.exit_code == 0, _all(r)
    suggested = json.loads(
        run("evidence", "claims", "--db", str(db), "--status", "suggested", "--json").stdout
    )["claims"]
    (claim,) = [c for c in suggested if c["value"] == 200]
    assert (claim["subject"], claim["qualifier"], claim["period"]) == (
        "detained",
        "at least",
        "2018-06",
    )
    r = run(
        "evidence",
        "review",
        "--accept",
        str(claim["id"]),
        "--scenario",
        str(base),
        "--yes",
        "--db",
        str(db),
    )
    assert r.exit_code == 0, _all(r)
    assert "series 'held_estimate' row 2018-06-30 (total)" in r.stdout
    assert "linked (1 new link(s)" in r.stdout
    return int(claim["id"])


def test_an_article_moves_the_estimate_it_informs(setup: tuple[Path, Path], tmp_path: Path) -> None:
    db, base = setup
    cid = _add_and_accept(db, base, tmp_path)

    # the claim is linked to the right observation row, and the audit log says so
    shown = json.loads(run("evidence", "show", str(cid), "--db", str(db), "--json").stdout)
    assert shown["review_state"] == "accepted"
    assert shown["observations"] == [
        {
            "scenario": "calib_loop",
            "observation": "held_estimate",
            "row": "2018-06-30",
            "link": "confirmed",
        }
    ]
    link = shown["history"][-1]
    assert link["action"] == "link"
    assert link["after"]["observations"] == [{"observation": "held_estimate", "row": "2018-06-30"}]

    # evidence use writes an overlay that check accepts
    overlay = tmp_path / "overlay.yaml"
    r = run(
        "evidence",
        "use",
        str(cid),
        "--scenario",
        str(base),
        "--out",
        str(overlay),
        "--fit",
        "--db",
        str(db),
    )
    assert r.exit_code == 0, _all(r)
    assert "added-row" in r.stdout and "a lower bound" in r.stdout
    r = run("check", str(overlay))
    assert r.exit_code == 0, _all(r)
    loaded = load_scenario(overlay)
    assert loaded.scenario.name == "calib_loop-evidence"
    (held,) = [o for o in loaded.scenario.observations if o.id == "held_estimate"]
    assert [str(r.year or r.date) for r in held.rows] == ["2013", "2018-06-30"]
    new_row = held.rows[1]
    assert new_row.total == Range(low=200)
    assert f"evidence claim {cid}:" in (new_row.note or "")
    (src,) = new_row.sources or []
    assert src in loaded.scenario.sources and src.startswith("D")

    # calibrate before and after
    before, after = tmp_path / "before", tmp_path / "after"
    opts = Options(method="laplace", draws=300)
    calibrate_to_dir(load_scenario(base), before, opts)
    calibrate_to_dir(loaded, after, opts)
    comp = compare_calibrations(before, after, scenario=loaded)

    (row,) = comp.rows
    assert (row.series, row.year, row.sex, row.status) == (
        "held_estimate",
        "2018-06-30",
        "total",
        "new",
    )
    assert row.claims == (cid,) and row.after == "at least 200"
    assert comp.claims == (cid,)
    moved = {(m.name, m.year, m.sex): m for m in comp.estimates}
    held_mean = moved[("held", "yearly mean", "total")]
    assert held_mean.after[1] > held_mean.before[1] * 1.3  # up: at least 200 in mid-2018
    assert held_mean.in_sds > 0.5
    assert held_mean.claims == (cid,) and held_mean.rows == ("held_estimate 2018-06-30 (total)",)
    arrest = next(m for m in comp.unknowns if m.name == "arrest_rate")
    assert arrest.after[1] > arrest.before[1]

    # the printed comparison names the claim
    console = Console(width=160, file=io.StringIO(), record=True)
    print_comparison(comp, console)
    text = console.export_text()
    assert f"from evidence claim {cid}" in text
    assert "held yearly mean" in text and f"claim {cid}" in text


def test_without_fit_an_estimate_is_held_back_as_a_check(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    db, base = setup
    cid = _add_and_accept(db, base, tmp_path)
    overlay = tmp_path / "check.yaml"
    r = run(
        "evidence", "use", str(cid), "--scenario", str(base), "--out", str(overlay), "--db", str(db)
    )
    assert r.exit_code == 0, _all(r)
    sc = load_scenario(overlay).scenario
    (check,) = [o for o in sc.observations if o.id == "held_estimate_ev_check"]
    assert check.role == "check" and "not counts" in (check.reason or "")
    assert check.measure.stock == ["held"] and check.rows[0].total == Range(low=200)
    (held,) = [o for o in sc.observations if o.id == "held_estimate"]
    assert len(held.rows) == 1  # the fitted series is left as written
    # the overlay says what it did and why
    text = overlay.read_text(encoding="utf-8")
    assert "held back as a check" in text and f"claim {cid}" in text
    # using it again for the same row does not add it twice
    r = run(
        "evidence",
        "use",
        str(cid),
        str(cid),
        "--scenario",
        str(base),
        "--out",
        str(overlay),
        "--db",
        str(db),
        "--json",
    )
    steps = json.loads(r.stdout)["steps"]
    assert [s["action"] for s in steps] == ["new-series", "skipped"]


def test_a_suggested_claim_is_not_used(setup: tuple[Path, Path], tmp_path: Path) -> None:
    db, base = setup
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    assert run("evidence", "add", str(article), "--db", str(db)).exit_code == 0
    (claim,) = [
        c
        for c in json.loads(run("evidence", "claims", "--db", str(db), "--json").stdout)["claims"]
        if c["value"] == 200 and c["source_origin"] == "ingested"
    ]
    r = run("evidence", "use", str(claim["id"]), "--scenario", str(base), "--db", str(db))
    assert r.exit_code == 2 and "only accepted claims are used" in r.stderr
    assert not list(tmp_path.glob("*-evidence.yaml"))
