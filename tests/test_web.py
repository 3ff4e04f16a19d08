"""The web app: every endpoint, bad inputs, a real short run and the HTML pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crossings.web import create_app
from test_web_timing import wait_until

TEST_HOSTS = ("testserver",)  # the Host of FastAPI's test client (refused unless allowed)
SHORT = {"time.end": "2003-12-31"}
FASTER = {**SHORT, "transitions.hiding[1].rate.per_year": 0.5}  # onward departures
MISSING = "0123456789abcdef"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(data_dir, workers=1, allowed_hosts=TEST_HOSTS)) as c:
        yield c


def wait(client: TestClient, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a run until it has ended (``timeout``: on a quiet machine; scaled with the load)."""

    def ended() -> dict[str, Any] | None:
        r = client.get(f"/api/runs/{run_id}")
        assert r.status_code == 200
        status: dict[str, Any] = r.json()
        assert 0.0 <= status["progress"] <= 1.0
        return status if status["state"] in ("done", "failed", "cancelled") else None

    return wait_until(ended, timeout, f"run {run_id} finished")


@pytest.fixture(scope="module")
def runs(client: TestClient) -> tuple[str, str]:
    """Two finished short runs of the example: as written, and without the crackdown."""
    ids = []
    for body in (
        {"scenario": "example", "overrides": SHORT, "runs": 2, "seed": 1},
        {
            "scenario": "example",
            "overrides": FASTER,
            "variant": "no_crackdown",
            "runs": 1,
            "seed": 3,
        },
    ):
        r = client.post("/api/runs", json=body)
        assert r.status_code == 202, r.text
        run_id = r.json()["run_id"]
        assert re.fullmatch(r"[0-9a-f]{8,32}", run_id)
        ids.append(run_id)
    for run_id in ids:
        status = wait(client, run_id)
        assert status["state"] == "done", status
    return ids[0], ids[1]


# ---------------------------------------------------------------- scenarios
def test_scenarios_list(client: TestClient) -> None:
    r = client.get("/api/scenarios")
    assert r.status_code == 200
    by_name = {s["name"]: s for s in r.json()}
    assert {"example", "north-korea"} <= set(by_name)
    ex = by_name["example"]
    assert ex["start"] == "2000-01-01" and ex["end"] == "2012-12-31"
    assert {v["name"] for v in ex["variants"]} == {"no_crackdown", "never_closed"}


def test_scenario_detail(client: TestClient) -> None:
    r = client.get("/api/scenarios/example")
    assert r.status_code == 200
    d = r.json()
    crackdown = next(p for p in d["policies"] if p["id"] == "crackdown")
    assert crackdown["from"] == "2006-06-01" and crackdown["to"] == "2007-10-31"
    factor = crackdown["effects"][0]["factor"]
    assert factor["value"] == 2.0
    assert factor["path"] == "policies.crackdown.effects.0.factor.value"
    assert factor["assumption"] == "arrests double"
    assert crackdown["sources"] == ["EX2"]
    assert d["parameters"] and all(p["sources"] or p["assumption"] for p in d["parameters"])
    assert any(p["number"] is not None for p in d["parameters"])
    assert "EX1" in d["citations"]


@pytest.mark.parametrize("name", ["nope", "..", "..%2F..%2Fetc%2Fpasswd"])
def test_scenario_unknown(client: TestClient, name: str) -> None:
    r = client.get(f"/api/scenarios/{name}")
    assert r.status_code == 404
    assert "detail" in r.json()


# ---------------------------------------------------------------- validate
def test_validate_ok(client: TestClient) -> None:
    r = client.post("/api/validate", json={"scenario": "example", "overrides": SHORT})
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True
    assert all(i["severity"] == "warning" for i in body["issues"])


def test_validate_factor_override(client: TestClient) -> None:
    r = client.post(
        "/api/validate",
        json={
            "scenario": "example",
            "variant": "never_closed",
            "overrides": {
                "policies.crackdown.effects.0.factor.value": 2.5,
                "policies.crackdown.from": "2006-07-01",
            },
        },
    )
    assert r.status_code == 200 and r.json()["valid"] is True


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"scenario": "example", "overrides": {"time.edn": "2003-12-31"}}, "unknown key 'edn'"),
        ({"scenario": "example", "overrides": {"nosuch.path[3].x": 1}}, "unknown key 'nosuch'"),
        ({"scenario": "example", "overrides": {"states.nowhere.duration": 1}}, "cannot set"),
        (
            {"scenario": "example", "overrides": {"policies.crackdown.effects.0.factor.value": -1}},
            "negative",
        ),
        ({"scenario": "example", "overrides": {"time.end": "not a date"}}, ""),
        ({"scenario": "example", "variant": "nope"}, "unknown variant"),
        ({"scenario": "/etc/passwd"}, "unknown scenario"),
        ({"scenario": "../north-korea"}, "unknown scenario"),
    ],
)
def test_validate_invalid(client: TestClient, body: dict[str, Any], needle: str) -> None:
    r = client.post("/api/validate", json=body)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["valid"] is False
    assert res["issues"] and all({"message", "path", "hint"} <= set(i) for i in res["issues"])
    assert any(needle in i["message"] for i in res["issues"])


@pytest.mark.parametrize(
    "body",
    [
        {"scenario": 5},
        {"scenario": "example", "overrides": ["time.end=2003-12-31"]},
        {"scenario": "example", "overrides": {"time.end": [1, 2]}},
        {"scenario": "example", "overrides": {"bad key!": 1}},
        {"scenario": "example", "unexpected": 1},
    ],
)
def test_validate_wrong_types(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/validate", json=body)
    assert r.status_code == 422
    assert "detail" in r.json()


def test_validate_not_json(client: TestClient) -> None:
    r = client.post(
        "/api/validate", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422


def test_oversized_body(client: TestClient) -> None:
    big = {"scenario": "example", "overrides": {"note": "x" * 1_100_000}}
    r = client.post("/api/validate", json=big)
    assert r.status_code == 413
    assert "too large" in r.json()["detail"]


def test_oversized_streamed_body(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"scenario": "example", "overrides": {"a": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}}'

    r = client.post("/api/runs", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


# ---------------------------------------------------------------- runs
def test_start_run_invalid(client: TestClient) -> None:
    r = client.post("/api/runs", json={"scenario": "example", "overrides": {"time.edn": "x"}})
    assert r.status_code == 422
    body = r.json()
    assert "invalid scenario" in body["detail"]
    assert body["issues"][0]["hint"] == "did you mean 'end'?"


@pytest.mark.parametrize(
    "body",
    [
        {"scenario": "example", "runs": 0},
        {"scenario": "example", "runs": 21},
        {"scenario": "example", "runs": "many"},
        {"scenario": "example", "seed": -1},
    ],
)
def test_start_run_wrong_types(client: TestClient, body: dict[str, Any]) -> None:
    assert client.post("/api/runs", json=body).status_code == 422


@pytest.mark.parametrize(
    "run_id", [MISSING, "zzzz", "0123", "A" * 16, "..", "..%2F..%2Fetc%2Fpasswd", "%2E%2E"]
)
def test_unknown_run(client: TestClient, run_id: str) -> None:
    for suffix in ("", "/observations", "/stocks", "/journeys"):
        r = client.get(f"/api/runs/{run_id}{suffix}")
        assert r.status_code == 404, (run_id, suffix, r.status_code)
        assert "detail" in r.json()


def test_unknown_run_message(client: TestClient) -> None:
    r = client.get(f"/api/runs/{MISSING}")
    assert r.status_code == 404
    assert r.json()["detail"] == f"unknown run id {MISSING}: no such run"


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/../../etc/passwd",
        "/runs/..%2F..%2Fetc%2Fpasswd",
        "/journeys/..%2F..",
        "/static/..%2F..%2Fapp.py",
        "/static/../app.py",
    ],
)
def test_traversal(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "import" not in r.text


def test_run_results(client: TestClient, runs: tuple[str, str]) -> None:
    a, _ = runs
    status = client.get(f"/api/runs/{a}").json()
    assert status["progress"] == 1.0 and status["summary"]["end"] == "2003-12-31"
    assert status["overrides"] == SHORT

    listed = client.get("/api/runs").json()
    assert {r["run_id"] for r in listed} >= set(runs)

    obs = client.get(f"/api/runs/{a}/observations").json()
    arrivals = [o for o in obs if o["series"] == "arrivals" and o["sex"] == "total"]
    assert [o["year"] for o in arrivals] == ["2000-2001", "2002", "2003"]
    for o in arrivals:
        assert o["simulated_p05"] <= o["simulated"] <= o["simulated_p95"]
        assert 0.5 < o["simulated"] / o["observed"] < 2

    arr = client.get(f"/api/runs/{a}/arrivals").json()
    assert arr["years"] == [2000, 2001, 2002, 2003] and arr["states"] == ["arrived"]
    assert all(
        lo <= m <= hi for lo, m, hi in zip(arr["p05"], arr["median"], arr["p95"], strict=True)
    )

    st = client.get(f"/api/runs/{a}/stocks").json()
    assert "hiding" in st["states"]
    assert {s["state"] for s in st["series"]} >= {"hiding", "detained"}
    one = client.get(f"/api/runs/{a}/stocks", params={"state": "hiding"}).json()["series"]
    assert len(one) == 1 and len(one[0]["dates"]) == 48  # months 2000–2003
    assert one[0]["dates"][0] == "2000-01-31" and max(one[0]["median"]) > 0
    bad = client.get(f"/api/runs/{a}/stocks", params={"state": "nowhere"})
    assert bad.status_code == 422 and "unknown state" in bad.json()["detail"]

    j = client.get(f"/api/runs/{a}/journeys", params={"limit": 3}).json()
    assert len(j["journeys"]) == 3 and j["total"] >= 3
    assert j["journeys"][0]["text"].startswith("A ")
    assert "arrived" in j["outcomes"]
    arrived = client.get(
        f"/api/runs/{a}/journeys", params={"outcome": "arrived", "limit": 5}
    ).json()
    assert arrived["journeys"]
    assert all(x["final_state"] == "arrived" for x in arrived["journeys"])
    assert client.get(f"/api/runs/{a}/journeys", params={"outcome": "atlantis"}).status_code == 422
    assert client.get(f"/api/runs/{a}/journeys", params={"limit": 0}).status_code == 422
    assert client.get(f"/api/runs/{a}/journeys", params={"limit": "x"}).status_code == 422


def test_compare(client: TestClient, runs: tuple[str, str]) -> None:
    a, b = runs
    r = client.get("/api/compare", params={"a": a, "b": b})
    assert r.status_code == 200
    rows = r.json()["rows"]
    assert [x["year"] for x in rows] == [2000, 2001, 2002, 2003]
    for x in rows:
        assert x["difference"] == pytest.approx(x["b"] - x["a"])
    assert sum(x["difference"] for x in rows) > 0  # faster onward departures: more arrivals
    assert client.get("/api/compare", params={"a": a, "b": MISSING}).status_code == 404
    assert client.get("/api/compare", params={"a": a, "b": "../../x"}).status_code == 404
    assert client.get("/api/compare", params={"a": a}).status_code == 422


def test_journeys_rebuilt_by_a_new_app(data_dir: Path, runs: tuple[str, str]) -> None:
    """A restarted app lists the stored runs and rebuilds their model for journeys."""
    _, b = runs
    with TestClient(create_app(data_dir, workers=1, allowed_hosts=TEST_HOSTS)) as fresh:
        assert fresh.get(f"/api/runs/{b}").json()["state"] == "done"
        assert fresh.get(f"/api/runs/{b}").json()["variant"] == "no_crackdown"
        j = fresh.get(f"/api/runs/{b}/journeys", params={"limit": 2})
        assert j.status_code == 200 and len(j.json()["journeys"]) == 2


def test_unexpected_error_is_generic_500(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(data_dir, workers=1, allowed_hosts=TEST_HOSTS)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error"}
    assert "secret detail" in caplog.text


def test_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in (
        "/api/scenarios",
        "/api/scenarios/{name}",
        "/api/validate",
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/runs/{run_id}/observations",
        "/api/runs/{run_id}/stocks",
        "/api/runs/{run_id}/journeys",
        "/api/compare",
    ):
        assert p in paths, p
    assert "RunRequest" in spec["components"]["schemas"]
    assert "ValidateResponse" in spec["components"]["schemas"]
    assert "202" in paths["/api/runs"]["post"]["responses"]


# ---------------------------------------------------------------- pages
LOCAL_PLOTLY = '<script src="/static/plotly.js"></script>'


def check_page(client: TestClient, path: str, heading: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, path
    assert "text/html" in r.headers["content-type"]
    html = r.text
    assert heading in html, (path, heading)
    assert LOCAL_PLOTLY in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), path
    return html


def test_pages(client: TestClient, runs: tuple[str, str]) -> None:
    a, b = runs
    # the app opens on the default scenario, as `crossings run` runs it
    check_page(client, "/", "<h1>Scenario: North Korea")
    html = check_page(client, "/?scenario=example", "<h1>Scenario: Examplestan")
    assert "Policy timeline" in html and 'data-path="policies.crackdown.from"' in html
    assert "assumption: arrests double" in html
    assert 'id="run-button"' in html
    # parameters by their names in words, the path as a small secondary id
    assert "Hiding in Bordia → held in Bordia awaiting return: rate per year" in html
    assert '<code class="path">transitions.hiding[0].rate</code>' in html
    runs_html = check_page(client, "/runs", "<h1>Runs</h1>")
    assert a in runs_html and "<progress" in runs_html
    run_html = check_page(client, f"/runs/{a}", "<h1>Run")
    assert "Arrivals: simulated vs observed" in run_html and 'id="stocks-chart"' in run_html
    check_page(client, f"/compare?a={a}&b={b}", "<h1>Compare runs</h1>")
    check_page(client, f"/journeys/{a}", "<h1>Journeys of run")


def test_pages_not_found(client: TestClient) -> None:
    for path in (f"/runs/{MISSING}", "/journeys/zz", "/?scenario=atlantis"):
        r = client.get(path)
        assert r.status_code == 404
        assert "Not found" in r.text


def test_static_assets(client: TestClient) -> None:
    js = client.get("/static/plotly.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert len(js.content) > 1_000_000
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/app.js").status_code == 200


# ---------------------------------------------------------------- saved variants
LATER = {"policies.crackdown.from": "2006-07-01", "policies.crackdown.effects.0.factor.value": 2.5}


def test_variant_save_list_get_delete(client: TestClient, data_dir: Path) -> None:
    body = {
        "scenario": "example",
        "name": "later_crackdown",
        "description": "a month later",
        "overrides": LATER,
    }
    r = client.post("/api/variants", json=body)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["name"] == "later_crackdown" and saved["overrides"] == LATER
    assert saved["description"] == "a month later"
    path = data_dir / "variants" / "example" / "later_crackdown.json"
    assert path.is_file()
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]

    r = client.get("/api/variants", params={"scenario": "example"})
    assert r.status_code == 200
    assert [v["name"] for v in r.json()] == ["later_crackdown"]
    assert client.get("/api/variants", params={"scenario": "north-korea"}).json() == []
    assert client.get("/api/variants", params={"scenario": "atlantis"}).status_code == 404

    r = client.get("/api/variants/example/later_crackdown")
    assert r.status_code == 200 and r.json()["overrides"] == LATER
    assert client.get("/api/variants/north-korea/later_crackdown").status_code == 404

    dup = client.post("/api/variants", json=body)
    assert dup.status_code == 409 and "replace" in dup.json()["detail"]
    r = client.post("/api/variants", json={**body, "overrides": SHORT, "replace": True})
    assert r.status_code == 201 and r.json()["overrides"] == SHORT
    assert r.json()["created"] == saved["created"]

    assert client.delete("/api/variants/example/later_crackdown").status_code == 204
    assert client.get("/api/variants/example/later_crackdown").status_code == 404
    assert client.delete("/api/variants/example/later_crackdown").status_code == 404
    assert not path.exists()


@pytest.mark.parametrize(
    "name", ["", "Upper", "1abc", "a" * 41, "a.b", "../x", "a/b", "a b", "..", "a\u00e9"]
)
def test_variant_invalid_name(client: TestClient, name: str) -> None:
    r = client.post("/api/variants", json={"scenario": "example", "name": name, "overrides": SHORT})
    assert r.status_code == 422, name


def test_variant_invalid_scenario_or_overrides(client: TestClient, data_dir: Path) -> None:
    r = client.post(
        "/api/variants",
        json={"scenario": "example", "name": "bad", "overrides": {"time.edn": "2003-12-31"}},
    )
    assert r.status_code == 422
    body = r.json()
    assert "invalid scenario" in body["detail"]
    assert body["issues"] and body["issues"][0]["hint"] == "did you mean 'end'?"
    r = client.post("/api/variants", json={"scenario": "atlantis", "name": "x", "overrides": {}})
    assert r.status_code == 422 and r.json()["issues"]
    r = client.post(
        "/api/variants", json={"scenario": "example", "name": "x", "overrides": {}, "extra": 1}
    )
    assert r.status_code == 422
    assert not (data_dir / "variants" / "example" / "bad.json").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/variants/example/Upper",
        "/api/variants/example/%2E%2E",
        "/api/variants/example/..%2F..%2Fetc%2Fpasswd",
        "/api/variants/..%2F..%2Fetc/passwd",
        "/api/variants/../../etc/passwd",
        "/api/variants/example/..%2Fruns",
        "/api/variants/atlantis/x",
        "/api/variants/example/nosuch",
    ],
)
def test_variant_traversal(client: TestClient, path: str) -> None:
    for method in ("GET", "DELETE"):
        r = client.request(method, path)
        assert r.status_code in (404, 405), (method, path, r.status_code)
        assert r.status_code == 404 or method == "DELETE", (method, path)
        assert "import" not in r.text


def test_run_from_saved_variant(client: TestClient) -> None:
    r = client.post(
        "/api/variants",
        json={
            "scenario": "example",
            "name": "short-later",
            "overrides": {**LATER, "time.end": "2012-12-31"},
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/runs",
        json={
            "scenario": "example",
            "saved_variant": "short-later",
            "overrides": SHORT,
            "runs": 1,
            "seed": 5,
        },
    )
    assert r.status_code == 202, r.text
    status = wait(client, r.json()["run_id"], timeout=60.0)
    assert status["state"] == "done", status
    assert status["overrides"] == {**LATER, **SHORT}
    assert status["summary"]["end"].startswith("2003-12-31")

    r = client.post("/api/runs", json={"scenario": "example", "saved_variant": "nosuch"})
    assert r.status_code == 422 and "saved variant" in r.json()["detail"]
    r = client.post("/api/runs", json={"scenario": "example", "saved_variant": "../x"})
    assert r.status_code == 422
    assert client.delete("/api/variants/example/short-later").status_code == 204


def test_scenario_page_has_save_variant(client: TestClient) -> None:
    html = client.get("/?scenario=example").text
    assert 'id="save-variant-button"' in html and 'id="variant-name"' in html
    assert 'id="saved-variants"' in html


def test_run_opens_in_the_full_report(client: TestClient, runs: tuple[str, str]) -> None:
    a, b = runs
    r = client.get(f"/runs/{a}/report")
    assert r.status_code == 200
    assert "Where the numbers come from" in r.text
    assert "Where people who left Examplestan went" in r.text
    assert 'src="http' not in r.text
    both = client.get(f"/runs/{a}/report?compare={b}")
    assert both.status_code == 200 and "What-if comparison" in both.text
    assert client.get(f"/runs/{MISSING}/report").status_code == 404
    assert client.get("/runs/..%2F..%2Fetc/report").status_code == 404
    assert f'href="/runs/{a}/report"' in client.get(f"/runs/{a}").text


# ---------------------------------------------------------------- the report's views on the web
def test_run_summary_per_population(client: TestClient, runs: tuple[str, str]) -> None:
    a, b = runs
    s = client.get(f"/api/runs/{a}/summary").json()
    assert s["how"] == "2 agent runs (seeds 1–2)" and s["banded"] is True and s["note"] == ""
    head = s["populations"][0]
    assert head["headline"] and head["title"] == "People who left Examplestan"
    keys = [f["key"] for f in head["figures"]]
    assert keys[:3] == ["entered", "arrivals", "caught_abroad"]
    for f in head["figures"]:
        assert "nan" not in f["text"] and f["label"][:1].isupper()
    assert any(not p["headline"] for p in s["populations"])  # the returnees, part of it
    assert s["checks"] and all(c["inside"] <= c["rows"] for c in s["checks"])
    one = client.get(f"/api/runs/{b}/summary").json()  # one run: no band, no verdict
    assert one["banded"] is False and "no band" in one["note"] and one["checks"] == []
    assert all(" to " not in f["text"] for f in one["populations"][0]["figures"])


def test_run_figures_are_the_reports(client: TestClient, runs: tuple[str, str]) -> None:
    a, _ = runs
    for name in ("arrivals", "sankey", "cohorts", "stocks"):
        r = client.get(f"/api/runs/{a}/figures/{name}")
        assert r.status_code == 200, (name, r.text[:200])
        fig = r.json()
        assert fig["data"] and fig["layout"]["title"]["text"]
        assert "NaN" not in r.text
    sankey = client.get(f"/api/runs/{a}/figures/sankey").json()
    assert sankey["data"][0]["type"] == "sankey"
    assert "people who left Examplestan" in sankey["layout"]["title"]["text"]
    assert client.get(f"/api/runs/{a}/figures/pie").status_code == 422
    assert client.get(f"/api/runs/{MISSING}/figures/sankey").status_code == 404


def test_observations_stocks_journeys_in_words(client: TestClient, runs: tuple[str, str]) -> None:
    a, b = runs
    obs = client.get(f"/api/runs/{a}/observations").json()
    assert all(o["title"] and o["observed_text"] and o["simulated_text"] for o in obs)
    assert {o["verdict"] for o in obs} <= {"inside", ""} | {
        o["verdict"] for o in obs if o["verdict"].startswith("outside by ")
    }
    assert any(o["verdict"] == "inside" for o in obs)
    one = client.get(f"/api/runs/{b}/observations").json()
    assert all(o["verdict"] == "" for o in one)  # one run: no verdict
    st = client.get(f"/api/runs/{a}/stocks").json()
    groups = st["groups"]
    assert groups and groups[0]["population_title"] == "People who left Examplestan"
    named = {s["id"]: s["name"] for g in groups for s in g["states"]}
    assert named["hiding"] == "hiding in Bordia"
    assert all(s["name"] for s in st["series"])
    j = client.get(f"/api/runs/{a}/journeys", params={"limit": 50}).json()
    assert len(j["outcome_names"]) == len(j["outcomes"])
    interrogated = [x for x in j["journeys"] if x["detected"] is not None]
    assert interrogated, "no sampled history was interrogated"
    for x in interrogated:
        assert all(isinstance(f, str) and "_" not in f for f in x["detected"]), x["detected"]
        assert x["text"].count("interrogation detected") >= 1, x["text"]


def test_compare_gives_the_paired_differences(client: TestClient, runs: tuple[str, str]) -> None:
    a, b = runs
    diffs = client.get("/api/compare", params={"a": a, "b": b}).json()["differences"]
    assert diffs and diffs[0]["population_title"] == "People who left Examplestan"
    arrivals = next(d for d in diffs if d["key"] == "arrivals")
    assert re.fullmatch(r"[+−]?[\d,]+", arrivals["difference"])  # one run in B: no band
    assert arrivals["paired"] == 0  # seeds 1–2 against seed 3: nothing to pair
