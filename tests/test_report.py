"""The HTML report: one self-contained file built from results folders."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import plotly.offline
import pytest
from fastapi.testclient import TestClient

import crossings
from crossings.report import ReportError, build_report
from crossings.web import create_app

SHORT = ["time.end=2004-12-31"]
SECTIONS = (
    "1. Arrivals vs observed",
    "2. Where people who left Examplestan went",
    "3. The map",
    "4. Stocks over time",
    "5. The uncounted",
    "6. What-if comparison",
    "7. Where the numbers come from",
)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A short example run and its 'never_closed' variant, same seeds."""
    root = tmp_path_factory.mktemp("results")
    base = crossings.simulate("example", runs=2, seed=3, overrides=SHORT, workers=1)
    alt = crossings.simulate(
        "example", runs=2, seed=3, overrides=SHORT, workers=1, variant="never_closed"
    )
    return (
        crossings.write_results(base, root / "base"),
        crossings.write_results(alt, root / "never_closed"),
    )


@pytest.fixture(scope="module")
def page(folders: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("page") / "report.html"
    assert build_report([folders[0]], out) == out
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # nothing left over
    return out.read_text(encoding="utf-8")


def without_plotly(html: str) -> str:
    return html.replace(plotly.offline.get_plotlyjs(), "")


def test_single_self_contained_file(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert page.count(plotly.offline.get_plotlyjs()) == 1
    rest = without_plotly(page)
    assert 'src="http' not in rest and 'href="http' not in rest
    assert "src='http" not in rest and "href='http" not in rest
    assert not re.search(r"<script[^>]*\bsrc=", rest)
    assert not re.search(r"<link\b", rest)
    assert "Plotly.newPlot" in rest


def test_every_section_is_there(page: str) -> None:
    for heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in page
    assert 'id="fig-observed-arrivals"' in page
    assert 'id="fig-sankey"' in page and 'id="fig-cohorts"' in page
    assert 'id="fig-stocks"' in page
    assert "Calibration results are not present" in page
    assert "Only one results folder was given" in page


def test_map_has_places_and_the_shipped_basemap(page: str) -> None:
    assert 'id="fig-map"' in page
    assert '"type":"scattergeo"' in page
    assert "country outlines (Natural Earth 1:110m)" in page
    assert "repatriation crossing" in page and "political prison camp" in page
    # no tiles or topojson from the network: every built-in geo layer is off
    assert '"showcoastlines":false' in page and '"showland":false' in page


def test_parameters_and_sources_are_listed(page: str) -> None:
    # named in words, with the path as a secondary id
    assert "Hiding in Bordia → held in Bordia awaiting return: rate per year" in page
    assert "<code class=path>transitions.hiding[0].rate</code>" in page
    assert 'id="src-EX1"' in page and 'href="#src-EX1"' in page


def test_what_if_comparison_with_two_folders(folders: tuple[Path, Path], tmp_path: Path) -> None:
    out = build_report(list(folders), tmp_path / "cmp.html")
    html = out.read_text(encoding="utf-8")
    assert 'id="fig-whatif"' in html
    assert "paired by seed: 2 pairs of runs" in html
    assert "only example (+1 override) has: border closed" in html
    # the answer is on the first screen: in the header, before section 1
    first = html[: html.index('<section id="observed">')]
    assert "What if — example [never_closed] (+1 override)" in first
    assert "Arrivals in safety" in first and "difference (what-if − baseline)" in first
    assert re.search(
        r"arrivals in safety <b>[+−]?[\d,]+( \([+−]?[\d,]+ to [+−]?[\d,]+\))?</b>", first
    )


def test_figures_are_written_as_png_and_svg(folders: tuple[Path, Path], tmp_path: Path) -> None:
    figs = tmp_path / "figs"
    build_report(list(folders), tmp_path / "r.html", figures_dir=figs)
    names = sorted(p.name for p in figs.iterdir())
    stems = {n.rsplit(".", 1)[0] for n in names}
    assert {
        "1-01-observed-arrivals",
        "2-1-moves-between-stages",
        "2-2-cohorts",
        "2-3-cohort-outcomes",
        "3-map",
        "4-stocks",
        "6-whatif",
    } <= stems
    for stem in stems:
        png, svg = figs / f"{stem}.png", figs / f"{stem}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    assert not list(tmp_path.glob(".figs.tmp-*"))


def test_model_estimates_are_labelled(folders: tuple[Path, Path], tmp_path: Path) -> None:
    d = tmp_path / "with_estimates"
    shutil.copytree(folders[0], d)
    (d / "estimates.csv").write_text(
        "quantity,year,sex,p05,p50,p95\n"
        "people hiding,2003,female,900,1200,1500\npeople hiding,2004,female,800,1100,1400\n"
        "people hiding,2003,male,300,400,500\npeople hiding,2004,male,250,350,450\n"
    )
    html = build_report([d], tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="fig-estimates"' in html
    assert "Model estimates</b> — not observations" in html
    assert "Calibration results are not present" not in html


def test_report_journeys_and_web_read_the_bundle_alone(tmp_path: Path) -> None:
    """The scenario file of a run is deleted (or changed): everything still reads the folder."""
    src = Path(crossings.__file__).parent / "scenario" / "builtin" / "example.yaml"
    mine = tmp_path / "mine.yaml"
    mine.write_text(src.read_text().replace("name: example", "name: my_example", 1))
    res = crossings.simulate(mine, runs=2, seed=3, overrides=SHORT, workers=1)
    out = crossings.write_results(res, tmp_path / "res")
    mine.unlink()  # the scenario is gone
    html = build_report([out], tmp_path / "r.html").read_text(encoding="utf-8")
    for fig in ("fig-map", "fig-observed-arrivals", "fig-sankey"):
        assert f'id="{fig}"' in html, fig
    rest = without_plotly(html)
    assert "could not be loaded" not in rest and "has changed since" not in rest
    assert "hiding in Bordia" in html  # state names, from scenario.json
    p = subprocess.run(
        [sys.executable, "-m", "crossings", "journeys", str(out), "--n", "2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert len(re.findall(r"^\d+\. A (?:woman|man) aged ", p.stdout, flags=re.MULTILINE)) == 2
    # the web app's run views read the same folder (put where its store keeps runs)
    data = tmp_path / "web"
    shutil.copytree(out, data / "runs" / "0123456789abcdef")
    client = TestClient(create_app(data, allowed_hosts=("testserver",)))
    with client:
        r = client.get("/api/runs/0123456789abcdef/journeys", params={"limit": 2})
        assert r.status_code == 200, r.text
        assert r.json()["journeys"][0]["text"].startswith("A ")


def test_an_older_results_folder_gets_a_clear_message(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    d = tmp_path / "old"
    shutil.copytree(folders[0], d)
    info = json.loads((d / "run.json").read_text())
    del info["bundle_version"]
    (d / "run.json").write_text(json.dumps(info))
    with pytest.raises(ReportError, match="results format 1; this version reads format 2"):
        build_report([d], tmp_path / "r.html")


def test_bad_input_raises_report_error(folders: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such folder"):
        build_report([tmp_path / "missing"], tmp_path / "r.html")
    with pytest.raises(ReportError, match="not a Crossings results folder"):
        build_report([tmp_path], tmp_path / "r.html")
    broken = tmp_path / "broken"
    shutil.copytree(folders[0], broken)
    (broken / "flows.parquet").write_bytes(b"not parquet")
    with pytest.raises(ReportError, match="cannot read"):
        build_report([broken], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_cli_bad_folder_exits_2_without_traceback(tmp_path: Path) -> None:
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "crossings",
            "report",
            "/nonexistent",
            "-o",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "no such folder" in p.stderr
    assert not (tmp_path / "r.html").exists()


def test_sankey_per_entry_cohort_with_bribed_out(folders: tuple[Path, Path], page: str) -> None:
    from crossings.report.data import load_result_set  # noqa: PLC0415
    from crossings.report.figures import sankey_figure  # noqa: PLC0415

    assert (folders[0] / "cohort_flows.parquet").is_file()
    fig = sankey_figure(load_result_set(folders[0]))
    assert fig is not None
    buttons = [b.label for b in fig.figure.layout.updatemenus[0].buttons]
    assert buttons[0] == "all entry years" and "entered 2000" in buttons and len(buttons) > 2
    assert len(fig.figure.data) == len(buttons)
    labels = {str(x) for x in fig.figure.data[0].node.label}
    assert "bribed out" in labels and "released" in labels
    assert "all entry years" in page and "bribed out" in page


def test_sankey_without_cohort_flows_falls_back(folders: tuple[Path, Path], tmp_path: Path) -> None:
    d = tmp_path / "old"
    shutil.copytree(folders[0], d)
    for name in ("cohort_flows.parquet", "cohort_hazards.parquet"):
        (d / name).unlink(missing_ok=True)
    html = build_report([d], tmp_path / "r.html", figures_dir=tmp_path / "figs").read_text(
        encoding="utf-8"
    )
    assert 'id="fig-sankey"' in html and "went, whole run" in html
    assert "all entry years" not in html
    assert (tmp_path / "figs" / "2-1-moves-between-stages.png").is_file()


def test_report_defaults_to_the_run_output_folder(tmp_path: Path) -> None:
    """`crossings run && crossings report` works with no arguments."""

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crossings", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    assert cli("run", "example", "-q", "--set", "time.end=2003-12-31").returncode == 0
    p = cli("report")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "report.html").stat().st_size > 1_000_000


# ---------------------------------------------------------------- answers first, per population
def test_first_screen_says_what_was_run_and_the_headline(page: str) -> None:
    first = page[: page.index('<section id="observed">')]
    assert "<h1>Examplestan" in first
    assert "What was run:</b> 2 agent runs (seeds 3–4)" in first
    assert "People who left Examplestan: headline figures" in first
    assert "model estimate, people" in first and "median (5–95%)" in first
    assert "Compared with what is counted" in first
    assert re.search(r"\d+ of \d+ counted or reported numbers lie inside", first)
    assert "Returnees (caught and sent back) (part of the above)" in first
    rest = without_plotly(page)
    assert not re.search(r"\bnan\b|NaN", re.sub(r"<script>.*?</script>", "", rest, flags=re.S))


def test_sankey_has_no_loops_and_names_every_node(folders: tuple[Path, Path]) -> None:
    from crossings.report.data import load_result_set, sankey_column  # noqa: PLC0415
    from crossings.report.figures import sankey_figure  # noqa: PLC0415

    rs = load_result_set(folders[0]).for_population()
    links = rs.sankey_links()
    assert not links.empty
    for a, b in zip(links["source"], links["target"], strict=True):
        assert sankey_column(b) > sankey_column(a), (a, b)
    fig = sankey_figure(rs)
    assert fig is not None
    for trace in fig.figure.data:
        labels = [str(x) for x in trace.node.label]
        assert all(lab.strip() for lab in labels)
        assert not any(lab.endswith("…") for lab in labels)
        assert len(set(labels)) == len(labels)


def test_a_single_run_shows_no_band_and_no_verdict(tmp_path: Path) -> None:
    res = crossings.simulate("example", runs=1, seed=3, overrides=SHORT, workers=1)
    out = crossings.write_results(res, tmp_path / "one")
    html = build_report([out], tmp_path / "r.html").read_text(encoding="utf-8")
    first = html[: html.index('<section id="observed">')]
    assert "<b>One run:</b> the figures have no band" in first
    assert "median (5–95%)" not in first and "value (one run)" in first
    rest = re.sub(r"<script>.*?</script>", "", without_plotly(html), flags=re.S)
    assert "outside by" not in rest and 'class="ok">inside' not in rest


def _with_context(src: Path, dst: Path) -> Path:
    """A copy of an example bundle where the political camp for life is a context population.

    (The example declares none; this exercises the report's handling of one.)
    """
    shutil.copytree(src, dst)
    info = json.loads((dst / "scenario.json").read_text())
    info["populations"].append(
        {"id": "camp", "name": "camp population (context)", "context": True, "description": ""}
    )
    for s in info["states"]:
        if s["id"] == "political_life":
            s["population"], s["subpopulations"] = "camp", []
    (dst / "scenario.json").write_text(json.dumps(info))
    return dst


def test_context_population_is_shown_apart(folders: tuple[Path, Path], tmp_path: Path) -> None:
    from crossings.report.data import load_result_set  # noqa: PLC0415

    d = _with_context(folders[0], tmp_path / "ctx")
    rs = load_result_set(d)
    head, camp = rs.for_population(), rs.for_population("camp")
    assert "political_life" not in set(head.stocks["state"].astype(str))
    assert set(camp.stocks["state"].astype(str)) == {"political_life"}
    html = build_report([d], tmp_path / "r.html").read_text(encoding="utf-8")
    first = html[: html.index('<section id="observed">')]
    assert "Camp population (context) — not included in the figures above" in first
    assert 'id="fig-stocks-camp"' in html
    sankey = html[html.index('id="fig-sankey"') : html.index('id="fig-cohorts"')]
    assert "political camp for life" not in sankey


def test_expected_values_have_no_band_and_no_verdict(tmp_path: Path) -> None:
    from crossings.results.bundle import RunMode  # noqa: PLC0415
    from crossings.runs import RunPlan, execute  # noqa: PLC0415

    loaded = crossings.load_scenario("example", overrides=SHORT)
    out = crossings.write_results(execute(loaded, RunPlan(RunMode.EXPECTED)), tmp_path / "ev")
    html = build_report([out], tmp_path / "r.html").read_text(encoding="utf-8")
    first = html[: html.index('<section id="observed">')]
    assert "exact expected values (no agents, no noise)" in first
    assert "Exact expected values have no band" in first and "median (5–95%)" not in first
    rest = re.sub(r"<script>.*?</script>", "", without_plotly(html), flags=re.S)
    assert "outside by" not in rest and not re.search(r"\bnan\b", rest)
